#!/usr/bin/env bash
# The main job: sets up and builds (scripts/build.sh), then runs the real
# pipeline on a synthetic video and writes out/demo.mp4 (the video with the
# proposals drawn) and out/demo.png (a strip of frames).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
build=${BUILD_DIR:-build}
out=${OUT_DIR:-out}
rm -rf "$out" && mkdir -p "$out/frames"
export GST_PLUGIN_PATH="$PWD/$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

gst-launch-1.0 -q \
  videotestsrc pattern=ball num-buffers=60 ! video/x-raw,width=640,height=480,framerate=15/1 ! \
  videoconvert ! video/x-raw,format=RGB ! refsegproposals max-proposals=8 ! \
  refsegoverlay ! tee name=t \
  t. ! queue ! videoconvert ! x264enc ! mp4mux ! filesink location="$out/demo.mp4" \
  t. ! queue ! videorate drop-only=true ! video/x-raw,framerate=1/1 ! videoconvert ! pngenc ! \
    multifilesink location="$out/frames/frame-%02d.png"

"$build/tools/png_strip" "$out/demo.png" "$out"/frames/frame-0[0-3].png
echo "wrote $PWD/$out/demo.mp4 and $PWD/$out/demo.png"

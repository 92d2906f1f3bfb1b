#!/usr/bin/env bash
# The main job: sets up and builds (scripts/build.sh), then runs the whole
# method on a synthetic video with the bundled tiny CLIP:
#
#   refsegworldsrc ! refsegbin model=refseg-tiny text=... ! refsegoverlay ! mp4 + PNGs
#
# and prints the selection of every frame. Writes out/demo.mp4 (the video
# with the selection drawn), out/demo.png (a strip of frames) and
# out/frames/*.png. No download: the model is in models/pretrained/.
#
#   scripts/demo.sh ["referring expression"]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
build=${BUILD_DIR:-build}
out=${OUT_DIR:-out}
text=${1:-the red circle}
seed=${DEMO_SEED:-4}
rm -rf "$out" && mkdir -p "$out/frames"
export GST_PLUGIN_PATH="$PWD/$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

# examples/refseg_app.cpp embeds the pipeline and prints each selection
# from the bus; here its sink branches into an mp4 and one PNG per second.
"$build/examples/refseg_app" --model refseg-tiny \
  --source "refsegworldsrc seed=$seed num-buffers=50 ! video/x-raw,width=320,height=240,framerate=10/1" \
  --sink "tee name=t \
      t. ! queue ! videoconvert ! x264enc tune=zerolatency ! mp4mux ! filesink location=$out/demo.mp4 \
      t. ! queue ! videorate drop-only=true ! video/x-raw,framerate=1/1 ! videoconvert ! pngenc ! \
           multifilesink location=$out/frames/frame-%02d.png" \
  "$text" </dev/null

"$build/tools/png_strip" "$out/demo.png" "$out"/frames/frame-0[0-4].png
out_abs=$(cd "$out" && pwd)
echo "wrote $out_abs/demo.mp4 and $out_abs/demo.png"

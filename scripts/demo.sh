#!/usr/bin/env bash
# The main job: sets up and builds (scripts/build.sh), then runs the whole
# method on a synthetic video with the bundled tiny CLIP:
#
#   refsegworldsrc ! refsegbin model=refseg-tiny text=... ! refsegoverlay ! mp4 + PNGs
#
# and prints the selection of every frame. Writes out/demo.mp4 (the video
# with the selection drawn; H.264 High profile, 4:2:0, which browsers and
# players take: RGB straight into x264enc would give 4:4:4), out/demo.png
# (a strip of frames) and
# out/frames/*.png. No download: the model is in models/pretrained/.
#
#   scripts/demo.sh ["referring expression"]
set -euo pipefail
cd "$(dirname "$0")/.."
# DEMO_NO_BUILD=1: use the build as it is (tests/scripts/test_own_video.sh).
# The first run installs packages and compiles about 250 steps (10-20
# minutes on 2 cores): their own progress lines show how far it is.
if [ -z "${DEMO_NO_BUILD:-}" ]; then
  echo "demo: setting up and building (scripts/build.sh)"
  ./scripts/build.sh
fi
build=$(cd "${BUILD_DIR:-build}" && pwd)
out=${OUT_DIR:-out}
text=${1:-the red circle}
seed=${DEMO_SEED:-4}
rm -rf "$out" && mkdir -p "$out/frames"
echo "demo: running refsegbin model=refseg-tiny text=\"$text\" on 50 frames of the synthetic world"
# The build tree's plugin and the bundled model in the source tree, as
# `meson devenv` gives them (nothing compiled in points here).
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export REFSEG_MODELS_DIR="$PWD/models/pretrained${REFSEG_MODELS_DIR:+:$REFSEG_MODELS_DIR}"

# examples/refseg_app.cpp embeds the pipeline and prints each selection
# from the bus; here its sink branches into an mp4 and one PNG per second.
"$build/examples/refseg_app" --model refseg-tiny \
  --source "refsegworldsrc seed=$seed num-buffers=50 ! video/x-raw,width=320,height=240,framerate=10/1" \
  --sink "tee name=t \
      t. ! queue ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency ! \
           mp4mux ! filesink location=$out/demo.mp4 \
      t. ! queue ! videorate drop-only=true ! video/x-raw,framerate=1/1 ! videoconvert ! pngenc ! \
           multifilesink location=$out/frames/frame-%02d.png" \
  "$text" </dev/null

"$build/tools/png_strip" "$out/demo.png" "$out"/frames/frame-0[0-4].png
out_abs=$(cd "$out" && pwd)
echo "wrote $out_abs/demo.mp4 and $out_abs/demo.png"
echo "next: try another expression, e.g. ./scripts/demo.sh \"the blue square\", or your own video:"
echo "  meson devenv -C build gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \\"
echo "    refsegbin model=refseg-tiny text=\"the person on the left\" ! refsegoverlay ! videoconvert ! autovideosink"

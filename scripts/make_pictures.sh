#!/usr/bin/env bash
# Regenerates the pictures in docs/images/ from the project's own output:
#  - demo-strip.png: scripts/demo.sh's strip of frames (refsegbin on the
#    synthetic world with the bundled tiny model);
#  - overlay-<mode>.png: one frame through refsegoverlay in each drawing mode;
#  - spatial.png: words of place resolved (the selector's `spatial`);
#  - refsegbin.png: the dataflow inside refsegbin, as GStreamer itself dumps
#    a running pipeline (GST_DEBUG_DUMP_DOT_DIR), rendered by graphviz.
# Needs a build (scripts/build.sh) and, for the dataflow picture only,
# graphviz's `dot` (Debian package graphviz; without it that picture is
# left as it is). Nothing is downloaded.
#
#   scripts/make_pictures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${BUILD_DIR:-build}" && pwd)
images=docs/images
mkdir -p "$images"
export GST_PLUGIN_PATH="$build/plugins"
export REFSEG_MODELS_DIR="$PWD/models/pretrained"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The demo's strip (the README's first picture).
DEMO_NO_BUILD=1 OUT_DIR="$tmp/demo" ./scripts/demo.sh >/dev/null
cp "$tmp/demo/demo.png" "$images/demo-strip.png"

# One analysed frame of the world, drawn by the overlay in `mode`.
frame() {  # frame OUT.png OVERLAY-PROPERTIES TEXT [SEED [SOURCE-PROPERTIES]]
  gst-launch-1.0 -q refsegworldsrc seed="${4:-4}" ${5:-} num-buffers=1 ! \
    video/x-raw,width=320,height=240 ! \
    refsegbin model=refseg-tiny mode=every-frame text="$3" ! \
    refsegoverlay $2 ! videoconvert ! pngenc ! filesink location="$1"
}
frame "$images/overlay-selections.png" "mode=selections" "the red circle"
frame "$images/overlay-proposals.png" "mode=proposals" "the red circle"
frame "$images/overlay-both.png" "mode=both" "the red circle"
frame "$images/overlay-mask.png" "mode=mask" "the red circle"
"$build/tools/png_strip" "$images/overlays.png" "$images/overlay-selections.png" \
  "$images/overlay-proposals.png" "$images/overlay-both.png" "$images/overlay-mask.png"
rm "$images"/overlay-{selections,proposals,both,mask}.png

# Spatial words: the same scene, expressions only geometry can tell apart.
world="textured=false min-objects=5 max-objects=6"
frame "$tmp/left.png" "mode=selections" "the leftmost orange square" 8 "$world"
frame "$tmp/second.png" "mode=selections" "the second orange square from the left" 8 "$world"
frame "$tmp/right.png" "mode=selections" "the orange square on the far right" 8 "$world"
"$build/tools/png_strip" "$images/spatial.png" "$tmp/left.png" "$tmp/second.png" "$tmp/right.png"

# The dataflow: GStreamer's own graph of refsegbin while it plays.
if command -v dot >/dev/null; then
  mkdir -p "$tmp/dot"
  GST_DEBUG_DUMP_DOT_DIR="$tmp/dot" gst-launch-1.0 -q refsegworldsrc num-buffers=3 ! \
    video/x-raw,width=320,height=240 ! refsegbin model=refseg-tiny text="the red circle" ! \
    refsegoverlay ! fakesink >/dev/null
  dot_file=$(ls -S "$tmp"/dot/*PLAYING_PAUSED*.dot 2>/dev/null | head -1 ||
    ls -S "$tmp"/dot/*.dot | head -1)
  dot -Tpng -Gdpi=60 "$dot_file" -o "$images/refsegbin.png"
else
  echo "make_pictures.sh: no graphviz (dot): $images/refsegbin.png left as it is" >&2
fi
ls -l "$images"

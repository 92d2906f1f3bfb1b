#!/usr/bin/env bash
# A user's own video: the demo's mp4 is H.264 4:2:0 (what browsers and
# players take), and the README's pipelines for a user's file run as pasted
# on a file made with refsegworldsrc (with refseg-tiny in place of the
# OpenAI model, which a plain clone does not have).
#
#   test_own_video.sh SOURCE_DIR BUILD_DIR
# (GST_PLUGIN_PATH, REFSEG_MODELS_DIR and the registry come from meson.)
set -u
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

# One file decoded with avdec_h264 (gstreamer1.0-libav, from setup.sh):
# gst-launch's -v caps of the stream and the decoded frames, and a line per
# frame.
decode() {
  gst-launch-1.0 -v filesrc location="$1" ! qtdemux ! avdec_h264 ! fakesink silent=false 2>&1
}
decoded_frames() { decode "$1" | grep -c 'last-message = chain'; }
# H.264 of a 4:2:0 profile (qtdemux's caps), decoding to I420 (4:4:4 would
# decode to Y444).
is_420() {
  local out stream raw
  out=$(decode "$1")
  stream=$(grep -o 'avdec_h264-0.GstPad:sink: caps = video/x-h264, .*' <<<"$out" | head -1)
  raw=$(grep -o 'avdec_h264-0.GstPad:src: caps = video/x-raw, format=(string)[A-Za-z0-9]*' <<<"$out" |
    head -1)
  echo "$1: H.264 $(grep -o 'profile=(string)[a-z0-9:-]*' <<<"$stream") -> ${raw#*caps = }"
  grep -qE 'profile=\(string\)(constrained-baseline|baseline|main|high)[,;]' <<<"$stream" &&
    grep -q 'format=(string)I420' <<<"$raw"
}

# 1. The demo (scripts/demo.sh on this build, as README's first command runs it).
out=$(cd "$src" && DEMO_NO_BUILD=1 BUILD_DIR="$build" OUT_DIR="$tmp/demo" ./scripts/demo.sh 2>&1)
rc=$?
check "scripts/demo.sh exits 0" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -20
check "the demo's mp4 is H.264 4:2:0 (not 4:4:4)" is_420 "$tmp/demo/demo.mp4"
check "the demo's mp4 decodes to its 50 frames" test "$(decoded_frames "$tmp/demo/demo.mp4")" -eq 50

# 2. A user's file: made here with the world source, encoded as a camera or
#    phone would (H.264 4:2:0 in mp4).
mkdir -p "$tmp/user"
cd "$tmp/user" || exit 1
gst-launch-1.0 -q refsegworldsrc seed=3 num-buffers=12 ! video/x-raw,width=320,height=240 ! \
  videoconvert ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location=in.mp4
check "a world video was written as in.mp4" is_420 in.mp4

# The README's pipelines for a user's file, as pasted: each starts with
# "gst-launch-1.0 ... filesrc location=in.mp4" and continues over lines
# ending in a backslash.
readme_pipeline() {  # N: the N-th such pipeline of README.md
  awk -v want="$1" '
    /^gst-launch-1.0 .*filesrc location=in.mp4/ { n++; if (n == want) on = 1 }
    on { print; if ($0 !~ /\\$/) exit }' "$src/README.md"
}
for n in 1 2; do
  pipeline=$(readme_pipeline $n)
  check "README has its pipeline $n for a user's file" test -n "$pipeline"
  [ -n "$pipeline" ] || continue
  echo "README pipeline $n:"; echo "$pipeline"
  # refseg-tiny instead of OpenAI's models (not downloaded here).
  pipeline=$(sed -E 's/model=(ViT-B\/32|ViT-B\/16|ViT-L\/14|RN50)/model=refseg-tiny/' <<<"$pipeline")
  rm -f out.mp4
  out=$(eval "$pipeline" 2>&1)
  rc=$?
  check "README pipeline $n runs as pasted" test $rc -eq 0
  [ $rc -eq 0 ] || echo "$out" | tail -20
  if grep -q 'location=out.mp4' <<<"$pipeline"; then
    check "its out.mp4 is H.264 4:2:0" is_420 out.mp4
    check "its out.mp4 decodes to all 12 frames" test "$(decoded_frames out.mp4)" -eq 12
  fi
  if grep -q -- ' -m ' <<<"$pipeline"; then
    check "its bus messages carry the selections" test "$(grep -c '(element): refseg' <<<"$out")" -ge 12
  fi
done

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

#!/usr/bin/env bash
# The examples users copy from, run as a user would: the Python pad probe
# reading the meta with PyGObject alone, and the C++ application taking new
# expressions from stdin while the video plays.
set -u
src=$1 app=$2 model=$3
failures=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Python: selections and masks from the meta in a pad probe.
out=$(/usr/bin/python3 "$src/examples/read_meta.py" --model "$model" --text "the red circle" \
      --frames 3 --save-mask "$tmp/mask.pgm" 2>&1)
rc=$?
echo "$out"
check "read_meta.py exits 0" test $rc -eq 0
check "read_meta.py prints a selection per frame" test "$(grep -c '^"the red circle" (phrase "the red circle"): proposal' <<<"$out")" -eq 3
check "read_meta.py writes the selected mask" grep -q "^P5 320 240 255" "$tmp/mask.pgm"

# C++ application: the expression changes from stdin while frames flow. The
# new line is written only once the first text has been selected on a frame.
mkfifo "$tmp/stdin"
"$app" --model "$model" --sink "fakesink sync=true" \
  --source "refsegworldsrc num-buffers=60 ! video/x-raw,width=160,height=120,framerate=10/1" \
  "the red circle" <"$tmp/stdin" >"$tmp/app.out" 2>&1 &
pid=$!
exec 3>"$tmp/stdin"
for _ in $(seq 600); do
  grep -qE '"the red circle" -> object [0-9]+ \(proposal' "$tmp/app.out" && break
  sleep 0.2
done
echo "the blue square" >&3
exec 3>&-
wait $pid
rc=$?
out=$(cat "$tmp/app.out")
echo "$out" | head -3; echo "..."; echo "$out" | tail -3
check "refseg_app exits 0" test $rc -eq 0
check "refseg_app prints selections for the first text" grep -qE '"the red circle" -> object [0-9]+ \(proposal' <<<"$out"
check "refseg_app takes the new text from stdin" grep -q '^text: "the blue square"' <<<"$out"
check "refseg_app prints selections for the new text" grep -qE '"the blue square" -> object [0-9]+ \(proposal' <<<"$out"

# A model that does not exist: a clear error and a non-zero exit.
out=$("$app" --model no-such-model --sink fakesink 2>&1 </dev/null)
rc=$?
check "refseg_app fails on a missing model" test $rc -ne 0
check "and says which model" grep -q "no-such-model" <<<"$out"

# Its options: GOption with GStreamer's group.
out=$("$app" --frobnicate 2>&1 </dev/null)
rc=$?
check "refseg_app refuses an unknown option with status 2" test $rc -eq 2
check "and names it" grep -q -- "--frobnicate" <<<"$out"
out=$("$app" --help 2>&1 </dev/null)
check "refseg_app --help lists its options" grep -q -- "--source=DESC" <<<"$out"
check "and GStreamer's" grep -q -- "--help-gst" <<<"$out"
check "and the camera's reconnection" grep -q -- "--reconnect" <<<"$out"
out=$("$app" --reconnect --silence 0 2>&1 </dev/null)
rc=$?
check "refseg_app refuses --silence 0 with status 2" test $rc -eq 2

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

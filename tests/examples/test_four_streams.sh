#!/usr/bin/env bash
# examples/four_streams.sh as a user runs it: four synthetic live streams
# through refsegbins sharing refseg-tiny, each publishing JSON Lines under
# its own stream name; its --help and an unknown option.
set -u
src=$1
failures=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export REFSEG_MODELS_DIR=$src/models/pretrained

out=$("$src/examples/four_streams.sh" --seconds 8 --dir "$tmp" --width 320 --height 240 2>&1)
rc=$?
echo "$out" | head -1
check "four_streams.sh exits 0 after its EOS" test $rc -eq 0
check "it prints the pipeline it runs" grep -q '^gst-launch-1.0 -e refsegworldsrc' <<<"$out"
# Each stream's file: valid JSON documents of analysed frames, named after it.
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
counts = {}
for i in range(1, 5):
    name = f"cam{i}"
    lines = (d / f"{name}.jsonl").read_text().splitlines()
    docs = [json.loads(l) for l in lines]
    assert all(doc["stream"] == name for doc in docs), f"{name}: another stream's name"
    assert all(doc["analysed"] for doc in docs), f"{name}: a document of a frame not analysed"
    counts[name] = len(docs)
print("documents per stream:", counts)
assert min(counts.values()) >= 2, f"a stream published fewer than 2 documents: {counts}"
PY
check "every stream published its own analysed frames" test $? -eq 0

out=$("$src/examples/four_streams.sh" --help 2>&1)
check "--help says what it runs" grep -q "refsegbins that share one model" <<<"$out"
"$src/examples/four_streams.sh" --frobnicate >/dev/null 2>"$tmp/err"
check "an unknown option exits 2" test $? -eq 2
check "and is named" grep -q -- "--frobnicate" "$tmp/err"

[ $failures -eq 0 ]

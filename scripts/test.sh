#!/usr/bin/env bash
# Sets up, builds and runs every test, then prints one summary line
# "N passed, N failed" read from meson's test log.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
./scripts/build.sh || { echo "0 passed, 1 failed (build)"; exit 1; }
meson test -C "$build" --print-errorlogs --num-processes 2
status=$?
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        print(f"skipped: {t['name']} (its log says why)")
    else:
        failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit $status

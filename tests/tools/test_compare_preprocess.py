#!/usr/bin/env python3
"""tools/compare_preprocess as docs/accuracy.md runs it: a row per fixture
mask with the clip-vs-reference cosines, their mean, and clear errors."""
import glob
import os
import subprocess
import sys

tool, model, fixtures_dir = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


frames = sorted(f for f in glob.glob(os.path.join(fixtures_dir, "*.txt"))
                if not os.path.basename(f).startswith("tiny_vit"))
r = subprocess.run([tool, "--model", model, *frames], capture_output=True, text=True)
check("exits 0 on the fixtures", r.returncode == 0)
rows = [line.split("|")[1:-1] for line in r.stdout.splitlines()[2:]]
check("one row per mask (7) and the mean", len(rows) == 8 and rows[-1][0].strip() == "mean")
values = [(float(row[3]), float(row[4])) for row in rows]
check("cosines are at most 1", all(-1 <= g <= 1.000001 and -1 <= l <= 1.000001 for g, l in values))
check("the two modes differ", all(g < 0.99999 or l < 0.99999 for g, l in values[:-1]))
check("the mean is the mean of the rows",
      abs(values[-1][1] - sum(l for _, l in values[:-1]) / 7) < 1e-4)

r = subprocess.run([tool, "--model", model], capture_output=True, text=True)
check("no fixture is a usage error", r.returncode == 2 and "FIXTURE.txt" in r.stderr)
r = subprocess.run([tool, "--model", model, "/no/such/fixture.txt"], capture_output=True, text=True)
check("a missing fixture is named", r.returncode == 1 and "/no/such/fixture.txt" in r.stderr)
r = subprocess.run([tool, "--model", "/no/such/model.pt", frames[0]], capture_output=True, text=True)
check("a missing model is named", r.returncode == 1 and "/no/such/model.pt" in r.stderr)

sys.exit(1 if failures else 0)

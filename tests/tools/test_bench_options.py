#!/usr/bin/env python3
"""The benchmarks as a user runs them: a bad argument is a usage error (exit
status 2) that names it, before any model loads; a model that is not there
is a failure (status 1) that names the file. Nothing is timed here.

test_bench_options.py BENCH... (paths of bench_contention, bench_encoder,
bench_live, bench_proposals, bench_sam; the checks of one that is not built are left out)."""
import os
import subprocess
import sys

benches = {os.path.basename(p): p for p in sys.argv[1:]}
failures = []


def run(bench, *args):
    env = dict(os.environ, REFSEG_MODELS_DIR=os.devnull)
    return subprocess.run([benches[bench], *args], capture_output=True, text=True,
                          timeout=120, env=env)


def expect(bench, args, status, *names):
    if bench not in benches:
        return
    r = run(bench, *args)
    # GOption quotes a value it cannot parse as “x”.
    stderr = r.stderr.replace("\u201c", "'").replace("\u201d", "'")
    ok = r.returncode == status and all(n in stderr for n in names)
    print(("ok: " if ok else "FAIL: ") +
          f"{bench} {' '.join(args)}: status {status} naming {', '.join(names)}")
    if not ok:
        print(f"  status {r.returncode}, stderr: {r.stderr.strip()}")
        failures.append(bench)


expect("bench_contention", [], 2, "--model is required")
expect("bench_contention", ["--model", "m", "--bogus"], 2, "--bogus")
expect("bench_contention", ["--model", "m", "--frames", "x"], 2, "--frames", "'x'")
expect("bench_contention", ["--model", "m", "--rounds", "0"], 2, "--rounds", "'0'")
expect("bench_contention", ["--model", "m", "--frames", "4", "--rounds", "5"], 2,
       "--rounds must not exceed --frames")
expect("bench_contention", ["--model", "m", "--precision", "fp64"], 2, "fp64")
expect("bench_contention", ["--model", "/nonexistent/clip.pt", "--frames", "1", "--rounds", "1"],
       1, "/nonexistent/clip.pt")
expect("bench_encoder", ["--masks", "1,x"], 2, "--masks", "'x'")
expect("bench_encoder", ["--precision", "fp32,fp64"], 2, "fp64")
expect("bench_encoder", ["--fp32-matmul", "blas,mkl"], 2, "mkl")
expect("bench_encoder", ["--thread-policy", "all"], 2, "all")
expect("bench_encoder", ["--bogus"], 2, "--bogus")
expect("bench_live", ["--bogus"], 2, "--bogus")
expect("bench_live", ["--proposals-set", "prompts"], 2, "PROPERTY=VALUE", "'prompts'")
expect("bench_live", ["--proposals-set", "prompts=a b"], 2, "PROPERTY=VALUE")
expect("bench_proposals", ["--generators", "default,best"], 2, "--generators", "'best'")
# A --draw directory is made where it can be, and named where it cannot.
expect("bench_proposals", ["--sizes", "none", "--scenes", "0", "--draw", "/proc/refseg-draw"], 1,
       "--draw", "/proc/refseg-draw")
expect("bench_sam", [], 2, "no checkpoint given")
expect("bench_sam", ["--photos", "/nonexistent/photos.json", "--views"], 1,
       "/nonexistent/photos.json")

if not benches:
    print("no benchmark given")
    sys.exit(1)
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Every program in tools/ answers --help with its usage on stdout and exit
status 0, and does nothing else (no model is loaded, no benchmark starts:
each must answer well within the timeout).

test_tool_help.py SOURCE_TOOLS_DIR BUILD_TOOLS_DIR: the programs are the
sources with a main(); one that this build does not make (an optional
dependency missing) is reported and left out."""
import os
import re
import subprocess
import sys

source, build = sys.argv[1], sys.argv[2]
failures = []
programs = sorted(f[:-4] for f in os.listdir(source)
                  if f.endswith(".cpp") and re.search(r"^int main\(", open(os.path.join(source, f)).read(), re.M))
if not programs:
    print("no program found in " + source)
    sys.exit(1)
checked = 0
for name in programs:
    path = os.path.join(build, name)
    if not os.path.exists(path):
        print(f"skip: {name} (not built here)")
        continue
    try:
        r = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, REFSEG_MODELS_DIR=os.devnull))
    except subprocess.TimeoutExpired:
        print(f"FAIL: {name} --help still running after 30 s")
        failures.append(name)
        continue
    first = r.stdout.lstrip().splitlines()[:2]
    usage = len(first) == 2 and first[0] == "Usage:" and name in first[1]
    ok = r.returncode == 0 and usage
    print(("ok: " if ok else "FAIL: ") + f"{name} --help: status 0 and a usage line naming it")
    if not ok:
        print(f"  status {r.returncode}, stdout: {r.stdout[:300]!r}, stderr: {r.stderr[:300]!r}")
        failures.append(name)
    checked += 1
print(f"{checked} programs checked, {len(failures)} failed")
sys.exit(1 if failures or checked == 0 else 0)

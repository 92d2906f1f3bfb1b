#!/usr/bin/env python3
"""tools/evaluate_refseg and tools/evaluate_refcoco as a user runs them: bad
arguments are usage errors (exit status 2) naming the option and the value,
options of one evaluate_refseg mode are refused in the other, --help lists
every option, and a tiny still-scene run writes JSON.

test_evaluate_options.py MODEL TOOL... (each TOOL a path to evaluate_refseg
or evaluate_refcoco; the checks of a tool that is not built are left out)."""
import json
import os
import re
import subprocess
import sys

model, tool_paths = sys.argv[1], sys.argv[2:]
tools = {os.path.basename(p): p for p in tool_paths}
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        if detail:
            print("  " + detail.strip().replace("\n", "\n  "))
        failures.append(what)


def run(tool, *args):
    return subprocess.run([tools[tool], *args], capture_output=True, text=True, timeout=300)


def refused(tool, args, *names):
    """Exit status 2 and every one of names in the message."""
    r = run(tool, *args)
    check(f"{tool} {' '.join(args)}: status 2 naming {', '.join(names)}",
          r.returncode == 2 and all(n in r.stderr for n in names),
          f"status {r.returncode}, stderr: {r.stderr}")


def options_in_help(tool, source_options):
    r = run(tool, "--help")
    listed = set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", r.stdout, re.M))
    check(f"{tool} --help: status 0", r.returncode == 0, r.stderr)
    missing = [o for o in source_options if o not in listed]
    check(f"{tool} --help lists every option", not missing, f"missing: {missing}")
    check(f"{tool} --help describes the JSON and the exit status",
          "JSON" in r.stdout and "Exit status" in r.stdout)


# (arguments, what the message must name), each a usage error.
REFSEG_REFUSED = [
    (["--bogus"], ["--bogus"]),
    (["stray"], ["stray"]),
    (["--scenes", "0"], ["--scenes", "'0'"]),
    (["--scenes", "many"], ["--scenes", "many"]),
    (["--seed", "-1"], ["--seed", "'-1'"]),
    (["--seed", "18446744073709551616"], ["--seed", "18446744073709551616"]),
    (["--seed", "7x"], ["--seed", "'7x'"]),
    (["--seed"], ["--seed"]),
    (["--global-weight", "2"], ["--global-weight", "'2'"]),
    (["--sentence-weight", "0.5,-0.1"], ["--sentence-weight", "'-0.1'"]),
    (["--global-weight", "0.5,,0.6"], ["--global-weight", "''"]),
    (["--global-weight", ""], ["--global-weight"]),
    (["--spatial", "bogus"], ["--spatial", "bogus"]),
    (["--spatial", "on,bogus"], ["--spatial", "bogus"]),
    (["--spatial-spread", "500"], ["--spatial-spread", "500"]),
    (["--spatial-spread", "-1"], ["--spatial-spread", "-1"]),
    (["--absent", "0"], ["--absent", "'0'"]),
    (["--local-crops", "-1"], ["--local-crops", "'-1'"]),
    (["--threads", "0"], ["--threads", "'0'"]),
    (["--masked-layers", "-1"], ["--masked-layers", "'-1'"]),
    (["--proposals", "boxes"], ["--proposals", "boxes"]),
    (["--precision", "fp8"], ["--precision", "fp8"]),
    (["--preprocess", "imagenet"], ["--preprocess", "imagenet"]),
    # Video-only options without --video, still-only ones with it.
    (["--videos", "2"], ["--videos", "needs --video"]),
    (["--frames", "10"], ["--frames", "needs --video"]),
    (["--modes", "every-frame"], ["--modes", "needs --video"]),
    (["--motion", "still"], ["--motion", "needs --video"]),
    (["--video", "--scenes", "3"], ["--scenes", "not to --video"]),
    (["--video", "--absent", "2"], ["--absent", "not to --video"]),
    (["--video", "--spatial", "on"], ["--spatial", "not to --video"]),
    (["--video", "--spatial-spread", "5"], ["--spatial-spread", "not to --video"]),
    (["--video", "--preprocess", "reference"], ["--preprocess", "not to --video"]),
    (["--video", "--level", "hard"], ["--level", "not to --video"]),
    (["--level", "medium"], ["--level", "medium"]),
    (["--video", "--seed", "1", "--frames", "5", "--spatial", "on", "--scenes", "3"],
     ["--spatial applies to still scenes"]),
    (["--video", "--global-weight", "0.5,0.6"], ["--global-weight", "one"]),
    (["--video", "--videos", "0"], ["--videos", "'0'"]),
    (["--video", "--modes", "interval-0"], ["--modes", "interval-0"]),
    (["--video", "--modes", ""], ["--modes"]),
    (["--video", "--motion", "fast"], ["--motion", "fast"]),
]
REFSEG_OPTIONS = ["--model", "--seed", "--scenes", "--proposals", "--global-weight",
                  "--sentence-weight", "--masked-layers", "--threads", "--precision",
                  "--preprocess", "--local-crops", "--absent", "--spatial", "--spatial-spread",
                  "--video", "--videos", "--frames", "--modes", "--motion", "--json"]

REFCOCO_REFUSED = [
    (["--bogus"], ["--bogus"]),
    (["stray"], ["stray"]),
    (["--limit", "0"], ["--limit", "'0'"]),
    (["--limit", "ten"], ["--limit", "ten"]),
    (["--dataset", "refclef"], ["--dataset", "refclef"]),
    (["--threads", "0"], ["--threads", "'0'"]),
    (["--proposal-input-size", "0"], ["--proposal-input-size", "'0'"]),
    (["--max-proposals", "0"], ["--max-proposals", "'0'"]),
    (["--masked-layers", "-2"], ["--masked-layers", "'-2'"]),
    (["--min-area", "0.5", "--max-area", "0.4"], ["--min-area", "--max-area"]),
    (["--precision", "fp8"], ["--precision", "fp8"]),
    (["--preprocess", "imagenet"], ["--preprocess", "imagenet"]),
    (["--json"], ["--json"]),
] + [([option, "1.5"], [option, "'1.5'"])
     for option in ["--mask-threshold", "--min-area", "--max-area", "--duplicate-iou",
                    "--global-weight", "--sentence-weight"]]
REFCOCO_OPTIONS = ["--refer-root", "--dataset", "--split", "--split-by", "--refs", "--instances",
                   "--images", "--model", "--device", "--threads", "--precision", "--preprocess",
                   "--proposal-model", "--proposal-input-size", "--mask-threshold",
                   "--max-proposals", "--min-area", "--max-area", "--duplicate-iou",
                   "--global-weight", "--sentence-weight", "--masked-layers", "--keep-case",
                   "--limit", "--per-sentence", "--json"]

for tool, cases, options in [("evaluate_refseg", REFSEG_REFUSED, REFSEG_OPTIONS),
                             ("evaluate_refcoco", REFCOCO_REFUSED, REFCOCO_OPTIONS)]:
    if tool in tools:
        for args, names in cases:
            refused(tool, args, *names)
        options_in_help(tool, options)

if "evaluate_refseg" in tools:
    r = run("evaluate_refseg", "--model", model, "--seed", "9000", "--scenes", "1",
            "--spatial", "off,on")
    check("evaluate_refseg: a tiny run exits 0", r.returncode == 0, r.stderr)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = None
    check("evaluate_refseg: the run writes JSON, one object per spatial mode",
          isinstance(doc, list) and [d["spatial"] for d in doc] == ["off", "on"]
          and all(d["first_seed"] == 9000 and d["scenes"] == 1 for d in doc), r.stdout)
    r = run("evaluate_refseg", "--model", "/nonexistent/model.pt", "--scenes", "1")
    check("evaluate_refseg: a missing model is a failure (status 1) naming it",
          r.returncode == 1 and "/nonexistent/model.pt" in r.stderr, r.stderr)

if "evaluate_refcoco" in tools:
    r = run("evaluate_refcoco", "--refer-root", "/nonexistent/refer")
    check("evaluate_refcoco: missing data is a failure (status 1) naming it",
          r.returncode == 1 and "/nonexistent/refer" in r.stderr, r.stderr)

check("at least one tool to test", bool(tools))
if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)

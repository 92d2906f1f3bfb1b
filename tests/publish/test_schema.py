#!/usr/bin/env python3
"""Validates results documents against docs/schema/refseg-results-v1.json.

Usage: test_schema.py SCHEMA [--samples PROGRAM] [--jsonl FILE] [--pipeline]
  --jsonl: validates every line of FILE
  --samples: runs PROGRAM (tests/publish/publish_samples) and validates its lines
  --pipeline: runs refsegworldsrc ! refsegbin (refseg-tiny) ! refsegpublish
              method=file every-frame=true with gst-launch-1.0 and validates
              every line it wrote (GST_PLUGIN_PATH must name the build's plugins)
Exits 77 (skipped) when python3-jsonschema is missing. Besides the schema it
checks what the schema cannot: counts decode (COCO's string form) to runs
that add up to height x width.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed")
    sys.exit(77)


def coco_counts(s):
    """COCO's compressed counts (maskApi.c rleFrString), for the size check."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def check(validator, line, where):
    doc = json.loads(line)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        raise SystemExit("%s: %s at %s" % (where, errors[0].message, list(errors[0].path)))
    for r in doc["results"]:
        if "mask" in r:
            h, w = r["mask"]["size"]
            counts = coco_counts(r["mask"]["counts"])
            if [h, w] != [doc["frame"]["height"], doc["frame"]["width"]]:
                raise SystemExit("%s: mask size %s is not the frame's" % (where, [h, w]))
            if min(counts) < 0 or sum(counts) != h * w:
                raise SystemExit("%s: counts add up to %d, not %d" % (where, sum(counts), h * w))
    return doc


def main():
    args = sys.argv[1:]
    schema = json.load(open(args[0]))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    # Documents the schema must refuse: a mask without size, a -1 without reason.
    bad = {"schema": "refseg-results/1", "stream": "s", "sequence": 0, "pts_ns": None,
           "running_time_ns": None, "analysed": True, "analysed_pts_ns": None,
           "timestamp": "2026-01-01T00:00:00.000000Z", "frame": {"width": 1, "height": 1},
           "models": {"features": ""},
           "results": [{"expression": "e", "phrase": "", "index": -1, "score": 0,
                        "box": None, "track_id": None}]}
    if validator.is_valid(bad):
        raise SystemExit("schema accepts index -1 without a reason")
    checked = 0
    i = 1
    while i < len(args):
        if args[i] == "--samples":
            out = subprocess.run([args[i + 1]], check=True, capture_output=True, text=True).stdout
            for n, line in enumerate(out.splitlines()):
                check(validator, line, "sample %d" % n)
                checked += 1
            i += 2
        elif args[i] == "--jsonl":
            for n, line in enumerate(open(args[i + 1], encoding="utf-8").read().splitlines()):
                check(validator, line, "%s line %d" % (args[i + 1], n))
                checked += 1
            i += 2
        elif args[i] == "--pipeline":
            model = os.path.join(os.environ["REFSEG_SOURCE_DIR"], "models/pretrained/refseg-tiny.pt")
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "results.jsonl")
                subprocess.run(
                    ["gst-launch-1.0", "-q", "refsegworldsrc", "seed=3", "num-buffers=6", "!",
                     "video/x-raw,width=160,height=120", "!", "refsegbin", "model=" + model,
                     "mode=every-frame", "text=the red ball",
                     "!", "refsegpublish", "method=file", "file-path=" + path, "every-frame=true",
                     "stream-name=cam-ä", "!", "fakesink"], check=True, timeout=300)
                lines = open(path, encoding="utf-8").read().splitlines()
                if len(lines) != 6:
                    raise SystemExit("pipeline wrote %d documents, not 6" % len(lines))
                for n, line in enumerate(lines):
                    doc = check(validator, line, "pipeline line %d" % n)
                    if doc["stream"] != "cam-ä" or doc["sequence"] != n:
                        raise SystemExit("pipeline line %d: stream %r sequence %r" %
                                         (n, doc["stream"], doc["sequence"]))
                    checked += 1
            i += 1
        else:
            raise SystemExit("unknown argument " + args[i])
    print("%d documents valid" % checked)


if __name__ == "__main__":
    main()

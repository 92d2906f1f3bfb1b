#!/usr/bin/env python3
"""scripts/refer_to_json.py: a refer-style pickle becomes the same data as
JSON (Python 2 byte strings decoded), and anything that is not plain data,
or not there, is refused with a message naming it."""
import collections
import json
import os
import pickle
import subprocess
import sys
import tempfile

script = sys.argv[1]
failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else " " + detail))
    failures += not ok


def run(*args):
    return subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True)


refs = [{"ref_id": 7, "ann_id": 70, "image_id": 3, "category_id": 1, "split": "testA",
         "sent_ids": (11, 12), "file_name": "COCO_train2014_000000000003_70.jpg",
         "sentences": [{"sent_id": 11, "raw": "Man on the LEFT", "sent": "man on the left",
                        "tokens": ["man", "on", "the", "left"]},
                       {"sent_id": 12, "raw": "girl\u2019s bike", "sent": "girl s bike",
                        "tokens": ["girl", "s", "bike"]}]}]
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "refs(unc).p")
    with open(src, "wb") as f:
        pickle.dump(refs, f, protocol=2)
    r = run(src)
    out = os.path.join(tmp, "refs(unc).json")
    check("converts a refs pickle", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        with open(out, encoding="utf-8") as f:
            back = json.load(f)
        expected = json.loads(json.dumps(refs))  # tuples as lists
        check("the JSON holds the same refs", back == expected, repr(back))

    # What Python 2 wrote for {"raw": "café"} with protocol 2: byte strings
    # (SHORT_BINSTRING), not ASCII.
    py2 = os.path.join(tmp, "py2.p")
    with open(py2, "wb") as f:
        f.write(b"\x80\x02]q\x00}q\x01U\x03rawq\x02U\x05caf\xc3\xa9q\x03sa.")
    r = run(py2, os.path.join(tmp, "py2.json"))
    check("reads Python 2 byte strings", r.returncode == 0, r.stderr)
    if r.returncode == 0:
        with open(os.path.join(tmp, "py2.json"), encoding="utf-8") as f:
            check("decodes them as UTF-8", json.load(f) == [{"raw": "caf\u00e9"}])

    bad = os.path.join(tmp, "class.p")
    with open(bad, "wb") as f:
        pickle.dump([collections.OrderedDict(a=1)], f, protocol=2)
    r = run(bad, os.path.join(tmp, "class.json"))
    check("refuses a pickle that names a class", r.returncode == 1 and
          "collections.OrderedDict" in r.stderr, r.stderr)
    check("writes nothing for it", not os.path.exists(os.path.join(tmp, "class.json")))

    notlist = os.path.join(tmp, "dict.p")
    with open(notlist, "wb") as f:
        pickle.dump({"refs": []}, f, protocol=2)
    r = run(notlist)
    check("refuses a pickle that is not a list of refs", r.returncode == 1 and
          "not a list of refs" in r.stderr, r.stderr)

    missing = os.path.join(tmp, "nothere.p")
    r = run(missing)
    check("names a missing file", r.returncode == 1 and missing in r.stderr, r.stderr)

sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""tools/refseg_image as a user runs it: masks in, JSON and the chosen mask out."""
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile

tool, model = sys.argv[1], sys.argv[2]
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def pgm(path, width, height, inside):
    with open(path, "wb") as f:
        f.write(b"P5 %d %d 255\n" % (width, height))
        f.write(bytes(255 if inside(x, y) else 0 for y in range(height) for x in range(width)))


def ppm(path, width, height):
    # red square on the left, blue square on the right, grey elsewhere
    with open(path, "wb") as f:
        f.write(b"P6 %d %d 255\n" % (width, height))
        for y in range(height):
            for x in range(width):
                if 8 <= y < 40 and 8 <= x < 40:
                    f.write(bytes((230, 30, 30)))
                elif 8 <= y < 40 and 56 <= x < 88:
                    f.write(bytes((30, 30, 230)))
                else:
                    f.write(bytes((90, 90, 90)))


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def run(*args):
    return subprocess.run([tool, *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    image, left, right = (os.path.join(tmp, n) for n in ("scene.ppm", "left.pgm", "right.pgm"))
    ppm(image, 96, 48)
    pgm(left, 96, 48, lambda x, y: 8 <= y < 40 and 8 <= x < 40)
    pgm(right, 96, 48, lambda x, y: 8 <= y < 40 and 56 <= x < 88)
    out_json, out_mask = os.path.join(tmp, "out.json"), os.path.join(tmp, "chosen.pgm")

    r = run("--model", model, "--image", image, "--mask", left, "--mask", right,
            "--text", "the red square", "--text", "the blue one", "--json", out_json,
            "--out-mask", out_mask)
    check("exits 0 with masks and texts", r.returncode == 0)
    doc = json.load(open(out_json))
    check("one entry per mask", len(doc["proposals"]) == 2)
    check("boxes are the masks' boxes", doc["proposals"][0]["box"] == [8, 8, 32, 32]
          and doc["proposals"][1]["box"] == [56, 8, 32, 32])
    dim = len(doc["proposals"][0]["global"])
    check("global and local features of the model's width",
          dim == 32 and all(len(p["local"]) == dim for p in doc["proposals"]))
    check("different masks have different features",
          doc["proposals"][0]["global"] != doc["proposals"][1]["global"])
    sels = doc["selections"]
    check("one selection per text", [s["text"] for s in sels] == ["the red square", "the blue one"])
    check("the selection is the best score",
          all(s["index"] == max(range(2), key=lambda i: s["scores"][i]) for s in sels))
    check("the text features are written, of the model's width",
          all(len(s.get(k, [])) == dim for s in sels for k in ("sentence_feature", "phrase_feature", "text_feature")))
    check("t = b t_sentence + (1-b) t_phrase with b = 0.5",
          all([f32(t) for t in s.get("text_feature", [])]
              == [f32(0.5 * f32(a) + 0.5 * f32(b)) for a, b in zip(s["sentence_feature"], s["phrase_feature"])]
              for s in sels))
    check("the scores are 100 cos(a f_g + (1-a) f_l, t) of the written features, a = 0.95",
          all(abs(s["scores"][i] - 100 * cosine([0.95 * g + 0.05 * l for g, l in zip(p["global"], p["local"])],
                                                  s["text_feature"])) < 1e-3
              for s in sels for i, p in enumerate(doc["proposals"])))
    # Every float is the shortest text that reads back as the float32 the
    # tool computed (nlohmann-json's float output): parsing it as float32 and
    # finding the shortest %g text that gives that float32 back gives as
    # many significant digits.
    raw = json.loads(open(out_json).read(), parse_float=lambda t: t)
    texts = [t for p in raw["proposals"] for t in p["global"] + p["local"]]
    texts += [t for s in raw["selections"] for t in s["text_feature"] + s["scores"]]

    def digits(t):
        return len(t.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0"))

    def shortest(x):
        return next("%.*g" % (d, x) for d in range(1, 10) if f32(float("%.*g" % (d, x))) == x)

    check("floats read back as float32, written with the fewest digits that do",
          all(digits(t) == digits(shortest(f32(float(t)))) for t in texts))
    chosen = left if sels[0]["index"] == 0 else right
    pixels = lambda path: open(path, "rb").read()[-96 * 48:]  # PGM headers differ in spacing
    check("the chosen mask is written", pixels(out_mask) == pixels(chosen))
    check("the second text's mask goes beside it", os.path.exists(os.path.join(tmp, "chosen-1.pgm")))

    r = run("--model", model, "--image", image, "--max-proposals", "5")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    check("without masks the grouping generator proposes some",
          r.returncode == 0 and 1 <= len(doc["proposals"]) <= 5 and doc["selections"] == [])

    small = os.path.join(tmp, "small.pgm")
    pgm(small, 10, 10, lambda x, y: True)
    r = run("--model", model, "--image", image, "--mask", small)
    check("a mask of another size is refused, naming both sizes",
          r.returncode != 0 and "10x10" in r.stderr and "96x48" in r.stderr)
    r = run("--model", model, "--image", os.path.join(tmp, "none.png"))
    check("a missing image is refused by name", r.returncode != 0 and "none.png" in r.stderr)
    r = run("--model", "/no/such/model.pt", "--image", image)
    check("a missing model is refused by name", r.returncode != 0 and "/no/such/model.pt" in r.stderr)
    # Argument errors: exit status 2, a message naming the option and value.
    for option, value in (("--threads", "four"), ("--max-proposals", "-1"), ("--max-proposals", "abc"),
                          ("--masked-layers", "3x"), ("--global-weight", "1.5"),
                          ("--sentence-weight", "half"), ("--threads", "99999999999")):
        r = run("--model", model, "--image", image, option, value)
        check("%s %s is refused with status 2, naming option and value" % (option, value),
              r.returncode == 2 and option in r.stderr and re.search("['\u201c]%s['\u201d]" % re.escape(value), r.stderr))
    # --preprocess reference: the authors' image chain, and the sentence
    # lower-cased and re-joined from its tokens ("Don't" -> "do n't").
    base = ("--model", model, "--image", image, "--mask", left, "--mask", right)
    r = run(*base, "--preprocess", "reference", "--text", "Don't take the RED square")
    ref = json.loads(r.stdout) if r.returncode == 0 else {}
    check("--preprocess reference runs and says so", ref.get("preprocess") == "reference")
    check("the default is preprocess clip", doc.get("preprocess") == "clip")
    check("reference features differ from clip's",
          ref and ref["proposals"][0]["local"] != doc["proposals"][0]["local"]
          and ref["proposals"][0]["global"] != doc["proposals"][0]["global"])
    r = run(*base, "--text", "do n't take the red square")
    rejoined = json.loads(r.stdout) if r.returncode == 0 else {}
    check("reference encodes the re-joined sentence",
          ref and rejoined and ref["selections"][0]["sentence_feature"]
          == rejoined["selections"][0]["sentence_feature"])
    r = run(*base, "--text", "Don't take the RED square")
    as_typed = json.loads(r.stdout) if r.returncode == 0 else {}
    check("clip encodes the sentence as typed",
          ref and as_typed and ref["selections"][0]["sentence_feature"]
          != as_typed["selections"][0]["sentence_feature"])
    check("the text shown is the text given",
          ref and ref["selections"][0]["text"] == "Don't take the RED square")
    r = run(*base, "--preprocess", "imagenet")
    check("--preprocess imagenet is refused, naming the value and the choices",
          r.returncode != 0 and "'imagenet'" in r.stderr and "clip or reference" in r.stderr)

    # --threshold and --spatial: refsegselector's threshold and spatial.
    r = run(*base, "--text", "the red square", "--threshold", "100")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    sel = doc.get("selections", [{}])[0]
    check("--threshold 100 selects nothing, saying why",
          sel.get("index") == -1 and "below the threshold 100" in sel.get("reason", "")
          and sel.get("threshold") == 100)
    check("its score is the best score", sel and sel["score"] == max(sel["proposal_scores"]))
    r = run(*base, "--text", "the red square")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    sel = doc.get("selections", [{}])[0]
    check("the default threshold is the model's: without a calibration, always the best",
          sel.get("threshold") == -100 and sel.get("index", -1) >= 0 and "reason" not in sel)
    r = run(*base, "--text", "the one on the right")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    sel = doc.get("selections", [{}])[0]
    check("spatial words are resolved by default: the right one",
          sel.get("index") == 1 and sel.get("spatial", {}).get("resolved") is True
          and sel["scores"] != sel["proposal_scores"])
    r = run(*base, "--text", "the one on the right", "--spatial", "off")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    sel = doc.get("selections", [{}])[0]
    check("--spatial off: the paper's rule, the best score",
          "spatial" not in sel and sel.get("scores") == sel.get("proposal_scores")
          and sel.get("index") == max(range(2), key=lambda i: sel["proposal_scores"][i]))
    for option, value in (("--threshold", "101"), ("--threshold", "-102"), ("--threshold", "x"),
                          ("--spatial", "maybe")):
        r = run(*base, "--text", "a", option, value)
        check("%s %s is refused with status 2, naming option and value" % (option, value),
              r.returncode == 2 and option in r.stderr and value in r.stderr)

    r = run("--model", model, "--image", image, "--frobnicate")
    check("an unknown option is refused by name with status 2",
          r.returncode == 2 and "--frobnicate" in r.stderr and "--help" in r.stderr)
    r = run("--model", model, "--image", image, "--threads")
    check("an option without its value is refused with status 2",
          r.returncode == 2 and "--threads" in r.stderr)
    r = run("--image", image)
    check("--model is required", r.returncode == 2 and "--model" in r.stderr)
    r = run("--model", model, "--image", image, "stray")
    check("a stray argument is refused", r.returncode == 2 and "stray" in r.stderr)
    r = run("--model", model, "--image", image, "--precision", "fp64")
    check("an unknown precision is refused", r.returncode == 2 and "fp64" in r.stderr)

    # Text that is not UTF-8: the JSON is still valid, each bad byte U+FFFD.
    r = subprocess.run([tool, "--model", model, "--image", image, "--mask", left, "--mask", right,
                        "--text", b"the \xff red \xc3 square", "--text", b"\xc0\xaf"],
                       capture_output=True)
    try:
        doc = json.loads(r.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        doc = None
        print(e, r.stdout[:200], r.stderr.decode(errors="replace"))
    check("invalid UTF-8 in --text gives JSON that Python reads", r.returncode == 0 and doc is not None)
    if doc:
        got = [s["text"] for s in doc["selections"]]
        check("invalid bytes become U+FFFD", got[0] == "the \ufffd red \ufffd square"
              and set(got[1]) == {"\ufffd"})

    # --draw: the selection drawn as refsegoverlay draws it.
    drawn = os.path.join(tmp, "drawn.ppm")
    r = run("--model", model, "--image", image, "--mask", left, "--mask", right,
            "--text", "the red square", "--draw", drawn)
    doc = json.loads(r.stdout) if r.returncode == 0 else None
    check("--draw exits 0", doc is not None)
    if doc:
        def pixels_of(path):
            data = open(path, "rb").read()
            return data[-96 * 48 * 3:]
        before, after = pixels_of(image), pixels_of(drawn)
        changed = {(i // 3) % 96 for i in range(len(before)) if before[i] != after[i]}
        rows = {(i // 3) // 96 for i in range(len(before)) if before[i] != after[i]}
        x0 = 8 if doc["selections"][0]["index"] == 0 else 56
        check("--draw changes the picture", len(changed) > 0)
        centre = 3 * (28 * 96 + x0 + 16)
        check("--draw tints the selected object", before[centre:centre + 3] != after[centre:centre + 3])
        other = 56 if x0 == 8 else 8
        check("--draw leaves the other object's lower part alone",
              all(before[3 * (y * 96 + x) + c] == after[3 * (y * 96 + x) + c]
                  for y in range(30, 38) for x in range(other + 4, other + 28) for c in range(3)))
    png = os.path.join(tmp, "drawn.png")
    r = run("--model", model, "--image", image, "--max-proposals", "5", "--draw", png)
    check("--draw without --text draws the proposals into a PNG",
          r.returncode == 0 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n")
    r = run("--model", model, "--image", image, "--draw", os.path.join(tmp, "no", "such", "dir.png"))
    check("--draw to a place it cannot write fails with status 1, naming it",
          r.returncode == 1 and "dir.png" in r.stderr)
    r = run("--help")
    check("--help documents the JSON", r.returncode == 0 and "selections" in r.stdout)
    check("--help lists every option",
          all(o in r.stdout for o in ("--model", "--image", "--mask", "--max-proposals", "--text",
                                      "--global-weight", "--sentence-weight", "--masked-layers",
                                      "--threads", "--precision", "--json", "--out-mask", "--draw")))

sys.exit(1 if failures else 0)

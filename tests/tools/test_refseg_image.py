#!/usr/bin/env python3
"""tools/refseg_image as a user runs it: masks in, JSON and the chosen mask out."""
import json
import math
import os
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
    # Every float is written with 9 significant digits: reading it as a
    # float32 and writing that again with 9 digits gives the same text.
    raw = json.loads(open(out_json).read(), parse_float=lambda t: t)
    texts = [t for p in raw["proposals"] for t in p["global"] + p["local"]]
    texts += [t for s in raw["selections"] for t in s["text_feature"] + s["scores"]]
    check("floats round-trip through float32 at 9 significant digits",
          all("%.9g" % f32(float(t)) == t for t in texts))
    check("9 significant digits are used", sum(len(t.lstrip("-0.").replace(".", "").split("e")[0]) == 9
                                               for t in texts) > len(texts) // 2)
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
    for option, value in (("--threads", "four"), ("--max-proposals", "-1"), ("--masked-layers", "3x"),
                          ("--global-weight", "1.5"), ("--sentence-weight", "half")):
        r = run("--model", model, "--image", image, option, value)
        check("%s %s is refused, naming option and value" % (option, value),
              r.returncode != 0 and option in r.stderr and "'%s'" % value in r.stderr)
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

    r = run("--help")
    check("--help documents the JSON", r.returncode == 0 and "selections" in r.stdout)

sys.exit(1 if failures else 0)

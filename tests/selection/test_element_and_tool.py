#!/usr/bin/env python3
"""refsegselector and refseg_image answer a frame the same way: both ask
models/selection/frame_decision.h. The same image (a world frame, and the
real photo when ../shared/real-photos has it) goes through
refsegproposals ! refsegencoder ! refsegselector and through refseg_image
with the grouping generator's proposals; for expressions with and without
spatial words and for a referent that is not there, each gives the same
index, score, reason, phrase, spatial resolution and box, with spatial on
and off, with the model's threshold and set ones, and with the quality setting.

Arguments: refseg_image, the model (refseg-tiny: it has a calibrated
threshold and spread), the real photo (skipped cleanly when absent)."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

tool, model, photo = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []

# With spatial words (an extreme, an ordinal, a relation), without, and
# one the world never draws (a referent that is not there).
EXPRESSIONS = [
    "the red circle",
    "the leftmost shape",
    "the second shape from the left",
    "the square above the circle",
    "a blue square",
    "the purple giraffe",
]
ABSENT = "the purple giraffe"


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        failures.append(what)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def run_pipeline(description):
    """Runs a pipeline to EOS; the refseg-selections messages it posts."""
    pipeline = Gst.parse_launch(description)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    messages = []
    while True:
        msg = bus.timed_pop_filtered(
            300 * Gst.SECOND,
            Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.ELEMENT)
        if msg is None:
            pipeline.set_state(Gst.State.NULL)
            raise RuntimeError("pipeline timed out: " + description)
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            pipeline.set_state(Gst.State.NULL)
            raise RuntimeError(f"{err.message}: {debug}")
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s is not None and s.get_name() == "refseg-selections":
            messages.append(s.copy())
    pipeline.set_state(Gst.State.NULL)
    return messages


def entries(structure):
    ok, array = structure.get_array("selections")
    if not ok:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [array.get_nth(i).copy() for i in range(array.n_values)]


def field(s, name):
    return s.get_value(name) if s.has_field(name) else None


def element_answer(png, threshold, spatial, quality):
    quoted = "; ".join(EXPRESSIONS)
    messages = run_pipeline(
        f"filesrc location={png} ! pngdec ! videoconvert ! video/x-raw,format=RGB ! "
        f"imagefreeze num-buffers=1 ! refsegproposals quality={'true' if quality else 'false'} ! "
        f"refsegencoder model={model} threads=1 ! "
        f"refsegselector model={model} threads=1 expression-list=\"{quoted}\" "
        f"threshold={threshold} spatial={'true' if spatial else 'false'} ! fakesink")
    if len(messages) != 1:
        raise RuntimeError(f"{len(messages)} refseg-selections messages, expected 1")
    out = []
    for e in entries(messages[0]):
        index = e.get_value("index")
        out.append({
            "expression": e.get_value("expression"),
            "phrase": e.get_value("phrase"),
            "index": index,
            "score": e.get_value("score"),
            "reason": field(e, "reason"),
            "spatial": field(e, "spatial"),
            "spatial_resolved": field(e, "spatial-resolved"),
            "anchor_index": field(e, "anchor-index"),
            "box": [e.get_value(k) for k in ("x", "y", "width", "height")] if index >= 0 else None,
        })
    return messages[0].get_value("n-proposals"), out


def tool_answer(png, threshold, spatial, quality):
    args = [tool, "--model", model, "--image", png, "--threads", "1",
            "--threshold", str(threshold), "--spatial", "on" if spatial else "off"]
    if quality:
        args.append("--quality")
    for e in EXPRESSIONS:
        args += ["--text", e]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"refseg_image exited {r.returncode}: {r.stderr}")
    doc = json.loads(r.stdout)
    out = []
    for s in doc["selections"]:
        index = s["index"]
        sp = s.get("spatial")
        out.append({
            "expression": s["text"],
            "phrase": s["phrase"],
            "index": index,
            "score": f32(s["score"]),
            "reason": s.get("reason"),
            "spatial": sp["summary"] if sp else None,
            "spatial_resolved": sp["resolved"] if sp else None,
            "anchor_index": sp["anchor_index"] if sp else None,
            "box": doc["proposals"][index]["box"] if index >= 0 else None,
        })
    return len(doc["proposals"]), out, doc


def compare(image_name, png, threshold, spatial, quality=False):
    what = (f"{image_name}, threshold {threshold}, spatial {'on' if spatial else 'off'}"
            + (", quality" if quality else ""))
    n_element, element = element_answer(png, threshold, spatial, quality)
    n_tool, answer, doc = tool_answer(png, threshold, spatial, quality)
    check(f"{what}: the same proposals", n_element == n_tool, f"{n_element} vs {n_tool}")
    check(f"{what}: an answer per expression",
          len(element) == len(EXPRESSIONS) == len(answer), f"{len(element)}, {len(answer)}")
    for a, b in zip(element, answer):
        e = a["expression"]
        for key in ("phrase", "index", "reason", "spatial", "spatial_resolved", "anchor_index",
                    "box"):
            check(f"{what}: '{e}': the same {key}", a[key] == b[key], f"{a[key]!r} vs {b[key]!r}")
        check(f"{what}: '{e}': the same score", abs(a["score"] - b["score"]) < 1e-3,
              f"{a['score']} vs {b['score']}")
    return element, doc


Gst.init(None)
with tempfile.TemporaryDirectory() as tmp:
    images = []
    for seed in (3, 17):
        png = os.path.join(tmp, f"world-{seed}.png")
        run_pipeline(f"refsegworldsrc seed={seed} num-buffers=1 ! video/x-raw,width=320,height=240 "
                     f"! videoconvert ! pngenc ! filesink location={png}")
        images.append((f"world seed {seed}", png))
    if os.path.exists(photo):
        # Decoded once, so that both read the same pixels (two JPEG decoders
        # may differ by a grey level).
        png = os.path.join(tmp, "photo.png")
        run_pipeline(f"filesrc location={photo} ! jpegdec ! videoconvert ! pngenc ! "
                     f"filesink location={png}")
        images.append(("real photo", png))
    else:
        print(f"skip: the real photo ({photo} is absent)")

    saw_spatial = saw_absent = False
    for name, png in images:
        # -101: the model's calibrated threshold; -100: always the best.
        for threshold in (-101, -100):
            for spatial in (True, False):
                element, doc = compare(name, png, threshold, spatial)
                saw_spatial |= any(a["spatial_resolved"] for a in element)
        # A threshold just above the absent referent's best score: it is
        # not there, with a reason, for both.
        absent = next(s for s in doc["selections"] if s["text"] == ABSENT)
        threshold = round(max(absent["proposal_scores"]) + 0.5, 2)
        element, _ = compare(name, png, threshold, True)
        gone = next(a for a in element if a["expression"] == ABSENT)
        check(f"{name}: '{ABSENT}' is not there at threshold {threshold}",
              gone["index"] == -1 and "below the threshold" in (gone["reason"] or ""),
              repr(gone))
        saw_absent |= gone["index"] == -1
        # The quality setting (eight segmentations and their consensus) the same way.
        compare(name, png, -100, True, quality=True)
    check("some expression's spatial words were resolved", saw_spatial)
    check("some referent was not there", saw_absent)

if failures:
    print(f"{len(failures)} failed")
    sys.exit(1)
print("all passed")

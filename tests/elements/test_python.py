#!/usr/bin/env python3
"""What a Python user does with PyGObject alone (python3-gi and
gir1.2-gstreamer-1.0, no python3-gst-1.0): several expressions through the
expression-list string, the device's spellings, and the per-frame
refseg-selections message read from the bus; and the same string from
gst-launch-1.0's command line."""
import os
import subprocess
import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

model = sys.argv[1]
failures = []

if len(sys.argv) > 2 and sys.argv[2] == "run":
    # The child of the logging check below: a pipeline and nothing else.
    Gst.init(None)
    p = Gst.parse_launch(
        "refsegworldsrc seed=11 num-buffers=2 ! video/x-raw,width=160,height=120 ! "
        f"refsegbin model={model} mode=every-frame text=\"the red circle\" ! fakesink")
    p.set_state(Gst.State.PLAYING)
    p.get_bus().timed_pop_filtered(120 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    p.set_state(Gst.State.NULL)
    sys.exit(0)


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def entries(structure):
    """The selections of a refseg-selections message, as Gst.Structures."""
    ok, array = structure.get_array("selections")
    if not ok:
        return []
    # GValueArray is deprecated, and the only way in; each structure belongs
    # to the array, so it is copied before the array goes.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [array.get_nth(i).copy() for i in range(array.n_values)]


Gst.init(None)

for factory in ("refsegselector", "refsegbin"):
    e = Gst.ElementFactory.make(factory, None)
    e.set_property("expression-list", "the dog;  the red car ")
    check(f"{factory}: expression-list reads back trimmed",
          e.get_property("expression-list") == "the dog; the red car")
    e.set_property("expression-list", "the cup; the blue one\nthe plate")
    check(f"{factory}: newline-separated keeps ';' inside",
          e.get_property("expression-list") == "the cup; the blue one\nthe plate")
    e.set_property("device", "CPU")
    check(f"{factory}: device=CPU reads back as cpu", e.get_property("device") == "cpu")
    e.set_property("device", "GPU:1")
    check(f"{factory}: device=GPU:1 reads back as cuda:1", e.get_property("device") == "cuda:1")

frames = 3
pipeline = Gst.parse_launch(
    f"refsegworldsrc seed=11 num-buffers={frames} ! video/x-raw,width=160,height=120 ! "
    f"refsegbin name=b mode=every-frame threshold=-100 ! fakesink")
b = pipeline.get_by_name("b")
b.set_property("model", model)
b.set_property("text", "the red circle")
b.set_property("expression-list", "the blue square; the green triangle")
pipeline.set_state(Gst.State.PLAYING)
bus = pipeline.get_bus()
messages = []
while True:
    m = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.ELEMENT | Gst.MessageType.EOS
                               | Gst.MessageType.ERROR)
    if m is None or m.type != Gst.MessageType.ELEMENT:
        break
    if m.get_structure().get_name() == "refseg-selections":
        messages.append(m.get_structure().copy())
pipeline.set_state(Gst.State.NULL)
check("the pipeline ran to EOS", m is not None and m.type == Gst.MessageType.EOS)
check("one refseg-selections message per frame", len(messages) == frames)
expected = ["the red circle", "the blue square", "the green triangle"]
for s in messages:
    sels = entries(s)
    check("every expression in each message, in order",
          [e.get_value("expression") for e in sels] == expected)
    check("the frame's timestamp", isinstance(s.get_value("timestamp"), int))
    for e in sels:
        fields = {f: e.get_value(f) for f in ("phrase", "index", "score", "track-id", "x", "y",
                                              "width", "height")}
        check(f"'{e.get_value('expression')}': phrase, index, score, track id and box",
              isinstance(fields["phrase"], str) and fields["index"] >= 0
              and isinstance(fields["score"], float) and fields["track-id"] >= 0
              and fields["width"] > 0 and fields["height"] > 0)

# gst-launch-1.0 as a user types it: -m prints the element messages.
env = dict(os.environ)
r = subprocess.run(
    ["gst-launch-1.0", "-m", "refsegworldsrc", "seed=11", "num-buffers=1", "!",
     "video/x-raw,width=160,height=120", "!", "refsegbin", f"model={model}", "threshold=-100",
     "mode=every-frame", "expression-list=the blue square; the green triangle", "!", "fakesink"],
    capture_output=True, text=True, env=env, timeout=120)
check("gst-launch-1.0 with expression-list runs", r.returncode == 0)
# (Nested structures are printed escaped: "the\\\ blue\\\ square".)
lines = [line.replace("\\", "") for line in r.stdout.splitlines() if "refseg-selections" in line]
check("gst-launch-1.0 -m shows one refseg-selections message with both expressions",
      len(lines) == 1 and "the blue square" in lines[0] and "the green triangle" in lines[0])
if failures:
    print(r.stdout[-2000:], r.stderr[-2000:])

# Logging: the elements print nothing on stdout; INFO says which model file,
# device, precision and threads were loaded; DEBUG gives each stage's time
# per frame.
env.update(GST_DEBUG="refseg*:5", GST_DEBUG_NO_COLOR="1")
r = subprocess.run([sys.executable, __file__, model, "run"], capture_output=True, text=True,
                   env=env, timeout=300)
check("a pipeline's elements write nothing on stdout", r.returncode == 0 and r.stdout == "")
info = [line for line in r.stderr.splitlines() if " INFO " in line and "model '" in line]
check("INFO names the model file, device, precision and threads",
      len(info) >= 1 and model in info[0] and "device cpu" in info[0] and "precision fp32" in info[0]
      and "threads 0" in info[0])
for element in ("refsegproposals", "refsegencoder", "refsegselector", "refsegtracker"):
    times = [line for line in r.stderr.splitlines()
             if " DEBUG " in line and element in line and "frame 0:00:00" in line and " ms" in line]
    check(f"DEBUG gives {element}'s time per frame", len(times) >= 2)

sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""Reads refseg results from each frame in a pad probe, with PyGObject alone.

    read_meta.py [--model NAME] [--text TEXT] [--frames N] [--save-mask out.pgm]

The frame's GstRefSegMeta is a GstCustomMeta whose GstStructure holds the
proposals (boxes, scores, box-cropped masks), the features and one
"selection-<i>" structure per expression (docs/metadata.md).
"""
import argparse
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def read_bytes(structure, field):
    value = structure.get_value(field)
    return value.get_data() if value is not None else b""


def read_frame(buffer):
    """Returns (width, height, proposals, selections) or None without meta."""
    meta = buffer.get_custom_meta("GstRefSegMeta")
    if meta is None:
        return None
    s = meta.get_structure()
    width, height = s.get_value("width"), s.get_value("height")
    n = s.get_value("n-proposals")
    boxes = struct.unpack(f"{4 * n}i", read_bytes(s, "boxes")) if n else ()
    scores = struct.unpack(f"{n}f", read_bytes(s, "scores")) if n else ()
    masks = read_bytes(s, "masks")
    proposals, offset = [], 0
    for i in range(n):
        x, y, w, h = boxes[4 * i : 4 * i + 4]
        proposals.append({"box": (x, y, w, h), "score": scores[i], "mask": masks[offset : offset + w * h]})
        offset += w * h
    selections = []
    for i in range(s.get_value("n-selections")):
        sel = s.get_value(f"selection-{i}")
        raw = read_bytes(sel, "scores")
        selections.append(
            {
                "expression": sel.get_value("expression"),
                "phrase": sel.get_value("phrase"),
                "index": sel.get_value("index"),
                "score": sel.get_value("score"),
                "scores": struct.unpack(f"{len(raw) // 4}f", raw),
            }
        )
    return width, height, proposals, selections


def full_frame_mask(width, height, proposal):
    """The proposal's mask as a width x height bytes plane (0 or 255)."""
    x, y, w, h = proposal["box"]
    plane = bytearray(width * height)
    for row in range(h):
        start = (y + row) * width + x
        plane[start : start + w] = proposal["mask"][row * w : (row + 1) * w]
    return bytes(plane)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="refseg-tiny")
    parser.add_argument("--text", default="the red circle")
    parser.add_argument("--frames", type=int, default=5)
    # Seed 4 is the README demo's world: it has a red circle to find.
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--save-mask", help="write the last selected mask as a PGM file")
    args = parser.parse_args()

    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"refsegworldsrc seed={args.seed} num-buffers={args.frames} ! "
        f"refsegbin name=refseg ! fakesink name=sink"
    )
    pipeline.get_by_name("refseg").set_property("model", args.model)
    pipeline.get_by_name("refseg").set_property("text", args.text)
    last = {}

    def probe(pad, info):
        frame = read_frame(info.get_buffer())
        if frame is None:
            print("frame without refseg meta")
            return Gst.PadProbeReturn.OK
        width, height, proposals, selections = frame
        for sel in selections:
            if sel["index"] < 0:
                print(f'"{sel["expression"]}": nothing selected among {len(proposals)} proposals')
                continue
            chosen = proposals[sel["index"]]
            area = sum(1 for v in chosen["mask"] if v)
            print(
                f'"{sel["expression"]}" (phrase "{sel["phrase"]}"): proposal {sel["index"]} '
                f'of {len(proposals)}, score {sel["score"]:.2f}, box {chosen["box"]}, {area} px'
            )
            last.update(width=width, height=height, proposal=chosen)
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        print(f"error: {error.message}\n{debug}", file=sys.stderr)
        return 1
    if args.save_mask and last:
        with open(args.save_mask, "wb") as f:
            f.write(b"P5 %d %d 255\n" % (last["width"], last["height"]))
            f.write(full_frame_mask(last["width"], last["height"], last["proposal"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

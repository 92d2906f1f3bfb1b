#!/usr/bin/env python3
"""Every gst-launch-1.0 pipeline in README.md and docs/*.md code blocks runs.

    test_doc_pipelines.py SOURCE_DIR

Each pipeline is taken from a fenced code block (continuation lines joined),
run by gst-launch-1.0 in a temporary directory holding an in.mp4 (H.264
4:2:0, what a camera or a browser gives) made with refsegworldsrc, and must
exit 0. What a test machine cannot have is
replaced, and each replacement is printed: a camera (v4l2src) or an RTSP
stream (rtspsrc ... ! decodebin) becomes refsegworldsrc, a window
(autovideosink) fakesink, OpenAI's ViT-B/32 (a download) refseg-tiny, and a
refsegworldsrc without num-buffers gets 30 frames. A fragment with "..."
and a pipeline that needs an MQTT broker are skipped with the reason.
GST_PLUGIN_PATH and REFSEG_MODELS_DIR come from meson.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

SRC = sys.argv[1]
FILES = [os.path.join(SRC, "README.md")] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md")))
# Values for the shell variables of docs/deployment.md's unit file.
VARIABLES = {"CAMERA_URL": "rtsp://camera.local/stream", "TEXT": "the red circle"}


def pipelines(path):
    """(line number, command) of each gst-launch-1.0 command in code blocks."""
    found, in_block, current, start = [], False, None, 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if stripped.startswith("```"):
                in_block, current = not in_block, None
                continue
            if not in_block:
                continue
            text = re.sub(r"^ExecStart=\S*/", "", stripped)
            if current is None and text.startswith("gst-launch-1.0"):
                current, start = text, number
            elif current is not None and (current.endswith("\\") or text.startswith("!")):
                current = current.rstrip("\\").rstrip() + " " + text
            else:
                continue
            if current.endswith("\\"):
                continue
            found.append((start, current))
            current = None
    return found


def adapt(command):
    """The command to run, what was replaced, or None and why it is skipped."""
    if "..." in command:
        return None, "a fragment (...)"
    if "method=mqtt" in command:
        return None, "needs an MQTT broker (tools/bench_publish runs one)"
    notes = []
    for name, value in VARIABLES.items():
        command = command.replace("${%s}" % name, value)
    world = "refsegworldsrc num-buffers=30"
    replacements = [
        (r"rtspsrc [^!]*! decodebin", world, "rtspsrc -> refsegworldsrc"),
        (r"\bv4l2src\b", world, "v4l2src -> refsegworldsrc"),
        (r"\bautovideosink\b", "fakesink", "autovideosink -> fakesink"),
        (r"model=ViT-B/32\b", "model=refseg-tiny", "ViT-B/32 -> refseg-tiny"),
    ]
    for pattern, replacement, note in replacements:
        command, count = re.subn(pattern, replacement, command)
        if count:
            notes.append(note)
    words = shlex.split(command)
    out = []
    for i, word in enumerate(words):
        out.append(word)
        if word == "refsegworldsrc" and not any(
            w.startswith("num-buffers=") for w in words[i + 1:words.index("!", i) if "!" in words[i:] else None]
        ):
            out.append("num-buffers=30")
            notes.append("refsegworldsrc gets num-buffers=30")
    return out, ", ".join(notes)


def main():
    failures, ran, skipped = 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        made = subprocess.run(
            ["gst-launch-1.0", "-q", "refsegworldsrc", "num-buffers=30", "!", "videoconvert", "!",
             "video/x-raw,format=I420", "!", "x264enc", "!", "mp4mux", "!", "filesink",
             "location=in.mp4"],
            cwd=tmp, capture_output=True, text=True, timeout=120)
        if made.returncode != 0:
            print("FAIL: could not make in.mp4:", made.stderr[-2000:])
            return 1
        for path in FILES:
            name = os.path.relpath(path, SRC)
            for line, command in pipelines(path):
                where = "%s:%d" % (name, line)
                argv, note = adapt(command)
                if argv is None:
                    print("skip: %s: %s" % (where, note))
                    skipped += 1
                    continue
                ran += 1
                try:
                    result = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=180)
                    ok = result.returncode == 0
                    detail = (result.stdout + result.stderr)[-2000:]
                except subprocess.TimeoutExpired:
                    ok, detail = False, "timed out after 180 s"
                if ok:
                    print("ok: %s%s" % (where, " (%s)" % note if note else ""))
                else:
                    print("FAIL: %s: %s\n%s" % (where, " ".join(argv), detail))
                    failures += 1
    print("%d pipelines run, %d skipped, %d failed" % (ran, skipped, failures))
    if ran == 0:
        print("FAIL: no pipeline found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Every command in README.md's and docs/*.md's shell blocks is covered.

    test_doc_commands.py SOURCE_DIR BUILD_DIR

Every fenced block must say what it holds (```sh for commands; text, ini,
c, python... for the rest): an untagged block fails. In each sh block every
command (continuation lines joined; `;`, `&&`, `do` split; the block's and
earlier blocks' variables such as $E expanded) is covered in one of these
ways, or the test fails naming it:

- run for real, where it is cheap: gst-inspect-1.0, refseg_text with
  refseg-tiny;
- gst-launch-1.0: run by test_doc_pipelines.py, which must find it;
- a program of this project (build/tools/*, build/tests/*, refseg_image,
  refseg_text, refseg_app): run with the documented arguments followed by
  --help, which must exit 0 and print its usage. GOption parses everything
  before --help, so an option that does not exist, or a number that is
  not one, fails (placeholders such as N or MODEL become 1, [optional]
  brackets are dropped);
- a script (scripts/*, gst-refseg-download): it exists, is executable and
  its source names every --option the doc passes;
- meson and ninja: every option the doc passes is in their --help;
- the shell's own export, cd, assignments and for/done; a fragment that
  starts with "..."; the MQTT broker's tools (mosquitto_*) when they are
  not installed: listed as such.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SRC, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_doc_pipelines  # noqa: E402 (its pipelines() finds the gst-launch-1.0 lines)

FILES = [os.path.join(SRC, "README.md")] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md")))
SHELL = {"sh", "bash", "shell", "console"}
INSTALLED = {
    "refseg_image": os.path.join(BUILD, "tools", "refseg_image"),
    "refseg_text": os.path.join(BUILD, "tools", "refseg_text"),
    "refseg_app": os.path.join(BUILD, "examples", "refseg_app"),
    "gst-refseg-download": os.path.join(SRC, "scripts", "download-models.sh"),
}
OPTIONAL = {"mosquitto_passwd", "mosquitto_sub", "mosquitto_pub"}  # the broker's tools
BUILTINS = {"export", "cd", "done", "do", "then", "fi"}


def blocks(path):
    """(line, tag, [(line, text)]) of each fenced block."""
    out, current = [], None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if stripped.startswith("```"):
                if current is None:
                    current = (number, stripped[3:].strip(), [])
                else:
                    out.append(current)
                    current = None
                continue
            if current is not None:
                current[2].append((number, line.rstrip("\n")))
    return out


def logical_lines(lines):
    """(line, text): continuation lines joined, comments kept for shlex."""
    out = []
    for number, text in lines:
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if out and (out[-1][1].endswith("\\") or stripped.startswith("!")):
            out[-1] = (out[-1][0], out[-1][1].rstrip("\\").rstrip() + " " + stripped)
        else:
            out.append((number, stripped))
    return out


def expand(text, variables):
    def value(m):
        name = m.group(1) or m.group(2)
        if name in variables:
            return variables[name]
        return SRC if name == "PWD" else m.group(0)
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


def segments(text):
    """The commands of one logical line: split at ;, && and || outside quotes."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts, current = [], []
    for token in lexer:
        if token in (";", "&&", "||", ";;"):
            if current:
                parts.append(current)
            current = []
        else:
            current.append(token)
    if current:
        parts.append(current)
    return parts


def for_help(args):
    """The doc's arguments as a --help check passes them."""
    out = []
    for word in args:
        word = word.strip("[]")
        if not word:
            continue
        out.append("1" if re.fullmatch(r"[A-Z][A-Z0-9_]*", word) else word)
    return out


def options_in(args):
    return [w.split("=")[0] for w in for_help(args) if w.startswith("-") and w not in ("-", "--")]


def check(words, where, pipeline_lines, tmp):
    """(ok, how) for one command; ok None: listed, not checked."""
    while words and re.fullmatch(r"\w+=.*", words[0]) and len(words) > 1:
        words = words[1:]  # VAR=value before a command
    program, args = words[0], words[1:]
    if program in BUILTINS or (len(words) == 1 and re.fullmatch(r"\w+=.*", program)):
        return True, "the shell's"
    if program == "...":
        return None, "a fragment"
    if program == "gst-launch-1.0":
        if where[1] not in pipeline_lines:
            return False, "not found by test_doc_pipelines"
        argv, note = test_doc_pipelines.adapt(pipeline_lines[where[1]])
        return (True, "run by test_doc_pipelines") if argv else (None, note)
    if program == "gst-inspect-1.0":
        r = subprocess.run(words, cwd=tmp, capture_output=True, text=True, timeout=120)
        return r.returncode == 0, "run: exit %d" % r.returncode
    if program in ("meson", "ninja"):
        sub = [args[0]] if program == "meson" and args and not args[0].startswith("-") else []
        r = subprocess.run([program] + sub + ["--help" if program == "meson" else "-h"],
                           capture_output=True, text=True, timeout=60)
        text = r.stdout + r.stderr
        missing = [o for o in options_in(args) if o not in text]
        return not missing, "options in its --help" + (": missing %s" % missing if missing else "")
    if program in OPTIONAL:
        if not shutil.which(program):
            return None, "not installed here (the MQTT broker's tools)"
        r = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=60)
        missing = [o for o in options_in(args) if o not in r.stdout + r.stderr]
        return not missing, "options in its --help" + (": missing %s" % missing if missing else "")
    path = INSTALLED.get(program)
    if path is None and re.match(r"(\./)?build/", program):
        path = os.path.join(BUILD, re.sub(r"^(\./)?build/", "", program))
    if path is None and re.match(r"(\./)?scripts/", program):
        path = os.path.join(SRC, re.sub(r"^\./", "", program))
    if path is None:
        return False, "no rule covers %s" % program
    if not os.access(path, os.X_OK):
        return False, "%s is not an executable file" % path
    if path.startswith(os.path.join(SRC, "scripts")):
        with open(path, encoding="utf-8") as f:
            source = f.read()
        missing = [o for o in options_in(args) if o not in source]
        return not missing, "script exists" + (", options missing: %s" % missing if missing else
                                               ", names its options")
    if os.path.basename(path) == "refseg_text" and "refseg-tiny" in args:
        r = subprocess.run([path] + args, cwd=tmp, capture_output=True, text=True, timeout=120)
        return r.returncode == 0 and r.stdout.strip() != "", "run: exit %d" % r.returncode
    r = subprocess.run([path] + for_help(args) + ["--help"], cwd=tmp, capture_output=True,
                       text=True, timeout=120)
    text = r.stdout + r.stderr
    if r.returncode == 0 and ("usage" in text.lower() or "Google Test" in text):
        return True, "options parse before --help"
    # A program that reads its arguments by hand: --help alone, naming
    # every option the doc passes.
    alone = subprocess.run([path, "--help"], cwd=tmp, capture_output=True, text=True, timeout=60)
    usage = alone.stdout + alone.stderr
    missing = [o for o in options_in(args) if o not in usage]
    if alone.returncode == 0 and not missing:
        return True, "options in its --help"
    return False, "exit %d with the doc's arguments: %s; --help alone: exit %d%s" % (
        r.returncode, text.strip()[-300:], alone.returncode,
        ", missing %s" % missing if missing else "")


def main():
    failures = covered = listed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in FILES:
            name = os.path.relpath(path, SRC)
            pipeline_lines = dict(test_doc_pipelines.pipelines(path))
            variables = {}
            for start, tag, lines in blocks(path):
                if not tag:
                    print("FAIL: %s:%d: an untagged block (sh for commands, text for the rest)"
                          % (name, start))
                    failures += 1
                    continue
                if tag not in SHELL:
                    continue
                for number, text in logical_lines(lines):
                    where = (name, number)
                    for raw in segments(text):
                        if raw[0] == "do":
                            raw = raw[1:]
                        if raw and raw[0] == "for" and len(raw) >= 4 and raw[2] == "in":
                            variables[raw[1]] = expand(raw[3], variables)
                            continue
                        # A variable holding a command line ($E) becomes its words.
                        words = []
                        for w in raw:
                            value = expand(w, variables)
                            words += shlex.split(value) if w.startswith("$") else [value]
                        if not words:
                            continue
                        if len(words) == 1 and re.fullmatch(r"(\w+)=(.*)", words[0], re.S):
                            key, value = words[0].split("=", 1)
                            variables[key] = value
                        if words[0] == "export":
                            for w in words[1:]:
                                if "=" in w:
                                    variables[w.split("=", 1)[0]] = w.split("=", 1)[1]
                        try:
                            ok, how = check(words, where, pipeline_lines, tmp)
                        except (subprocess.TimeoutExpired, OSError) as e:
                            ok, how = False, str(e)
                        command = " ".join(words)[:100]
                        if ok is None:
                            listed += 1
                            print("listed: %s:%d: %s (%s)" % (name, number, command, how))
                        elif ok:
                            covered += 1
                            print("ok: %s:%d: %s (%s)" % (name, number, command, how))
                        else:
                            failures += 1
                            print("FAIL: %s:%d: %s (%s)" % (name, number, command, how))
    print("%d commands covered, %d listed without a check, %d failed" % (covered, listed, failures))
    if covered == 0:
        print("FAIL: no command found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

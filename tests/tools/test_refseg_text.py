#!/usr/bin/env python3
"""tools/refseg_text as a user runs it: the cleaned text, target noun phrase
and token ids of expressions, without an image; bad arguments refused."""
import json
import os
import re
import subprocess
import sys
import tempfile

tool, model, openai_vocab = sys.argv[1], sys.argv[2], os.environ.get("REFSEG_CLIP_VOCAB", sys.argv[3])
tiny_vocab = model[: -len(".pt")] + ".vocab.txt.gz"
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def run(*args, env=None):
    return subprocess.run([tool, *args], capture_output=True, text=True, env=env)


def run_json(*args):
    r = run("--json", *args)
    if r.returncode != 0:
        print(r.stderr)
        return None
    return json.loads(r.stdout)


# The test model's own vocabulary and context length (16).
doc = run_json("--model", model, "The Man On The Left", "")
check("--model: exits 0 and writes JSON", doc is not None)
if doc:
    check("--model: the model's context length", doc["context_length"] == 16)
    check("--model: the vocabulary beside the archive", doc["vocabulary"] == tiny_vocab)
    first, empty = doc["texts"]
    check("one entry per text, in order", first["text"] == "The Man On The Left" and empty["text"] == "")
    check("the phrase as written, whatever the case", first["phrase"] == "The Man")
    check("the cleaned text is lower-cased", first["cleaned"] == "the man on the left")
    check("the phrase's cleaned text", first["phrase_cleaned"] == "the man")
    sot, eot = first["sentence_ids"][0], first["sentence_ids"][-1]
    check("ids framed by SOT and EOT", sot != eot and first["phrase_ids"][0] == sot
          and first["phrase_ids"][-1] == eot and len(first["phrase_ids"]) < len(first["sentence_ids"]))
    check("a blank text is SOT, EOT and its phrase is empty, encoded as the text",
          empty["phrase"] == "" and empty["sentence_ids"] == [sot, eot] and empty["phrase_ids"] == [sot, eot])
    same = run_json("--vocab", tiny_vocab, "--context", "16", "The Man On The Left")
    check("--vocab and --context give the same ids as --model",
          same is not None and same["texts"][0]["sentence_ids"] == first["sentence_ids"])
    long = run_json("--model", model, "the man in the red shirt on the left next to the tall woman")
    check("a long text is truncated to the context, EOT last",
          long is not None and len(long["texts"][0]["sentence_ids"]) == 16
          and long["texts"][0]["sentence_ids"][-1] == eot and long["texts"][0]["sentence_truncated"])

r = run("--model", model, "bottom left laptop")
check("text output names cleaned text, phrase and ids",
      r.returncode == 0 and "cleaned:      bottom left laptop\n" in r.stdout
      and "phrase:       bottom left laptop\n" in r.stdout and "sentence ids: " in r.stdout)
check("text output names what the spatial words say",
      r.returncode == 0 and 'spatial:      target "laptop"; bottom; left\n' in r.stdout)
doc = run_json("--model", model, "the second cup from the left", "the dog under the table", "red car",
               "the cup to the left of it")
if doc:
    ordinal, relation, plain, unanchored = (t["spatial"] for t in doc["texts"])
    check("spatial: an ordinal with its side and target",
          ordinal["target"] == "the cup" and ordinal["resolvable"]
          and "ordinal 2 from left" in ordinal["summary"])
    check("spatial: a relation names its anchor",
          relation["relation"] == "below" and relation["anchor"] == "the table")
    check("spatial: none for an expression without spatial words", plain is None)
    check("spatial: a relation without an anchor is not resolvable and says why",
          unanchored is not None and not unanchored["resolvable"]
          and "not resolved" in unanchored["summary"])
r = run("--model", model, "--", "-left guy")
check("a text starting with '-' after --", r.returncode == 0 and "text:         -left guy" in r.stdout)

# OpenAI's vocabulary (never committed: ../shared/clip/ or $REFSEG_CLIP_VOCAB).
if os.path.exists(openai_vocab):
    doc = run_json("--vocab", openai_vocab, "Girl\u2019s bike", "THE MAN ON THE LEFT", "\ufb01sh &amp; chips")
    check("OpenAI's vocabulary: exits 0", doc is not None)
    if doc:
        girl, man, fish = doc["texts"]
        check("context length 77 by default", doc["context_length"] == 77)
        check("a curly apostrophe tokenizes as a plain one (ftfy)",
              girl["cleaned"] == "girl's bike" and girl["sentence_ids"] == [49406, 1611, 568, 3701, 49407])
        check("OpenAI's ids for sentence and phrase",
              man["sentence_ids"] == [49406, 518, 786, 525, 518, 1823, 49407]
              and man["phrase"] == "THE MAN" and man["phrase_ids"] == [49406, 518, 786, 49407])
        check("ligature and entity cleaned", fish["cleaned"] == "fish & chips")
else:
    print("skip: OpenAI's vocabulary " + openai_vocab + " is not here (never committed)")

# Bad arguments: each refused with a message that says what is wrong.
r = run()
check("no text is refused", r.returncode != 0 and "no text given" in r.stderr)
r = run("--model", model, "--frobnicate", "x")
check("an unknown option is refused by name with status 2",
      r.returncode == 2 and "--frobnicate" in r.stderr)
for bad in ("x", "1", "-3", "0", "12abc", "", "99999999999"):
    r = run("--model", model, "--context", bad, "x")
    check("--context '%s' is refused with status 2, naming the value" % bad,
          r.returncode == 2 and "--context" in r.stderr
          and re.search("['\u201c]%s['\u201d]" % re.escape(bad), r.stderr))
r = run("--model", model, "x", "--context")
check("an option without its value is refused with status 2",
      r.returncode == 2 and "--context" in r.stderr)
r = run("--model", model, "-left guy")
check("a text starting with '-' before -- is an unknown option", r.returncode == 2)

# Text that is not UTF-8: the JSON is still valid, each bad byte U+FFFD.
r = subprocess.run([tool, "--json", "--model", model, b"the \xff man \xc3", b"\xed\xa0\x80 ok"],
                   capture_output=True)
try:
    doc = json.loads(r.stdout.decode("utf-8"))
except (UnicodeDecodeError, ValueError) as e:
    doc = None
    print(e, r.stdout[:200], r.stderr.decode(errors="replace"))
check("invalid UTF-8 in a text gives JSON that Python reads", r.returncode == 0 and doc is not None)
if doc:
    first, second = doc["texts"]
    check("invalid bytes become U+FFFD in text and phrase",
          first["text"] == "the \ufffd man \ufffd" and "\ufffd" in second["text"]
          and second["text"].endswith(" ok"))
r = run("--vocab", "/no/such/vocab.txt.gz", "x")
check("a missing vocabulary is refused by name", r.returncode != 0 and "/no/such/vocab.txt.gz" in r.stderr)
r = run("--model", "/no/such/model.pt", "x")
check("a missing model is refused by name", r.returncode != 0 and "/no/such/model.pt" in r.stderr)
r = run("--vocab", tiny_vocab, "--model", model, "x")
check("--vocab with --model is refused", r.returncode != 0 and "not both" in r.stderr)
with tempfile.TemporaryDirectory() as home:
    not_a_vocab = os.path.join(home, "not-a-vocab.gz")
    open(not_a_vocab, "w").write("hello")
    r = run("--vocab", not_a_vocab, "x")
    check("a file that is not a vocabulary is refused by name", r.returncode != 0 and not_a_vocab in r.stderr)
    env = {k: v for k, v in os.environ.items() if k not in ("REFSEG_CLIP_VOCAB", "XDG_DATA_HOME")}
    env.update(HOME=home, REFSEG_MODELS_DIR=home)
    r = run("x", env=env)
    if r.returncode == 0:
        print("skip: OpenAI's vocabulary is installed in a system models directory")
    else:
        check("no vocabulary anywhere: says where it looked and what to give",
              "bpe_simple_vocab_16e6.txt.gz" in r.stderr and home in r.stderr and "--vocab" in r.stderr)
r = run("--help")
check("--help documents the JSON", r.returncode == 0 and "phrase_ids" in r.stdout)
check("--help lists every option",
      all(o in r.stdout for o in ("--vocab", "--model", "--context", "--json", "TEXT")))

sys.exit(1 if failures else 0)

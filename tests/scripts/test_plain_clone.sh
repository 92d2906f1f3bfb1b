#!/usr/bin/env bash
# What a plain clone (no ../shared beside it, nothing downloaded) makes of
# the two tests that need OpenAI's vocabulary, which is never committed:
# each exits 77, meson's "skipped", naming the file and every place it
# looked. And where a download has put the vocabulary into a models
# directory, both run (checked when this machine has the vocabulary to put
# there: CI's ../shared/clip/ or $REFSEG_CLIP_VOCAB).
#
#   test_plain_clone.sh SOURCE_DIR TOKENIZER_OPENAI_TEST
set -u
src=$1 openai_test=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
vocab_name=bpe_simple_vocab_16e6.txt.gz
home_models=$tmp/home/.local/share/gst-refseg/models
# As on a plain clone: ../shared replaced by a directory that does not
# exist, an empty home, none of the variables that name OpenAI's files.
plain() {
  env -u REFSEG_CLIP_VOCAB -u REFSEG_CLIP_TOKENIZER_CASES -u REFSEG_MODELS_DIR -u XDG_DATA_HOME \
    HOME="$tmp/home" REFSEG_SHARED_DIR="$tmp/no-shared" "$@"
}
names_where_it_looked() {  # output
  grep -q "OpenAI's BPE vocabulary is not here" <<<"$1" &&
    grep -qF "$tmp/no-shared/clip/$vocab_name" <<<"$1" &&
    grep -qF "$home_models/$vocab_name" <<<"$1"
}
mkdir -p "$tmp/home"

# 1. Nothing there: skipped, saying what is missing.
out=$(plain "$openai_test" 2>&1)
check "tokenizer_openai is skipped (exit 77)" test $? -eq 77
check "and names the vocabulary and where it looked" names_where_it_looked "$out"
out=$(plain bash "$src/tests/scripts/test_download.sh" "$src" 2>&1)
check "test_download is skipped (exit 77)" test $? -eq 77
check "and names the vocabulary and where it looked" names_where_it_looked "$out"
[ $failures -eq 0 ] || echo "$out"

# 2. The vocabulary where a download puts it: both run.
vocab=""
for c in "${REFSEG_CLIP_VOCAB:-}" "$src/../shared/clip/$vocab_name"; do
  [ -n "$c" ] && [ -f "$c" ] && { vocab=$c; break; }
done
if [ -n "$vocab" ]; then
  mkdir -p "$home_models"
  cp "$vocab" "$home_models/"
  out=$(plain "$openai_test" 2>&1)
  check "with the vocabulary in ~/.local/share/gst-refseg/models, tokenizer_openai runs and passes" \
    test $? -eq 0
  check "reading it from there" grep -qF "OpenAI's vocabulary: $home_models/$vocab_name" <<<"$out"
  out=$(plain bash "$src/tests/scripts/test_download.sh" "$src" 2>&1)
  check "and test_download runs and passes" test $? -eq 0
  [ $failures -eq 0 ] || echo "$out" | tail -20
else
  echo "note: no OpenAI vocabulary on this machine either: only the skips were checked"
fi

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

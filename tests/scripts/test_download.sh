#!/usr/bin/env bash
# scripts/download-models.sh against a local mirror (file:// URLs): checksum
# verification, resume, and the failure paths never leave a file under its
# final name.
set -u
src=$1
# OpenAI's vocabulary, never committed: $REFSEG_CLIP_VOCAB, ../shared/clip/
# beside the source tree (CI), or a models directory a download filled.
# ($REFSEG_SHARED_DIR stands for ../shared: test_plain_clone.sh points it nowhere.)
candidates=("${REFSEG_CLIP_VOCAB:-}" "${REFSEG_SHARED_DIR:-$src/../shared}/clip/bpe_simple_vocab_16e6.txt.gz")
IFS=: read -r -a model_dirs <<<"${REFSEG_MODELS_DIR:-}"
for d in "${model_dirs[@]}" "${XDG_DATA_HOME:-${HOME:-/nonexistent}/.local/share}/gst-refseg/models"; do
  [ -n "$d" ] && candidates+=("$d/bpe_simple_vocab_16e6.txt.gz")
done
vocab=""
for c in "${candidates[@]}"; do
  [ -n "$c" ] && [ -f "$c" ] && { vocab=$c; break; }
done
vsha=924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a
vit_sha=40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
# A plain clone has none: the test is skipped there (77: meson's "skipped").
if [ -z "$vocab" ]; then
  echo "SKIP: OpenAI's BPE vocabulary is not here (never committed); looked for:"
  printf '  %s\n' "${candidates[@]}" | grep -v '^  $'
  echo "put OpenAI's files in ../shared/clip/, run scripts/download-models.sh vocab, or set REFSEG_CLIP_VOCAB"
  exit 77
fi
echo "OpenAI's vocabulary: $vocab"
mkdir -p "$tmp/mirror/$vsha" "$tmp/mirror/$vit_sha"
cp "$vocab" "$tmp/mirror/$vsha/bpe_simple_vocab_16e6.txt.gz"
dl() { "$src/scripts/download-models.sh" --from "file://$tmp/mirror" "$@"; }

# 1. A verified download lands under its final name.
check "vocabulary downloads and verifies" dl --dir "$tmp/a" vocab
check "vocabulary content is intact" cmp -s "$vocab" "$tmp/a/bpe_simple_vocab_16e6.txt.gz"
check "no partial file is left" test ! -e "$tmp/a/.bpe_simple_vocab_16e6.txt.gz.part"

# 2. An interrupted download resumes from its .part file.
mkdir -p "$tmp/b"
head -c 500000 "$vocab" >"$tmp/b/.bpe_simple_vocab_16e6.txt.gz.part"
check "a partial download resumes" dl --dir "$tmp/b" vocab
check "the resumed file is intact" cmp -s "$vocab" "$tmp/b/bpe_simple_vocab_16e6.txt.gz"

# 3. A file whose checksum does not match is refused and removed.
echo "not a model" >"$tmp/mirror/$vit_sha/ViT-B-32.pt"
out=$(dl --dir "$tmp/c" ViT-B/32 2>&1); rc=$?
check "a wrong checksum fails" test $rc -ne 0
check "the error names the mismatch" grep -q "SHA-256 mismatch" <<<"$out"
check "nothing is left under the final name" test ! -e "$tmp/c/ViT-B-32.pt"
check "the corrupt partial file is removed" test ! -e "$tmp/c/.ViT-B-32.pt.part"

# 4. A source that does not exist fails clearly.
out=$(dl --dir "$tmp/d" RN50 2>&1); rc=$?
check "a missing source fails" test $rc -ne 0
check "the error names the file and the address" grep -q "RN50.pt: download failed from file://" <<<"$out"
check "nothing is left under the final name" test ! -e "$tmp/d/RN50.pt"

# 5. Unknown names are refused before anything is fetched.
out=$(dl --dir "$tmp/e" ViT-Z/99 2>&1); rc=$?
check "an unknown model name fails" test $rc -ne 0
check "the error lists the known names" grep -q "unknown model 'ViT-Z/99'" <<<"$out"
check "nothing was fetched" test ! -e "$tmp/e/bpe_simple_vocab_16e6.txt.gz"

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

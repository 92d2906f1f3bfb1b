#!/usr/bin/env bash
# scripts/download-models.sh's Segment Anything names against a local mirror
# (file:// URLs, laid out as URL/<file>): the MD5 prefix the released file
# names carry is checked, MobileSAM's size against the announced size, every
# file must be a zip archive, downloads resume, and a refused file never
# stays under its final name. Needs no vocabulary and no network.
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
mkdir -p "$tmp/mirror"
dl() { "$src/scripts/download-models.sh" --from "file://$tmp/mirror" "$@"; }

# 1. MobileSAM: a zip archive of the announced size lands under its final
# name, without the CLIP vocabulary.
cp "$src/tests/fixtures/sam/mobile_sam_small.pt" "$tmp/mirror/mobile_sam.pt"
check "MobileSAM downloads" dl --dir "$tmp/a" MobileSAM
check "its content is intact" cmp -s "$tmp/mirror/mobile_sam.pt" "$tmp/a/mobile_sam.pt"
check "no partial file is left" test ! -e "$tmp/a/.mobile_sam.pt.part"
check "no vocabulary is fetched for a SAM name" test ! -e "$tmp/a/bpe_simple_vocab_16e6.txt.gz"
out=$(dl --dir "$tmp/a" MobileSAM 2>&1)
check "a second run finds it present" grep -q "already present" <<<"$out"

# 2. An interrupted download resumes from its .part file.
mkdir -p "$tmp/b"
head -c 500000 "$tmp/mirror/mobile_sam.pt" >"$tmp/b/.mobile_sam.pt.part"
check "a partial download resumes" dl --dir "$tmp/b" MobileSAM
check "the resumed file is intact" cmp -s "$tmp/mirror/mobile_sam.pt" "$tmp/b/mobile_sam.pt"

# 3. SAM-ViT-B: a file whose MD5 does not start with 01ec64 is refused and removed.
cp "$src/tests/fixtures/sam/sam_vit_small.pth" "$tmp/mirror/sam_vit_b_01ec64.pth"
out=$(dl --dir "$tmp/c" SAM-ViT-B 2>&1); rc=$?
check "a wrong MD5 fails" test $rc -ne 0
check "the error names the file and the mismatch" grep -q "sam_vit_b_01ec64.pth: MD5 mismatch (expected 01ec64" <<<"$out"
check "nothing is left under the final name" test ! -e "$tmp/c/sam_vit_b_01ec64.pth"
check "the corrupt partial file is removed" test ! -e "$tmp/c/.sam_vit_b_01ec64.pth.part"

# 4. A zip-headed file whose MD5 starts with 01ec64 (found by search) is accepted.
printf 'PK\003\004 gst-refseg test 1878330\n' >"$tmp/mirror/sam_vit_b_01ec64.pth"
check "the test file's MD5 starts with 01ec64" test "$(md5sum "$tmp/mirror/sam_vit_b_01ec64.pth" | cut -c1-6)" = 01ec64
check "a matching MD5 prefix is accepted" dl --dir "$tmp/d" SAM-ViT-B
check "it is saved under the released name" cmp -s "$tmp/mirror/sam_vit_b_01ec64.pth" "$tmp/d/sam_vit_b_01ec64.pth"

# 5. Not a zip archive: refused.
echo "an HTML error page" >"$tmp/mirror/mobile_sam.pt"
out=$(dl --dir "$tmp/e" MobileSAM 2>&1); rc=$?
check "a file that is not a zip archive fails" test $rc -ne 0
check "the error says so" grep -q "mobile_sam.pt: not a zip archive" <<<"$out"
check "nothing is left under the final name" test ! -e "$tmp/e/mobile_sam.pt"

# 6. A missing source fails clearly; unknown names list the SAM names.
out=$(dl --dir "$tmp/f" SAM-ViT-H 2>&1); rc=$?
check "a missing source fails" test $rc -ne 0
check "the error names the file and the address" grep -q "sam_vit_h_4b8939.pth: download failed from file://" <<<"$out"
out=$(dl --dir "$tmp/g" SAM-ViT-Z 2>&1); rc=$?
check "an unknown name fails" test $rc -ne 0
check "the known names include the SAM names" grep -q "unknown model 'SAM-ViT-Z'.*MobileSAM" <<<"$out"

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

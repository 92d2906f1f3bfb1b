#!/usr/bin/env bash
# Fetches OpenAI CLIP models and the BPE vocabulary, or Segment Anything
# checkpoints, into the models directory.
#
#   gst-refseg-download [--dir DIR] [--from URL] NAME...
#
# (installed under that name by meson install; scripts/download-models.sh in
# a source tree).
#
# NAME: RN50, ViT-B/32, ViT-B/16, ViT-L/14 or vocab (the vocabulary is fetched
# with every CLIP model anyway); or a proposal model for refsegproposals
# model=NAME: MobileSAM (mobile_sam.pt), SAM-ViT-B (sam_vit_b_01ec64.pth),
# SAM-ViT-L (sam_vit_l_0b3195.pth), SAM-ViT-H (sam_vit_h_4b8939.pth). DIR defaults to $REFSEG_MODELS_DIR's first entry,
# else ${XDG_DATA_HOME:-~/.local/share}/gst-refseg/models: the first places
# the elements look. --from replaces OpenAI's address with a mirror laid out
# as URL/<sha256>/<file> (also what the tests use, with file:// URLs); for the
# SAM names it replaces the official address with URL/<file>.
#
# Each file is downloaded to DIR/.<file>.part (an interrupted download
# resumes from there), its SHA-256 is checked, and only then is it renamed to
# its final name: a file under the final name is always complete. SAM's
# releases publish no SHA-256: their file names carry the first six hex
# digits of the file's MD5 (sam_vit_b_01ec64.pth: MD5 01ec64...), which is
# checked; MobileSAM publishes no checksum: its size is checked against the
# size the server announces. Every SAM file must be a zip archive (torch.save).
set -euo pipefail

openai=https://openaipublic.azureedge.net/clip/models
vocab_url=https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz

# name -> "sha256 file" (SHA-256s from OpenAI's download addresses)
declare -A models=(
  [RN50]="afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762 RN50.pt"
  [ViT-B/32]="40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af ViT-B-32.pt"
  [ViT-B/16]="5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f ViT-B-16.pt"
  [ViT-L/14]="b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836 ViT-L-14.pt"
)
# name -> "md5-prefix file url" (the official releases; "-": no checksum published)
declare -A sam_models=(
  [MobileSAM]="- mobile_sam.pt https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt"
  [SAM-ViT-B]="01ec64 sam_vit_b_01ec64.pth https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
  [SAM-ViT-L]="0b3195 sam_vit_l_0b3195.pth https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth"
  [SAM-ViT-H]="4b8939 sam_vit_h_4b8939.pth https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth"
)
vocab_sha=924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a
vocab_file=bpe_simple_vocab_16e6.txt.gz

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

dir=""
mirror=""
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    --from) mirror=${2:?--from needs a URL}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -gt 0 ] || { usage >&2; exit 2; }
if [ -z "$dir" ]; then
  dir=${REFSEG_MODELS_DIR%%:*}
  [ -n "$dir" ] || dir=${XDG_DATA_HOME:-$HOME/.local/share}/gst-refseg/models
fi
mkdir -p "$dir" || die "cannot create $dir"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

# fetch URL SHA256 FILE
fetch() {
  local url=$1 sha=$2 file=$3
  local final="$dir/$file" part="$dir/.$file.part"
  if [ -f "$final" ] && echo "$sha  $final" | sha256sum --check --status; then
    echo "$file: already present and verified"
    return 0
  fi
  echo "$file: downloading $url"
  if ! curl --fail --silent --show-error --location --retry 3 --continue-at - --output "$part" "$url"; then
    # A server that cannot resume answers 416 for a complete .part: check it.
    if ! { [ -f "$part" ] && echo "$sha  $part" | sha256sum --check --status; }; then
      die "$file: download failed from $url (partial data kept in $part; run again to resume)"
    fi
  fi
  if ! echo "$sha  $part" | sha256sum --check --status; then
    local got
    got=$(sha256sum "$part" | cut -d' ' -f1)
    rm -f "$part"
    die "$file: SHA-256 mismatch (expected $sha, got $got); the corrupt download was removed"
  fi
  mv -f "$part" "$final"
  echo "$file: verified, saved as $final"
}

# The size the server announces for URL (last Content-Length after
# redirects), empty when it announces none.
announced_size() {
  curl --silent --location --head "$1" 2>/dev/null | tr -d '\r' |
    awk 'tolower($1) == "content-length:" { n = $2 } END { if (n != "") print n }'
}

# sam_check FILE MD5PREFIX ANNOUNCED: prints what is wrong with FILE, nothing when it is good.
sam_check() {
  local file=$1 prefix=$2 announced=$3
  if [ "$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')" != 504b0304 ]; then
    echo "not a zip archive (a torch.save checkpoint is one)"
  elif [ "$prefix" != - ]; then
    local md5
    md5=$(md5sum "$file" | cut -d' ' -f1)
    [ "${md5:0:${#prefix}}" = "$prefix" ] || echo "MD5 mismatch (expected $prefix..., got $md5)"
  elif [ -n "$announced" ] && [ "$(stat -c %s "$file")" != "$announced" ]; then
    echo "size mismatch (the server announced $announced bytes, got $(stat -c %s "$file"))"
  fi
}

# fetch_sam URL MD5PREFIX FILE: as fetch, with sam_check instead of the SHA-256.
fetch_sam() {
  local url=$1 prefix=$2 file=$3
  local final="$dir/$file" part="$dir/.$file.part" announced="" wrong
  if [ -f "$final" ] && [ "$prefix" != - ] && [ -z "$(sam_check "$final" "$prefix" "")" ]; then
    echo "$file: already present and verified"
    return 0
  fi
  [ "$prefix" != - ] || announced=$(announced_size "$url")
  if [ -f "$final" ] && [ -n "$announced" ] && [ -z "$(sam_check "$final" - "$announced")" ]; then
    echo "$file: already present (size as announced)"
    return 0
  fi
  echo "$file: downloading $url"
  if ! curl --fail --silent --show-error --location --retry 3 --continue-at - --output "$part" "$url"; then
    # A server that cannot resume answers 416 for a complete .part: check it.
    if ! { [ -f "$part" ] && [ -z "$(sam_check "$part" "$prefix" "$announced")" ]; }; then
      die "$file: download failed from $url (partial data kept in $part; run again to resume)"
    fi
  fi
  wrong=$(sam_check "$part" "$prefix" "$announced")
  if [ -n "$wrong" ]; then
    rm -f "$part"
    die "$file: $wrong; the corrupt download was removed"
  fi
  mv -f "$part" "$final"
  echo "$file: verified, saved as $final"
}

url_for() {  # SHA FILE DEFAULT_URL
  if [ -n "$mirror" ]; then echo "$mirror/$1/$2"; else echo "$3"; fi
}

want_vocab=0
for name in "${names[@]}"; do
  [ -n "${sam_models[$name]:-}" ] && continue
  [ "$name" = vocab ] || [ -n "${models[$name]:-}" ] ||
    die "unknown model '$name' (known: ${!models[*]} vocab ${!sam_models[*]})"
  want_vocab=1
done
[ $want_vocab = 0 ] || fetch "$(url_for $vocab_sha $vocab_file $vocab_url)" $vocab_sha $vocab_file
for name in "${names[@]}"; do
  [ "$name" = vocab ] && continue
  if [ -n "${sam_models[$name]:-}" ]; then
    read -r prefix file url <<<"${sam_models[$name]}"
    [ -z "$mirror" ] || url="$mirror/$file"
    fetch_sam "$url" "$prefix" "$file"
    continue
  fi
  read -r sha file <<<"${models[$name]}"
  fetch "$(url_for "$sha" "$file" "$openai/$sha/$file")" "$sha" "$file"
done

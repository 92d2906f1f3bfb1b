#!/usr/bin/env bash
# Fetches OpenAI CLIP models and the BPE vocabulary into the models directory.
#
#   gst-refseg-download [--dir DIR] [--from URL] NAME...
#
# (installed under that name by meson install; scripts/download-models.sh in
# a source tree).
#
# NAME: RN50, ViT-B/32, ViT-B/16, ViT-L/14 or vocab (the vocabulary is fetched
# with every model anyway). DIR defaults to $REFSEG_MODELS_DIR's first entry,
# else ${XDG_DATA_HOME:-~/.local/share}/gst-refseg/models: the first places
# the elements look. --from replaces OpenAI's address with a mirror laid out
# as URL/<sha256>/<file> (also what the tests use, with file:// URLs).
#
# Each file is downloaded to DIR/.<file>.part (an interrupted download
# resumes from there), its SHA-256 is checked, and only then is it renamed to
# its final name: a file under the final name is always complete.
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

url_for() {  # SHA FILE DEFAULT_URL
  if [ -n "$mirror" ]; then echo "$mirror/$1/$2"; else echo "$3"; fi
}

for name in "${names[@]}"; do
  [ "$name" = vocab ] || [ -n "${models[$name]:-}" ] || die "unknown model '$name' (known: ${!models[*]} vocab)"
done
fetch "$(url_for $vocab_sha $vocab_file $vocab_url)" $vocab_sha $vocab_file
for name in "${names[@]}"; do
  [ "$name" = vocab ] && continue
  read -r sha file <<<"${models[$name]}"
  fetch "$(url_for "$sha" "$file" "$openai/$sha/$file")" "$sha" "$file"
done

#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, -Dfuzz=enabled) in
# ${BUILD_DIR:-build-fuzz} and runs each for SECONDS (default 30) from its
# seed corpus in fuzz/corpus/<target>/. New inputs go to a scratch corpus
# (the committed seeds are never rewritten); a crash, a broken property
# (__builtin_trap) or an input slower than ${FUZZ_TIMEOUT:-20} s stops the
# run, leaves the input in ${FUZZ_OUT:-build-fuzz/findings}/ and exits
# non-zero. Without clang it says so and exits 77 (skipped). A run ends
# with "fuzz: N passed, N failed", one count per target (.ci/run adds them
# to the tests'); --list prints the targets and exits.
#
#   scripts/fuzz.sh            # 30 s per target (CI)
#   scripts/fuzz.sh 3600       # a long run
#   FUZZ_TARGETS=fuzz_noun_phrase scripts/fuzz.sh 600
#   scripts/fuzz.sh --list     # fuzz_tokenizer fuzz_noun_phrase fuzz_meta
set -uo pipefail
cd "$(dirname "$0")/.."
targets=${FUZZ_TARGETS:-fuzz_tokenizer fuzz_noun_phrase fuzz_meta}
if [ "${1:-}" = "--list" ]; then
  echo $targets
  exit 0
fi
seconds=${1:-30}
build=${BUILD_DIR:-build-fuzz}
out=${FUZZ_OUT:-$build/findings}
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found: fuzz targets skipped"
  exit 77
fi
if [ ! -f "$build/build.ninja" ]; then
  # GStreamer is found (the meta target needs it) but without OpenCV the
  # elements are not configured: only what the fuzz targets link is built.
  CC=clang CXX=clang++ meson setup "$build" -Dfuzz=enabled -Dopencv=disabled \
    >/dev/null || exit 1
fi
ninja_targets=()
for t in $targets; do ninja_targets+=("fuzz/$t"); done
ninja -C "$build" "${ninja_targets[@]}" || exit 1
mkdir -p "$out"
status=0
passed=0
failed=0
# Library constructors' one-time allocations are not leaks (fuzz/lsan.supp).
# Matching them needs whole stacks, and slow unwinding on every malloc makes
# link-grammar's inputs time out, so only fuzz_meta (GLib, GStreamer) gets
# it: 20000 inputs in about 6 s here instead of 1.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
asan_options=${ASAN_OPTIONS:-}
for t in $targets; do
  seeds=fuzz/corpus/${t#fuzz_}
  scratch=$build/corpus/$t
  mkdir -p "$scratch"
  export ASAN_OPTIONS=$asan_options
  [ "$t" = fuzz_meta ] && export ASAN_OPTIONS="fast_unwind_on_malloc=0${asan_options:+:$asan_options}"
  echo "== $t: ${seconds} s from $seeds"
  # FUZZ_RUNS (with FUZZ_SEED) makes a run reproducible: a fixed number of
  # inputs from a fixed seed, whatever the machine's speed (CI uses it).
  limit=(-max_total_time="$seconds")
  [ -n "${FUZZ_RUNS:-}" ] && limit+=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
  if ! "$build/fuzz/$t" "${limit[@]}" -max_len=512 -timeout="${FUZZ_TIMEOUT:-20}" \
      -artifact_prefix="$out/$t-" -print_final_stats=1 "$scratch" "$seeds" 2>"$out/$t.log"; then
    echo "FAIL: $t (log: $out/$t.log, input: $out/$t-*)"
    tail -30 "$out/$t.log"
    status=1
    failed=$((failed + 1))
  else
    grep -E "^stat::(number_of_executed_units|slowest_unit_time_sec|peak_rss_mb)" "$out/$t.log"
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status

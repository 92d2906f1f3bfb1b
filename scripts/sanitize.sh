#!/usr/bin/env bash
# The project's memory and undefined-behaviour check: builds with
# AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer) in its
# own build directory, ${BUILD_DIR:-build-asan}, and runs the whole suite
# under them. scripts/sanitize.supp silences leaks in third-party start-up
# code only (GLib/GStreamer type registration, LibTorch, OpenCV,
# link-grammar, fontconfig); anything reported in project or test code fails
# the test that triggered it. Arguments go to `meson test` (test names,
# --suite ...). Slow: a fresh build takes ~30 min on 2 cores, the suite
# several times its plain duration.
#
#   scripts/sanitize.sh                 # everything
#   scripts/sanitize.sh noun_phrase test_encoder_selector
#   JOBS=1 scripts/sanitize.sh          # compile jobs (default: all cores)
#   TARGETS="tests/language/test_noun_phrase tests/language/test_phrase_resolver" \
#     scripts/sanitize.sh noun_phrase phrase_resolver   # build only those, run those
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD_DIR:-build-asan}
# debugoptimized carries debug info, whose compilation directory would name
# the build tree inside every installed binary (test_install checks that
# nothing installed names the source or build tree; the release build has no
# debug info). Map that prefix in the debug info only: __FILE__ and string
# literals are left alone, so a real path baked into the code still fails.
prefix_map="-fdebug-prefix-map=$root=."
options=(-Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lundef=false
  "-Dc_args=$prefix_map" "-Dcpp_args=$prefix_map")
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" "${options[@]}" >/dev/null
else
  meson setup "$build" "${options[@]}" >/dev/null
fi
rebuild=()
if [ -n "${TARGETS:-}" ]; then
  # shellcheck disable=SC2086 # a list of ninja targets
  ninja -C "$build" -j "${JOBS:-$(nproc)}" $TARGETS
  rebuild=(--no-rebuild)
else
  ninja -C "$build" -j "${JOBS:-$(nproc)}"
fi

# gst-plugin-scanner is not instrumented and cannot load an instrumented
# plugin: scan in the test process itself.
export GST_REGISTRY_FORK=no
# gst-check forks a child per test by default; in a child, memory that only
# the parent's other threads point to (GLib's worker thread) is unreachable
# and LeakSanitizer reports it (49 KB from g_malloc per child). Tests run in
# the test process itself, where those threads exist.
export CK_FORK=no
# fast_unwind_on_malloc=0: Debian's GLib and GStreamer have no frame
# pointers, so the fast unwinder stops a leak's stack at g_malloc and no
# suppression below it (type registration, the quark table) can match.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:print_summary=1:fast_unwind_on_malloc=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/scripts/sanitize.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
# Tests that are scripts (bash, python3) get the sanitizer runtimes
# preloaded by the wrapper, so that the instrumented plugin loads into them.
export REFSEG_ASAN_RUNTIME
REFSEG_ASAN_RUNTIME="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
meson test -C "$build" "${rebuild[@]}" --print-errorlogs --num-processes "${TEST_JOBS:-1}" \
  --timeout-multiplier "${TIMEOUT_MULTIPLIER:-6}" --wrapper "$root/scripts/sanitize-wrapper.sh" "$@"

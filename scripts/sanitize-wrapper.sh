#!/usr/bin/env bash
# scripts/sanitize.sh runs every test through this. An instrumented test
# program runs as it is. An interpreter (bash, python3) is not instrumented:
# it gets the sanitizer runtimes preloaded so that an instrumented plugin or
# program it starts can load, and no leak check of its own (the
# interpreter's exit-time allocations are not the project's). Programs it
# starts inherit the preload and the settings.
#
# A test that starts no instrumented code in an uninstrumented program sets
# REFSEG_SANITIZE_PRELOAD=no (tests/scripts/meson.build): it runs without the
# preload. curl, which scripts/download-models.sh runs, deadlocks at start-up
# with GCC 12's libasan preloaded (setlocale(LC_CTYPE) waits forever on
# glibc's locale lock after setlocale(LC_ALL, "")), so test_download and
# test_plain_clone hung until their timeouts.
prog=$1
if ldd "$prog" 2>/dev/null | grep -q 'libasan\.so'; then
  exec "$@"
fi
if [ "${REFSEG_SANITIZE_PRELOAD:-yes}" = no ]; then
  exec "$@"
fi
export LD_PRELOAD="${REFSEG_ASAN_RUNTIME}${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
exec "$@"

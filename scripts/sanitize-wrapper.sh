#!/usr/bin/env bash
# scripts/sanitize.sh runs every test through this. An instrumented test
# program runs as it is. An interpreter (bash, python3) is not instrumented:
# it gets the sanitizer runtimes preloaded so that an instrumented plugin or
# program it starts can load, and no leak check of its own (the
# interpreter's exit-time allocations are not the project's). Programs it
# starts inherit the preload and the settings.
prog=$1
if ldd "$prog" 2>/dev/null | grep -q 'libasan\.so'; then
  exec "$@"
fi
export LD_PRELOAD="${REFSEG_ASAN_RUNTIME}${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
exec "$@"

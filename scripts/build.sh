#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), configures and builds into
# ${BUILD_DIR:-build}. Safe to re-run: an existing build directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=${BUILD_DIR:-build}
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi
# Two LibTorch translation units need ~1 GB each: cap the jobs by memory too.
ninja -C "$build" -j "$(nproc)"

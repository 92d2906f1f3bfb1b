#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), configures and builds into
# ${BUILD_DIR:-build}. Safe to re-run: an existing build directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build=${BUILD_DIR:-build}
echo "build: configuring $build (meson)"
if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi
echo "build: compiling (ninja prints [done/total] as it goes)"
# Two LibTorch translation units need ~1 GB each: cap the jobs by memory too.
ninja -C "$build" -j "$(nproc)"

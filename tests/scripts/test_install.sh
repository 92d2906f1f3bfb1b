#!/usr/bin/env bash
# meson install into a temporary DESTDIR, then the installed plugin is used
# as a user of a prefix install uses it: only the installed plugin directory
# on GST_PLUGIN_PATH, a fresh registry, no LD_LIBRARY_PATH, no
# REFSEG_MODELS_DIR, run from outside the source tree. Also: everything lands
# under the prefix, nothing installed names the source or build tree, the
# download script is the command gst-refseg-download, and a missing model's
# error names that command.
#
#   test_install.sh SOURCE_DIR BUILD_DIR PREFIX PLUGIN_DIR BIN_DIR DATA_DIR
set -u
src=$1 build=$2 prefix=$3 plugindir=$4 bindir=$5 datadir=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

root=$tmp/root
if ! meson install -C "$build" --no-rebuild --quiet --destdir "$root" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAIL: meson install --destdir"
  exit 1
fi
echo "installed into DESTDIR $root (prefix $prefix)"

# 1. Everything under the prefix, in GStreamer's layout.
outside=$(cd "$root" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" || true)
check "every installed file is under the prefix $prefix" test -z "$outside"
[ -z "$outside" ] || echo "$outside"
plugin=$root$plugindir/libgstrefseg.so
check "the plugin is in the prefix's GStreamer plugin directory" test -f "$plugin"
check "gst-refseg-download is installed as a command" test -x "$root$bindir/gst-refseg-download"
check "refseg-tiny is in the data directory" test -f "$root$datadir/models/refseg-tiny.pt"
check "the public header is installed" \
  test -f "$root$prefix/include/gstreamer-1.0/gst/refseg/refsegmeta.h"

# 2. Nothing installed points into the source or the build tree (the
#    installed data directory it knows instead is checked in 4).
check "no installed file names the source tree $src" \
  test -z "$(grep -rlF "$src" "$root" 2>/dev/null)"
check "no installed file names the build tree $build" \
  test -z "$(grep -rlF "$build" "$root" 2>/dev/null)"
runpath=$(readelf -d "$plugin" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
echo "plugin RUNPATH: $runpath"
check "the plugin's RUNPATH finds the metadata library beside its directory" \
  grep -qF '$ORIGIN/..' <<<"$runpath"

# 3. The installed plugin, found through GST_PLUGIN_PATH alone. refseg-tiny
#    is found by name in <prefix>/share/gst-refseg/models: under DESTDIR that
#    directory is reached as $XDG_DATA_HOME/gst-refseg/models, the same
#    layout searched by the same rule.
mkdir -p "$tmp/home" "$tmp/cwd"
installed() {
  (cd "$tmp/cwd" && env -u LD_LIBRARY_PATH -u REFSEG_MODELS_DIR -u REFSEG_CLIP_VOCAB \
    -u GST_PLUGIN_PATH_1_0 HOME="$tmp/home" XDG_DATA_HOME="$root$prefix/share" \
    GST_PLUGIN_PATH="$root$plugindir" GST_REGISTRY_1_0="$tmp/registry.bin" "$@")
}
out=$(installed gst-inspect-1.0 refseg 2>&1)
check "gst-inspect-1.0 loads the installed plugin" \
  grep -qF "$plugin" <<<"$(grep -i filename <<<"$out")"
[ $failures -eq 0 ] || echo "$out" | head -20
out=$(installed gst-launch-1.0 refsegworldsrc num-buffers=2 ! \
  refsegbin model=refseg-tiny text="the red circle" ! fakesink 2>&1)
rc=$?
check "a pipeline runs with the installed plugin and model" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out" | tail -20

# 4. A model that is not installed: the error names the installed command.
out=$(installed gst-launch-1.0 refsegworldsrc num-buffers=1 ! \
  refsegbin model=ViT-B/32 text="a dog" ! fakesink 2>&1)
rc=$?
check "a missing model fails the pipeline" test $rc -ne 0
check "and its error says gst-refseg-download ViT-B/32" grep -qF "gst-refseg-download ViT-B/32" <<<"$out"
check "the installed plugin looked in the installed data directory $datadir/models" \
  grep -qF "$datadir/models/ViT-B-32.pt" <<<"$out"
check "and nowhere in the source tree" test -z "$(grep -F "$src" <<<"$out")"
[ $failures -eq 0 ] || echo "$out" | tail -20
out=$(installed "$root$bindir/gst-refseg-download" --dir "$tmp/models" ViT-Z/99 2>&1)
check "gst-refseg-download names itself in its errors" \
  grep -qF "gst-refseg-download: unknown model 'ViT-Z/99'" <<<"$out"

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }

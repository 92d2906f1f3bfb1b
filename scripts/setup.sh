#!/usr/bin/env bash
# Installs every Debian 12 package gst-refseg needs to build, test and run its
# demo. Idempotent: packages already present are skipped by apt itself.
set -euo pipefail

packages=(
  # build
  meson ninja-build g++ pkg-config
  # model download (scripts/download-models.sh)
  curl
  # GStreamer 1.22: core, base (video), check, tools and the elements the
  # demo and tests use (videotestsrc, videoconvert, pngenc, mp4mux, x264enc)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  # decoders for users' own files (H.264 and the rest of libav: decodebin needs them)
  gstreamer1.0-libav
  # a window for autovideosink (README's camera pipelines): ximagesink, xvimagesink
  gstreamer1.0-x
  # Python access to the metadata (PyGObject alone, no compiled bindings)
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  # inference core (SLEEF: the vector erf of the SAM upscaling's AVX-512 passes)
  libtorch-dev libsleef-dev libopencv-dev libopencv-contrib-dev
  # LibTorch calls whatever libblas.so.3 is selected; the reference BLAS is
  # ~10x slower than OpenBLAS for the matmuls CLIP is made of
  libopenblas0-pthread
  # the refer annotations of the RefCOCO evaluation (tools/evaluate_refcoco)
  nlohmann-json3-dev
  # target noun phrase
  liblink-grammar-dev link-grammar-dictionaries-en
  # unit tests
  libgtest-dev
  # refsegpublish: the MQTT client library, and the broker and clients its
  # tests start on loopback; the results schema test (tests/publish)
  libmosquitto-dev mosquitto mosquitto-clients python3-jsonschema
  # the network camera the reconnect test starts on loopback and stops
  # (tests/examples/rtsp_camera.c, built with gst-rtsp-server; the client
  # side, rtspsrc and RTP JPEG, is in gstreamer1.0-plugins-good)
  libgstrtspserver-1.0-dev
)
# --dev: what regenerating the committed test fixtures needs (not CI)
if [ "${1:-}" = "--dev" ]; then
  packages+=(python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # Not -qq: apt's own lines (Get:, Unpacking, Setting up) show the progress.
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: every package the project needs is installed"
fi

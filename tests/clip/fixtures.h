// Paths of the committed CLIP fixtures (scripts/make_clip_fixtures.py), a
// reader for their parity tensors, and seeded test frames.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "clip/openai_weights.h"
#include "common/image_view.h"

namespace refseg::clip::fixtures {

inline std::string fixture_path(const std::string &name) {
  const char *dir = std::getenv("REFSEG_CLIP_FIXTURES");
  return (dir ? std::string(dir) : std::string(REFSEG_SOURCE_DIR "/tests/fixtures/clip")) + "/" +
         name;
}

// images, text, image_features, text_features of a fixture, traced in fp32.
inline NamedTensors parity_tensors(const std::string &model) {
  return read_torchscript_tensors(fixture_path(model + "_parity.pt"));
}

// An owned RGB frame with seeded random pixels.
struct Frame {
  int width, height;
  std::vector<uint8_t> rgb;
  Frame(int w, int h, unsigned seed) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
    std::mt19937 gen(seed);
    for (auto &p : rgb) p = static_cast<uint8_t>(gen() & 255);
  }
  ImageView view() const { return {rgb.data(), width, height, width * 3, PixelLayout::RGB}; }
  uint8_t *at(int x, int y) { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
};

}  // namespace refseg::clip::fixtures

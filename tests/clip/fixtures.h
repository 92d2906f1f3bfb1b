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
#include "common/region_mask.h"

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

// Two overlapping box masks on a width x height frame: the top-left
// quarter, and a quarter-sized box a third of the way in.
inline std::vector<RegionMask> two_masks(int width, int height) {
  std::vector<RegionMask> masks(2);
  masks[0].box = {0, 0, width / 2, height / 2};
  masks[1].box = {width / 3, height / 4, width / 2, height / 2};
  for (auto &m : masks) m.pixels.assign(static_cast<size_t>(m.box.width) * m.box.height, 255);
  return masks;
}

}  // namespace refseg::clip::fixtures

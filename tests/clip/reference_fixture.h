// The frames and masks of tests/fixtures/reference/ (written by
// scripts/make_reference_fixtures.py), rebuilt from the same integer
// formulas, and a reader for the fixture files: shared by
// test_reference_preprocess and tools/compare_preprocess.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::clip::reference_fixture {

using Entries = std::map<std::string, std::vector<double>>;

// `name` is a path ending in .txt or the name of a committed fixture.
inline Entries read_fixture(const std::string &name) {
  const bool is_path = name.size() > 4 && name.compare(name.size() - 4, 4, ".txt") == 0;
  const std::string path =
      is_path ? name : REFSEG_SOURCE_DIR "/tests/fixtures/reference/" + name + ".txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Entries entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error(path + ": no ':' in line " + line);
    std::istringstream values(line.substr(colon + 1));
    auto &v = entries[line.substr(0, colon)];
    for (double x; values >> x;) v.push_back(x);
  }
  return entries;
}

inline const std::vector<double> &entry(const Entries &e, const std::string &key) {
  const auto it = e.find(key);
  if (it == e.end()) throw std::runtime_error("fixture has no " + key);
  return it->second;
}

// The script's frame_pixels().
struct SyntheticFrame {
  int width, height;
  std::vector<uint8_t> rgb;
  SyntheticFrame(int w, int h) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t c = 0; c < 3; ++c) {
          const int64_t k = x * 131 + y * 197 + c * 61;
          rgb[static_cast<size_t>((y * w + x) * 3 + c)] =
              static_cast<uint8_t>((x * 5 + y * 3 + c * 70 + (k * k) % 61) % 256);
        }
  }
  ImageView view() const { return {rgb.data(), width, height, width * 3, PixelLayout::RGB}; }
};

// The script's ellipse_mask(), stored inside its box as the proposals give it.
inline RegionMask fixture_mask(const std::vector<double> &p) {
  const int64_t bx = static_cast<int64_t>(p[0]), by = static_cast<int64_t>(p[1]);
  const int64_t bw = static_cast<int64_t>(p[2]), bh = static_cast<int64_t>(p[3]);
  const int64_t cx2 = static_cast<int64_t>(p[4]), cy2 = static_cast<int64_t>(p[5]);
  const int64_t a2 = static_cast<int64_t>(p[6]), b2 = static_cast<int64_t>(p[7]);
  RegionMask m;
  m.box = {static_cast<int>(bx), static_cast<int>(by), static_cast<int>(bw), static_cast<int>(bh)};
  m.pixels.resize(static_cast<size_t>(bw * bh));
  for (int64_t y = by; y < by + bh; ++y)
    for (int64_t x = bx; x < bx + bw; ++x) {
      const int64_t dx = 2 * x + 1 - cx2, dy = 2 * y + 1 - cy2;
      const bool inside = dx * dx * b2 * b2 + dy * dy * a2 * a2 <= a2 * a2 * b2 * b2;
      m.pixels[static_cast<size_t>((y - by) * bw + (x - bx))] = inside ? 255 : 0;
    }
  return m;
}

// The masks mask0, mask1, ... of a fixture.
inline std::vector<RegionMask> fixture_masks(const Entries &e) {
  std::vector<RegionMask> out;
  for (int i = 0; e.count("mask" + std::to_string(i)); ++i)
    out.push_back(fixture_mask(entry(e, "mask" + std::to_string(i))));
  return out;
}

}  // namespace refseg::clip::reference_fixture

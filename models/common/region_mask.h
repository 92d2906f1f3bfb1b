// A binary mask stored inside its bounding box: what a proposal generator
// produces, what the encoder consumes and what the frame metadata carries.
// Storing the box crop instead of a frame-sized plane keeps a 4K frame with
// 20 small proposals at kilobytes instead of 160 MB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace refseg {

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
  int area() const { return width * height; }
  bool empty() const { return width <= 0 || height <= 0; }
};

struct RegionMask {
  Box box;                      // in frame pixels
  std::vector<uint8_t> pixels;  // box.width * box.height, row-major, 0 or 255
  float score = 0.f;            // generator's confidence or rank score, higher is better

  bool contains(int fx, int fy) const {
    const int lx = fx - box.x, ly = fy - box.y;
    return lx >= 0 && ly >= 0 && lx < box.width && ly < box.height &&
           pixels[static_cast<size_t>(ly) * box.width + lx] != 0;
  }
  size_t area() const {
    size_t n = 0;
    for (uint8_t p : pixels) n += p != 0;
    return n;
  }
};

}  // namespace refseg

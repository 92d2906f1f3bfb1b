// A binary mask stored inside its bounding box: what a proposal generator
// produces, what the encoder consumes and what the frame metadata carries.
// Storing the box crop instead of a frame-sized plane keeps a 4K frame with
// 20 small proposals at kilobytes instead of 160 MB.
#pragma once

#include <algorithm>
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

// Intersection over union of two box-cropped masks (0 when both are empty).
inline double mask_iou(const RegionMask &a, const RegionMask &b) {
  const double area_a = static_cast<double>(a.area()), area_b = static_cast<double>(b.area());
  const int x0 = std::max(a.box.x, b.box.x), y0 = std::max(a.box.y, b.box.y);
  const int x1 = std::min(a.box.x + a.box.width, b.box.x + b.box.width);
  const int y1 = std::min(a.box.y + a.box.height, b.box.y + b.box.height);
  double inter = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t *ra = &a.pixels[static_cast<size_t>(y - a.box.y) * a.box.width - a.box.x];
    const uint8_t *rb = &b.pixels[static_cast<size_t>(y - b.box.y) * b.box.width - b.box.x];
    for (int x = x0; x < x1; ++x) inter += (ra[x] != 0) & (rb[x] != 0);
  }
  const double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace refseg

// A packed RGB copy of an analysed frame, to tell how much a later frame
// changed from it: what reuse of proposals (proposals/proposal_reuse.h) and
// of features (runtime/feature_reuse.h) decide on.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg {

class FrameSnapshot {
 public:
  void keep(const ImageView &frame) {
    width_ = frame.width;
    height_ = frame.height;
    rgb_.resize(static_cast<size_t>(width_) * height_ * 3);
    const int bpp = bytes_per_pixel(frame.layout), red = red_offset(frame.layout);
    for (int y = 0; y < height_; ++y) {
      const uint8_t *src = frame.row(y);
      uint8_t *dst = &rgb_[static_cast<size_t>(y) * width_ * 3];
      for (int x = 0; x < width_; ++x, src += bpp, dst += 3) {
        dst[0] = src[red];
        dst[1] = src[1];
        dst[2] = src[2 - red];
      }
    }
  }
  void clear() {
    width_ = height_ = 0;
    rgb_.clear();
  }
  bool empty() const { return rgb_.empty(); }
  // A change can only be measured against a frame of the same size.
  bool same_size(const ImageView &frame) const {
    return !empty() && frame.width == width_ && frame.height == height_;
  }

  // Mean |difference| per channel (0-255) between `frame` (same_size())
  // and the kept one over `box`, clipped to the frame; 0 for an empty box.
  double mean_change(const ImageView &frame, Box box) const {
    const int x0 = std::max(0, box.x), y0 = std::max(0, box.y);
    const int x1 = std::min(frame.width, box.x + box.width);
    const int y1 = std::min(frame.height, box.y + box.height);
    if (x1 <= x0 || y1 <= y0) return 0;
    const int bpp = bytes_per_pixel(frame.layout), red = red_offset(frame.layout);
    uint64_t sum = 0;
    for (int y = y0; y < y1; ++y) {
      const uint8_t *now = frame.row(y) + static_cast<long>(x0) * bpp;
      const uint8_t *then = &rgb_[(static_cast<size_t>(y) * width_ + x0) * 3];
      for (int x = x0; x < x1; ++x, now += bpp, then += 3)
        sum += std::abs(now[red] - then[0]) + std::abs(now[1] - then[1]) +
               std::abs(now[2 - red] - then[2]);
    }
    return static_cast<double>(sum) / (3.0 * (x1 - x0) * (y1 - y0));
  }

  // The largest mean_change() over tiles of kTile x kTile pixels: a small
  // object that moved changes its tile a lot and the whole frame's mean
  // hardly at all (a 20-pixel shape is 0.1% of 640x480), so "the frame
  // barely changed" is asked of every part of it.
  static constexpr int kTile = 32;
  double largest_tile_change(const ImageView &frame) const {
    double largest = 0;
    for (int y = 0; y < frame.height; y += kTile)
      for (int x = 0; x < frame.width; x += kTile)
        largest = std::max(largest, mean_change(frame, {x, y, kTile, kTile}));
    return largest;
  }

 private:
  int width_ = 0, height_ = 0;
  std::vector<uint8_t> rgb_;
};

}  // namespace refseg

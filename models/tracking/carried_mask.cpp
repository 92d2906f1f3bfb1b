#include "tracking/carried_mask.h"

#include <algorithm>
#include <cmath>

namespace refseg::tracking {

RegionMask CarriedMask::current(int frame_width, int frame_height) const {
  const int sx = static_cast<int>(std::lround(offset_.dx));
  const int sy = static_cast<int>(std::lround(offset_.dy));
  const Box &b = origin_.box;
  RegionMask out;
  out.score = origin_.score;
  if (sx == 0 && sy == 0) {
    out = origin_;
    return out;
  }
  const int x0 = std::max(0, b.x + sx), y0 = std::max(0, b.y + sy);
  const int x1 = std::min(frame_width, b.x + sx + b.width);
  const int y1 = std::min(frame_height, b.y + sy + b.height);
  if (x1 <= x0 || y1 <= y0) return out;
  out.box = {x0, y0, x1 - x0, y1 - y0};
  out.pixels.resize(static_cast<size_t>(out.box.width) * out.box.height);
  for (int y = y0; y < y1; y++) {
    const uint8_t *src =
        &origin_.pixels[static_cast<size_t>(y - sy - b.y) * b.width + (x0 - sx - b.x)];
    std::copy(src, src + out.box.width, &out.pixels[static_cast<size_t>(y - y0) * out.box.width]);
  }
  return out;
}

}  // namespace refseg::tracking

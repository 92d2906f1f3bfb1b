#include "refcoco/refcoco_metric.h"

#include <algorithm>

namespace refseg::refcoco {

Overlap overlap(const RegionMask &p, const PixelMask &target) {
  int64_t inter = 0, predicted = 0;
  const int x0 = std::max(p.box.x, 0), y0 = std::max(p.box.y, 0);
  const int x1 = std::min(p.box.x + p.box.width, target.width);
  const int y1 = std::min(p.box.y + p.box.height, target.height);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      if (!p.pixels[static_cast<size_t>(y - p.box.y) * p.box.width + (x - p.box.x)]) continue;
      ++predicted;
      inter += target.at(x, y) != 0;
    }
  const int64_t target_area = static_cast<int64_t>(target.count_nonzero());
  return {inter, predicted + target_area - inter};
}

void IouTally::add(const Overlap &o) {
  ++sentences_;
  intersection_ += o.intersection;
  union_sum_ += o.union_;
  iou_sum_ += o.union_ > 0 ? static_cast<double>(o.intersection) / o.union_ : 0.0;
}

void IouTally::add_unanswered(int64_t target_area) {
  ++unanswered_;
  unanswered_union_ += target_area;
}

double IouTally::oiou() const {
  return union_sum_ > 0 ? static_cast<double>(intersection_) / union_sum_ : 0.0;
}

double IouTally::miou() const {
  return sentences_ > 0 ? iou_sum_ / sentences_ : 0.0;
}

double IouTally::strict_oiou() const {
  const int64_t u = union_sum_ + unanswered_union_;
  return u > 0 ? static_cast<double>(intersection_) / u : 0.0;
}

double IouTally::strict_miou() const {
  const int64_t n = sentences_ + unanswered_;
  return n > 0 ? iou_sum_ / n : 0.0;
}

}  // namespace refseg::refcoco

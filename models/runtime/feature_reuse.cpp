#include "runtime/feature_reuse.h"

#include <algorithm>
#include <cstdlib>

namespace refseg {
namespace {

// Mean |difference| per channel between `frame` and the packed RGB `rgb`
// of the same size, over `box` (clipped to the frame).
double mean_change(const ImageView &frame, const std::vector<uint8_t> &rgb, Box box) {
  const int x0 = std::max(0, box.x), y0 = std::max(0, box.y);
  const int x1 = std::min(frame.width, box.x + box.width);
  const int y1 = std::min(frame.height, box.y + box.height);
  if (x1 <= x0 || y1 <= y0) return 0;
  const int bpp = bytes_per_pixel(frame.layout), red = red_offset(frame.layout);
  uint64_t sum = 0;
  for (int y = y0; y < y1; ++y) {
    const uint8_t *now = frame.row(y) + static_cast<long>(x0) * bpp;
    const uint8_t *then = &rgb[(static_cast<size_t>(y) * frame.width + x0) * 3];
    for (int x = x0; x < x1; ++x, now += bpp, then += 3)
      sum += std::abs(now[red] - then[0]) + std::abs(now[1] - then[1]) +
             std::abs(now[2 - red] - then[2]);
  }
  return static_cast<double>(sum) / (3.0 * (x1 - x0) * (y1 - y0));
}

double box_iou(const Box &a, const Box &b) {
  const int w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const int h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const double inter = static_cast<double>(w) * h;
  return inter / (a.area() + b.area() - inter);
}

}  // namespace

FeatureReuse::Plan FeatureReuse::plan(const ImageView &frame,
                                      const std::vector<RegionMask> &masks) const {
  Plan p;
  p.local_from.assign(masks.size(), -1);
  p.global_from.assign(masks.size(), -1);
  if (masks_.empty() || frame.width != width_ || frame.height != height_) return p;
  const bool frame_still =
      mean_change(frame, rgb_, {0, 0, frame.width, frame.height}) <= settings_.max_pixel_change;
  for (size_t i = 0; i < masks.size(); ++i) {
    int best = -1;
    double best_iou = settings_.min_mask_iou;
    for (size_t j = 0; j < masks_.size(); ++j) {
      // Mask IoU >= t needs box IoU >= t: the cheap test first.
      if (box_iou(masks[i].box, masks_[j].box) < settings_.min_mask_iou) continue;
      const double iou = mask_iou(masks[i], masks_[j]);
      if (iou >= best_iou) best = static_cast<int>(j), best_iou = iou;
    }
    if (best < 0) continue;
    if (local_age_[best] < settings_.max_age &&
        mean_change(frame, rgb_, masks[i].box) <= settings_.max_pixel_change)
      p.local_from[i] = best;
    if (frame_still && global_age_[best] < settings_.max_age) p.global_from[i] = best;
  }
  return p;
}

void FeatureReuse::remember(const ImageView &frame, const std::vector<RegionMask> &masks,
                            const EncodedMasks &features, const Plan &plan) {
  std::vector<int> local_age(masks.size(), 0), global_age(masks.size(), 0);
  for (size_t i = 0; i < masks.size(); ++i) {
    if (plan.local_from.size() == masks.size() && plan.local_from[i] >= 0)
      local_age[i] = local_age_[plan.local_from[i]] + 1;
    // A local row that is a copy of the global one (local-crops) is no
    // local feature to keep.
    if (i < features.local_is_crop.size() && !features.local_is_crop[i])
      local_age[i] = settings_.max_age;
    if (plan.global_from.size() == masks.size() && plan.global_from[i] >= 0)
      global_age[i] = global_age_[plan.global_from[i]] + 1;
  }
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
  masks_ = masks;
  features_ = features;
  local_age_ = std::move(local_age);
  global_age_ = std::move(global_age);
}

void FeatureReuse::forget() {
  masks_.clear();
  features_ = {};
  local_age_.clear();
  global_age_.clear();
}

}  // namespace refseg

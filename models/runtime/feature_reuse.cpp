#include "runtime/feature_reuse.h"

#include <algorithm>

namespace refseg {
namespace {

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
  if (masks_.empty() || !snapshot_.same_size(frame)) return p;
  const bool frame_still = snapshot_.largest_tile_change(frame) <= settings_.max_pixel_change;
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
        snapshot_.mean_change(frame, masks[i].box) <= settings_.max_pixel_change)
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
  snapshot_.keep(frame);
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

#include "proposals/proposal_filter.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <opencv2/imgproc.hpp>

namespace refseg {

std::vector<RegionMask> select_candidates(const std::vector<CandidateInfo> &candidates,
                                          const ProposalFilter &filter, double grid_area,
                                          const std::function<RegionMask(size_t)> &render) {
  std::vector<size_t> order;
  const double lo = filter.min_area * grid_area, hi = filter.max_area * grid_area;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double a = candidates[i].area;
    if (a > 0 && a >= lo && a <= hi) order.push_back(i);
  }
  // NaN scores would break the strict weak ordering: they rank last.
  auto key = [&](size_t i) {
    const float s = candidates[i].score;
    return std::isnan(s) ? -INFINITY : s;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t l, size_t r) { return key(l) > key(r); });

  std::vector<size_t> kept;
  std::vector<RegionMask> kept_masks;
  const size_t limit = static_cast<size_t>(std::max(0, filter.max_proposals));
  for (size_t i : order) {
    if (kept.size() >= limit) break;
    RegionMask m = render(i);
    bool duplicate = false;
    for (size_t k = 0; k < kept.size() && !duplicate; ++k) {
      // IoU <= min(area) / max(area), and 0 for disjoint boxes: skip the
      // pixel comparison when those bounds already rule a duplicate out.
      const double a = candidates[i].area, b = candidates[kept[k]].area;
      if (std::min(a, b) < filter.iou_threshold * std::max(a, b)) continue;
      const Box &p = candidates[i].box, &q = candidates[kept[k]].box;
      if (p.x >= q.x + q.width || q.x >= p.x + p.width || p.y >= q.y + q.height ||
          q.y >= p.y + p.height)
        continue;
      duplicate = mask_iou(m, kept_masks[k]) >= filter.iou_threshold;
    }
    if (duplicate) continue;
    kept.push_back(i);
    kept_masks.push_back(std::move(m));
  }
  return kept_masks;
}

std::vector<RegionMask> filter_proposals(std::vector<RegionMask> masks,
                                         const ProposalFilter &filter, double grid_area) {
  std::vector<CandidateInfo> info(masks.size());
  for (size_t i = 0; i < masks.size(); ++i)
    info[i] = {masks[i].score, static_cast<double>(masks[i].area()), masks[i].box};
  return select_candidates(info, filter, grid_area, [&](size_t i) { return masks[i]; });
}

RegionMask crop_mask(const cv::Mat &mask, float score) {
  RegionMask out;
  out.score = score;
  if (mask.empty()) return out;
  const cv::Rect r = cv::boundingRect(mask);
  if (r.empty()) return out;
  out.box = {r.x, r.y, r.width, r.height};
  out.pixels.resize(static_cast<size_t>(r.area()));
  for (int y = 0; y < r.height; ++y) {
    const uint8_t *src = mask.ptr<uint8_t>(r.y + y) + r.x;
    uint8_t *dst = &out.pixels[static_cast<size_t>(y) * r.width];
    for (int x = 0; x < r.width; ++x) dst[x] = src[x] ? 255 : 0;
  }
  return out;
}

RegionMask rescale_mask(const RegionMask &mask, int grid_w, int grid_h, int frame_w, int frame_h) {
  if (mask.box.empty() || grid_w <= 0 || grid_h <= 0 || frame_w <= 0 || frame_h <= 0)
    return RegionMask{{}, {}, mask.score};
  if (grid_w == frame_w && grid_h == frame_h) return mask;
  const double sx = static_cast<double>(frame_w) / grid_w,
               sy = static_cast<double>(frame_h) / grid_h;
  const Box &b = mask.box;
  // Frame pixels that can be inside: the box scaled, widened by one pixel.
  const int fx0 = std::max(0, static_cast<int>(std::floor(b.x * sx)) - 1);
  const int fy0 = std::max(0, static_cast<int>(std::floor(b.y * sy)) - 1);
  const int fx1 = std::min(frame_w, static_cast<int>(std::ceil((b.x + b.width) * sx)) + 1);
  const int fy1 = std::min(frame_h, static_cast<int>(std::ceil((b.y + b.height) * sy)) + 1);
  if (fx1 <= fx0 || fy1 <= fy0) return RegionMask{{}, {}, mask.score};

  // Frame pixel centre f maps to grid coordinate (f + 0.5) / s - 0.5 (as
  // cv::resize does); in box-local source coordinates subtract the box origin.
  const cv::Mat src(b.height, b.width, CV_8UC1, const_cast<uint8_t *>(mask.pixels.data()));
  const cv::Matx23d inv(1.0 / sx, 0, (fx0 + 0.5) / sx - 0.5 - b.x,  //
                        0, 1.0 / sy, (fy0 + 0.5) / sy - 0.5 - b.y);
  cv::Mat dst;
  cv::warpAffine(src, dst, cv::Mat(inv), cv::Size(fx1 - fx0, fy1 - fy0),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::threshold(dst, dst, 127, 255, cv::THRESH_BINARY);
  RegionMask out = crop_mask(dst, mask.score);
  out.box.x += fx0;
  out.box.y += fy0;
  return out;
}

}  // namespace refseg

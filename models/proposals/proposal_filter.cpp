#include "proposals/proposal_filter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <opencv2/imgproc.hpp>

namespace refseg {

std::vector<RegionMask> select_candidates(const std::vector<CandidateInfo> &candidates,
                                          const ProposalFilter &filter, double grid_area,
                                          const std::function<RegionMask(size_t)> &render,
                                          std::vector<RegionMask> kept) {
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

  // Duplicates are judged on the rendered masks, which a generator may have
  // changed from what its candidate info says (a ring given its inside).
  std::vector<RegionMask> kept_masks = std::move(kept);
  std::vector<double> kept_areas;
  for (const RegionMask &m : kept_masks) kept_areas.push_back(static_cast<double>(m.area()));
  const size_t limit = static_cast<size_t>(std::max(0, filter.max_proposals));
  for (size_t i : order) {
    if (kept_masks.size() >= limit) break;
    RegionMask m = render(i);
    const double a = static_cast<double>(m.area());
    bool duplicate = false;
    for (size_t k = 0; k < kept_masks.size() && !duplicate; ++k) {
      // IoU <= min(area) / max(area), and 0 for disjoint boxes: skip the
      // pixel comparison when those bounds already rule a duplicate out.
      const double b = kept_areas[k];
      if (std::min(a, b) < filter.iou_threshold * std::max(a, b)) continue;
      const Box &p = m.box, &q = kept_masks[k].box;
      if (p.x >= q.x + q.width || q.x >= p.x + p.width || p.y >= q.y + q.height ||
          q.y >= p.y + p.height)
        continue;
      duplicate = mask_iou(m, kept_masks[k]) >= filter.iou_threshold;
    }
    if (duplicate) continue;
    kept_areas.push_back(a);
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
  const int out_w = fx1 - fx0, out_h = fy1 - fy0;

  // Frame pixel centre f maps to grid coordinate (f + 0.5) / s - 0.5 (as
  // cv::resize does); in box-local source coordinates subtract the box
  // origin. Positions are taken in 1/32 pixel with the rounding of
  // cv::warpAffine's bilinear path (coordinates in 1/1024 pixel, rounded to
  // nearest, plus half a 1/32 step, then floored), so the mask is the one
  // warpAffine + threshold at 127 gives, bit for bit.
  constexpr int kTab = 32;  // subpixel positions per pixel
  const double ax = 1.0 / sx, bx = (fx0 + 0.5) / sx - 0.5 - b.x;
  const double ay = 1.0 / sy, by = (fy0 + 0.5) / sy - 0.5 - b.y;
  const int round_delta = 1024 / kTab / 2;
  // Source columns of each output column, as indices into a row of the box
  // padded by one zero pixel each side (0 and width + 1 stand for outside),
  // and the fractional position in 1/32.
  std::vector<int> left(out_w), right(out_w), tx(out_w);
  const int x_origin = static_cast<int>(std::lrint(bx * 1024)) + round_delta;
  auto padded = [](int i, int n) { return i >= -1 && i <= n ? i + 1 : 0; };
  for (int x = 0; x < out_w; ++x) {
    const int X = (x_origin + static_cast<int>(std::lrint(ax * x * 1024))) >> 5;
    const int s = X >> 5;
    left[x] = padded(s, b.width);
    right[x] = padded(s + 1, b.width);
    tx[x] = X & (kTab - 1);
  }
  // Horizontal interpolation of each grid row of the box (padded by a zero
  // row above and below) at each output column, in 1/32: 0..32.
  const int rows = b.height + 2;
  std::vector<int16_t> across(static_cast<size_t>(rows) * out_w, 0);
  std::vector<uint8_t> padded_row(static_cast<size_t>(b.width) + 2, 0);
  for (int y = 0; y < b.height; ++y) {
    const uint8_t *row = &mask.pixels[static_cast<size_t>(y) * b.width];
    for (int x = 0; x < b.width; ++x) padded_row[x + 1] = row[x] ? 1 : 0;
    int16_t *h = &across[static_cast<size_t>(y + 1) * out_w];
    for (int x = 0; x < out_w; ++x)
      h[x] =
          static_cast<int16_t>((kTab - tx[x]) * padded_row[left[x]] + tx[x] * padded_row[right[x]]);
  }

  // A pixel is inside when the bilinear weight of the inside grid pixels
  // around it is at least one half: with weights in 1/1024 (products of
  // 1/32 fractions), sum >= 512. (warpAffine's value 255 * w / 2^15, rounded,
  // exceeds 127 exactly then.)
  cv::Mat out(out_h, out_w, CV_8U);
  int min_x = out_w, max_x = -1, min_y = out_h, max_y = -1;
  for (int y = 0; y < out_h; ++y) {
    const int Y = (static_cast<int>(std::lrint((ay * y + by) * 1024)) + round_delta) >> 5;
    const int s = Y >> 5, ty = Y & (kTab - 1);
    const int16_t *upper = &across[static_cast<size_t>(padded(s, b.height)) * out_w];
    const int16_t *lower = &across[static_cast<size_t>(padded(s + 1, b.height)) * out_w];
    uint8_t *dst = out.ptr<uint8_t>(y);
    for (int x = 0; x < out_w; ++x)
      dst[x] = (kTab - ty) * upper[x] + ty * lower[x] >= kTab * kTab / 2 ? 255 : 0;
    int first = 0;
    while (first < out_w && !dst[first]) ++first;
    if (first == out_w) continue;
    int last = out_w - 1;
    while (!dst[last]) --last;
    min_x = std::min(min_x, first);
    max_x = std::max(max_x, last);
    min_y = std::min(min_y, y);
    max_y = y;
  }
  RegionMask result{{}, {}, mask.score};
  if (max_y < 0) return result;
  result.box = {fx0 + min_x, fy0 + min_y, max_x - min_x + 1, max_y - min_y + 1};
  result.pixels.resize(static_cast<size_t>(result.box.area()));
  for (int y = 0; y < result.box.height; ++y)
    std::memcpy(&result.pixels[static_cast<size_t>(y) * result.box.width],
                out.ptr<uint8_t>(min_y + y) + min_x, static_cast<size_t>(result.box.width));
  return result;
}

}  // namespace refseg

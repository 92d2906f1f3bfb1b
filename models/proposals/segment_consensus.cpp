#include "proposals/segment_consensus.h"

#include <algorithm>
#include <stdexcept>

namespace refseg {

SegmentOverlaps::SegmentOverlaps(const cv::Mat &from, int n_from, const cv::Mat &to, int n_to)
    : shared_(static_cast<size_t>(std::max(n_from, 0))),
      to_sizes_(static_cast<size_t>(std::max(n_to, 0)), 0) {
  if (from.size() != to.size() || from.type() != CV_32S || to.type() != CV_32S)
    throw std::invalid_argument("SegmentOverlaps: two CV_32S label maps of one size");
  auto add = [&](int32_t a, int32_t b, int32_t count) {
    if (a < 0 || a >= n_from || b < 0 || b >= n_to)
      throw std::invalid_argument("SegmentOverlaps: a label outside its segment count");
    to_sizes_[b] += count;
    // A segment meets few segments of another segmentation: a short list.
    for (auto &entry : shared_[a])
      if (entry.first == b) {
        entry.second += count;
        return;
      }
    shared_[a].emplace_back(b, count);
  };
  // Labels come in runs along a row: one update per run, not per pixel.
  for (int y = 0; y < from.rows; ++y) {
    const int32_t *f = from.ptr<int32_t>(y), *t = to.ptr<int32_t>(y);
    int start = 0;
    for (int x = 1; x <= from.cols; ++x)
      if (x == from.cols || f[x] != f[start] || t[x] != t[start]) {
        add(f[start], t[start], x - start);
        start = x;
      }
  }
}

SegmentOverlaps SegmentOverlaps::transposed() const {
  SegmentOverlaps t;
  t.shared_.resize(to_sizes_.size());
  t.to_sizes_.assign(shared_.size(), 0);
  for (size_t a = 0; a < shared_.size(); ++a)
    for (const auto &[b, count] : shared_[a]) {
      t.shared_[static_cast<size_t>(b)].emplace_back(static_cast<int32_t>(a), count);
      t.to_sizes_[a] += count;
    }
  return t;
}

double SegmentOverlaps::straddling(const std::vector<int> &segments, long size,
                                   std::vector<int32_t> &scratch) const {
  if (size <= 0) return 0;
  if (scratch.size() != to_sizes_.size()) scratch.assign(to_sizes_.size(), 0);
  for (int s : segments)
    for (const auto &[b, count] : shared_.at(static_cast<size_t>(s))) scratch[b] += count;
  // Each segment of `to` the region touches once, then back to zero.
  long straddled = 0;
  for (int s : segments)
    for (const auto &entry : shared_[static_cast<size_t>(s)]) {
      const int32_t b = entry.first;
      if (scratch[b] == 0) continue;
      straddled += std::min(scratch[b], to_sizes_[b] - scratch[b]);
      scratch[b] = 0;
    }
  return static_cast<double>(straddled) / static_cast<double>(size);
}

}  // namespace refseg

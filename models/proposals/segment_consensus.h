// How well a region's outline agrees with other segmentations of the same
// frame: "superpixel straddling" (Alexe, Deselaers and Ferrari, "Measuring
// the objectness of image windows", TPAMI 2012), the strongest of their
// single objectness cues, applied to masks. An object's outline is a
// boundary every segmentation respects; a region that cuts through the
// segments of the others (half a horse, a rider without legs, a patch of
// texture) does not follow one.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace refseg {

// The pixels each initial segment of one segmentation (`from`) shares with
// each segment of another (`to`) of the same grid.
class SegmentOverlaps {
 public:
  // from, to: CV_32S labels in [0, n_from) and [0, n_to), the same size.
  SegmentOverlaps(const cv::Mat &from, int n_from, const cv::Mat &to, int n_to);

  // The straddling of a region of `from` (its initial segments and its
  // size in pixels): the sum over the segments of `to` of the smaller of
  // their parts inside and outside the region, over the region's size. 0
  // when the region is a union of segments of `to`; about 1 when it cuts
  // them all in halves. `scratch` is working memory: n_to zeros, left
  // zeroed (an empty vector is made so).
  double straddling(const std::vector<int> &segments, long size,
                    std::vector<int32_t> &scratch) const;

  int n_to() const { return static_cast<int>(to_sizes_.size()); }

  // The same overlaps seen from `to`: equal to SegmentOverlaps(to, n_to,
  // from, n_from), without reading the label maps again.
  SegmentOverlaps transposed() const;

 private:
  SegmentOverlaps() = default;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> shared_;  // per `from` segment
  std::vector<int32_t> to_sizes_;
};

}  // namespace refseg

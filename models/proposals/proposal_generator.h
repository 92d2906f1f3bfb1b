// The common interface of class-agnostic mask proposal generators, and the
// post-processing options every generator shares.
#pragma once

#include <cstddef>  // region_mask.h uses size_t without including it
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg {

// What is kept of a generator's raw candidates, applied in this order:
// area limits, ranking by score, duplicate suppression, the count limit.
struct ProposalFilter {
  int max_proposals = 20;   // at most this many masks per frame
  double min_area = 0.002;  // fraction of the frame area; smaller masks are dropped
  double max_area = 0.9;    // fraction of the frame area; larger masks (background) are dropped
  double iou_threshold =
      0.85;  // a mask whose IoU with a better-scored kept mask reaches this is a duplicate
};

class ProposalGenerator {
 public:
  virtual ~ProposalGenerator() = default;
  // Masks in frame pixels, best first (scores non-increasing), at most
  // filter().max_proposals. Deterministic for a given frame.
  virtual std::vector<RegionMask> propose(const ImageView &frame) = 0;

  const ProposalFilter &filter() const { return filter_; }
  void set_filter(const ProposalFilter &f) { filter_ = f; }

 protected:
  ProposalFilter filter_;
};

}  // namespace refseg

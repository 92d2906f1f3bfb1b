// Reuse of the previous frame's proposals when the frame did not change
// (issue 10): on a still camera the proposal stage then costs one frame
// comparison, and refsegencoder's feature reuse finds every mask again.
//
// The proposals are kept with the frame they were made on. A later frame
// gets them again when every 32 x 32 tile of it differs from that frame by
// at most max_pixel_change (mean absolute difference per channel, 0-255:
// sensor noise passes, a small object that moved does not), at most
// max_age frames in a row, so a slow drift under the threshold cannot last.
// Not the paper's method exactly (the generator would have given slightly
// different masks for the new pixels): refsegproposals' `reuse` is off by
// default.
#pragma once

#include <vector>

#include "common/frame_snapshot.h"
#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg {

struct ProposalReuseSettings {
  double max_pixel_change = 2.0;
  int max_age = 10;
};

class ProposalReuse {
 public:
  explicit ProposalReuse(ProposalReuseSettings settings = {}) : settings_(settings) {}

  // The kept proposals when `frame` may have them (counted as one reuse),
  // else null: propose afresh and remember().
  const std::vector<RegionMask> *reuse(const ImageView &frame);
  // Keeps fresh proposals and the frame they were made on.
  void remember(const ImageView &frame, const std::vector<RegionMask> &proposals);
  void forget();
  int age() const { return age_; }  // reuses since the proposals were made

 private:
  ProposalReuseSettings settings_;
  FrameSnapshot made_on_;
  std::vector<RegionMask> proposals_;
  int age_ = 0;
};

}  // namespace refseg

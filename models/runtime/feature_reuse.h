// Reuse of the previous analysis's features for proposals that did not
// change (issue 10): a still camera should cost a fraction of a moving one.
//
// A proposal matches one of the previous analysis when their masks overlap
// by at least min_mask_iou. It keeps its local feature when the pixels
// inside its box changed by at most max_pixel_change (mean absolute
// difference per channel, 0-255), and its global feature too when every
// 32 x 32 tile of the frame changed that little (the global feature sees
// the whole frame; FrameSnapshot::largest_tile_change()). A row is reused at most max_age analyses
// in a row, so slow drift under the threshold cannot last. Not the paper's method exactly (a
// matched mask may differ by a few pixels): refsegencoder's `reuse` is off
// by default.
#pragma once

#include <cstdint>
#include <vector>

#include "common/frame_snapshot.h"
#include "common/image_view.h"
#include "common/region_mask.h"
#include "runtime/clip_runtime.h"

namespace refseg {

struct ReuseSettings {
  double min_mask_iou = 0.95;
  double max_pixel_change = 2.0;
  int max_age = 10;
};

class FeatureReuse {
 public:
  explicit FeatureReuse(ReuseSettings settings = {}) : settings_(settings) {}

  // Per mask of this frame: the row of the previous analysis whose feature
  // it may keep, or -1.
  struct Plan {
    std::vector<int> local_from, global_from;
  };
  Plan plan(const ImageView &frame, const std::vector<RegionMask> &masks) const;

  // Keeps this analysis for the next plan(); `plan` is what it reused.
  void remember(const ImageView &frame, const std::vector<RegionMask> &masks,
                const EncodedMasks &features, const Plan &plan);
  void forget();
  // The features remember() kept (what plan()'s rows index).
  const EncodedMasks &previous() const { return features_; }

 private:
  ReuseSettings settings_;
  FrameSnapshot snapshot_;  // the previous analysed frame
  std::vector<RegionMask> masks_;
  EncodedMasks features_;
  std::vector<int> local_age_, global_age_;  // analyses each row has been reused
};

}  // namespace refseg

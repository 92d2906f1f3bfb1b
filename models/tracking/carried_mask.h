// A mask as an analysis produced it, plus the motion accumulated since:
// moving by sub-pixel amounts frame after frame never rounds motion away,
// and the mask's pixels are shifted once, when it is read.
#pragma once

#include "common/region_mask.h"
#include "tracking/frame_motion.h"

namespace refseg::tracking {

class CarriedMask {
 public:
  CarriedMask() = default;
  explicit CarriedMask(RegionMask origin) : origin_(std::move(origin)) {}

  // Follows the object through one frame's motion.
  void move(const FrameMotion &motion) {
    const Displacement d = motion.translation_of(origin_, offset_);
    offset_.dx += d.dx;
    offset_.dy += d.dy;
  }
  Displacement offset() const { return offset_; }
  const RegionMask &origin() const { return origin_; }

  // Where the mask is now, clipped to a frame_width x frame_height frame;
  // an empty box once it has left the frame.
  RegionMask current(int frame_width, int frame_height) const;

 private:
  RegionMask origin_;
  Displacement offset_;
};

}  // namespace refseg::tracking

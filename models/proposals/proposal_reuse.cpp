#include "proposals/proposal_reuse.h"

namespace refseg {

const std::vector<RegionMask> *ProposalReuse::reuse(const ImageView &frame) {
  if (!made_on_.same_size(frame) || age_ >= settings_.max_age ||
      made_on_.largest_tile_change(frame) > settings_.max_pixel_change)
    return nullptr;
  ++age_;
  return &proposals_;
}

void ProposalReuse::remember(const ImageView &frame, const std::vector<RegionMask> &proposals) {
  made_on_.keep(frame);
  proposals_ = proposals;
  age_ = 0;
}

void ProposalReuse::forget() {
  made_on_.clear();
  proposals_.clear();
  age_ = 0;
}

}  // namespace refseg

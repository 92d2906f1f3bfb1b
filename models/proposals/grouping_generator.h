// The default proposal generator, needing no weights: Felzenszwalb graph
// segmentation followed by hierarchical grouping (selective search), run on
// a downscaled copy of the frame in one or more colour spaces.
#pragma once

#include <vector>

#include "proposals/proposal_generator.h"
#include "proposals/region_hierarchy.h"

namespace refseg {

enum class ColourSpace { RGB, Lab, HSV };

// One diversification strategy: the colour space both the segmentation and
// the similarities see, and a multiplier of the Felzenszwalb scale.
struct GroupingStrategy {
  ColourSpace colour_space = ColourSpace::Lab;
  double scale_factor = 1.0;
  SimilarityTerms terms;
};

struct GroupingOptions {
  double scale = 300;         // Felzenszwalb k: larger gives larger initial segments
  double sigma = 0.8;         // Gaussian smoothing before the segmentation
  int processing_size = 384;  // long side of the working grid (frames are never enlarged)
  std::vector<GroupingStrategy> strategies = {{ColourSpace::Lab, 1.0, {}},
                                              {ColourSpace::HSV, 1.0, {}}};
};

// Ranking: a region's score is its isolation (HierarchyRegion::isolation),
// times 0.7 when it touches the frame border (more often background). The
// root region and anything above filter().max_area of the frame is dropped
// as background.
class GroupingProposalGenerator : public ProposalGenerator {
 public:
  explicit GroupingProposalGenerator(GroupingOptions options = {}, ProposalFilter filter = {});

  std::vector<RegionMask> propose(const ImageView &frame) override;

  const GroupingOptions &options() const { return options_; }
  void set_options(const GroupingOptions &o) { options_ = o; }

 private:
  GroupingOptions options_;
};

}  // namespace refseg

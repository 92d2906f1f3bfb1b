// The default proposal generator, needing no weights: Felzenszwalb graph
// segmentation followed by hierarchical grouping (selective search), run on
// a downscaled copy of the frame in one or more colour spaces.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "proposals/graph_segmentation.h"
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
//
// propose() keeps its working memory (a few MB per strategy) from frame to
// frame instead of allocating it anew; one generator is therefore not for
// concurrent calls from several threads (use one generator per thread).
class GroupingProposalGenerator : public ProposalGenerator {
 public:
  explicit GroupingProposalGenerator(GroupingOptions options = {}, ProposalFilter filter = {});

  std::vector<RegionMask> propose(const ImageView &frame) override;

  const GroupingOptions &options() const { return options_; }
  void set_options(const GroupingOptions &o) { options_ = o; }

 private:
  // One strategy's colour image, segmentation and hierarchy, kept until its
  // candidates are rendered, and its reusable working memory.
  struct StrategyWork {
    cv::Mat image, labels;
    int n_segments = 0;
    std::vector<HierarchyRegion> regions;
    GraphSegmentationBuffers segmentation;
    GroupingBuffers grouping;
  };

  // The working memory is not shared by copies (cv::Mat copies share their
  // pixels): a copied or assigned generator starts with none of its own.
  struct Workspace {
    std::vector<StrategyWork> strategies;
    Workspace() = default;
    Workspace(const Workspace &) {}
    Workspace &operator=(const Workspace &) {
      strategies.clear();
      return *this;
    }
    Workspace(Workspace &&) = default;
    Workspace &operator=(Workspace &&) = default;
  };

  GroupingOptions options_;
  Workspace work_;
};

}  // namespace refseg

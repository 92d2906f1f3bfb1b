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

// What orders a strategy's regions: how distinct their appearance is from
// their neighbours' (HierarchyRegion::isolation), or how strong the contour
// around them is (HierarchyRegion::contour).
enum class Ranking { Isolation, Contour };

// One diversification strategy: the colour space both the segmentation and
// the similarities see, and a multiplier of the Felzenszwalb scale.
struct GroupingStrategy {
  ColourSpace colour_space = ColourSpace::Lab;
  double scale_factor = 1.0;
  SimilarityTerms terms;
  Ranking ranking = Ranking::Contour;
};

// The defaults are what measured best on real photos within the live
// budget (docs/accuracy.md, "Proposals"): one CIELAB strategy with
// Felzenszwalb k = 200 and sigma 0.6 on a grid of up to 640 pixels, ranked
// by contour. k and sigma sit where neighbouring values give similar recall
// (k 150 and 250 find one object fewer of the photo's first 20; sigma 0.8
// lost an object of a chroma-subsampled NV12 frame,
// tests/elements/test_yuv_input). A 640x480 frame costs about 35-40 ms of CPU
// (docs/benchmarks.md, "Proposals").
struct GroupingOptions {
  double scale = 200;         // Felzenszwalb k (times each strategy's scale_factor)
  double sigma = 0.6;         // Gaussian smoothing before the segmentation
  int processing_size = 640;  // long side of the working grid (frames are never enlarged)
  std::vector<GroupingStrategy> strategies = {{ColourSpace::Lab, 1.0, {}, Ranking::Contour}};
  // With two or more strategies: each region's score is multiplied by
  // (1 - its mean straddling of the other strategies' initial segments)
  // to this power (proposals/segment_consensus.h); 0 leaves scores alone.
  // The default's one strategy has nothing to agree with: a second
  // segmentation as its reference doubled its cost and found no more
  // (docs/accuracy.md, "Proposals").
  double consensus = 0;
  // With strategies that all rank by contour: the proposals after the first
  // tail_after are chosen by a second merit that forgives inner contours
  // that are short against the outline (two-tone objects), skipping
  // duplicates of those before; 0 ranks all proposals by one merit. The
  // default leaves it at 0: with its one strategy the tail found more of the
  // photo's objects in the first 50 but fewer of its views' in the first
  // 100.
  int tail_after = 0;

  // The strategies of the `quality` setting, for single images and offline
  // video, as selective search diversifies: the default one, k x 0.75 and
  // x 1.5, HSV and RGB, and merge orders by colour and size or by size and
  // fill alone; eight hierarchies, all ranked by contour and by how well
  // each region agrees with the other seven segmentations (consensus 1),
  // the proposals after the first 20 by the tail merit (kQualityTailAfter),
  // about 0.3 s of CPU per 640x480 frame. Use it with
  // quality_proposal_filter().
  static std::vector<GroupingStrategy> quality_strategies();
  static GroupingOptions quality();
};

// Eight hierarchies give many near-copies of each region; the quality
// setting therefore suppresses duplicates from mask IoU 0.7 (the default's
// 0.85 let them fill the first 100: the photo's first 100 found 0.44 of its
// objects instead of 0.50).
constexpr double kQualityDuplicateIou = 0.7;
// The quality setting's head: its first 20 proposals (the filter's default
// count) are ranked by contour merit, those after by the tail merit.
constexpr int kQualityTailAfter = 20;
// `filter` with the quality setting's duplicate threshold.
ProposalFilter quality_proposal_filter(ProposalFilter filter = {});

// Ranking: a region's merit is its contour (HierarchyRegion::contour less
// half its inner_contour, times a mild size prior) or its isolation
// (HierarchyRegion::isolation), as its strategy says, times 0.5 when it
// touches the frame border (more often background). Strategies that all rank
// by contour are pooled by merit (one edge map: their merits compare);
// otherwise the candidates are pooled by rank within their strategy, and a
// proposal's score is 1 / (1 + that rank). With options().tail_after, the
// proposals after the head are ranked by the tail merit instead (the inner
// contour weighted by HierarchyRegion::inner_extent), their scores scaled to
// continue below the head's.
// The root region and anything above filter().max_area of the frame is
// dropped as background.
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
    cv::Mat lab, edge, edge_scratch[2];  // the frame's edge strength, shared by the strategies
    Workspace() = default;
    Workspace(const Workspace &) {}
    Workspace &operator=(const Workspace &) {
      strategies.clear();
      lab = edge = cv::Mat();
      return *this;
    }
    Workspace(Workspace &&) = default;
    Workspace &operator=(Workspace &&) = default;
  };

  GroupingOptions options_;
  Workspace work_;
};

}  // namespace refseg

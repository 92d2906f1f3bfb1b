// SamProposalGenerator: the automatic masks as proposals (best first, score =
// predicted IoU, the filter's count and area limits, its iou_threshold as the
// box NMS threshold), prompts from another generator's centroids, and box
// refinement against the frame propose() kept.
#include <gtest/gtest.h>

#include "../clip/reference_fixture.h"
#include "common/model_error.h"
#include "decoded_alike.h"
#include "proposals/sam_proposal_generator.h"
#include "sam/automatic_mask_generator.h"
#include "sam/sam_model.h"
#include "sam_fixture.h"

using namespace refseg;

namespace {

sam::AutomaticMaskOptions open_options() {
  sam::AutomaticMaskOptions o;
  o.points_per_side = 4;
  o.pred_iou_thresh = 0.0;
  o.stability_score_thresh = 0.0;
  return o;
}

class FixedProposals : public ProposalGenerator {
 public:
  explicit FixedProposals(std::vector<RegionMask> m) : masks_(std::move(m)) {}
  std::vector<RegionMask> propose(const ImageView &) override { return masks_; }

 private:
  std::vector<RegionMask> masks_;
};

RegionMask rect(int x, int y, int w, int h) {
  RegionMask m;
  m.box = {x, y, w, h};
  m.pixels.assign(static_cast<size_t>(w) * h, 255);
  return m;
}

}  // namespace

TEST(SamProposals, AreTheAutomaticMasksBestFirst) {
  const clip::reference_fixture::SyntheticFrame frame(640, 480);
  ProposalFilter f = sam_proposal_filter();
  f.max_proposals = 5;
  f.min_area = 0;
  f.max_area = 1.0;
  f.iou_threshold = 1.0;  // box NMS keeps all
  SamProposalGenerator gen(sam::fixture::path("sam_vit_small.pth"), open_options(), f);
  const auto proposals = gen.propose(frame.view());

  sam::SamModel model(sam::fixture::path("sam_vit_small.pth"));
  sam::AutomaticMaskOptions o = open_options();
  o.box_nms_thresh = 1.0;
  const auto masks = sam::generate_masks(model, frame.view(), o);
  ASSERT_EQ(proposals.size(), 5u);
  for (size_t i = 0; i < proposals.size(); ++i) {
    EXPECT_EQ(proposals[i].score, masks[i].predicted_iou) << i;
    EXPECT_EQ(proposals[i].pixels, masks[i].mask.pixels) << i;
    if (i) EXPECT_GE(proposals[i - 1].score, proposals[i].score);
  }
  // The filter's iou_threshold is the box NMS: at 0.7 the full-frame noise
  // masks of random weights suppress each other down to one.
  f.iou_threshold = 0.7;
  gen.set_filter(f);
  EXPECT_EQ(gen.propose(frame.view()).size(), 1u);
}

TEST(SamProposals, CentroidsOfAnotherGeneratorArePrompts) {
  EXPECT_EQ(*prompt_point(rect(10, 20, 5, 3)), (std::array<double, 2>{12, 21}));
  // A ring's centroid is outside it: the nearest mask pixel is used.
  RegionMask ring = rect(0, 0, 5, 5);
  ring.pixels[12] = 0;
  const auto p = *prompt_point(ring);
  EXPECT_TRUE(ring.contains(static_cast<int>(p[0]), static_cast<int>(p[1])));
  EXPECT_FALSE(prompt_point(RegionMask()).has_value());

  const clip::reference_fixture::SyntheticFrame frame(640, 480);
  ProposalFilter f = sam_proposal_filter();
  f.min_area = 0;
  f.max_area = 1.0;
  f.iou_threshold = 1.0;
  SamProposalGenerator gen(sam::fixture::path("sam_vit_small.pth"), open_options(), f);
  gen.set_prompt_source(
      std::make_shared<FixedProposals>(std::vector<RegionMask>{rect(100, 100, 41, 21)}));
  const auto proposals = gen.propose(frame.view());
  EXPECT_EQ(proposals.size(), 3u);  // one prompt, three masks

  sam::SamModel model(sam::fixture::path("sam_vit_small.pth"));
  sam::AutomaticMaskOptions o = open_options();
  o.box_nms_thresh = 1.0;
  o.points = {{120, 110}};
  const auto masks = sam::generate_masks(model, frame.view(), o);
  ASSERT_EQ(masks.size(), proposals.size());
  for (size_t i = 0; i < masks.size(); ++i) EXPECT_EQ(proposals[i].score, masks[i].predicted_iou);
}

// The Regions source spends its points budget on distinct places: a ranked
// region whose point is within the spacing of one taken (a nested region
// sharing its interior) is skipped, the rank order is kept, and the
// grouping is asked for kRegionPromptPool regions per point.
TEST(SamProposals, RegionPromptsAreSpreadApartWithinTheBudget) {
  using Point = std::array<double, 2>;
  const std::vector<RegionMask> ranked = {rect(10, 20, 5, 3), RegionMask(), rect(8, 18, 9, 7),
                                          rect(200, 100, 5, 5), rect(300, 300, 3, 3)};
  EXPECT_EQ(spread_prompt_points(ranked, 10, 16.0),
            (std::vector<Point>{{12, 21}, {202, 102}, {301, 301}}));
  EXPECT_EQ(spread_prompt_points(ranked, 2, 16.0), (std::vector<Point>{{12, 21}, {202, 102}}));
  EXPECT_EQ(spread_prompt_points(ranked, 10, 0.0).size(), 4u);  // no spacing: the nested one too
  EXPECT_TRUE(spread_prompt_points(ranked, 0, 16.0).empty());
  EXPECT_DOUBLE_EQ(region_prompt_spacing(640, 480), 16.0);
  EXPECT_DOUBLE_EQ(region_prompt_spacing(480, 1280), 32.0);

  FixedProposals source(ranked);
  const clip::reference_fixture::SyntheticFrame frame(640, 480);
  EXPECT_EQ(region_prompt_points(source, frame.view(), 2),
            (std::vector<Point>{{12, 21}, {202, 102}}));
  EXPECT_EQ(source.filter().max_proposals, 2 * kRegionPromptPool);
}

TEST(SamProposals, RefineDecodesTheBoxOnTheProposedFrame) {
  const clip::reference_fixture::SyntheticFrame frame(640, 480);
  SamProposalGenerator gen(sam::fixture::path("sam_vit_small.pth"), open_options());
  EXPECT_THROW(gen.refine(rect(50, 60, 251, 221)), ModelError);  // no frame yet
  gen.propose(frame.view());
  const auto refined = gen.refine(rect(50, 60, 251, 221));
  sam::SamModel model(sam::fixture::path("sam_vit_small.pth"));
  model.set_image(frame.view());
  const auto direct = sam::refine_with_box(model, rect(50, 60, 251, 221));
  ASSERT_EQ(refined.has_value(), direct.has_value());
  if (refined) {
    EXPECT_EQ(refined->pixels, direct->pixels);
    EXPECT_EQ(refined->score, direct->score);
  }
}

// Another generator's proposals refined by a SAM model: the frame is
// encoded, each box decoded (one batch), the refined mask takes the
// proposal's place with SAM's predicted IoU, and a proposal with no box (or
// an empty refined mask) stays as it was.
TEST(SamProposals, OtherProposalsAreRefinedOnTheirFrame) {
  const clip::reference_fixture::SyntheticFrame frame(640, 480);
  sam::SamModel model(sam::fixture::path("mobile_sam_small.pt"));
  EXPECT_THROW(refine_proposals(model, {rect(50, 60, 251, 221)}), ModelError);  // no frame yet
  RegionMask no_box;
  no_box.score = 0.25f;
  const std::vector<RegionMask> proposals = {rect(50, 60, 251, 221), no_box,
                                             rect(300, 200, 80, 60)};
  const auto refined = refine_proposals_on(model, frame.view(), proposals);
  ASSERT_EQ(refined.size(), proposals.size());
  sam::SamModel direct_model(sam::fixture::path("mobile_sam_small.pt"));
  direct_model.set_image(frame.view());
  for (const size_t i : {size_t{0}, size_t{2}}) {
    const auto direct = sam::refine_with_box(direct_model, proposals[i]);
    const RegionMask &want = direct ? *direct : proposals[i];
    EXPECT_EQ(refined[i].box.x, want.box.x) << i;
    EXPECT_EQ(refined[i].box.width, want.box.width) << i;
    // Decoded in one batch against alone: alike to float rounding
    // (decoded_alike.h).
    EXPECT_TRUE(sam::fixture::masks_alike(refined[i].pixels, want.pixels))
        << i << ": " << sam::fixture::pixels_differing(refined[i].pixels, want.pixels)
        << " pixels differ";
    EXPECT_TRUE(sam::fixture::scores_alike(refined[i].score, want.score))
        << i << ": " << refined[i].score << " against " << want.score;
  }
  EXPECT_TRUE(refined[0].pixels != proposals[0].pixels || refined[2].pixels != proposals[2].pixels)
      << "refinement changed nothing";
  EXPECT_TRUE(refined[1].box.empty());
  EXPECT_EQ(refined[1].score, 0.25f);
  EXPECT_TRUE(refine_proposals_on(model, frame.view(), {}).empty());
}

TEST(SamProposals, RefusedFileNamesIt) {
  try {
    SamProposalGenerator gen("/nonexistent/mobile_sam.pt");
    FAIL();
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/mobile_sam.pt"), std::string::npos);
  }
}

// Automatic mask generation, box NMS, postprocessing and box refinement
// against segment-anything's own (scripts/make_sam_fixtures.py) for the small
// random checkpoints on the synthetic 640x480 frame. Random weights give
// noise-like masks, so the parity settings open the filters ("open": no IoU
// or stability filter, NMS at 1.0 keeps all 192) and narrow them one at a
// time ("filters", "nms", the reference's defaults, "regions" with the
// small-region cleanup).
#include <gtest/gtest.h>

#include <string>

#include <ATen/ATen.h>

#include "../clip/reference_fixture.h"
#include "amg_parity.h"
#include "common/model_error.h"
#include "sam/automatic_mask_generator.h"
#include "sam/sam_model.h"
#include "sam_fixture.h"

using namespace refseg::sam;
using refseg::RegionMask;

namespace {

const char *const kSettings[] = {"open", "filters", "nms", "defaults", "regions"};

void amg_from_reference_embedding(const std::string &ckpt, const std::string &stem) {
  SamModel model(fixture::path(ckpt));
  const auto dec = fixture::reference(stem + "_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  const auto ref = fixture::reference(stem + "_amg_synthetic.pt");
  for (const char *name : kSettings)
    amg_parity::compare(ref, name, generate_masks(model, amg_parity::settings(name)), 640, 480);
}

}  // namespace

TEST(SamBoxNms, EqualsTorchvisionBatchedNms) {
  const auto ref = fixture::reference("nms_reference.pt");
  const at::Tensor boxes = fixture::entry(ref, "boxes").to(at::kFloat);
  const at::Tensor scores = fixture::entry(ref, "scores");
  std::vector<std::array<float, 4>> b;
  std::vector<float> s;
  for (int64_t i = 0; i < boxes.size(0); ++i) {
    b.push_back({boxes[i][0].item<float>(), boxes[i][1].item<float>(), boxes[i][2].item<float>(),
                 boxes[i][3].item<float>()});
    s.push_back(scores[i].item<float>());
  }
  for (const char *t : {"0.3", "0.5", "0.7", "1"}) {
    SCOPED_TRACE(t);
    const at::Tensor keep = fixture::entry(ref, std::string("keep_") + t);
    const std::vector<int64_t> mine = box_nms(b, s, std::stod(t));
    ASSERT_EQ(static_cast<int64_t>(mine.size()), keep.size(0));
    for (size_t i = 0; i < mine.size(); ++i) EXPECT_EQ(mine[i], keep[i].item<int64_t>()) << i;
  }
}

TEST(SamPointGrid, IsTheReferenceGridAndBudgetShrinksIt) {
  const auto g = build_point_grid(4);
  ASSERT_EQ(g.size(), 16u);
  EXPECT_DOUBLE_EQ(g[0][0], 0.125);
  EXPECT_DOUBLE_EQ(g[1][0], 0.375);
  EXPECT_DOUBLE_EQ(g[4][1], 0.375);
  EXPECT_DOUBLE_EQ(g[15][0], 0.875);
  AutomaticMaskOptions o;
  EXPECT_EQ(prompt_points(o, 640, 480).size(), 1024u);
  o.max_points = 300;  // 17 x 17 fits
  EXPECT_EQ(prompt_points(o, 640, 480).size(), 289u);
  o.points = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}};
  o.max_points = 2;
  const auto given = prompt_points(o, 640, 480);
  ASSERT_EQ(given.size(), 2u);
  EXPECT_EQ(given[0][0], 1);
  EXPECT_EQ(given[1][0], 5);
}

TEST(SamAutomaticMasks, VitFromReferenceEmbeddingEqualsReference) {
  amg_from_reference_embedding("sam_vit_small.pth", "sam_vit_small");
}

TEST(SamAutomaticMasks, MobileSamFromReferenceEmbeddingEqualsReference) {
  amg_from_reference_embedding("mobile_sam_small.pt", "mobile_sam_small");
}

// The whole path: preprocessing and the image encoder, then the masks.
TEST(SamAutomaticMasks, VitFromFrameEqualsReference) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const refseg::clip::reference_fixture::SyntheticFrame frame(640, 480);
  const auto ref = fixture::reference("sam_vit_small_amg_synthetic.pt");
  model.set_image(frame.view());
  amg_parity::compare(ref, "open", generate_masks(model, amg_parity::settings("open")), 640, 480);
}

TEST(SamAutomaticMasks, GivenPointsArePromptedInOrder) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  AutomaticMaskOptions o = amg_parity::settings("open");
  o.points = {{100, 120}, {500, 300}};
  const auto masks = generate_masks(model, o);
  ASSERT_EQ(masks.size(), 6u);  // 3 per point, nothing filtered
  for (const auto &m : masks)
    EXPECT_TRUE((m.point[0] == 100 && m.point[1] == 120) ||
                (m.point[0] == 500 && m.point[1] == 300));
  for (size_t i = 1; i < masks.size(); ++i)
    EXPECT_GE(masks[i - 1].predicted_iou, masks[i].predicted_iou);
  // The same IoU predictions as decoding the points directly.
  const at::Tensor xy = at::tensor({100.0, 120.0, 500.0, 300.0}, at::kDouble).view({2, 1, 2});
  const DecodedMasks d =
      model.decode(model.to_input_coords(xy), at::ones({2, 1}, at::kInt), at::Tensor(), true);
  std::vector<float> direct(d.iou.data_ptr<float>(), d.iou.data_ptr<float>() + 6);
  std::sort(direct.rbegin(), direct.rend());
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(masks[i].predicted_iou, direct[i]);
}

// Sam.postprocess_masks: frame-size logits of the first point's masks.
TEST(SamModel, PostprocessEqualsReference) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  const DecodedMasks d =
      model.decode(fixture::entry(dec, "points_coords").narrow(0, 0, 1),
                   fixture::entry(dec, "points_labels").narrow(0, 0, 1), at::Tensor(), true);
  const at::Tensor frame = model.postprocess(d.logits)[0];  // [3, 480, 640]
  ASSERT_EQ(frame.size(1), 480);
  ASSERT_EQ(frame.size(2), 640);
  const at::Tensor ref = fixture::entry(dec, "points_multi_frame0");
  const at::Tensor mine = frame.slice(1, 0, c10::nullopt, 5).slice(2, 0, c10::nullopt, 5);
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  EXPECT_LE((mine - ref).abs().max().item<double>(), 1e-4 * scale);
  const at::Tensor positive = fixture::entry(dec, "points_multi_frame0_positive");
  for (int k = 0; k < 3; ++k) {
    const double r = static_cast<double>(positive[k].item<int64_t>());
    EXPECT_NEAR(frame[k].gt(0).sum().item<int64_t>(), r, 1e-3 * r + 2) << k;
  }
}

// Box refinement = the reference's box-prompt decode with single-mask output
// (DECODER_BOXES[0] = 50 60 300 280 is the box of a mask spanning columns
// 50..300 and rows 60..280).
TEST(SamBoxRefinement, EqualsReferenceBoxDecode) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  RegionMask proposal;
  proposal.box = {50, 60, 251, 221};
  proposal.pixels.assign(251 * 221, 255);
  const auto refined = refine_with_box(model, proposal);
  ASSERT_TRUE(refined.has_value());
  EXPECT_NEAR(refined->score, fixture::entry(dec, "boxes_single_iou")[0][0].item<float>(), 1e-4);
  const at::Tensor bits = fixture::entry(dec, "boxes_single_frame_bits")[0].contiguous();
  const uint8_t *p = bits.data_ptr<uint8_t>();
  double inter = 0, uni = 0;
  for (int y = 0; y < 480; ++y)
    for (int x = 0; x < 640; ++x) {
      const int k = y * 640 + x;
      const bool r = (p[k / 8] >> (7 - k % 8)) & 1, m = refined->contains(x, y);
      inter += r && m;
      uni += r || m;
    }
  EXPECT_GE(inter / uni, 0.999) << inter << " / " << uni;
}

TEST(SamBoxRefinement, NeedsAnImage) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  RegionMask proposal;
  proposal.box = {1, 1, 5, 5};
  proposal.pixels.assign(25, 255);
  EXPECT_THROW(refine_with_box(model, proposal), refseg::ModelError);
  EXPECT_THROW(generate_masks(model, AutomaticMaskOptions()), refseg::ModelError);
}

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

// The composed postprocessing (one separable map, no 1024-side planes)
// gives the reference's frame-size logits, and measure() the counts, area
// and box that thresholding them gives.
TEST(SamMaskPostprocess, ComposedMapEqualsReferenceLogits) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  const DecodedMasks d =
      model.decode(fixture::entry(dec, "points_coords").narrow(0, 0, 1),
                   fixture::entry(dec, "points_labels").narrow(0, 0, 1), at::Tensor(), true);
  const at::Tensor low = d.logits[0].contiguous();  // [3, 256, 256]
  const at::Tensor ref = fixture::entry(dec, "points_multi_frame0");
  const at::Tensor positive = fixture::entry(dec, "points_multi_frame0_positive");
  const MaskPostprocess &post = model.mask_postprocess();
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    at::Tensor frame = at::empty({480, 640}, at::kFloat);
    post.logits(low[k].data_ptr<float>(), frame.data_ptr<float>());
    const at::Tensor mine = frame.slice(0, 0, c10::nullopt, 5).slice(1, 0, c10::nullopt, 5);
    EXPECT_LE((mine - ref[k]).abs().max().item<double>(), 1e-4 * scale);
    std::vector<uint8_t> mask(640 * 480);
    const MaskPlaneStats st = post.measure(low[k].data_ptr<float>(), 1.f, mask.data());
    EXPECT_EQ(st.area, frame.gt(0).sum().item<int64_t>());
    EXPECT_EQ(st.above_hi, frame.gt(1).sum().item<int64_t>());
    EXPECT_EQ(st.above_lo, frame.gt(-1).sum().item<int64_t>());
    const double r = static_cast<double>(positive[k].item<int64_t>());
    EXPECT_NEAR(static_cast<double>(st.area), r, 1e-3 * r + 2);
    const at::Tensor on = frame.gt(0);
    const at::Tensor rows = on.any(1).nonzero(), cols = on.any(0).nonzero();
    ASSERT_GT(rows.numel(), 0);
    EXPECT_EQ(st.box[0], cols[0].item<int64_t>());
    EXPECT_EQ(st.box[1], rows[0].item<int64_t>());
    EXPECT_EQ(st.box[2], cols[-1].item<int64_t>());
    EXPECT_EQ(st.box[3], rows[-1].item<int64_t>());
    int64_t same = 0;
    const at::Tensor on_bytes = on.to(at::kByte).contiguous();
    const uint8_t *o = on_bytes.data_ptr<uint8_t>();
    for (int i = 0; i < 640 * 480; ++i) same += mask[i] == o[i];
    EXPECT_EQ(same, 640 * 480);
  }
}

// Against postprocess() (the reference's two resamplings) for frames that
// shrink, enlarge and keep the 1024 side, on random logits.
TEST(SamMaskPostprocess, ComposedMapEqualsTwoResamplings) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  const at::Tensor emb = fixture::entry(dec, "embedding");
  at::manual_seed(5);
  const at::Tensor low = at::randn({1, 1, 256, 256}) * 8;
  for (const auto &[w, h] : std::vector<std::pair<int, int>>{
           {640, 480}, {100, 37}, {1024, 700}, {333, 1500}, {2048, 1536}, {17, 5}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    model.set_embedding(emb, w, h);
    const at::Tensor ref = model.postprocess(low)[0][0];
    at::Tensor mine = at::empty({h, w}, at::kFloat);
    model.mask_postprocess().logits(low.contiguous().data_ptr<float>(), mine.data_ptr<float>());
    EXPECT_LE((mine - ref).abs().max().item<double>(), 1e-4);
  }
}

// decode() = decode_tokens() then upscale_masks(); a subset of prompts
// upscales to the same planes as in the whole batch.
TEST(SamMaskDecoder, TwoStepDecodeEqualsDecode) {
  SamModel model(fixture::path("mobile_sam_small.pt"));
  const auto dec = fixture::reference("mobile_sam_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  const at::Tensor pts = fixture::entry(dec, "points_coords"),
                   labels = fixture::entry(dec, "points_labels");
  const DecodedMasks whole = model.decode(pts, labels, at::Tensor(), true);
  const DecodedTokens t = model.decode_tokens(pts, labels, at::Tensor(), true);
  EXPECT_TRUE(at::allclose(t.iou, whole.iou, 1e-5, 1e-6));
  const int64_t last = pts.size(0) - 1;
  const at::Tensor rows = at::tensor(std::vector<int64_t>{last, 0}, at::kLong);
  const at::Tensor some = model.upscale_masks(t, rows);
  ASSERT_EQ(some.size(0), 2);
  EXPECT_TRUE(at::allclose(some[0], whole.logits[last], 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(some[1], whole.logits[0], 1e-4, 1e-4));
}

// Many boxes decoded as one batch = one by one.
TEST(SamBoxRefinement, BatchEqualsOneByOne) {
  SamModel model(fixture::path("sam_vit_small.pth"));
  const auto dec = fixture::reference("sam_vit_small_decoder_reference.pt");
  model.set_embedding(fixture::entry(dec, "embedding"), 640, 480);
  std::vector<RegionMask> proposals(3);
  proposals[0].box = {50, 60, 251, 221};
  proposals[2].box = {300, 10, 200, 400};  // [1] has an empty box: nullopt
  for (auto &p : proposals) p.pixels.assign(static_cast<size_t>(p.box.area()), 255);
  const auto batch = refine_with_boxes(model, proposals);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_FALSE(batch[1].has_value());
  for (int i : {0, 2}) {
    const auto one = refine_with_box(model, proposals[i]);
    ASSERT_TRUE(one.has_value() && batch[i].has_value()) << i;
    EXPECT_NEAR(batch[i]->score, one->score, 1e-5) << i;
    EXPECT_GE(refseg::mask_iou(*batch[i], *one), 0.999) << i;
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

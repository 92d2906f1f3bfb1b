// Invariants of the global-local features that users of the scores rely on.
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/image_preprocess.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "fixtures.h"

using namespace refseg;
using namespace refseg::clip;
using refseg::clip::fixtures::Frame;

namespace {

RegionMask box_mask(int x, int y, int w, int h) {
  RegionMask m;
  m.box = {x, y, w, h};
  m.pixels.assign(static_cast<size_t>(w) * h, 255);
  return m;
}

// An ellipse inscribed in its box, so the box holds pixels outside the mask.
RegionMask ellipse_mask(int x, int y, int w, int h) {
  RegionMask m = box_mask(x, y, w, h);
  for (int j = 0; j < h; ++j)
    for (int i = 0; i < w; ++i) {
      const double dx = (i + 0.5) / w - 0.5, dy = (j + 0.5) / h - 0.5;
      m.pixels[static_cast<size_t>(j) * w + i] = dx * dx + dy * dy <= 0.25 ? 255 : 0;
    }
  return m;
}

double max_diff(const at::Tensor &a, const at::Tensor &b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

std::shared_ptr<ClipModel> load(const std::string &name) {
  return load_openai_clip(fixtures::fixture_path(name + ".pt"));
}

at::Tensor plain_image_feature(ClipModel &model, const ImageView &frame) {
  torch::NoGradGuard no_grad;
  return model.encode_image(
      resize_square(normalized_frame(frame), model.config().image_resolution));
}

class BothTowers : public ::testing::TestWithParam<std::string> {};

TEST_P(BothTowers, AllOnesMaskGivesThePlainImageFeature) {
  auto model = load(GetParam());
  GlobalLocalEncoder encoder(model);
  Frame frame(80, 60, 1);
  auto f = encoder.encode(frame.view(), {box_mask(0, 0, 80, 60)});
  EXPECT_LE(max_diff(f.global, plain_image_feature(*model, frame.view())), 1e-5);
  // The local crop of a full-frame mask is the frame itself.
  EXPECT_LE(max_diff(f.local, plain_image_feature(*model, frame.view())), 1e-5);
}

TEST_P(BothTowers, LocalFeatureIgnoresPixelsOutsideTheMask) {
  GlobalLocalEncoder encoder(load(GetParam()));
  Frame frame(80, 60, 2);
  const RegionMask mask = ellipse_mask(20, 10, 37, 29);
  const auto before = encoder.encode_local(frame.view(), {mask});
  for (int y = 0; y < frame.height; ++y)
    for (int x = 0; x < frame.width; ++x)
      if (!mask.contains(x, y)) frame.at(x, y)[0] = static_cast<uint8_t>(255 - frame.at(x, y)[0]);
  EXPECT_EQ(max_diff(encoder.encode_local(frame.view(), {mask}), before), 0.0);
  frame.at(38, 24)[1] ^= 0x80;  // the ellipse's centre
  EXPECT_GT(max_diff(encoder.encode_local(frame.view(), {mask}), before), 0.0);
}

TEST_P(BothTowers, FeaturesDoNotDependOnTheOtherMasksInTheBatch) {
  GlobalLocalEncoder encoder(load(GetParam()));
  Frame frame(90, 70, 3);
  const RegionMask a = ellipse_mask(5, 5, 40, 30), b = box_mask(50, 20, 30, 45),
                   c = ellipse_mask(-10, 40, 60, 50);  // partly outside the frame
  const auto abc = encoder.encode(frame.view(), {a, b, c});
  const auto ca = encoder.encode(frame.view(), {c, a});
  const auto just_b = encoder.encode(frame.view(), {b});
  // 17 masks: buckets 16 + 1, with `a` alone in the last one.
  std::vector<RegionMask> many(16, b);
  many.push_back(a);
  const auto seventeen = encoder.encode(frame.view(), many);
  for (at::Tensor MaskFeatures::*part : {&MaskFeatures::global, &MaskFeatures::local}) {
    const auto &ref = abc.*part;
    // Batched results agree to float rounding; a different mask moves the
    // feature by far more (checked last).
    const double same = 1e-6 * ref.abs().max().item<double>();
    EXPECT_LE(max_diff((ca.*part)[1], ref[0]), same);
    EXPECT_LE(max_diff((ca.*part)[0], ref[2]), same);
    EXPECT_LE(max_diff((just_b.*part)[0], ref[1]), same);
    EXPECT_LE(max_diff((seventeen.*part)[16], ref[0]), same);
    EXPECT_LE(max_diff((seventeen.*part)[3], ref[1]), same);
    EXPECT_GT(max_diff(ref[0], ref[1]), 10 * same);
  }
}

TEST_P(BothTowers, NoMasksGiveEmptyFeatures) {
  GlobalLocalEncoder encoder(load(GetParam()));
  Frame frame(64, 48, 4);
  const auto f = encoder.encode(frame.view(), {});
  EXPECT_EQ(f.global.sizes(), (std::vector<int64_t>{0, 32}));
  EXPECT_EQ(f.local.sizes(), (std::vector<int64_t>{0, 32}));
  EXPECT_EQ(f.global.device(), torch::kCPU);
}

TEST_P(BothTowers, EveryPixelLayoutGivesTheSameFeatures) {
  GlobalLocalEncoder encoder(load(GetParam()));
  Frame frame(50, 40, 5);
  const RegionMask mask = ellipse_mask(8, 6, 30, 25);
  const auto reference = encoder.encode(frame.view(), {mask});
  for (PixelLayout layout : {PixelLayout::BGR, PixelLayout::RGBA, PixelLayout::BGRA,
                             PixelLayout::RGBx, PixelLayout::BGRx}) {
    const int bpp = bytes_per_pixel(layout), red = red_offset(layout), stride = 50 * bpp + 12;
    std::vector<uint8_t> data(static_cast<size_t>(stride) * 40, 77);
    for (int y = 0; y < 40; ++y)
      for (int x = 0; x < 50; ++x) {
        uint8_t *p = &data[static_cast<size_t>(y) * stride + x * bpp];
        const uint8_t *q = frame.at(x, y);
        p[red] = q[0];
        p[1] = q[1];
        p[2 - red] = q[2];
      }
    const auto f = encoder.encode(ImageView{data.data(), 50, 40, stride, layout}, {mask});
    EXPECT_EQ(max_diff(f.global, reference.global), 0.0) << static_cast<int>(layout);
    EXPECT_EQ(max_diff(f.local, reference.local), 0.0) << static_cast<int>(layout);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BothTowers, ::testing::Values("tiny_vit", "tiny_rn"));

// tiny_vit: 48 x 48 input, 8 x 8 patches (6 x 6 grid), 4 blocks.
TEST(GlobalFeature, OnePatchMaskSeesOnlyItsPatchInTheMaskedBlocks) {
  auto model = load("tiny_vit");
  GlobalLocalEncoder all_masked(model, 4), last_three(model, 3);
  Frame frame(48, 48, 6);                           // R x R: no resizing blurs patch borders
  const RegionMask patch = box_mask(24, 16, 8, 8);  // grid cell (row 2, col 3)
  const auto grid = mask_on_grid(patch, 48, 48, 6);
  for (int i = 0; i < 36; ++i) EXPECT_EQ(grid[i], i == 2 * 6 + 3 ? 1.f : 0.f) << i;

  const auto all_before = all_masked.encode_global(frame.view(), {patch});
  const auto three_before = last_three.encode_global(frame.view(), {patch});
  // Change a patch far from the masked one (cell row 5, col 0).
  for (int y = 40; y < 48; ++y)
    for (int x = 0; x < 8; ++x) frame.at(x, y)[0] ^= 0xff;
  // With every block masked, the class token only ever sees the masked patch...
  EXPECT_LE(max_diff(all_masked.encode_global(frame.view(), {patch}), all_before), 1e-6);
  // ...with an unmasked first block, the rest of the frame is context.
  EXPECT_GT(max_diff(last_three.encode_global(frame.view(), {patch}), three_before), 1e-4);
  // Changing the masked patch itself changes the feature.
  frame.at(27, 19)[1] ^= 0xff;
  EXPECT_GT(max_diff(all_masked.encode_global(frame.view(), {patch}), all_before), 1e-4);
}

TEST(GlobalFeature, ZeroMaskedLayersGiveThePlainImageFeatureForAnyMask) {
  auto model = load("tiny_vit");
  GlobalLocalEncoder encoder(model, 0);
  Frame frame(70, 50, 7);
  const auto f =
      encoder.encode_global(frame.view(), {ellipse_mask(3, 4, 20, 20), box_mask(40, 30, 10, 10)});
  const auto plain = plain_image_feature(*model, frame.view());
  EXPECT_LE(max_diff(f[0], plain[0]), 1e-5);
  EXPECT_LE(max_diff(f[1], plain[0]), 1e-5);
  EXPECT_EQ(GlobalLocalEncoder(model, 99).masked_layers(), 4);
  EXPECT_EQ(GlobalLocalEncoder(model, -2).masked_layers(), 0);
}

TEST(GlobalFeature, ResNetPoolsOnlyTheMaskedFeatureMap) {
  // A mask outside the frame zeroes the whole final map: the feature no
  // longer depends on the frame.
  GlobalLocalEncoder encoder(load("tiny_rn"));
  const RegionMask nowhere = box_mask(500, 500, 4, 4);
  const auto a = encoder.encode_global(Frame(64, 64, 8).view(), {nowhere});
  const auto b = encoder.encode_global(Frame(64, 64, 9).view(), {nowhere});
  EXPECT_LE(max_diff(a, b), 1e-6);
}

TEST(MaskOnGrid, EqualsBilinearSamplingOfTheFullMask) {
  const RegionMask mask = ellipse_mask(13, 7, 41, 33);
  const int W = 80, H = 60, G = 7;
  auto plane = torch::zeros({1, 1, H, W});
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) plane[0][0][y][x] = mask.contains(x, y) ? 1.f : 0.f;
  auto expected =
      torch::nn::functional::interpolate(plane, torch::nn::functional::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>{G, G})
                                                    .mode(torch::kBilinear)
                                                    .align_corners(false));
  const auto got = mask_on_grid(mask, W, H, G);
  for (int i = 0; i < G * G; ++i)
    EXPECT_NEAR(got[i], expected.view({-1})[i].item<float>(), 1e-6) << i;
}

TEST(Errors, BadFramesAndMasksAreModelErrors) {
  GlobalLocalEncoder encoder(load("tiny_vit"));
  Frame frame(40, 30, 10);
  RegionMask bad = box_mask(0, 0, 10, 10);
  bad.pixels.resize(50);
  EXPECT_THROW(encoder.encode(frame.view(), {bad}), ModelError);
  ImageView empty;
  EXPECT_THROW(encoder.encode(empty, {box_mask(0, 0, 4, 4)}), ModelError);
  ImageView short_stride = frame.view();
  short_stride.stride = 10;
  EXPECT_THROW(encoder.encode(short_stride, {}), ModelError);
}

}  // namespace

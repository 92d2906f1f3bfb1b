// The SAM image encoders and preprocessing against the reference
// implementations (segment-anything's ImageEncoderViT, MobileSAM's TinyViT,
// ResizeLongestSide + Sam.preprocess), run by scripts/make_sam_fixtures.py
// on the same random-weight checkpoints and the same synthetic frames.
//
// Tolerances: the preprocessed input is compared exactly (same uint8
// resize, same float32 operations); the embeddings (LayerNorm2d output,
// values of order 1) must have cosine >= 0.9999 with the reference and be
// allclose at atol 1e-4, rtol 1e-4 (float32 summation order differs between
// LibTorch's and the reference's kernels).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "../clip/reference_fixture.h"
#include "common/model_error.h"
#include "sam/sam_checkpoint.h"
#include "sam/sam_image_encoder.h"
#include "sam/sam_image_preprocess.h"
#include "sam_fixture.h"

using namespace refseg::sam;
namespace fx = refseg::sam::fixture;
using refseg::clip::reference_fixture::SyntheticFrame;

namespace {

refseg::ImageView view_of(const SyntheticFrame &f) {
  refseg::ImageView v;
  v.data = f.rgb.data();
  v.width = f.width;
  v.height = f.height;
  v.stride = f.width * 3;
  v.layout = refseg::PixelLayout::RGB;
  return v;
}

// [H, W, 3] uint8 tensor of a resized image.
torch::Tensor resized_tensor(const SyntheticFrame &f) {
  const auto [w, h] = longest_side_size(f.width, f.height);
  auto bytes = resize_longest_side(view_of(f));
  return torch::from_blob(bytes.data(), {h, w, 3}, torch::kUInt8).clone();
}

double cosine(const torch::Tensor &a, const torch::Tensor &b) {
  const auto x = a.flatten().to(torch::kDouble), y = b.flatten().to(torch::kDouble);
  return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

void expect_embedding_matches(const std::string &checkpoint, const std::string &reference) {
  const auto ref = fx::reference(reference);
  auto encoder = load_image_encoder(read_sam_checkpoint(fx::path(checkpoint)));
  const SyntheticFrame frame(640, 480);
  const SamInput input = sam_preprocess(view_of(frame));
  const auto size = fx::entry(ref, "input_size");
  EXPECT_EQ(input.input_height, size[0].item<int64_t>());
  EXPECT_EQ(input.input_width, size[1].item<int64_t>());
  EXPECT_EQ(input.original_width, 640);
  EXPECT_EQ(input.original_height, 480);
  // The reference's input, every 13th pixel: equal.
  const auto sample =
      input.image.index({torch::indexing::Slice(), torch::indexing::Slice(),
                         torch::indexing::Slice(torch::indexing::None, torch::indexing::None, 13),
                         torch::indexing::Slice(torch::indexing::None, torch::indexing::None, 13)});
  EXPECT_TRUE(torch::equal(sample, fx::entry(ref, "image")))
      << (sample - fx::entry(ref, "image")).abs().max().item<float>();

  torch::NoGradGuard no_grad;
  const auto out = encoder->forward(input.image);
  const auto &expected = fx::entry(ref, "embedding");
  ASSERT_EQ(out.sizes(), expected.sizes());
  const double cos = cosine(out, expected);
  const float max_diff = (out - expected).abs().max().item<float>();
  std::printf("%s: cosine %.9f, max |diff| %.3g (embedding std %.3g)\n", checkpoint.c_str(), cos,
              max_diff, expected.std().item<float>());
  EXPECT_GE(cos, 0.9999) << "max |diff| " << max_diff;
  EXPECT_TRUE(torch::allclose(out, expected, /*rtol=*/1e-4, /*atol=*/1e-4))
      << "max |diff| " << max_diff << ", cosine " << cos;
  // A real embedding, not a constant: it differs across positions.
  EXPECT_GT(expected.std().item<float>(), 0.1f);
}

}  // namespace

TEST(SamPreprocess, LongestSideSizeIsTheReferenceRule) {
  EXPECT_EQ(longest_side_size(640, 480), std::make_pair(1024, 768));
  EXPECT_EQ(longest_side_size(1500, 1100), std::make_pair(1024, 751));  // 750.93
  EXPECT_EQ(longest_side_size(2000, 60), std::make_pair(1024, 31));     // 30.72
  EXPECT_EQ(longest_side_size(15, 300), std::make_pair(51, 1024));      // 51.2
  EXPECT_EQ(longest_side_size(1024, 1024), std::make_pair(1024, 1024));
}

TEST(SamPreprocess, ResizeEqualsTheReferenceForThinFrames) {
  const auto ref = fx::reference("preprocess_reference.pt");
  for (auto [w, h] : {std::pair{400, 20}, {2000, 60}, {15, 300}}) {
    const std::string key = std::to_string(w) + "x" + std::to_string(h);
    SCOPED_TRACE(key);
    const auto ours = resized_tensor(SyntheticFrame(w, h));
    const auto &theirs = fx::entry(ref, "resized_" + key);
    ASSERT_EQ(ours.sizes(), theirs.sizes());
    EXPECT_TRUE(torch::equal(ours, theirs))
        << (ours.to(torch::kInt) - theirs.to(torch::kInt)).abs().max().item<int>();
  }
}

TEST(SamPreprocess, ResizeEqualsTheReferenceUpAndDown) {
  const auto ref = fx::reference("preprocess_reference.pt");
  for (auto [w, h] : {std::pair{640, 480}, {1500, 1100}}) {
    const std::string key = std::to_string(w) + "x" + std::to_string(h);
    SCOPED_TRACE(key);
    const auto ours = resized_tensor(SyntheticFrame(w, h)).to(torch::kLong);
    EXPECT_TRUE(torch::equal(ours.sum(1), fx::entry(ref, "rows_" + key)));
    EXPECT_TRUE(torch::equal(ours.sum(0), fx::entry(ref, "cols_" + key)));
    using torch::indexing::None;
    using torch::indexing::Slice;
    EXPECT_TRUE(
        torch::equal(ours.index({Slice(None, None, 7), Slice(None, None, 7)}).to(torch::kUInt8),
                     fx::entry(ref, "sample_" + key)));
  }
}

TEST(SamPreprocess, NormalisesAndPadsWithZeros) {
  const SyntheticFrame frame(640, 480);
  const SamInput in = sam_preprocess(view_of(frame));
  ASSERT_EQ(in.image.sizes(), (std::vector<int64_t>{1, 3, 1024, 1024}));
  const auto rgb = resized_tensor(frame).to(torch::kFloat).permute({2, 0, 1});
  const auto mean = torch::tensor({123.675f, 116.28f, 103.53f}).view({3, 1, 1});
  const auto stdv = torch::tensor({58.395f, 57.12f, 57.375f}).view({3, 1, 1});
  const auto inside = in.image[0].narrow(1, 0, 768);
  EXPECT_TRUE(torch::equal(inside, (rgb - mean) / stdv));
  EXPECT_EQ(in.image[0].narrow(1, 768, 256).abs().max().item<float>(), 0.f);
}

TEST(SamPreprocess, BgrFrameIsReadAsRgb) {
  const SyntheticFrame frame(64, 48);
  std::vector<uint8_t> bgrx(64 * 48 * 4);
  for (size_t i = 0; i < 64 * 48; ++i) {
    bgrx[i * 4 + 0] = frame.rgb[i * 3 + 2];
    bgrx[i * 4 + 1] = frame.rgb[i * 3 + 1];
    bgrx[i * 4 + 2] = frame.rgb[i * 3 + 0];
    bgrx[i * 4 + 3] = 255;
  }
  refseg::ImageView v{bgrx.data(), 64, 48, 64 * 4, refseg::PixelLayout::BGRx};
  EXPECT_TRUE(torch::equal(sam_preprocess(v).image, sam_preprocess(view_of(frame)).image));
}

TEST(SamImageEncoder, ViTEmbeddingEqualsTheReference) {
  expect_embedding_matches("sam_vit_small.pth", "sam_vit_small_reference.pt");
}

TEST(SamImageEncoder, TinyViTEmbeddingEqualsTheReference) {
  expect_embedding_matches("mobile_sam_small.pt", "mobile_sam_small_reference.pt");
}

TEST(SamImageEncoder, WrongInputSizeIsRefused) {
  auto encoder = load_image_encoder(read_sam_checkpoint(fx::path("sam_vit_small.pth")));
  EXPECT_THROW(encoder->forward(torch::zeros({1, 3, 512, 512})), refseg::ModelError);
}

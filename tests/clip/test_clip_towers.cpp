// The C++ towers reproduce the traced reference outputs of the fixture
// archives (OpenAI's layout, fp16 storage), and save/load round-trips.
#include <cstdio>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "fixtures.h"

using namespace refseg::clip;

namespace {

void expect_close(const at::Tensor &a, const at::Tensor &b, double tol) {
  ASSERT_EQ(a.sizes(), b.sizes());
  const double diff = (a - b).abs().max().item<double>();
  EXPECT_LE(diff, tol) << "max abs difference " << diff;
}

class Towers : public ::testing::TestWithParam<std::string> {};

TEST_P(Towers, ImageTowerMatchesTracedReference) {
  auto model = load_openai_clip(fixtures::fixture_path(GetParam() + ".pt"));
  auto ref = fixtures::parity_tensors(GetParam());
  torch::NoGradGuard no_grad;
  expect_close(model->encode_image(ref.at("images")), ref.at("image_features"), 1e-4);
}

TEST_P(Towers, TextTowerMatchesTracedReference) {
  auto model = load_openai_clip(fixtures::fixture_path(GetParam() + ".pt"));
  auto ref = fixtures::parity_tensors(GetParam());
  torch::NoGradGuard no_grad;
  expect_close(model->encode_text(ref.at("text")), ref.at("text_features"), 1e-4);
}

TEST_P(Towers, SavedLayoutLoadsBackToTheSameModel) {
  auto model = load_openai_clip(fixtures::fixture_path(GetParam() + ".pt"));
  const std::string path = ::testing::TempDir() + "/clip_roundtrip_" + GetParam() + ".pt";
  save_openai_layout(*model, path);  // fp16, like the fixture: values already fp16-exact
  auto again = load_openai_clip(path);
  auto saved = read_torchscript_tensors(path);
  std::remove(path.c_str());
  // Same names and dtypes as the archive it came from.
  auto original = read_torchscript_tensors(fixtures::fixture_path(GetParam() + ".pt"));
  ASSERT_EQ(original.size(), saved.size());
  for (const auto &kv : original) {
    ASSERT_TRUE(saved.count(kv.first)) << kv.first;
    EXPECT_EQ(saved[kv.first].scalar_type(), kv.second.scalar_type()) << kv.first;
    EXPECT_TRUE(saved[kv.first].equal(kv.second)) << kv.first;
  }
  auto ref = fixtures::parity_tensors(GetParam());
  torch::NoGradGuard no_grad;
  expect_close(again->encode_image(ref.at("images")), model->encode_image(ref.at("images")), 0);
  expect_close(again->encode_text(ref.at("text")), model->encode_text(ref.at("text")), 0);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Towers, ::testing::Values("tiny_vit", "tiny_rn"));

TEST(Config, InferredFromShapesLikeOpenAI) {
  auto vit = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  const ClipConfig &c = vit->config();
  EXPECT_TRUE(c.vision_is_vit);
  EXPECT_EQ(c.image_resolution, 48);
  EXPECT_EQ(c.vision_patch_size, 8);
  EXPECT_EQ(c.vision_width, 64);
  EXPECT_EQ(c.vision_layers, 4);
  EXPECT_EQ(c.embed_dim, 32);
  EXPECT_EQ(c.context_length, 77);
  EXPECT_EQ(c.vocab_size, 256);
  EXPECT_EQ(c.text_width, 128);
  EXPECT_EQ(c.text_heads(), 2);
  EXPECT_EQ(c.text_layers, 1);

  auto rn = load_openai_clip(fixtures::fixture_path("tiny_rn.pt"));
  EXPECT_FALSE(rn->config().vision_is_vit);
  EXPECT_EQ(rn->config().resnet_layers, (std::array<int, 4>{{1, 2, 1, 1}}));
  EXPECT_EQ(rn->config().image_resolution, 64);
  EXPECT_EQ(rn->config().vision_heads(), 2);
}

TEST(TextTower, RejectsTokensOutsideTheVocabulary) {
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  auto tokens = torch::zeros({1, 77}, torch::kLong);
  tokens[0][3] = 256;
  EXPECT_THROW(model->encode_text(tokens), refseg::ModelError);
  EXPECT_THROW(model->encode_text(torch::zeros({1, 76}, torch::kLong)), refseg::ModelError);
}

}  // namespace

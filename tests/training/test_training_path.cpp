// The trainer must train the features inference computes: the masked
// global feature and the local crop feature built from the world's samples
// must equal what the encoder (clip::GlobalLocalEncoder) gives for the same
// scene, and the losses must reward the right choice.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "language/noun_phrase.h"
#include "training/training_losses.h"
#include "training/world_samples.h"

namespace refseg::training {
namespace {

clip::ClipConfig micro_config() {
  clip::ClipConfig c;
  c.embed_dim = 32;
  c.image_resolution = 32;
  c.vision_width = 64;
  c.vision_layers = 3;
  c.vision_patch_size = 8;
  c.context_length = 16;
  c.vocab_size = 600;
  c.text_width = 64;
  c.text_layers = 1;
  return c;
}

TEST(TrainingPath, SampleFeaturesEqualTheEncoders) {
  torch::manual_seed(3);
  auto model = std::make_shared<clip::ClipModel>(micro_config());
  NounPhraseExtractor phrases;
  SamplerOptions so;
  so.image_resolution = 32;
  so.patch_size = 8;
  so.distractors_per_scene = 0;  // rows are then exactly the scene's objects
  WorldSampler sampler(so, phrases);
  const uint64_t seed = 42;
  const SceneSample sample = sampler.sample(seed);
  const world::Scene scene = world::make_scene(seed, so.world);
  ASSERT_EQ(sample.object_count, static_cast<int>(scene.objects.size()));
  ASSERT_FALSE(sample.expressions.empty());

  std::vector<RegionMask> masks;
  for (const auto &o : scene.objects) masks.push_back(world::region_mask(o));
  const ImageView frame{scene.image.data, scene.image.cols, scene.image.rows,
                        static_cast<int>(scene.image.step[0]), PixelLayout::RGB};
  for (int k : {0, 1, 3}) {
    clip::GlobalLocalEncoder encoder(model, k);
    const auto expected = encoder.encode(frame, masks);
    torch::NoGradGuard no_grad;
    const auto n = static_cast<int64_t>(masks.size());
    auto global = masked_global_features(model->vit, sample.image.unsqueeze(0),
                                         at::zeros({n}, at::kLong), sample.grid_masks, k);
    EXPECT_TRUE(at::allclose(global, expected.global, 1e-4, 1e-4)) << "masked layers " << k;
    auto local = model->vit->forward(sample.crops);
    EXPECT_TRUE(at::allclose(local, expected.local, 1e-4, 1e-4));
  }
}

TEST(TrainingPath, FullMasksGiveThePlainImageFeature) {
  torch::manual_seed(4);
  clip::ClipModel model(micro_config());
  torch::NoGradGuard no_grad;
  auto images = at::randn({2, 3, 32, 32});
  auto plain = model.vit->forward(images);
  auto masked = masked_global_features(model.vit, images, at::tensor({int64_t{1}, int64_t{0}}),
                                       at::ones({2, 16}), 2);
  EXPECT_TRUE(at::allclose(masked[0], plain[1], 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(masked[1], plain[0], 1e-5, 1e-5));
  // An empty mask hides every patch: the feature changes.
  auto hidden =
      masked_global_features(model.vit, images, at::tensor({int64_t{0}}), at::zeros({1, 16}), 2);
  EXPECT_FALSE(at::allclose(hidden[0], plain[0], 1e-3, 1e-3));
}

TEST(TrainingPath, SelectionLossRewardsTheTarget) {
  auto visual = at::eye(3);  // three orthogonal candidates
  auto text = at::tensor({0.1f, 1.f, 0.f}).view({1, 3});
  auto scale = at::full({}, 10.f);
  int64_t correct = -1;
  const float right =
      selection_loss(visual, text, at::tensor({int64_t{1}}), scale, &correct).item<float>();
  EXPECT_EQ(correct, 1);
  const float wrong =
      selection_loss(visual, text, at::tensor({int64_t{2}}), scale, &correct).item<float>();
  EXPECT_EQ(correct, 0);
  EXPECT_LT(right, wrong);
}

TEST(TrainingPath, TrainingSeedsNeverOverlapHeldOutOnes) {
  for (uint64_t run : {0ull, 1ull, 7ull})
    for (uint64_t i = 0; i < 1000; ++i)
      EXPECT_GE(training_scene_seed(run, i), kFirstTrainingSceneSeed);
}

}  // namespace
}  // namespace refseg::training

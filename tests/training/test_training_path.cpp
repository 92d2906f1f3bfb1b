// The trainer must train the features inference computes: the masked
// global feature and the local crop feature built from the world's samples
// must equal what the encoder (clip::GlobalLocalEncoder) gives for the same
// scene, and the losses must reward the right choice.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <set>
#include <string>

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

// With all_attribute_expressions the sample holds every attribute phrase the
// world can say of the scene (the world's tests check each is true and
// unique); the crop is trusted alone only when the colour and shape words
// single the target out, never for a text that names only a size.
TEST(TrainingPath, AllAttributeExpressionsAreTrueAndMarkWhatTheCropDecides) {
  NounPhraseExtractor phrases;
  SamplerOptions so;
  so.distractors_per_scene = 0;
  so.all_attribute_expressions = true;
  WorldSampler sampler(so, phrases);
  int size_only = 0, crop_decided = 0;
  for (uint64_t seed = 100; seed < 120; ++seed) {
    const SceneSample sample = sampler.sample(seed);
    const world::Scene scene = world::make_scene(seed, so.world);
    std::set<int> described;
    for (const auto &e : sample.expressions) {
      if (e.type != world::ExpressionType::Attribute) continue;
      described.insert(e.target);
      const std::string padded = " " + e.sentence + " ";
      auto says = [&](const std::string &w) {
        return padded.find(" " + w + " ") != std::string::npos;
      };
      const auto &target = scene.objects[static_cast<size_t>(e.target)];
      bool colour = false, shape = false;
      for (const auto c : world::all_colours()) colour |= says(world::colour_name(c));
      for (const auto h : world::all_shapes()) shape |= says(world::shape_name(h));
      // A text with no colour or shape word ("the big one") cannot be read off a crop.
      if (!colour && !shape) {
        EXPECT_FALSE(e.crop_decides) << e.sentence;
        ++size_only;
      }
      if (e.crop_decides) {
        ++crop_decided;
        int alike = 0;  // objects with the target's colour and shape, as far as named
        for (const auto &o : scene.objects)
          alike += (!colour || o.colour == target.colour) && (!shape || o.shape == target.shape);
        EXPECT_EQ(alike, 1) << e.sentence;
      }
    }
    // Every object the world's own (sampled) attribute expressions describe is
    // among them.
    for (const auto &e : scene.expressions) {
      if (e.type != world::ExpressionType::Attribute) continue;
      EXPECT_TRUE(described.count(e.target)) << "seed " << seed << ": " << e.text;
    }
  }
  EXPECT_GT(size_only, 0);
  EXPECT_GT(crop_decided, 0);
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

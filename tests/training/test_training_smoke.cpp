// A few steps of training on a micro model: the loss goes down, and the
// archive it writes loads back (weights and vocabulary) with identical
// outputs, through load_openai_clip() and through the runtime.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <filesystem>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "runtime/clip_runtime.h"
#include "tokenizer/bpe_tokenizer.h"
#include "training/tiny_clip_trainer.h"

namespace refseg::training {
namespace {

TrainingOptions micro_options() {
  TrainingOptions o;
  o.shape.image_resolution = 32;
  o.shape.patch_size = 8;
  o.shape.vision_width = 64;
  o.shape.vision_layers = 2;
  o.shape.text_width = 64;
  o.shape.text_layers = 1;
  o.shape.context_length = 32;
  o.shape.embed_dim = 32;
  o.masked_layers = 1;
  o.scenes_per_step = 2;
  o.steps = 40;
  o.warmup_steps = 2;
  o.learning_rate = 3e-3;
  o.vocabulary_scenes = 40;
  o.bpe_merges = 150;
  return o;
}

TEST(TrainingSmoke, LossDecreasesAndTheArchiveLoadsBack) {
  TinyClipTrainer trainer(micro_options());
  EXPECT_GT(trainer.merges().size(), 10u);
  EXPECT_LE(trainer.longest_text_tokens(), 32);  // no text is truncated
  double first = 0, last = 0;
  for (int i = 0; i < 40; ++i) {
    const StepResult r = trainer.step();
    ASSERT_TRUE(std::isfinite(r.loss));
    ASSERT_GT(r.expressions, 0);
    // Every object of the batch is scored against the world's descriptions.
    ASSERT_GE(r.objects, 2);
    ASSERT_LE(r.crops_described, r.objects);
    ASSERT_LE(r.globals_described, r.objects);
    if (i < 8) first += r.loss / 8;
    if (i >= 32) last += r.loss / 8;
  }
  EXPECT_EQ(trainer.steps_done(), 40);
  EXPECT_LT(last, first) << "mean loss of the first 8 steps " << first << ", of the last 8 "
                         << last;

  const auto dir = std::filesystem::temp_directory_path() / "refseg_training_smoke";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "micro.pt").string();
  trainer.save(path, /*fp16=*/false);
  ASSERT_TRUE(std::filesystem::exists(vocabulary_path_for(path)));

  auto loaded = clip::load_openai_clip(path);
  EXPECT_EQ(loaded->config().context_length, 32);
  EXPECT_EQ(loaded->config().image_resolution, 32);
  EXPECT_EQ(loaded->config().vocab_size, static_cast<int>(trainer.tokenizer().vocab_size()));
  torch::NoGradGuard no_grad;
  auto &model = trainer.model();
  model.eval();
  auto images = at::randn({2, 3, 32, 32});
  EXPECT_TRUE(at::equal(model.encode_image(images), loaded->encode_image(images)));
  const auto ids = trainer.tokenizer().tokenize("the small red circle", 32);
  auto tokens = at::tensor(ids, at::kLong).view({1, 32});
  const auto trained_text = model.encode_text(tokens);
  EXPECT_TRUE(at::equal(trained_text, loaded->encode_text(tokens)));

  // The runtime finds the vocabulary beside the weights and tokenizes alike.
  auto runtime = acquire_clip_runtime(path, RuntimeOptions{1, "cpu"});
  const auto feature = runtime->encode_text("the small red circle");
  ASSERT_EQ(feature.size(), 32u);
  for (int i = 0; i < 32; ++i) EXPECT_NEAR(feature[i], trained_text[0][i].item<float>(), 1e-5);
  std::filesystem::remove_all(dir);
}

TEST(TrainingSmoke, ImpossibleShapesAreRefused) {
  auto o = micro_options();
  o.masked_layers = 5;  // more than the 2 blocks
  EXPECT_THROW(TinyClipTrainer{o}, ModelError);
  o = micro_options();
  o.shape.image_resolution = 30;  // not a multiple of the patch
  EXPECT_THROW(TinyClipTrainer{o}, ModelError);
  o = micro_options();
  o.description_weight = -1;
  EXPECT_THROW(TinyClipTrainer{o}, ModelError);
}

}  // namespace
}  // namespace refseg::training

// Trains a tiny CLIP (both towers, OpenAI's architecture at a small size)
// on the synthetic referring world so that the global-local method works out
// of the box where no released CLIP weights can be had. The model is the
// project's own refseg::clip::ClipModel, trained through the same
// VisionTransformer stages the encoder runs at inference time, with its own
// small BPE vocabulary learnt from the world's texts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "clip/clip_config.h"
#include "tokenizer/merges_file.h"
#include "training/world_samples.h"

namespace refseg {
class BpeTokenizer;
}
namespace refseg::clip {
class ClipModel;
}

namespace refseg::training {

struct TinyClipShape {
  int image_resolution = 64, patch_size = 8, vision_width = 128, vision_layers = 4;
  int text_width = 128, text_layers = 4, context_length = 24;
  int embed_dim = 128;
  clip::ClipConfig config(int vocab_size) const;
};

struct TrainingOptions {
  TinyClipShape shape;
  uint64_t seed = 1;  // weights, scene order and loss sampling
  int steps = 600;
  int scenes_per_step = 8;
  int expressions_per_scene = 6;
  int distractors_per_scene = 1;
  bool all_attribute_expressions = false;  // SamplerOptions::all_attribute_expressions
  int masked_layers = 3;                   // k of the global-context feature
  // The selection loss mixes the features at this a (the selector's default)
  // except, with probability global_weight_spread, at a uniform random a.
  double selection_global_weight = 0.95;
  double global_weight_spread = 0.0;
  double learning_rate = 1e-3;  // peak, after a linear warm-up, then cosine decay
  int warmup_steps = 30;
  double weight_decay = 0.05;  // on matrices only
  // Weight of the description losses: every object's local crop against all
  // colour-and-shape descriptions of the world, and its masked global
  // feature against all size-colour-shape descriptions.
  double description_weight = 1.0;
  // The masked global feature's description loss relative to the crop's:
  // the global feature dominates the selector's score at a = 0.95 and must
  // carry size, colour and shape from a few patches.
  double global_description_share = 1.0;
  int bpe_merges = 300;
  int vocabulary_scenes = 1500;  // training scenes whose texts the BPE merges are learnt from
  // Start from these weights (an archive this trainer wrote with the same
  // shape and vocabulary options) instead of fresh ones: a second stage.
  std::string init_weights;
  // Index of the first training scene (a second stage continues where the
  // first one stopped instead of replaying its scenes).
  uint64_t first_scene = 0;
  world::WorldOptions world;
};

struct StepResult {
  double loss = 0;
  int64_t expressions = 0;
  int64_t correct = 0;  // chosen by the selector's rule at a = 0.95, b = 0.5
  // Objects, and how many of them whose local crop / masked global feature
  // is closest to their own description among all the world's descriptions.
  int64_t objects = 0, crops_described = 0, globals_described = 0;
};

struct TrainingProgress {
  int step = 0, steps = 0;
  double loss = 0;      // exponential moving average
  double accuracy = 0;  // over the last 50 steps' expressions (training scenes)
  // Over the last 50 steps' objects: own description ranked first, from the
  // local crop (colour, shape) and from the masked global feature (with size).
  double crop_description_accuracy = 0, global_description_accuracy = 0;
  double elapsed_s = 0, eta_s = 0;
};

class TinyClipTrainer {
 public:
  // Learns the vocabulary and builds the model with fresh weights. Throws
  // refseg::ModelError for options that cannot make a model.
  explicit TinyClipTrainer(const TrainingOptions &options);
  ~TinyClipTrainer();
  TinyClipTrainer(const TinyClipTrainer &) = delete;
  TinyClipTrainer &operator=(const TinyClipTrainer &) = delete;

  // One optimisation step on the next batch of training scenes.
  StepResult step();
  // Runs the remaining steps, calling `progress` after each.
  void train(const std::function<void(const TrainingProgress &)> &progress = {});

  int steps_done() const;
  const TrainingOptions &options() const;
  clip::ClipModel &model();
  std::shared_ptr<clip::ClipModel> shared_model();
  const BpeTokenizer &tokenizer() const;
  const BpeMerges &merges() const;
  // Tokens (with SOT/EOT) of the longest vocabulary-corpus text.
  int longest_text_tokens() const;

  // Writes the weights in OpenAI's layout (load_openai_clip() reads them)
  // and the vocabulary beside them (vocabulary_path_for()).
  void save(const std::string &weights_path, bool fp16 = true) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "dir/x.pt" -> "dir/x.vocab.txt.gz": where the runtime looks for a model's
// own vocabulary.
std::string vocabulary_path_for(const std::string &weights_path);

}  // namespace refseg::training

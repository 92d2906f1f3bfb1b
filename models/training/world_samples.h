// Training samples drawn from the synthetic referring world: for each scene
// the frame, every candidate mask (the scene's objects, then distractor
// masks that refer to nothing) as the CLIP inputs the encoder would make of
// it, and a type-balanced subset of the scene's referring expressions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "world/referring_world.h"

namespace refseg {
class NounPhraseExtractor;
}

namespace refseg::training {

// Scene seeds at or above this are the training set's; evaluation uses seeds
// below it, so held-out scenes are never trained on.
constexpr uint64_t kFirstTrainingSceneSeed = uint64_t{1} << 40;

// The world seed of training scene `index` of a run seeded `run_seed`.
uint64_t training_scene_seed(uint64_t run_seed, uint64_t index);

struct ExpressionSample {
  std::string sentence;  // the whole expression (t_sentence)
  std::string phrase;    // its target noun phrase (t_phrase)
  int target = -1;       // row among the scene's candidates
  world::ExpressionType type = world::ExpressionType::Attribute;
  // The crop alone can tell the target: the colour and shape the text names
  // single it out (size cannot be seen in a crop resized to R x R).
  bool crop_decides = false;
};

struct SceneSample {
  at::Tensor image;       // [3, R, R] the whole frame, normalized
  at::Tensor grid_masks;  // [N, G*G] candidate masks on the patch grid
  at::Tensor crops;       // [N, 3, R, R] local-context inputs
  int object_count = 0;   // rows [0, object_count) are objects, the rest distractors
  std::vector<std::string> descriptions;        // per object: "red circle" (colour and shape)
  std::vector<std::string> sized_descriptions;  // per object: "small red circle"
  std::vector<ExpressionSample> expressions;
};

struct SamplerOptions {
  int image_resolution = 64;
  int patch_size = 8;
  int expressions_per_scene = 6;  // at most; round-robin over the expression types
  // Masks that are no object (a piece of background, two objects merged,
  // part of one object), as a proposal generator makes them: the selection
  // loss learns to rank them below the target.
  int distractors_per_scene = 1;
  // Besides those expressions, every attribute expression the world can say
  // of the scene ("the star", "the big one", "the small red square"): the
  // words alone and in every combination must single the object out.
  bool all_attribute_expressions = false;
  world::WorldOptions world;
};

class WorldSampler {
 public:
  // `phrases` must outlive the sampler.
  WorldSampler(const SamplerOptions &options, const NounPhraseExtractor &phrases);

  // Deterministic in (scene_seed, options).
  SceneSample sample(uint64_t scene_seed) const;

  const SamplerOptions &options() const { return options_; }

 private:
  SamplerOptions options_;
  const NounPhraseExtractor &phrases_;
};

// Every text a scene sample might contain (expressions, their phrases,
// descriptions) for `scenes` training scenes: the corpus the BPE vocabulary
// is learnt from.
std::vector<std::string> world_text_corpus(uint64_t run_seed, int scenes,
                                           const world::WorldOptions &options,
                                           const NounPhraseExtractor &phrases);

}  // namespace refseg::training

// Trains the tiny CLIP of the synthetic referring world and writes it as an
// OpenAI-layout archive plus its vocabulary:
//   train_tiny_clip --out models/pretrained/refseg-tiny.pt [--steps N] [--seed S] ...
// Progress goes to stderr: step, loss, running selection accuracy, ETA.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "clip/inference_threads.h"
#include "common/model_error.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tool_options.h"
#include "training/tiny_clip_trainer.h"

namespace {

std::string format_time(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

// "dir/x.pt", 500 -> "dir/x.step500.pt"
std::string checkpoint_path(const std::string &out, int step) {
  const std::filesystem::path p(out);
  return (p.parent_path() /
          (p.stem().string() + ".step" + std::to_string(step) + p.extension().string()))
      .string();
}

}  // namespace

int main(int argc, char **argv) {
  refseg::training::TrainingOptions o;
  std::string out;
  int threads = 2;
  auto policy = refseg::clip::ThreadPolicy::kBlasPool;
  int save_every = 0;
  const char *tool = "train_tiny_clip";
  gchar *out_text = nullptr, *seed_text = nullptr, *first_scene_text = nullptr,
        *policy_text = nullptr, *init_text = nullptr;
  gboolean all_attribute = FALSE, fp32 = FALSE;
  auto &shape = o.shape;
  const GOptionEntry entries[] = {
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &out_text,
       "Write the archive to FILE.pt and its vocabulary beside it (required)", "FILE.pt"},
      {"steps", 0, 0, G_OPTION_ARG_INT, &o.steps, "Training steps (default 600)", "N"},
      {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_text,
       "Seed of the weights, scene order and loss sampling (default 1)", "S"},
      {"scenes-per-step", 0, 0, G_OPTION_ARG_INT, &o.scenes_per_step,
       "World scenes per step (default 8)", "N"},
      {"expressions-per-scene", 0, 0, G_OPTION_ARG_INT, &o.expressions_per_scene,
       "Expressions per scene (default 6)", "N"},
      {"distractors", 0, 0, G_OPTION_ARG_INT, &o.distractors_per_scene,
       "Distractors per scene (default 1)", "N"},
      {"masked-layers", 0, 0, G_OPTION_ARG_INT, &o.masked_layers,
       "k of the global-context feature (default 3)", "K"},
      {"all-attribute-expressions", 0, 0, G_OPTION_ARG_NONE, &all_attribute,
       "Every expression an attribute one", nullptr},
      {"global-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.selection_global_weight,
       "a of the selection loss (default 0.95)", "A"},
      {"global-weight-spread", 0, 0, G_OPTION_ARG_DOUBLE, &o.global_weight_spread,
       "Probability of a uniform random a instead (default 0)", "P"},
      {"description-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.description_weight,
       "Weight of the description loss (default 1)", "X"},
      {"global-description-share", 0, 0, G_OPTION_ARG_DOUBLE, &o.global_description_share,
       "Share of the description loss on the global feature (default 1)", "X"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &o.learning_rate,
       "Peak learning rate, after the warm-up, then cosine decay (default 0.001)", "X"},
      {"warmup", 0, 0, G_OPTION_ARG_INT, &o.warmup_steps, "Warm-up steps (default 30)", "N"},
      {"merges", 0, 0, G_OPTION_ARG_INT, &o.bpe_merges, "BPE merges (default 300)", "N"},
      {"vocabulary-scenes", 0, 0, G_OPTION_ARG_INT, &o.vocabulary_scenes,
       "Training scenes the BPE merges are learnt from (default 1500)", "N"},
      {"resolution", 0, 0, G_OPTION_ARG_INT, &shape.image_resolution,
       "Image resolution (default 64)", "R"},
      {"patch", 0, 0, G_OPTION_ARG_INT, &shape.patch_size, "Patch size (default 8)", "P"},
      {"vision-width", 0, 0, G_OPTION_ARG_INT, &shape.vision_width,
       "Image tower width (default 128)", "W"},
      {"vision-layers", 0, 0, G_OPTION_ARG_INT, &shape.vision_layers,
       "Image tower blocks (default 4)", "L"},
      {"text-width", 0, 0, G_OPTION_ARG_INT, &shape.text_width, "Text tower width (default 128)",
       "W"},
      {"text-layers", 0, 0, G_OPTION_ARG_INT, &shape.text_layers, "Text tower blocks (default 4)",
       "L"},
      {"context", 0, 0, G_OPTION_ARG_INT, &shape.context_length,
       "Text context length in tokens (default 24)", "N"},
      {"embed-dim", 0, 0, G_OPTION_ARG_INT, &shape.embed_dim, "Embedding width (default 128)", "D"},
      {"fp32", 0, 0, G_OPTION_ARG_NONE, &fp32, "Save fp32 weights (default: fp16)", nullptr},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "LibTorch threads (default 2)", "N"},
      {"thread-policy", 0, 0, G_OPTION_ARG_STRING, &policy_text,
       "blas (default), torch or both: how the cores are split between the pools", "P"},
      {"save-every", 0, 0, G_OPTION_ARG_INT, &save_every,
       "Also save FILE.stepN.pt every N steps (default 0: never)", "N"},
      {"init", 0, 0, G_OPTION_ARG_FILENAME, &init_text, "Start from an earlier archive's weights",
       "EARLIER.pt"},
      {"first-scene", 0, 0, G_OPTION_ARG_STRING, &first_scene_text,
       "First training scene (default 0; to go on from --init)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      tool, "- trains the tiny CLIP of the synthetic referring world",
      "Writes an OpenAI-layout archive plus its vocabulary (models/pretrained/refseg-tiny.pt is "
      "one). Progress goes to stderr: step, loss, running selection accuracy, ETA.",
      "Exit status: 0 done, 1 the training failed, 2 bad arguments.\n", entries, nullptr, &argc,
      &argv);
  if (argc > 1)
    refseg::tools::usage_error(tool, std::string("unexpected argument '") + argv[1] + "'");
  out = refseg::tools::take_string(out_text);
  if (out.empty()) refseg::tools::usage_error(tool, "--out FILE.pt is required");
  if (seed_text) o.seed = refseg::tools::unsigned64(tool, "--seed", seed_text);
  g_free(seed_text);
  if (first_scene_text)
    o.first_scene = refseg::tools::unsigned64(tool, "--first-scene", first_scene_text);
  g_free(first_scene_text);
  refseg::tools::parse_if_given(policy, tool, "--thread-policy", policy_text,
                                refseg::clip::parse_thread_policy);
  if (init_text) o.init_weights = refseg::tools::take_string(init_text);
  o.all_attribute_expressions = all_attribute;
  const bool fp16 = !fp32;

  try {
    // The same pools the encoder configures: on few cores LibTorch's OpenMP
    // pool and OpenBLAS's pool otherwise spin against each other.
    const auto pools = refseg::clip::configure_inference_threads(threads, policy);
    std::cerr << "threads: " << refseg::clip::describe(pools) << "\n";
    refseg::training::TinyClipTrainer trainer(o);
    std::cerr << "vocabulary: " << trainer.merges().size() << " merges, "
              << trainer.tokenizer().vocab_size() << " tokens; longest text "
              << trainer.longest_text_tokens() << " tokens (context " << o.shape.context_length
              << ")\n";
    if (trainer.longest_text_tokens() > o.shape.context_length)
      std::cerr << "warning: some texts are longer than the context and will be truncated\n";
    trainer.train([&](const refseg::training::TrainingProgress &p) {
      std::fprintf(stderr,
                   "step %5d/%d  loss %.4f  acc %.3f  described crop %.3f global %.3f  "
                   "elapsed %s  eta %s\n",
                   p.step, p.steps, p.loss, p.accuracy, p.crop_description_accuracy,
                   p.global_description_accuracy, format_time(p.elapsed_s).c_str(),
                   format_time(p.eta_s).c_str());
      // Checkpoints let a long run be inspected (and stopped) early.
      // Each checkpoint keeps its own file (x.step500.pt beside x.pt), so the
      // best one can be chosen after the run.
      if (save_every > 0 && p.step % save_every == 0 && p.step < p.steps)
        trainer.save(checkpoint_path(out, p.step), fp16);
    });
    trainer.save(out, fp16);
    std::cerr << "wrote " << out << " and " << refseg::training::vocabulary_path_for(out) << "\n";
  } catch (const std::exception &e) {
    std::cerr << "train_tiny_clip: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

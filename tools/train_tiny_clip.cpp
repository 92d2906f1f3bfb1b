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
#include "training/tiny_clip_trainer.h"

namespace {

void usage() {
  std::cerr << "usage: train_tiny_clip --out FILE.pt [--steps N] [--seed S] [--scenes-per-step N]\n"
               "         [--expressions-per-scene N] [--distractors N] [--masked-layers K]\n"
               "         [--all-attribute-expressions] [--global-weight A]\n"
               "         [--global-weight-spread P] [--description-weight X]\n"
               "         [--global-description-share X] [--lr X] [--warmup N] [--merges N]\n"
               "         [--resolution R] [--patch P]\n"
               "         [--vision-width W] [--vision-layers L] [--text-width W]\n"
               "         [--text-layers L] [--context N] [--embed-dim D] [--fp32]\n"
               "         [--threads N] [--thread-policy blas|torch|both]\n"
               "         [--save-every N] [--init EARLIER.pt] [--first-scene N]\n";
}

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
  bool fp16 = true;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw refseg::ModelError("missing value after " + arg);
        return argv[++i];
      };
      // The whole argument must be the number: "12abc" is refused, not 12.
      auto whole = [&](auto parse) {
        const std::string v = value();
        std::size_t used = 0;
        try {
          const auto n = parse(v, &used);
          if (used == v.size()) return n;
        } catch (const std::logic_error &) {
        }
        throw refseg::ModelError(arg + " needs a number, got '" + v + "'");
      };
      auto number = [&]() {
        return whole([](const std::string &v, std::size_t *used) { return std::stoi(v, used); });
      };
      auto real = [&]() {
        return whole([](const std::string &v, std::size_t *used) { return std::stod(v, used); });
      };
      if (arg == "--out")
        out = value();
      else if (arg == "--steps")
        o.steps = number();
      else if (arg == "--seed")
        o.seed = whole([](const std::string &v, std::size_t *used) {
          if (!v.empty() && v[0] == '-') throw std::invalid_argument(v);
          return std::stoull(v, used);
        });
      else if (arg == "--scenes-per-step")
        o.scenes_per_step = number();
      else if (arg == "--expressions-per-scene")
        o.expressions_per_scene = number();
      else if (arg == "--distractors")
        o.distractors_per_scene = number();
      else if (arg == "--masked-layers")
        o.masked_layers = number();
      else if (arg == "--lr")
        o.learning_rate = real();
      else if (arg == "--warmup")
        o.warmup_steps = number();
      else if (arg == "--all-attribute-expressions")
        o.all_attribute_expressions = true;
      else if (arg == "--global-weight")
        o.selection_global_weight = real();
      else if (arg == "--global-weight-spread")
        o.global_weight_spread = real();
      else if (arg == "--description-weight")
        o.description_weight = real();
      else if (arg == "--global-description-share")
        o.global_description_share = real();
      else if (arg == "--merges")
        o.bpe_merges = number();
      else if (arg == "--vocabulary-scenes")
        o.vocabulary_scenes = number();
      else if (arg == "--resolution")
        o.shape.image_resolution = number();
      else if (arg == "--patch")
        o.shape.patch_size = number();
      else if (arg == "--vision-width")
        o.shape.vision_width = number();
      else if (arg == "--vision-layers")
        o.shape.vision_layers = number();
      else if (arg == "--text-width")
        o.shape.text_width = number();
      else if (arg == "--text-layers")
        o.shape.text_layers = number();
      else if (arg == "--context")
        o.shape.context_length = number();
      else if (arg == "--embed-dim")
        o.shape.embed_dim = number();
      else if (arg == "--threads")
        threads = number();
      else if (arg == "--thread-policy")
        policy = refseg::clip::parse_thread_policy(value());
      else if (arg == "--fp32")
        fp16 = false;
      else if (arg == "--save-every")
        save_every = number();
      else if (arg == "--init")
        o.init_weights = value();
      else if (arg == "--first-scene")
        o.first_scene = whole([](const std::string &v, std::size_t *used) {
          if (!v.empty() && v[0] == '-') throw std::invalid_argument(v);
          return std::stoull(v, used);
        });
      else if (arg == "--help" || arg == "-h")
        return usage(), 0;
      else
        throw refseg::ModelError("unknown argument " + arg);
    }
    if (out.empty()) throw refseg::ModelError("--out FILE.pt is required");
  } catch (const std::exception &e) {
    std::cerr << "train_tiny_clip: " << e.what() << "\n";
    usage();
    return 2;
  }

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

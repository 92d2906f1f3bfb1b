// bench_selector: what choosing a proposal costs once the frame is encoded.
//
// A ViT-B/32-sized CLIP with random weights (speed does not depend on their
// values) is saved once in OpenAI's layout to a temporary directory, with
// OpenAI's BPE vocabulary beside it, and loaded through the runtime the
// elements use (acquire_clip_runtime: worker thread, text cache). Prints
//  (a) the latency from a new expression to its first selection: target
//      noun phrase, text embeddings of sentence and phrase (not cached),
//      mix, scores of N = 50 proposals, best proposal; the median over
//      distinct expressions the runtime has never seen;
//  (b) the selector's cost per frame with N = 50 proposals (random features,
//      D = 512) for 1 and 10 expressions whose text is cached: what the
//      refsegselector element does per frame;
//  (c) the same with spatial on (selection/spatial_resolver.h) at N = 20
//      proposals (random boxes and masks in a 640 x 480 frame) and 10
//      expressions with words of place, relation and order, texts cached:
//      geometry and mask distinctness once per frame, then per expression
//      the parse, the target and anchor descriptions' scores and the
//      resolution; against spatial off on the same expressions.
//
//   bench_selector [--vocab PATH] [--threads N]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_report.h"
#include "clip/clip_model.h"
#include "clip/inference_threads.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "language/noun_phrase.h"
#include "runtime/clip_runtime.h"
#include "selection/selection.h"
#include "selection/spatial_resolver.h"
#include "tool_options.h"

namespace fs = std::filesystem;

namespace {

constexpr int kProposals = 50;

// A model directory that is removed with this object.
class TempModelDir {
 public:
  TempModelDir() {
    std::string pattern = (fs::temp_directory_path() / "bench_selector.XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw refseg::ModelError("cannot create " + pattern);
    path_ = pattern;
  }
  ~TempModelDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempModelDir(const TempModelDir &) = delete;
  TempModelDir &operator=(const TempModelDir &) = delete;
  const fs::path &path() const { return path_; }

 private:
  fs::path path_;
};

// Expressions of RefCOCO's style; each has a target noun phrase that differs
// from the sentence, so a new one costs two text-tower passes.
const std::vector<std::string> kNewExpressions = {
    "man in the red shirt on the left",   "the dog lying next to the sofa",
    "woman holding a blue umbrella",      "small car behind the white truck",
    "the cup closest to the laptop",      "girl with long hair near the window",
    "tall tree on the right side",        "the plate with two slices of pizza",
    "bird sitting on the fence post",     "old man wearing glasses and a hat",
    "the bicycle leaning against a wall", "green bottle in front of the bowl",
};

// One expression's scores of n proposals as refsegselector computes them:
// phrase, cached text, mix, score_proposals.
std::vector<float> expression_scores(refseg::ClipRuntime &clip,
                                     const refseg::NounPhraseExtractor &phrases,
                                     const std::string &expression,
                                     const std::vector<float> &global,
                                     const std::vector<float> &local, size_t n, size_t dim) {
  const refseg::SelectionWeights weights;
  const std::string phrase = phrases.target_phrase(expression);
  const std::vector<float> text = refseg::mix_text_features(
      clip.encode_text(expression), clip.encode_text(phrase.empty() ? expression : phrase),
      weights.sentence);
  return refseg::score_proposals(global.data(), local.data(), n, dim, text, weights.global);
}

// Per-frame work of refsegselector for each expression (its
// transform_frame_ip): scores, best proposal.
int select_all(refseg::ClipRuntime &clip, const refseg::NounPhraseExtractor &phrases,
               const std::vector<std::string> &expressions, const std::vector<float> &global,
               const std::vector<float> &local, size_t dim, int n = kProposals) {
  int checksum = 0;
  for (const std::string &expression : expressions)
    checksum += refseg::best_proposal(
        expression_scores(clip, phrases, expression, global, local, static_cast<size_t>(n), dim));
  return checksum;
}

const std::vector<std::string> kSpatialExpressions = {
    "the second cup from the left",   "the dog under the table", "leftmost man",
    "the car behind the white truck", "bottom left laptop",      "the third chair from the right",
    "woman next to the man in black", "the biggest elephant",    "the plate on top of the table",
    "the last bottle on the right",
};

// N proposals: random boxes in a 640 x 480 frame, each mask an ellipse
// filling its box.
std::vector<refseg::RegionMask> random_masks(int n, std::mt19937 &gen) {
  std::uniform_int_distribution<int> size(20, 160), x(0, 480), y(0, 320);
  std::vector<refseg::RegionMask> masks(static_cast<size_t>(n));
  for (auto &m : masks) {
    m.box = refseg::Box{x(gen), y(gen), size(gen), size(gen)};
    m.pixels.resize(static_cast<size_t>(m.box.area()));
    for (int r = 0; r < m.box.height; ++r)
      for (int c = 0; c < m.box.width; ++c) {
        const float u = (c + 0.5f) / m.box.width - 0.5f, v = (r + 0.5f) / m.box.height - 0.5f;
        m.pixels[static_cast<size_t>(r) * m.box.width + c] = u * u + v * v <= 0.25f ? 255 : 0;
      }
  }
  return masks;
}

// (c): refsegselector's per-frame work with spatial on.
int select_spatially(refseg::ClipRuntime &clip, const refseg::NounPhraseExtractor &phrases,
                     const std::vector<std::string> &expressions,
                     const std::vector<refseg::RegionMask> &masks, const std::vector<float> &global,
                     const std::vector<float> &local, size_t dim) {
  const refseg::SelectionWeights weights;
  const size_t n = masks.size();
  std::vector<refseg::ProposalGeometry> geometry;
  for (const auto &m : masks) geometry.push_back(refseg::proposal_geometry(m));
  const std::vector<float> distinctness = refseg::mask_distinctness(masks);
  int checksum = 0;
  for (const std::string &expression : expressions) {
    const std::vector<float> scores =
        expression_scores(clip, phrases, expression, global, local, n, dim);
    const refseg::SpatialChoice choice = refseg::choose_spatially(
        expression, geometry, distinctness, [&](const std::string &description) {
          const std::vector<float> t = clip.encode_text(description);
          return refseg::score_proposals(global.data(), local.data(), n, dim,
                                         refseg::mix_text_features(t, t, weights.sentence),
                                         weights.global);
        });
    checksum += choice.resolution.resolved ? choice.resolution.best : refseg::best_proposal(scores);
  }
  return checksum;
}

}  // namespace

int main(int argc, char **argv) {
  std::string vocab = REFSEG_SOURCE_DIR "/../shared/clip/bpe_simple_vocab_16e6.txt.gz";
  int threads = 0;
  gchar *vocab_text = nullptr;
  const GOptionEntry entries[] = {
      {"vocab", 0, 0, G_OPTION_ARG_FILENAME, &vocab_text,
       "OpenAI's BPE vocabulary (default ../shared/clip/bpe_simple_vocab_16e6.txt.gz)", "PATH"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "LibTorch threads, 0 or more (default 0: the runtime's default)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      "bench_selector", "- the selector's cost per frame at ViT-B/32 size",
      "With a ViT-B/32-sized CLIP of random weights: the latency from a new expression to its "
      "first selection, and the cost per frame of 1 and 10 expressions with spatial off and on.",
      nullptr, entries, nullptr, &argc, &argv);
  if (argc > 1)
    refseg::tools::usage_error("bench_selector",
                               std::string("unexpected argument '") + argv[1] + "'");
  if (vocab_text) vocab = refseg::tools::take_string(vocab_text);
  threads = refseg::tools::int_in_range("bench_selector", "--threads", threads, 0, 1024);
  if (!fs::is_regular_file(vocab)) {
    std::fprintf(stderr, "bench_selector: no BPE vocabulary at %s (give --vocab PATH)\n",
                 vocab.c_str());
    return 1;
  }

  try {
    TempModelDir dir;
    const fs::path weights = dir.path() / "ViT-B-32.pt";
    {
      refseg::clip::ClipModel model(refseg::clip::ClipConfig{});  // ViT-B/32
      refseg::clip::save_openai_layout(model, weights.string());
    }
    fs::copy_file(vocab, dir.path() / "bpe_simple_vocab_16e6.txt.gz");

    refseg::RuntimeOptions options;
    options.threads = threads;
    std::shared_ptr<refseg::ClipRuntime> clip;
    const double load_ms = refseg::bench::time_once([&] {
                             clip = refseg::acquire_clip_runtime(weights.string(), options);
                           }).wall_ms;
    std::unique_ptr<refseg::NounPhraseExtractor> phrases;
    const double parser_ms = refseg::bench::time_once([&] {
                               phrases = std::make_unique<refseg::NounPhraseExtractor>();
                             }).wall_ms;

    std::printf(
        "bench_selector: ViT-B/32-sized CLIP (random weights, saved fp16, run fp32 on "
        "CPU) through acquire_clip_runtime\n");
    refseg::bench::print_environment(stdout);
    // The same call the runtime's worker makes; OpenBLAS's count is
    // process-wide, so this also shows what the worker set.
    std::printf("threads: %s\n",
                refseg::clip::describe(refseg::clip::configure_inference_threads(threads)).c_str());
    std::printf("precision: fp32; noun phrases: %s\n",
                phrases->has_parser() ? "link-grammar" : "word-list heuristic");
    std::printf(
        "runtime load (weights + vocabulary + worker): %.0f ms; noun-phrase parser "
        "load: %.0f ms\n\n",
        load_ms, parser_ms);

    const size_t dim = static_cast<size_t>(clip->embed_dim());
    std::mt19937 gen(3);
    std::normal_distribution<float> normal;
    std::vector<float> global(kProposals * dim), local(kProposals * dim);
    for (auto &v : global) v = normal(gen);
    for (auto &v : local) v = normal(gen);

    // Warm the text tower's kernels with a text no later run uses.
    clip->encode_text("warm-up text that is never measured");

    // (a) New text: every expression is new to the phrase cache and the text cache.
    std::vector<double> new_ms, new_cpu;
    for (const std::string &e : kNewExpressions) {
      const auto t =
          refseg::bench::time_once([&] { select_all(*clip, *phrases, {e}, global, local, dim); });
      new_ms.push_back(t.wall_ms);
      new_cpu.push_back(t.cpu_ms);
    }
    std::printf(
        "(a) new expression -> first selection (N = %d): median %.1f ms wall, %.1f ms CPU "
        "over %zu distinct expressions (min %.1f, max %.1f)\n",
        kProposals, refseg::bench::median(new_ms), refseg::bench::median(new_cpu), new_ms.size(),
        *std::min_element(new_ms.begin(), new_ms.end()),
        *std::max_element(new_ms.begin(), new_ms.end()));

    // (b) Per frame, texts cached (all were seen in (a)).
    for (size_t count : {size_t{1}, size_t{10}}) {
      const std::vector<std::string> expressions(kNewExpressions.begin(),
                                                 kNewExpressions.begin() + count);
      const int reps = 2000;
      std::vector<double> us;
      volatile int sink = 0;
      for (int r = 0; r < reps + 1; ++r) {
        const auto t = refseg::bench::time_once(
            [&] { sink = sink + select_all(*clip, *phrases, expressions, global, local, dim); });
        if (r > 0) us.push_back(t.wall_ms * 1e3);
      }
      std::printf(
          "(b) per frame, N = %d, %2zu expression%s (text cached): median %.1f us "
          "(%d frames)\n",
          kProposals, count, count == 1 ? " " : "s", refseg::bench::median(us), reps);
    }

    // (c) Spatial on, N = 20, 10 spatial expressions, texts cached.
    {
      constexpr int kSpatialProposals = 20;
      const std::vector<refseg::RegionMask> masks = random_masks(kSpatialProposals, gen);
      std::vector<float> g20(global.begin(), global.begin() + kSpatialProposals * dim);
      std::vector<float> l20(local.begin(), local.begin() + kSpatialProposals * dim);
      // Caches every sentence, phrase and description once.
      select_spatially(*clip, *phrases, kSpatialExpressions, masks, g20, l20, dim);
      const int reps = 1000;
      std::vector<double> on_us, off_us;
      volatile int sink = 0;
      for (int r = 0; r < reps; ++r) {
        on_us.push_back(refseg::bench::time_once([&] {
                          sink = sink + select_spatially(*clip, *phrases, kSpatialExpressions,
                                                         masks, g20, l20, dim);
                        }).wall_ms *
                        1e3);
        off_us.push_back(refseg::bench::time_once([&] {
                           sink = sink + select_all(*clip, *phrases, kSpatialExpressions, g20, l20,
                                                    dim, kSpatialProposals);
                         }).wall_ms *
                         1e3);
      }
      std::printf(
          "(c) per frame, N = %d, %zu spatial expressions (text cached): spatial on median "
          "%.1f us, off %.1f us (%d frames each, interleaved)\n",
          kSpatialProposals, kSpatialExpressions.size(), refseg::bench::median(on_us),
          refseg::bench::median(off_us), reps);
    }
    std::printf("\npeak RSS: %.0f MB\n", refseg::bench::peak_rss_mb());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_selector: %s\n", e.what());
    return 1;
  }
  return 0;
}

// bench_contention: what a CPU-bound neighbour process does to the
// analysis rate. Times --frames analyses of --masks masks on a 640x480
// frame through the runtime (exactly what refsegencoder calls) alone and
// beside a child process that spins on one core, and prints both and their
// ratio. The two conditions alternate in --rounds rounds (each a share of
// the frames), so a drift of the machine's speed (a shared host) falls on
// both alike. The model's threads are --threads (default 0: the runtime's
// default, the cores other processes leave idle).
//
//   bench_contention --model NAME|PATH [--threads N] [--frames 30]
//                    [--rounds 3] [--masks 5] [--precision fp32]   (--help: all)
//
// ViT-B/32-sized random weights: make_test_clip OUT.pt --vit-b32.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench_report.h"
#include "common/model_error.h"
#include "runtime/clip_runtime.h"
#include "spawned_process.h"
#include "tool_options.h"

namespace {

const char *kTool = "bench_contention";

}  // namespace

int main(int argc, char **argv) {
  std::string model;
  int threads = 0, frames = 30, rounds = 3, n_masks = 5;
  refseg::clip::Precision precision = refseg::clip::Precision::kFp32;
  gchar *model_text = nullptr, *precision_text = nullptr;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_text,
       "CLIP model: a name in the models directories or a path (required)", "NAME|PATH"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "LibTorch threads, 0 or more (default 0: the runtime's default)", "N"},
      {"frames", 0, 0, G_OPTION_ARG_INT, &frames, "Analyses in all, 1 or more (default 30)", "N"},
      {"rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
       "Rounds the two conditions alternate in, 1 to --frames (default 3)", "N"},
      {"masks", 0, 0, G_OPTION_ARG_INT, &n_masks, "Masks per analysis, 1 or more (default 5)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision_text,
       "fp32 (default), bf16, int8 or auto", "P"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      kTool, "- the analysis rate alone and beside a CPU-bound neighbour process",
      "Times --frames analyses of --masks masks on a 640x480 frame through the runtime (what "
      "refsegencoder calls) alone and beside a child process that spins on one core, in "
      "alternating rounds, and prints both and their ratio.",
      "ViT-B/32-sized random weights: make_test_clip OUT.pt --vit-b32.\n\n"
      "Exit status: 0 done, 1 the work failed (the model), 2 bad arguments.\n",
      entries, nullptr, &argc, &argv);
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  model = refseg::tools::take_string(model_text);
  if (model.empty()) refseg::tools::usage_error(kTool, "--model is required");
  using refseg::tools::int_in_range;
  threads = int_in_range(kTool, "--threads", threads, 0, 1 << 20);
  frames = int_in_range(kTool, "--frames", frames, 1, 1 << 30);
  rounds = int_in_range(kTool, "--rounds", rounds, 1, 1 << 30);
  n_masks = int_in_range(kTool, "--masks", n_masks, 1, 1 << 20);
  refseg::tools::parse_if_given(precision, kTool, "--precision", precision_text,
                                refseg::clip::parse_precision);
  if (rounds > frames) refseg::tools::usage_error(kTool, "--rounds must not exceed --frames");
  std::printf(
      "bench_contention: %d analyses of %d masks in %d rounds, 640x480, model %s, "
      "threads %d%s, %s\n",
      frames, n_masks, rounds, model.c_str(), threads, threads == 0 ? " (default)" : "",
      refseg::clip::precision_name(precision));
  refseg::bench::print_environment(stdout);

  std::mt19937 gen(3);
  const int W = 640, H = 480;
  std::vector<uint8_t> pixels(static_cast<size_t>(W) * H * 3);
  for (auto &v : pixels) v = static_cast<uint8_t>(gen() & 255);
  const refseg::ImageView frame{pixels.data(), W, H, W * 3, refseg::PixelLayout::RGB};
  std::vector<refseg::RegionMask> masks;
  for (int i = 0; i < n_masks; ++i) {
    refseg::RegionMask m;
    m.box = {static_cast<int>(gen() % 400), static_cast<int>(gen() % 300), 160, 120};
    m.pixels.assign(160 * 120, 255);
    masks.push_back(m);
  }
  try {
    auto runtime = refseg::acquire_clip_runtime(model, {threads, "cpu", precision});
    runtime->encode_masks(frame, masks, 3);  // warm-up
    // Each analysis's wall time and threads, per condition, so a total can
    // be read: a few slow analyses, or all of them slower.
    struct Condition {
      const char *label;
      std::vector<double> ms;
      std::map<int, int> threads_used;
      double total_s = 0;
    } alone{"alone:"}, beside{"beside a CPU-bound process:"}, change{"first after a change:"};
    auto run = [&](Condition &c, int count) {
      for (int f = 0; f < count; ++f) {
        const auto t0 = std::chrono::steady_clock::now();
        const refseg::EncodedMasks out = runtime->encode_masks(frame, masks, 3);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        c.ms.push_back(ms);
        c.total_s += ms / 1000;
        ++c.threads_used[out.threads];
      }
    };
    // The runtime chooses an analysis's threads from what the cores did
    // during the previous one, so the first analysis after the neighbour
    // comes or goes still runs on the old choice: it is timed apart.
    for (int r = 0; r < rounds; ++r) {
      const int count = frames / rounds + (r < frames % rounds);
      if (r > 0) run(change, 1);
      run(alone, count);
      {
        // At most 10 minutes, should the benchmark die first.
        const refseg::SpawnedProcess neighbour = refseg::busy_core(600);
        if (!neighbour.started()) throw refseg::ModelError(neighbour.error());
        run(change, 1);
        run(beside, count);
      }
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    for (Condition *c : {&alone, &beside, &change}) {
      std::string threads_text;
      for (const auto &[threads, count] : c->threads_used)
        threads_text += (threads_text.empty() ? "" : ", ") + std::to_string(count) + " on " +
                        std::to_string(threads);
      std::printf("%-27s %.2f s (per analysis ms: min %.0f, median %.0f, max %.0f; threads: %s)\n",
                  c->label, c->total_s, *std::min_element(c->ms.begin(), c->ms.end()),
                  median(c->ms), *std::max_element(c->ms.begin(), c->ms.end()),
                  threads_text.c_str());
    }
    std::printf("ratio beside / alone: %.2f (of the medians: %.2f)\n",
                beside.total_s / alone.total_s, median(beside.ms) / median(alone.ms));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_contention: %s\n", e.what());
    return 1;
  }
  return 0;
}

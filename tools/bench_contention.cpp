// bench_contention: what a CPU-bound neighbour process does to the
// analysis rate. Times --frames analyses of --masks masks on a 640x480
// frame through the runtime (exactly what refsegencoder calls), first
// alone, then beside a child process that spins on one core, and prints
// both and their ratio. The model's threads are --threads (default 0: the
// runtime's default, the cores other processes leave idle).
//
//   bench_contention --model NAME|PATH [--threads N] [--frames 30]
//                    [--masks 5] [--precision fp32]
//
// ViT-B/32-sized random weights: make_test_clip OUT.pt --vit-b32.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_report.h"
#include "common/model_error.h"
#include "runtime/clip_runtime.h"

namespace {

// A child process that keeps one core busy until killed.
pid_t start_neighbour() {
  const pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }
  return pid;
}

}  // namespace

int main(int argc, char **argv) {
  std::string model;
  int threads = 0, frames = 30, n_masks = 5;
  refseg::clip::Precision precision = refseg::clip::Precision::kFp32;
  try {
    for (int i = 1; i < argc; ++i) {
      const bool has_value = i + 1 < argc;
      if (!std::strcmp(argv[i], "--model") && has_value)
        model = argv[++i];
      else if (!std::strcmp(argv[i], "--threads") && has_value)
        threads = refseg::bench::parse_count(argv[++i], "--threads", 0);
      else if (!std::strcmp(argv[i], "--frames") && has_value)
        frames = refseg::bench::parse_count(argv[++i], "--frames", 1);
      else if (!std::strcmp(argv[i], "--masks") && has_value)
        n_masks = refseg::bench::parse_count(argv[++i], "--masks", 1);
      else if (!std::strcmp(argv[i], "--precision") && has_value)
        precision = refseg::clip::parse_precision(argv[++i]);
      else
        throw refseg::ModelError("unknown argument '" + std::string(argv[i]) + "'");
    }
    if (model.empty()) throw refseg::ModelError("--model is required");
  } catch (const refseg::ModelError &e) {
    std::fprintf(stderr,
                 "%s\nusage: %s --model NAME|PATH [--threads N] [--frames 30] [--masks 5] "
                 "[--precision fp32]\n",
                 e.what(), argv[0]);
    return 2;
  }
  std::printf("bench_contention: %d analyses of %d masks, 640x480, model %s, threads %d%s, %s\n",
              frames, n_masks, model.c_str(), threads, threads == 0 ? " (default)" : "",
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
    auto run = [&] {
      const auto start = std::chrono::steady_clock::now();
      for (int f = 0; f < frames; ++f) runtime->encode_masks(frame, masks, 3);
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const double alone = run();
    std::printf("alone:                      %.2f s (%.0f ms per analysis)\n", alone,
                1000 * alone / frames);
    const pid_t neighbour = start_neighbour();
    if (neighbour < 0) throw refseg::ModelError("fork failed");
    usleep(300 * 1000);  // one sample interval, so the runtime sees it
    const double beside = run();
    kill(neighbour, SIGKILL);
    waitpid(neighbour, nullptr, 0);
    std::printf("beside a CPU-bound process: %.2f s (%.0f ms per analysis)\n", beside,
                1000 * beside / frames);
    std::printf("ratio beside / alone: %.2f\n", beside / alone);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_contention: %s\n", e.what());
    return 1;
  }
  return 0;
}

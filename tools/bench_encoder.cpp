// bench_encoder: speed of the global-local CLIP encoder at ViT-B/32 size.
//
// Random weights (speed does not depend on their values), 640x480 frames,
// N = 1, 5, 20 masks. Prints the median milliseconds per frame of the global
// and the local part, the achieved GFLOP/s (FLOPs counted analytically, 2 per
// multiply-add) against the best fp32 matmul rate LibTorch reaches on this
// machine in the same run, the text tower's time per expression, the peak
// RSS, the BLAS in use and the thread count.
//
//   bench_encoder [--threads N] [--iters N] [--masked-layers K]
//                 [--thread-policy blas|torch|both] [--masks 1,5,20]
//
// --thread-policy picks how configure_inference_threads splits the cores
// between LibTorch's OpenMP pool and OpenBLAS's (default: the runtime's).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "bench_report.h"
#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/inference_threads.h"
#include "common/model_error.h"

using refseg::RegionMask;
using refseg::bench::median_ms;
using namespace refseg::clip;

namespace {

// FLOPs of one pre-LN block over B sequences of T tokens of width D.
double block_flops(double B, double T, double D) {
  return 2 * B * T * D * (3 * D + D + 8 * D) + 2 * 2 * B * T * T * D;
}

std::vector<RegionMask> random_masks(int n, int width, int height, std::mt19937 &gen) {
  std::vector<RegionMask> masks;
  for (int i = 0; i < n; ++i) {
    RegionMask m;
    m.box.width = 40 + static_cast<int>(gen() % 280);
    m.box.height = 40 + static_cast<int>(gen() % 220);
    m.box.x = static_cast<int>(gen() % (width - m.box.width));
    m.box.y = static_cast<int>(gen() % (height - m.box.height));
    m.pixels.resize(static_cast<size_t>(m.box.width) * m.box.height);
    for (int y = 0; y < m.box.height; ++y)
      for (int x = 0; x < m.box.width; ++x) {
        const double dx = (x + 0.5) / m.box.width - 0.5, dy = (y + 0.5) / m.box.height - 0.5;
        m.pixels[static_cast<size_t>(y) * m.box.width + x] = dx * dx + dy * dy <= 0.25 ? 255 : 0;
      }
    masks.push_back(std::move(m));
  }
  return masks;
}

}  // namespace

int main(int argc, char **argv) {
  int threads = 0, iters = 5, masked_layers = 3;
  ThreadPolicy policy = ThreadPolicy::kBlasPool;
  std::vector<int> mask_counts = {1, 5, 20};
  try {
    for (int i = 1; i < argc; ++i) {
      const bool has_value = i + 1 < argc;
      if (!std::strcmp(argv[i], "--threads") && has_value)
        threads = std::atoi(argv[++i]);
      else if (!std::strcmp(argv[i], "--iters") && has_value)
        iters = std::max(1, std::atoi(argv[++i]));
      else if (!std::strcmp(argv[i], "--masked-layers") && has_value)
        masked_layers = std::atoi(argv[++i]);
      else if (!std::strcmp(argv[i], "--masks") && has_value) {
        mask_counts.clear();
        for (const char *p = argv[++i]; *p;) {
          char *end = nullptr;
          const long n = std::strtol(p, &end, 10);
          if (end == p || n < 0) throw refseg::ModelError("--masks: expected e.g. 1,5,20");
          mask_counts.push_back(static_cast<int>(n));
          p = *end == ',' ? end + 1 : end;
        }
      } else if (!std::strcmp(argv[i], "--thread-policy") && has_value)
        policy = parse_thread_policy(argv[++i]);
      else
        throw refseg::ModelError("unknown argument '" + std::string(argv[i]) + "'");
    }
  } catch (const refseg::ModelError &e) {
    std::fprintf(stderr,
                 "%s\nusage: %s [--threads N] [--iters N] [--masked-layers K] "
                 "[--thread-policy blas|torch|both] [--masks 1,5,20]\n",
                 e.what(), argv[0]);
    return 2;
  }
  // Exactly what the runtime's inference worker does before its first job.
  const InferenceThreads configured = configure_inference_threads(threads, policy);
  c10::InferenceMode inference;

  ClipConfig cfg;  // defaults: ViT-B/32
  auto model = std::make_shared<ClipModel>(cfg);
  GlobalLocalEncoder encoder(model, masked_layers);

  std::printf("bench_encoder: ViT-B/32-sized CLIP, random weights, fp32 on CPU\n");
  refseg::bench::print_environment(stdout);
  std::printf("threads: policy %s: %s\n", thread_policy_name(policy), describe(configured).c_str());
  const char *wait = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY=%s\n", wait ? wait : "(unset)");

  // Reference: the best fp32 matmul rate here, 1000x768 @ 768x3072 (the
  // shape of a ViT-B/32 MLP at batch 20), measured before and after the
  // encoder so a neighbour's burst on the machine shows as a difference.
  auto a = at::randn({1000, 768}), b = at::randn({768, 3072});
  auto matmul_gflops = [&] {
    double best = 0;
    for (int i = 0; i < 3; ++i) {
      const double ms = median_ms(std::max(iters, 5), [&] { at::mm(a, b); });
      best = std::max(best, 2.0 * 1000 * 768 * 3072 / (ms * 1e6));
    }
    return best;
  };
  double best_gflops = matmul_gflops();
  std::printf("matmul 1000x768 @ 768x3072: %.1f GFLOP/s (best of 3 medians)\n\n", best_gflops);

  const double D = cfg.vision_width, T = cfg.grid() * cfg.grid() + 1, L = cfg.vision_layers;
  const double k = encoder.masked_layers(), E = cfg.embed_dim, p = cfg.vision_patch_size;
  const double embed = 2.0 * cfg.grid() * cfg.grid() * 3 * p * p * D, head = 2 * D * E;
  const double image_flops = embed + L * block_flops(1, T, D) + head;

  std::mt19937 gen(7);
  const int W = 640, H = 480;
  std::vector<uint8_t> pixels(static_cast<size_t>(W) * H * 3);
  for (auto &v : pixels) v = static_cast<uint8_t>(gen() & 255);
  const refseg::ImageView frame{pixels.data(), W, H, W * 3, refseg::PixelLayout::RGB};

  std::printf("%4s %12s %12s %12s %14s %14s %10s\n", "N", "global ms", "local ms", "total ms",
              "global GF/s", "local GF/s", "% matmul");
  for (int n : mask_counts) {
    const auto masks = random_masks(n, W, H, gen);
    const double g_ms = median_ms(iters, [&] { encoder.encode_global(frame, masks); });
    const double l_ms = median_ms(iters, [&] { encoder.encode_local(frame, masks); });
    const double g_flops =
        embed + (L - k) * block_flops(1, T, D) + n * (k * block_flops(1, T, D) + head);
    const double l_flops = n * image_flops;
    const double rate = (g_flops + l_flops) / ((g_ms + l_ms) * 1e6);
    std::printf("%4d %12.1f %12.1f %12.1f %14.1f %14.1f %9.0f%%\n", n, g_ms, l_ms, g_ms + l_ms,
                g_flops / (g_ms * 1e6), l_flops / (l_ms * 1e6), 100 * rate / best_gflops);
  }

  const double after = matmul_gflops();
  std::printf(
      "matmul again after the encoder: %.1f GFLOP/s%s\n", after,
      after > best_gflops * 1.05 ? " (higher: the % column above used the lower rate)" : "");
  auto tokens = at::zeros({1, cfg.context_length}, at::kLong);
  for (int i = 0; i < 12; ++i) tokens[0][i] = static_cast<int64_t>(gen() % 49000) + 1;
  tokens[0][0] = 49406;
  tokens[0][12] = 49407;
  const double text_ms = median_ms(iters, [&] { model->encode_text(tokens); });
  const double text_flops = cfg.text_layers * block_flops(1, cfg.context_length, cfg.text_width) +
                            2.0 * cfg.text_width * E;
  std::printf("\ntext tower: %.1f ms per expression (%.1f GFLOP/s)\n", text_ms,
              text_flops / (text_ms * 1e6));
  std::printf("image tower: %.2f GFLOP per image, text tower %.2f GFLOP per expression\n",
              image_flops / 1e9, text_flops / 1e9);
  std::printf("peak RSS: %.0f MB\n", refseg::bench::peak_rss_mb());
  return 0;
}

// bench_encoder: speed of the global-local CLIP encoder at ViT-B/32 size.
//
// Random weights (speed does not depend on their values), 640x480 frames,
// N = 1, 5, 20 masks, per precision. Prints the median milliseconds per
// frame of the global and the local part, the achieved GFLOP/s (FLOPs
// counted analytically, 2 per multiply-add) against the best matmul rate of
// the same precision in the same run, the text tower's time per
// expression, how far each low precision's global, local and text
// features are from fp32's (cosine: min and median), the peak RSS, the CPU
// features, the BLAS in use and the thread count.
//
//   bench_encoder [--precision fp32,bf16,int8] [--threads N] [--iters N]
//                 [--masked-layers K] [--thread-policy blas|torch|both]
//                 [--masks 1,5,20]
//
// --precision: the modes to run, fp32 first as the reference (default:
// fp32, bf16, int8 on CPU). --thread-policy overrides how
// configure_inference_threads splits the cores between LibTorch's OpenMP
// pool and OpenBLAS's (default: the runtime's for each precision).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
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
#include "clip/packed_linear.h"
#include "clip/precision.h"
#include "common/model_error.h"
#include "list_items.h"

using refseg::RegionMask;
using refseg::bench::median;
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

// Min and median over rows of the cosine between a [N, D] and b [N, D].
std::pair<double, double> cosine_spread(const at::Tensor &a, const at::Tensor &b) {
  const auto cos = at::cosine_similarity(a.to(at::kDouble), b.to(at::kDouble), 1);
  std::vector<double> v(cos.data_ptr<double>(), cos.data_ptr<double>() + cos.numel());
  return {*std::min_element(v.begin(), v.end()), median(v)};
}

// The best rate of the 1000x768 @ 768x3072 matmul (a ViT-B/32 MLP at batch
// 20) in `precision`: at::mm in fp32, the model's packed linear otherwise
// (its input cast or quantization included, as the model runs it).
double best_matmul_gflops(Precision precision, Fp32Matmul fp32, int iters) {
  auto a = at::randn({1000, 768}), w = at::randn({3072, 768}) * 0.03, bias = at::zeros({3072});
  std::function<void()> run = [&] { at::mm(a, w.t()); };
  std::optional<PackedLinear> packed;
  if (precision != Precision::kFp32 || fp32 == Fp32Matmul::kOneDnn) {
    packed.emplace(w, bias, precision);
    run = [&] { packed->forward(a); };
  }
  // The first calls start the thread pool and oneDNN's kernels: not timed.
  for (int i = 0; i < 3; ++i) run();
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    const double ms = median_ms(std::max(iters, 5), run);
    best = std::max(best, 2.0 * 1000 * 768 * 3072 / (ms * 1e6));
  }
  return best;
}

struct Features {
  at::Tensor global, local, text;  // of the last mask count, and of the texts
};

}  // namespace

int main(int argc, char **argv) {
  int threads = 0, iters = 5, masked_layers = 3;
  std::optional<ThreadPolicy> policy;
  std::vector<int> mask_counts = {1, 5, 20};
  std::vector<Precision> precisions = {Precision::kFp32, Precision::kBf16, Precision::kInt8};
  // Empty: the runtime's choice (clip/fp32_matmul.h).
  std::vector<Fp32Matmul> fp32_engines;
  const char *usage =
      "usage: %s [--precision fp32,bf16,int8] [--fp32-matmul blas,onednn] [--threads N] "
      "[--iters N] [--masked-layers K] [--thread-policy blas|torch|both] [--masks 1,5,20]\n";
  // --help as the GOption tools answer it (tools/tool_options.h), without
  // GLib: this benchmark is built against LibTorch alone, on machines with
  // no GLib (a CUDA host with a Python torch wheel, ../shared/ENVIRONMENT.md).
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf(
          "Usage:\n  %s [OPTION...] - speed of the global-local CLIP encoder at ViT-B/32 size\n"
          "\n"
          "Random weights, 640x480 frames, per precision and mask count: the median ms per\n"
          "frame of the global and the local part, GFLOP/s against the best matmul rate of\n"
          "the same precision, the text tower's time, the low precisions' cosines to fp32,\n"
          "peak RSS, CPU features, BLAS and threads.\n"
          "\n"
          "Options:\n"
          "  -h, --help                Show this help\n"
          "  --precision LIST          Modes to run, fp32 first as the reference (default\n"
          "                            fp32,bf16,int8; auto: the runtime's choice)\n"
          "  --fp32-matmul LIST        fp32 matmul engines: blas, onednn (default: the\n"
          "                            runtime's choice)\n"
          "  --threads N               LibTorch threads, 0 or more (default 0: every core)\n"
          "  --iters N                 Timed runs per figure, 1 or more (default 5)\n"
          "  --masked-layers K         Image-tower blocks masked for the global feature\n"
          "                            (default 3)\n"
          "  --thread-policy P         blas, torch or both: how the cores are split between\n"
          "                            LibTorch's and OpenBLAS's pools (default: the\n"
          "                            runtime's for each precision)\n"
          "  --masks LIST              Mask counts per frame (default 1,5,20)\n"
          "\n"
          "Exit status: 0 done, 2 bad arguments.\n",
          argv[0]);
      return 0;
    }
  try {
    for (int i = 1; i < argc; ++i) {
      const bool has_value = i + 1 < argc;
      if (!std::strcmp(argv[i], "--threads") && has_value)
        threads = refseg::bench::parse_count(argv[++i], "--threads", 0);
      else if (!std::strcmp(argv[i], "--iters") && has_value)
        iters = refseg::bench::parse_count(argv[++i], "--iters", 1);
      else if (!std::strcmp(argv[i], "--masked-layers") && has_value)
        masked_layers = refseg::bench::parse_count(argv[++i], "--masked-layers", 0);
      else if (!std::strcmp(argv[i], "--masks") && has_value) {
        mask_counts.clear();
        for (const std::string &item : refseg::tools::list_items(argv[++i]))
          mask_counts.push_back(refseg::bench::parse_count(item.c_str(), "--masks", 0));
      } else if (!std::strcmp(argv[i], "--precision") && has_value) {
        precisions = {Precision::kFp32};
        for (const std::string &item : refseg::tools::list_items(argv[++i])) {
          const Precision p = parse_precision(item);
          if (p == Precision::kAuto)
            precisions.push_back(choose_precision(p, false, detect_cpu_features()).precision);
          else if (p != Precision::kFp32)
            precisions.push_back(p);
        }
      } else if (!std::strcmp(argv[i], "--fp32-matmul") && has_value) {
        fp32_engines.clear();
        for (const std::string &item : refseg::tools::list_items(argv[++i]))
          fp32_engines.push_back(parse_fp32_matmul(item));
      } else if (!std::strcmp(argv[i], "--thread-policy") && has_value)
        policy = parse_thread_policy(argv[++i]);
      else
        throw refseg::ModelError("unknown argument '" + std::string(argv[i]) + "'");
    }
  } catch (const refseg::ModelError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::fprintf(stderr, usage, argv[0]);
    return 2;
  }
  c10::InferenceMode inference;
  const CpuFeatures cpu = detect_cpu_features();
  ClipConfig cfg;  // defaults: ViT-B/32

  std::printf("bench_encoder: ViT-B/32-sized CLIP, random weights, on CPU\n");
  refseg::bench::print_environment(stdout);
  std::printf("CPU features: %s\n", describe(cpu).c_str());
  const Fp32MatmulChoice fp32_choice = choose_fp32_matmul();
  std::printf("fp32 matmuls, as the runtime chooses: %s (%s)\n",
              fp32_matmul_name(fp32_choice.engine), fp32_choice.reason.c_str());
  if (fp32_engines.empty()) fp32_engines = {fp32_choice.engine};
  const char *wait = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY=%s\n", wait ? wait : "(unset)");

  const double D = cfg.vision_width, T = cfg.grid() * cfg.grid() + 1, L = cfg.vision_layers;
  const double E = cfg.embed_dim, p = cfg.vision_patch_size;
  const double embed = 2.0 * cfg.grid() * cfg.grid() * 3 * p * p * D, head = 2 * D * E;
  const double image_flops = embed + L * block_flops(1, T, D) + head;
  const double text_flops = cfg.text_layers * block_flops(1, cfg.context_length, cfg.text_width) +
                            2.0 * cfg.text_width * E;

  std::mt19937 gen(7);
  const int W = 640, H = 480;
  std::vector<uint8_t> pixels(static_cast<size_t>(W) * H * 3);
  for (auto &v : pixels) v = static_cast<uint8_t>(gen() & 255);
  const refseg::ImageView frame{pixels.data(), W, H, W * 3, refseg::PixelLayout::RGB};
  std::vector<std::vector<RegionMask>> mask_sets;
  for (int n : mask_counts) mask_sets.push_back(random_masks(n, W, H, gen));
  // Eight random "expressions" of 12 tokens between start and end of text.
  auto tokens = at::zeros({8, cfg.context_length}, at::kLong);
  for (int r = 0; r < 8; ++r) {
    tokens[r][0] = 49406;
    for (int i = 1; i < 12; ++i) tokens[r][i] = static_cast<int64_t>(gen() % 49000) + 1;
    tokens[r][12] = 49407;
  }

  // Each precision once, fp32 once per engine asked; the first run is the
  // reference of the cosines.
  std::vector<std::pair<Precision, Fp32Matmul>> runs;
  for (Precision precision : precisions)
    if (precision == Precision::kFp32)
      for (Fp32Matmul engine : fp32_engines) runs.emplace_back(precision, engine);
    else
      runs.emplace_back(precision, Fp32Matmul::kBlas);

  std::optional<Features> reference;
  for (const auto &[precision, fp32] : runs) {
    const PrecisionChoice choice = choose_precision(precision, false, cpu);
    const ThreadPolicy used = policy ? *policy : thread_policy_for(precision, fp32);
    // Exactly what the runtime's inference worker does before its first job.
    const InferenceThreads configured = configure_inference_threads(threads, used);
    at::manual_seed(1);  // the same random weights for every precision
    auto model = std::make_shared<ClipModel>(cfg);
    model->set_precision(precision, fp32);
    GlobalLocalEncoder encoder(model, masked_layers);
    const double k = encoder.masked_layers();

    const bool fp32_onednn = precision == Precision::kFp32 && fp32 == Fp32Matmul::kOneDnn;
    std::printf("\n== precision %s%s ==\n", precision_name(precision),
                fp32_onednn ? " (linears on oneDNN)" : "");
    if (!choice.note.empty()) std::printf("note: %s\n", choice.note.c_str());
    std::printf("threads: policy %s: %s\n", thread_policy_name(used), describe(configured).c_str());
    // Measured before and after the encoder, so a neighbour's burst on the
    // machine shows as a difference.
    const double best_gflops = best_matmul_gflops(precision, fp32, iters);
    std::printf("%s%s matmul 1000x768 @ 768x3072: %.1f GFLOP/s (best of 3 medians)\n",
                precision_name(precision), fp32_onednn ? " oneDNN" : "", best_gflops);
    std::printf("%4s %12s %12s %12s %14s %14s %10s\n", "N", "global ms", "local ms", "total ms",
                "global GF/s", "local GF/s", "% matmul");
    Features features;
    for (size_t m = 0; m < mask_counts.size(); ++m) {
      const int n = mask_counts[m];
      const auto &masks = mask_sets[m];
      const double g_ms =
          median_ms(iters, [&] { features.global = encoder.encode_global(frame, masks); });
      const double l_ms =
          median_ms(iters, [&] { features.local = encoder.encode_local(frame, masks); });
      const double g_flops =
          embed + (L - k) * block_flops(1, T, D) + n * (k * block_flops(1, T, D) + head);
      const double l_flops = n * image_flops;
      const double rate = (g_flops + l_flops) / ((g_ms + l_ms) * 1e6);
      std::printf("%4d %12.1f %12.1f %12.1f %14.1f %14.1f %9.0f%%\n", n, g_ms, l_ms, g_ms + l_ms,
                  g_flops / (g_ms * 1e6), l_flops / (l_ms * 1e6), 100 * rate / best_gflops);
    }
    const double after = best_matmul_gflops(precision, fp32, iters);
    std::printf(
        "matmul again after the encoder: %.1f GFLOP/s%s\n", after,
        after > best_gflops * 1.05 ? " (higher: the % column above used the lower rate)" : "");
    const double text_ms = median_ms(iters, [&] { model->encode_text(tokens.narrow(0, 0, 1)); });
    features.text = model->encode_text(tokens);
    std::printf("text tower: %.1f ms per expression (%.1f GFLOP/s)\n", text_ms,
                text_flops / (text_ms * 1e6));
    if (!reference) {
      reference = features;
    } else if (features.global.size(0) > 0) {
      const auto g = cosine_spread(features.global, reference->global);
      const auto l = cosine_spread(features.local, reference->local);
      const auto t = cosine_spread(features.text, reference->text);
      std::printf(
          "cosine to fp32 (min / median): global %.6f / %.6f, local %.6f / %.6f, text %.6f / "
          "%.6f (N = %d masks, 8 texts)\n",
          g.first, g.second, l.first, l.second, t.first, t.second, mask_counts.back());
    }
  }
  std::printf("\nimage tower: %.2f GFLOP per image, text tower %.2f GFLOP per expression\n",
              image_flops / 1e9, text_flops / 1e9);
  std::printf("peak RSS: %.0f MB\n", refseg::bench::peak_rss_mb());
  return 0;
}

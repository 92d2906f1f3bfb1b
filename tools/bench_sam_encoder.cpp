// Times the SAM family's image encoders (models/sam) on one 640x480 frame:
// preprocessing ms, encoder ms (median of --runs after one warm-up) in fp32
// and in bf16 (the whole encoder converted: every weight, activation and
// norm in bf16; LibTorch 1.13's CPU autocast leaves LayerNorm with a bf16
// input and fp32 weights, which it refuses), and the bf16 embedding's
// cosine with the fp32 one. No timed assertions: it prints figures.
//
//   bench_sam_encoder [--threads N] [--runs R] CHECKPOINT...
//
// Real-size random checkpoints: scripts/make_sam_fixtures.py --real-size DIR.
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_report.h"
#include "common/model_error.h"
#include "sam/sam_checkpoint.h"
#include "sam/sam_image_encoder.h"
#include "sam/sam_image_preprocess.h"

namespace {

// scripts/make_sam_fixtures.py's frame_pixels (a textured ramp).
std::vector<uint8_t> frame_pixels(int w, int h) {
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < 3; ++c) {
        const int64_t k = x * 131 + y * 197 + c * 61;
        rgb[static_cast<size_t>((y * w + x) * 3 + c)] =
            static_cast<uint8_t>((x * 5 + y * 3 + c * 70 + (k * k) % 61) % 256);
      }
  return rgb;
}

torch::Tensor encode(refseg::sam::SamImageEncoder &e, const torch::Tensor &x) {
  torch::NoGradGuard no_grad;
  return e.forward(x.to(e.parameters().front().scalar_type())).to(torch::kFloat);
}

constexpr const char *kUsage = "bench_sam_encoder [--threads N] [--runs R] CHECKPOINT...";

// An argument error: the usage on stderr, status 2 (as the GOption tools).
int usage() {
  std::fprintf(stderr, "Usage:\n  %s\n", kUsage);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  int threads = 2, runs = 3;
  std::vector<std::string> files;
  try {
    for (int i = 1; i < argc; ++i) {
      // --help as the GOption tools answer it, without GLib: this program
      // builds against LibTorch alone (the CUDA machine has no GLib).
      if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
        std::printf(
            "Usage:\n  %s\n\nTimes SAM and MobileSAM image encoders on a 640x480 frame, fp32 "
            "and bf16.\n\n  --threads N   LibTorch threads (default 2)\n  --runs R      timed "
            "runs after one warm-up (default 3)\n  -h, --help    Show this help\n",
            kUsage);
        return 0;
      }
      if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
        threads = refseg::bench::parse_count(argv[++i], "--threads", 1);
      else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
        runs = refseg::bench::parse_count(argv[++i], "--runs", 1);
      else if (argv[i][0] == '-')
        return usage();
      else
        files.push_back(argv[i]);
    }
  } catch (const refseg::ModelError &e) {
    std::fprintf(stderr, "bench_sam_encoder: %s\n", e.what());
    return 2;
  }
  if (files.empty()) return usage();
  torch::set_num_threads(threads);
  refseg::bench::print_environment(stdout);
  std::printf("threads %d, runs %d (median after one warm-up), frame 640x480\n", threads, runs);

  const auto rgb = frame_pixels(640, 480);
  const refseg::ImageView view{rgb.data(), 640, 480, 640 * 3, refseg::PixelLayout::RGB};
  for (const auto &file : files) {
    try {
      std::shared_ptr<refseg::sam::SamImageEncoder> encoder;
      const auto load = refseg::bench::time_once([&] {
        encoder = refseg::sam::load_image_encoder(refseg::sam::read_sam_checkpoint(file));
      });
      auto low = refseg::sam::load_image_encoder(refseg::sam::read_sam_checkpoint(file));
      low->to(torch::kBFloat16);
      int64_t params = 0;
      for (const auto &p : encoder->parameters()) params += p.numel();
      refseg::sam::SamInput input;
      const double pre_ms =
          refseg::bench::median_ms(runs, [&] { input = refseg::sam::sam_preprocess(view); });
      torch::Tensor fp32, bf16;
      const double fp32_ms =
          refseg::bench::median_ms(runs, [&] { fp32 = encode(*encoder, input.image); });
      const double bf16_ms =
          refseg::bench::median_ms(runs, [&] { bf16 = encode(*low, input.image); });
      const auto a = fp32.flatten().to(torch::kDouble), b = bf16.flatten().to(torch::kDouble);
      const double cosine = (a.dot(b) / (a.norm() * b.norm())).item<double>();
      std::printf(
          "%s: %s, %.2fM encoder parameters, load %.0f ms\n"
          "  preprocess %.1f ms | encoder fp32 %.0f ms | bf16 %.0f ms (cosine with fp32 %.5f, "
          "max |diff| %.3g) | peak RSS %.0f MB\n",
          file.c_str(), encoder->architecture().name.c_str(), params / 1e6, load.wall_ms, pre_ms,
          fp32_ms, bf16_ms, cosine, (fp32 - bf16).abs().max().item<float>(),
          refseg::bench::peak_rss_mb());
    } catch (const refseg::ModelError &e) {
      std::fprintf(stderr, "bench_sam_encoder: %s\n", e.what());
      return 1;
    }
  }
  return 0;
}

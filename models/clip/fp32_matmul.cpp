#include "clip/fp32_matmul.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "clip/loaded_blas.h"
#include "common/model_error.h"

namespace refseg::clip {

const char *fp32_matmul_name(Fp32Matmul engine) {
  return engine == Fp32Matmul::kOneDnn ? "onednn" : "blas";
}

Fp32Matmul parse_fp32_matmul(const std::string &name) {
  if (name == "blas") return Fp32Matmul::kBlas;
  if (name == "onednn") return Fp32Matmul::kOneDnn;
  throw ModelError("fp32 matmul '" + name + "': expected blas or onednn");
}

int openblas_core_isa_level(const std::string &core) {
  std::string name = core;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  // OpenBLAS 0.3.21's x86-64 core names (driver/others/dynamic.c) by the
  // kernels they select.
  static const std::pair<const char *, int> kCores[] = {
      {"katmai", 1},       {"coppermine", 1},     {"northwood", 1},  {"prescott", 1},
      {"banias", 1},       {"atom", 1},           {"core2", 1},      {"penryn", 1},
      {"dunnington", 1},   {"nehalem", 1},        {"athlon", 1},     {"opteron", 1},
      {"opteron_sse3", 1}, {"barcelona", 1},      {"nano", 1},       {"bobcat", 1},
      {"sandybridge", 2},  {"bulldozer", 2},      {"piledriver", 2}, {"steamroller", 2},
      {"excavator", 2},    {"haswell", 3},        {"zen", 3},        {"skylakex", 4},
      {"cooperlake", 4},   {"sapphirerapids", 4},
  };
  for (const auto &[known, level] : kCores)
    if (name == known) return level;
  return 0;
}

Fp32MatmulChoice choose_fp32_matmul(const CpuFeatures &cpu, bool openblas,
                                    const std::string &openblas_core, bool onednn) {
  const int level = openblas_core_isa_level(openblas_core);
  if (!openblas || level == 0 || !cpu.avx2 || level >= 3)
    return {Fp32Matmul::kBlas,
            openblas ? "fp32 matmuls on OpenBLAS (" +
                           (openblas_core.empty() ? std::string("core unknown") : openblas_core) +
                           " kernels)"
                     : "fp32 matmuls on the loaded BLAS (not OpenBLAS)"};
  const std::string cpu_isa = cpu.avx512 ? "AVX-512" : "AVX2";
  if (!onednn)
    return {Fp32Matmul::kBlas, "fp32 matmuls on OpenBLAS's " + openblas_core +
                                   " kernels, which do not use this CPU's " + cpu_isa +
                                   " (this LibTorch has no oneDNN to run them instead)"};
  return {Fp32Matmul::kOneDnn,
          "fp32 linears on oneDNN: OpenBLAS did not recognise this CPU and "
          "runs its " +
              openblas_core + " kernels, without this CPU's " + cpu_isa};
}

Fp32MatmulChoice choose_fp32_matmul() {
  const LoadedBlas blas = detect_loaded_blas();
  return choose_fp32_matmul(detect_cpu_features(), blas.openblas, blas.core, at::hasMKLDNN());
}

}  // namespace refseg::clip

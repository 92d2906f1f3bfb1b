// Which library runs the fp32 transformer linears on the CPU.
//
// Why there is a choice: Debian's LibTorch sends fp32 matmuls to OpenBLAS,
// whose DYNAMIC_ARCH build picks its kernels from the CPU's family and model
// numbers when it loads. A CPU newer than the OpenBLAS release is not
// recognised and gets the generic Prescott (SSE3) kernels: measured on an
// Intel Xeon (family 6, model 207, AVX-512) with OpenBLAS 0.3.21, a
// 1000x768 @ 768x3072 matmul ran at 58 GFLOP/s on them, 292 with
// OPENBLAS_CORETYPE=SkylakeX, and about 200 through oneDNN's fp32 inner
// product, which LibTorch carries and which dispatches on instruction-set
// features, not model numbers (docs/benchmarks.md, "fp32 matmul engine").
// OPENBLAS_CORETYPE is read only when OpenBLAS loads, before any of our code
// runs in a GStreamer plugin, so the choice is made here instead.
//
// The arithmetic is fp32 either way; only the order of the sums differs
// (features within float rounding of each other, tested).
#pragma once

#include <string>

#include "clip/precision.h"

namespace refseg::clip {

enum class Fp32Matmul {
  kBlas,    // at::addmm: the loaded BLAS (the default)
  kOneDnn,  // at::mkldnn_linear: oneDNN's fp32 inner product
};

// "blas", "onednn"; parse throws ModelError naming the accepted values.
const char *fp32_matmul_name(Fp32Matmul engine);
Fp32Matmul parse_fp32_matmul(const std::string &name);

// The widest vector instructions an OpenBLAS core name's kernels use:
// 0 unknown name, 1 SSE only, 2 AVX, 3 AVX2, 4 AVX-512.
int openblas_core_isa_level(const std::string &core);

struct Fp32MatmulChoice {
  Fp32Matmul engine = Fp32Matmul::kBlas;
  std::string reason;  // for the log: why this engine
};
// oneDNN when OpenBLAS runs kernels without AVX2 on a CPU that has it (it
// did not recognise the CPU) and this LibTorch has oneDNN; else the BLAS.
// A core that uses AVX2 on an AVX-512 CPU stays on OpenBLAS: measured at
// 85% of its matmul rate on an AMD Zen 4 (docs/benchmarks.md), and not
// compared with oneDNN there.
Fp32MatmulChoice choose_fp32_matmul(const CpuFeatures &cpu, bool openblas,
                                    const std::string &openblas_core, bool onednn);
// The same for this process: the loaded BLAS, cpuid, at::hasMKLDNN().
Fp32MatmulChoice choose_fp32_matmul();

}  // namespace refseg::clip

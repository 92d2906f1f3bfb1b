// Thread configuration of the thread that runs CLIP inference, shared by the
// runtime's inference worker and the benchmarks (so what is measured is what
// runs).
//
// Why it exists: Debian's LibTorch runs elementwise ops on its OpenMP pool
// while every matmul goes to OpenBLAS's own pthread pool. Both pools spin
// after their work; on few cores each steals the cores the other needs
// (measured: 4300 ms instead of 843 ms for one mask on 2 cores). libgomp's
// wait policy is read once when it loads, so the fix has to be how many
// threads each pool gets, set from inside the process.
#pragma once

#include <string>

#include "clip/fp32_matmul.h"
#include "clip/precision.h"

namespace refseg::clip {

enum class ThreadPolicy {
  kBlasPool,   // OpenMP 1 thread, OpenBLAS `threads` (the default: matmuls dominate)
  kTorchPool,  // OpenMP `threads`, OpenBLAS 1 thread
  kBothPools,  // both `threads` (LibTorch's own default)
};

struct InferenceThreads {
  int torch_threads = 0;  // at::get_num_threads() on the calling thread
  int blas_threads = -1;  // OpenBLAS's pool; -1 when the BLAS is not OpenBLAS
  std::string blas;       // openblas_get_config(), or why the BLAS is unknown
};

// Applies `policy` for `threads` cores (<= 0: every core) on the calling
// thread. OpenBLAS is found at run time (dlsym), so nothing links to it and
// another BLAS (MKL, reference) still works: then only LibTorch's pool is
// set, to `threads`. OpenBLAS's thread count is process-wide.
InferenceThreads configure_inference_threads(int threads,
                                             ThreadPolicy policy = ThreadPolicy::kBlasPool);

// "OpenMP 1, OpenBLAS 2 (OpenBLAS 0.3.21 ...)": what a benchmark prints.
std::string describe(const InferenceThreads &threads);

// The policy each precision runs best under: fp32 matmuls on OpenBLAS are
// OpenBLAS's (kBlasPool); bf16, fp16, int8 and fp32 on oneDNN
// (fp32_matmul.h) run on LibTorch's OpenMP pool (kTorchPool).
ThreadPolicy thread_policy_for(Precision precision, Fp32Matmul fp32 = Fp32Matmul::kBlas);

// "blas", "torch", "both"; throws ModelError naming the accepted values.
ThreadPolicy parse_thread_policy(const std::string &name);
const char *thread_policy_name(ThreadPolicy policy);

}  // namespace refseg::clip

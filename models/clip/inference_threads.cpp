#include "clip/inference_threads.h"

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>

#include "clip/loaded_blas.h"
#include "common/model_error.h"

namespace refseg::clip {

InferenceThreads configure_inference_threads(int threads, ThreadPolicy policy) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int n = threads > 0 ? threads : cores;
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  const auto set_blas = reinterpret_cast<SetThreads>(blas_symbol("openblas_set_num_threads"));
  const auto get_blas = reinterpret_cast<GetThreads>(blas_symbol("openblas_get_num_threads"));

  InferenceThreads out;
  if (!set_blas) policy = ThreadPolicy::kBothPools;  // not OpenBLAS: LibTorch's pool only
  at::set_num_threads(policy == ThreadPolicy::kBlasPool ? 1 : n);
  if (set_blas) set_blas(policy == ThreadPolicy::kTorchPool ? 1 : n);
  out.torch_threads = at::get_num_threads();
  out.blas_threads = get_blas ? get_blas() : -1;
  out.blas = detect_loaded_blas().config;
  return out;
}

std::string describe(const InferenceThreads &t) {
  return "LibTorch/OpenMP " + std::to_string(t.torch_threads) + ", OpenBLAS " +
         (t.blas_threads < 0 ? std::string("-") : std::to_string(t.blas_threads)) + " (" + t.blas +
         ")";
}

ThreadPolicy thread_policy_for(Precision precision, Fp32Matmul fp32) {
  return precision == Precision::kFp32 && fp32 == Fp32Matmul::kBlas ? ThreadPolicy::kBlasPool
                                                                    : ThreadPolicy::kTorchPool;
}

ThreadPolicy parse_thread_policy(const std::string &name) {
  if (name == "blas") return ThreadPolicy::kBlasPool;
  if (name == "torch") return ThreadPolicy::kTorchPool;
  if (name == "both") return ThreadPolicy::kBothPools;
  throw ModelError("thread policy '" + name + "': expected blas, torch or both");
}

const char *thread_policy_name(ThreadPolicy policy) {
  switch (policy) {
    case ThreadPolicy::kBlasPool:
      return "blas";
    case ThreadPolicy::kTorchPool:
      return "torch";
    case ThreadPolicy::kBothPools:
      return "both";
  }
  return "?";
}

}  // namespace refseg::clip

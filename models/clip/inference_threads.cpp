#include "clip/inference_threads.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <ATen/Parallel.h>

#include "common/model_error.h"

namespace refseg::clip {
namespace {

// A symbol of the loaded BLAS. RTLD_DEFAULT sees it in a program linked to
// LibTorch; a GStreamer plugin is opened RTLD_LOCAL, so also ask each loaded
// object whose name says BLAS (RTLD_NOLOAD: never loads anything new).
void *blas_symbol(const char *name) {
  if (void *p = dlsym(RTLD_DEFAULT, name)) return p;
  struct Search {
    const char *name;
    void *found;
  } search{name, nullptr};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) {
        auto &s = *static_cast<Search *>(data);
        const char *object = info->dlpi_name;
        if (!object || !std::strstr(object, "blas")) return 0;
        if (void *handle = dlopen(object, RTLD_LAZY | RTLD_NOLOAD)) {
          s.found = dlsym(handle, s.name);
          dlclose(handle);  // still loaded: LibTorch depends on it
        }
        return s.found ? 1 : 0;
      },
      &search);
  return search.found;
}

}  // namespace

InferenceThreads configure_inference_threads(int threads, ThreadPolicy policy) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int n = threads > 0 ? threads : cores;
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  using GetConfig = char *(*)();
  const auto set_blas = reinterpret_cast<SetThreads>(blas_symbol("openblas_set_num_threads"));
  const auto get_blas = reinterpret_cast<GetThreads>(blas_symbol("openblas_get_num_threads"));
  const auto config = reinterpret_cast<GetConfig>(blas_symbol("openblas_get_config"));

  InferenceThreads out;
  if (!set_blas) policy = ThreadPolicy::kBothPools;  // not OpenBLAS: LibTorch's pool only
  at::set_num_threads(policy == ThreadPolicy::kBlasPool ? 1 : n);
  if (set_blas) set_blas(policy == ThreadPolicy::kTorchPool ? 1 : n);
  out.torch_threads = at::get_num_threads();
  out.blas_threads = get_blas ? get_blas() : -1;
  out.blas = config ? config() : "not OpenBLAS (openblas_set_num_threads not found)";
  return out;
}

std::string describe(const InferenceThreads &t) {
  return "LibTorch/OpenMP " + std::to_string(t.torch_threads) + ", OpenBLAS " +
         (t.blas_threads < 0 ? std::string("-") : std::to_string(t.blas_threads)) + " (" + t.blas +
         ")";
}

ThreadPolicy thread_policy_for(Precision precision) {
  return precision == Precision::kFp32 ? ThreadPolicy::kBlasPool : ThreadPolicy::kTorchPool;
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

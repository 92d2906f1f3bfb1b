#include "clip/precision.h"

#include <ATen/Context.h>

#include <algorithm>

#include "common/model_error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace refseg::clip {

const char *precision_name(Precision precision) {
  switch (precision) {
    case Precision::kAuto:
      return "auto";
    case Precision::kFp32:
      return "fp32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
    case Precision::kFp16:
      return "fp16";
  }
  return "?";
}

Precision parse_precision(const std::string &name) {
  for (Precision p :
       {Precision::kAuto, Precision::kFp32, Precision::kBf16, Precision::kInt8, Precision::kFp16})
    if (name == precision_name(p)) return p;
  throw ModelError("precision '" + name + "': expected fp32, bf16, int8, fp16 or auto");
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
    const bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
    f.avx512 = avx512f && avx512dq && avx512bw && avx512vl;
    f.avx512_vnni = c & (1u << 11);
    f.amx_bf16 = d & (1u << 22);
    f.amx_int8 = d & (1u << 25);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = a & (1u << 4);
    f.avx512_bf16 = a & (1u << 5);
  }
#endif
  const auto engines = at::globalContext().supportedQEngines();
  f.onednn_int8 = std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end();
  return f;
}

std::string describe(const CpuFeatures &f) {
  std::string s;
  auto add = [&](bool on, const char *name) {
    if (on) s += std::string(s.empty() ? "" : " ") + name;
  };
  add(f.avx2, "avx2");
  add(f.avx512, "avx512");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.avx512_vnni, "avx512_vnni");
  add(f.avx_vnni, "avx_vnni");
  add(f.amx_bf16, "amx_bf16");
  add(f.amx_int8, "amx_int8");
  add(!f.amx_bf16 && !f.amx_int8, "no-amx");
  add(f.onednn_int8, "onednn-int8");
  return s + " (fast bf16: " + (f.fast_bf16() ? "yes" : "no") +
         ", fast int8: " + (f.fast_int8() ? "yes" : "no") + ")";
}

PrecisionChoice choose_precision(Precision requested, bool cuda, const CpuFeatures &cpu) {
  if (cuda) {
    switch (requested) {
      case Precision::kAuto:
      case Precision::kFp16:
        return {Precision::kFp16, ""};
      case Precision::kInt8:
        throw ModelError(
            "precision int8 runs on the CPU only (dynamic int8 linears); on CUDA use fp16, bf16 "
            "or fp32");
      default:
        return {requested, ""};
    }
  }
  switch (requested) {
    case Precision::kFp16:
      throw ModelError("precision fp16 needs a CUDA device; on the CPU use bf16, int8 or fp32");
    case Precision::kBf16:
      if (cpu.fast_bf16()) return {Precision::kBf16, ""};
      return {Precision::kBf16,
              "precision bf16: this CPU has no native bf16 instructions (AVX512_BF16 or AMX); "
              "bf16 is emulated and probably slower than fp32"};
    case Precision::kInt8:
      if (cpu.fast_int8()) return {Precision::kInt8, ""};
      return {Precision::kInt8,
              cpu.onednn_int8
                  ? "precision int8: this CPU has no int8 dot-product instructions (VNNI or "
                    "AMX); int8 is probably slower than fp32"
                  : "precision int8: this LibTorch has no oneDNN quantized engine; int8 runs on "
                    "a slower engine, probably slower than fp32"};
    case Precision::kAuto:
      // Ordered by the speed measured in docs/benchmarks.md; every mode
      // listed stays within the accuracy budget of docs/accuracy.md.
      if (cpu.amx_bf16 && cpu.avx512) return {Precision::kBf16, ""};
      if (cpu.fast_int8()) return {Precision::kInt8, ""};
      if (cpu.fast_bf16()) return {Precision::kBf16, ""};
      return {Precision::kFp32, ""};
    case Precision::kFp32:
      break;
  }
  return {Precision::kFp32, ""};
}

}  // namespace refseg::clip

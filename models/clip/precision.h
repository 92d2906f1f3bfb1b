// Numeric precision of CLIP inference, and which of them this machine runs
// fast.
//
// fp32 is the method exactly. bf16 (CPU) and fp16 (CUDA) run every
// transformer linear, and the attention products that follow from them, in
// the low type; LayerNorm and the residual stream stay fp32. int8 (CPU)
// replaces each transformer linear by a dynamically quantized one (int8
// weights per output channel, activations quantized per call); attention
// products stay fp32. Patch embedding, projections and a ResNet tower's
// convolutions stay fp32 in every mode (packed_linear.h). How much each costs in accuracy is
// measured in docs/accuracy.md.
//
// Whether a mode is fast depends on the CPU (bf16 needs AVX512_BF16 or AMX,
// int8 needs VNNI or AMX and oneDNN's quantized engine), so it is detected
// here, never assumed.
#pragma once

#include <string>

namespace refseg::clip {

enum class Precision { kAuto, kFp32, kBf16, kInt8, kFp16 };

// "auto", "fp32", "bf16", "int8", "fp16"; parse throws ModelError naming
// the accepted values.
const char *precision_name(Precision precision);
Precision parse_precision(const std::string &name);

// What the CPU (cpuid) and this LibTorch offer for the low-precision modes.
struct CpuFeatures {
  bool avx2 = false;         // AVX2 (with FMA): what OpenBLAS's Haswell kernels need
  bool avx512 = false;       // AVX512 F, BW, VL, DQ: oneDNN's bf16/int8 kernels
  bool avx512_bf16 = false;  // native bf16 dot products
  bool avx512_vnni = false, avx_vnni = false;
  bool amx_bf16 = false, amx_int8 = false;
  bool onednn_int8 = false;  // LibTorch has oneDNN's quantized engine

  bool fast_bf16() const { return amx_bf16 || (avx512 && avx512_bf16); }
  bool fast_int8() const { return onednn_int8 && (amx_int8 || avx512_vnni || avx_vnni); }
};
CpuFeatures detect_cpu_features();
// "avx512 avx512_bf16 avx512_vnni no-amx onednn-int8": what benchmarks print.
std::string describe(const CpuFeatures &features);

// The precision a request resolves to on a device, and what the user is
// told about it (empty when nothing needs saying).
struct PrecisionChoice {
  Precision precision = Precision::kFp32;
  std::string note;
};
// Throws ModelError for a mode the device cannot run at all (fp16 on CPU,
// int8 on CUDA). A mode that runs but slowly here gives a note. auto: fp16
// on CUDA; on the CPU the mode the features favour (bf16 with AMX, else
// int8 with VNNI, else bf16 with native bf16, else fp32). Both low modes
// stay within the accuracy budget of docs/accuracy.md; whether one pays
// also depends on the model's size, so the runtime then times the image
// tower in fp32 and in each mode the CPU allows and keeps the fastest.
PrecisionChoice choose_precision(Precision requested, bool cuda, const CpuFeatures &cpu);

}  // namespace refseg::clip

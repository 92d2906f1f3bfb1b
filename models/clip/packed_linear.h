// A transformer linear layer in a low precision, or in fp32 on oneDNN,
// prepared once from the fp32 parameters (which stay, so state dicts do not
// change):
// - fp32: the weight kept contiguous for oneDNN's fp32 inner product
//   (at::mkldnn_linear; fp32_matmul.h says when); the input goes to and
//   the product comes from oneDNN's layout per call.
// - bf16 / fp16: the weight and bias cast once; the input is cast per call
//   and the product comes back in that type (the residual stream it is
//   added to stays fp32).
// - int8: weights quantized symmetrically per output channel and packed
//   for LibTorch's quantized::linear_dynamic, which quantizes the input per
//   call; fp32 in, fp32 out. oneDNN's engine packs it when this LibTorch
//   has it (VNNI/AMX kernels), else the default engine.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <string>

#include "clip/precision.h"

namespace refseg::clip {

// The quantized engine that packs int8 linears in this LibTorch: "oneDNN"
// where it has that engine, else its default ("FBGEMM", "QNNPACK"), or
// "none" (then int8 is refused).
std::string int8_engine_name();

class PackedLinear {
 public:
  // weight [out, in], bias [out]; precision fp32 (oneDNN), bf16, fp16 or
  // int8. Throws ModelError when this LibTorch has no oneDNN (fp32) or no
  // quantized engine (int8).
  PackedLinear(const at::Tensor &weight, const at::Tensor &bias, Precision precision);
  // x [..., in] -> [..., out]
  at::Tensor forward(const at::Tensor &x) const;

 private:
  Precision precision_;
  at::Tensor weight_, bias_;  // fp32 (oneDNN) / bf16 / fp16
  c10::IValue packed_;        // int8: LinearPackedParamsBase of the engine that packed it
  int64_t out_features_;
};

}  // namespace refseg::clip

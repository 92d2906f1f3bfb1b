// A transformer linear layer in a low precision, prepared once from the
// fp32 parameters (which stay, so state dicts do not change):
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

#include "clip/precision.h"

namespace refseg::clip {

class PackedLinear {
 public:
  // weight [out, in], bias [out]; precision bf16, fp16 or int8. Throws
  // ModelError when this LibTorch has no quantized engine (int8).
  PackedLinear(const at::Tensor &weight, const at::Tensor &bias, Precision precision);
  // x [..., in] -> [..., out]
  at::Tensor forward(const at::Tensor &x) const;

 private:
  Precision precision_;
  at::Tensor weight_, bias_;  // bf16 / fp16
  c10::IValue packed_;        // int8: LinearPackedParamsBase of the engine that packed it
  int64_t out_features_;
};

}  // namespace refseg::clip

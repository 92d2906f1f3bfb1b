// The pieces both CLIP towers share: fp32 LayerNorm, QuickGELU, multi-head
// attention and OpenAI's pre-LN ResidualAttentionBlock. Module and parameter
// names equal OpenAI's (attn.in_proj_weight, ln_1, mlp.c_fc, ...), so state
// dicts map 1:1. Activations are batch-first [B, L, D] (OpenAI uses [L, B, D];
// the arithmetic is the same).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <optional>

#include "clip/fp32_matmul.h"
#include "clip/packed_linear.h"

namespace refseg::clip {

// x @ w^T + b over the last dimension, as one addmm on a 2-D view: the
// single BLAS call that dominates CLIP's cost.
at::Tensor linear(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b);
inline at::Tensor linear(const at::Tensor &x, const torch::nn::Linear &l) {
  return linear(x, l->weight, l->bias);
}

// What the towers' constructors put in their large parameters: random
// values (training from scratch, benchmarks), or nothing when the values are
// about to be loaded (clip_from_tensors): drawing ~150M random numbers
// first costs half a second of a ViT-B/32's load.
enum class Initialisation { kRandom, kToBeLoaded };

// randn(shape) * scale, or (kToBeLoaded) uninitialised memory of that shape.
at::Tensor initial_randn(at::IntArrayRef shape, double scale, Initialisation init);
// torch::nn::Linear(in, out) with its random initialisation, or
// (kToBeLoaded) with uninitialised weight [out, in] and bias [out].
torch::nn::Linear initial_linear(int64_t in, int64_t out, Initialisation init);

// Attention of q [B, Lq, D] over k, v [B, Lk, D] split into `heads`;
// mask: additive [Lq, Lk] or undefined. Returns [B, Lq, D] (before out_proj).
at::Tensor attend(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, int64_t heads,
                  const at::Tensor &mask);

// LayerNorm computed in fp32 whatever the activation dtype.
class LayerNormImpl : public torch::nn::Module {
 public:
  explicit LayerNormImpl(int64_t width);
  at::Tensor forward(const at::Tensor &x);
  at::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm);

// nn.MultiheadAttention's parameters: packed q/k/v projection + out_proj.
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t width, int64_t heads, Initialisation init = Initialisation::kRandom);
  at::Tensor forward(const at::Tensor &x, const at::Tensor &mask);
  // Both projections in `precision` from now on (packed_linear.h; fp32 on
  // the BLAS drops the packed copies, fp32 on oneDNN packs them).
  void pack(Precision precision, Fp32Matmul fp32 = Fp32Matmul::kBlas);
  at::Tensor in_proj_weight, in_proj_bias;  // [3D, D], [3D]
  torch::nn::Linear out_proj{nullptr};
  int64_t heads;

 private:
  std::optional<PackedLinear> in_proj_packed_, out_proj_packed_;
};
TORCH_MODULE(SelfAttention);

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(int64_t width, Initialisation init = Initialisation::kRandom);
  at::Tensor forward(const at::Tensor &x);  // c_proj(QuickGELU(c_fc(x)))
  void pack(Precision precision, Fp32Matmul fp32 = Fp32Matmul::kBlas);
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};

 private:
  std::optional<PackedLinear> c_fc_packed_, c_proj_packed_;
};
TORCH_MODULE(Mlp);

class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads,
                             Initialisation init = Initialisation::kRandom);
  // x + attn(ln_1(x)), then + mlp(ln_2(.)).
  at::Tensor forward(const at::Tensor &x, const at::Tensor &mask);
  SelfAttention attn{nullptr};
  LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads,
                  Initialisation init = Initialisation::kRandom);
  // Runs blocks [begin, end) (all by default): the global-context encoder
  // runs the shared prefix once and the masked suffix per mask.
  at::Tensor forward(at::Tensor x, const at::Tensor &mask, int64_t begin = 0, int64_t end = -1);
  ResidualAttentionBlock block(int64_t i) const;
  // Every block's linears in `precision` from now on (packed_linear.h;
  // the fp32 parameters stay, so state dicts are unchanged, and fp32 on
  // the BLAS drops the packed copies).
  void pack(Precision precision, Fp32Matmul fp32 = Fp32Matmul::kBlas);
  int64_t layers() const { return static_cast<int64_t>(resblocks->size()); }
  // Called by forward() before each block, on the calling thread and
  // outside any parallel region: where the runtime may change the thread
  // count in the middle of an analysis (a block takes milliseconds, an
  // analysis up to seconds). Empty: nothing is called.
  void set_before_block(std::function<void()> hook) { before_block_ = std::move(hook); }
  torch::nn::ModuleList resblocks;

 private:
  std::function<void()> before_block_;
};
TORCH_MODULE(Transformer);

}  // namespace refseg::clip

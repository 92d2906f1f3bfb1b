#include "clip/transformer.h"

#include <cmath>

#include <ATen/ATen.h>

namespace refseg::clip {

at::Tensor linear(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b) {
  const auto in = x.size(-1);
  auto sizes = x.sizes().vec();
  sizes.back() = w.size(0);
  // reshape() copies only when x is not viewable as 2-D.
  return at::addmm(b, x.reshape({-1, in}), w.t()).view(sizes);
}

at::Tensor attend(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, int64_t heads,
                  const at::Tensor &mask) {
  const auto B = q.size(0), Lq = q.size(1), Lk = k.size(1), D = q.size(2), hd = D / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  // [B, L, D] -> [B*H, L, hd]: one copy per operand (q/k/v are strided
  // views of the packed projection), then plain bmm's.
  auto heads_first = [&](const at::Tensor &t, int64_t L) {
    return t.reshape({B, L, heads, hd}).transpose(1, 2).reshape({B * heads, L, hd});
  };
  auto qh = heads_first(q, Lq), kh = heads_first(k, Lk), vh = heads_first(v, Lk);
  // scale (q k^T) + mask in one baddbmm: no scaled copy of q. Without a
  // mask the input is zeros, not at::empty with beta 0: LibTorch 1.13's
  // small-matrix baddbmm kernel reads it even then (NaN seen in 1 of 3
  // runs of the ResNet fixture's attention pool).
  auto scores = at::baddbmm(mask.defined() ? mask.to(q.scalar_type()).expand({B * heads, Lq, Lk})
                                           : at::zeros({B * heads, Lq, Lk}, q.options()),
                            qh, kh.transpose(1, 2), 1.0, scale);  // [B*H, Lq, Lk]
  auto out = at::bmm(at::softmax(scores, -1), vh);                // [B*H, Lq, hd]
  return out.view({B, heads, Lq, hd}).transpose(1, 2).reshape({B, Lq, D});
}

at::Tensor initial_randn(at::IntArrayRef shape, double scale, Initialisation init) {
  return init == Initialisation::kToBeLoaded ? at::empty(shape) : at::randn(shape) * scale;
}

torch::nn::Linear initial_linear(int64_t in, int64_t out, Initialisation init) {
  if (init == Initialisation::kRandom) return torch::nn::Linear(in, out);
  // A linear with no values to draw, given its real shapes (its options
  // keep 1 x 0; nothing reads them).
  torch::nn::Linear l(torch::nn::LinearOptions(1, 0));
  torch::NoGradGuard no_grad;
  l->weight.set_data(at::empty({out, in}));
  l->bias.set_data(at::empty({out}));
  return l;
}

LayerNormImpl::LayerNormImpl(int64_t width) {
  weight = register_parameter("weight", at::ones({width}));
  bias = register_parameter("bias", at::zeros({width}));
}

at::Tensor LayerNormImpl::forward(const at::Tensor &x) {
  const auto w = weight.size(0);
  if (x.scalar_type() == at::kFloat) return at::layer_norm(x, {w}, weight, bias, 1e-5);
  return at::layer_norm(x.to(at::kFloat), {w}, weight.to(at::kFloat), bias.to(at::kFloat), 1e-5)
      .to(x.scalar_type());
}

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads, Initialisation init)
    : heads(heads) {
  in_proj_weight = register_parameter(
      "in_proj_weight", initial_randn({3 * width, width}, std::pow(width, -0.5), init));
  in_proj_bias = register_parameter("in_proj_bias", at::zeros({3 * width}));
  out_proj = register_module("out_proj", initial_linear(width, width, init));
}

at::Tensor SelfAttentionImpl::forward(const at::Tensor &x, const at::Tensor &mask) {
  auto qkv =
      (in_proj_packed_ ? in_proj_packed_->forward(x) : linear(x, in_proj_weight, in_proj_bias))
          .chunk(3, -1);  // 3 x [B, L, D]
  auto heads_out = attend(qkv[0], qkv[1], qkv[2], heads, mask);
  return out_proj_packed_ ? out_proj_packed_->forward(heads_out) : linear(heads_out, out_proj);
}

void SelfAttentionImpl::pack(Precision precision, Fp32Matmul fp32) {
  in_proj_packed_.reset();
  out_proj_packed_.reset();
  if (precision == Precision::kFp32 && fp32 == Fp32Matmul::kBlas) return;
  in_proj_packed_.emplace(in_proj_weight, in_proj_bias, precision);
  out_proj_packed_.emplace(out_proj->weight, out_proj->bias, precision);
}

MlpImpl::MlpImpl(int64_t width, Initialisation init) {
  c_fc = register_module("c_fc", initial_linear(width, 4 * width, init));
  c_proj = register_module("c_proj", initial_linear(4 * width, width, init));
}

void MlpImpl::pack(Precision precision, Fp32Matmul fp32) {
  c_fc_packed_.reset();
  c_proj_packed_.reset();
  if (precision == Precision::kFp32 && fp32 == Fp32Matmul::kBlas) return;
  c_fc_packed_.emplace(c_fc->weight, c_fc->bias, precision);
  c_proj_packed_.emplace(c_proj->weight, c_proj->bias, precision);
}

at::Tensor MlpImpl::forward(const at::Tensor &x) {
  // [B, L, 4D], the widest activation
  auto h = c_fc_packed_ ? c_fc_packed_->forward(x) : linear(x, c_fc);
  // QuickGELU h * sigmoid(1.702 h). Without autograd, in place as
  // silu(1.702 h) / 1.702: three vectorized passes, no temporary (about
  // 40% less time than the sigmoid-and-multiply form on one core).
  if (h.requires_grad()) return linear(h * at::sigmoid(h * 1.702), c_proj);
  at::silu_(h.mul_(1.702));
  h.div_(1.702);
  return c_proj_packed_ ? c_proj_packed_->forward(h) : linear(h, c_proj);
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads,
                                                       Initialisation init) {
  attn = register_module("attn", SelfAttention(width, heads, init));
  ln_1 = register_module("ln_1", LayerNorm(width));
  mlp = register_module("mlp", Mlp(width, init));
  ln_2 = register_module("ln_2", LayerNorm(width));
}

at::Tensor ResidualAttentionBlockImpl::forward(const at::Tensor &x, const at::Tensor &mask) {
  auto y = x + attn->forward(ln_1->forward(x), mask);
  auto m = mlp->forward(ln_2->forward(y));
  return y.requires_grad() ? y + m : y.add_(m);
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads,
                                 Initialisation init) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i)
    resblocks->push_back(ResidualAttentionBlock(width, heads, init));
}

ResidualAttentionBlock TransformerImpl::block(int64_t i) const {
  return ResidualAttentionBlock(resblocks->ptr<ResidualAttentionBlockImpl>(i));
}

void TransformerImpl::pack(Precision precision, Fp32Matmul fp32) {
  for (int64_t i = 0; i < layers(); ++i) {
    block(i)->attn->pack(precision, fp32);
    block(i)->mlp->pack(precision, fp32);
  }
}

at::Tensor TransformerImpl::forward(at::Tensor x, const at::Tensor &mask, int64_t begin,
                                    int64_t end) {
  if (end < 0) end = layers();
  for (int64_t i = begin; i < end; ++i) {
    if (before_block_) before_block_();
    x = block(i)->forward(x, mask);
  }
  return x;
}

}  // namespace refseg::clip

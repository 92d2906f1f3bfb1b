#include "sam/prompt_encoder.h"

#include <cmath>

#include <ATen/ATen.h>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"

namespace refseg::sam {

PromptEncoderConfig tell_prompt_encoder(const SamCheckpoint &ckpt, int64_t embedding_size,
                                        int64_t image_size) {
  PromptEncoderConfig c;
  c.embed_dim = ckpt.at("prompt_encoder.not_a_point_embed.weight", 2).size(1);
  c.mask_in_chans = ckpt.at("prompt_encoder.mask_downscaling.3.weight", 4).size(0);
  c.embedding_size = embedding_size;
  c.image_size = image_size;
  const at::Tensor &g = ckpt.at("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", 2);
  if (g.size(0) != 2 || 2 * g.size(1) != c.embed_dim)
    throw ModelError(ckpt.path +
                     ": tensor prompt_encoder.pe_layer.positional_encoding_gaussian_matrix has "
                     "shape " +
                     std::to_string(g.size(0)) + "x" + std::to_string(g.size(1)) + ", expected 2x" +
                     std::to_string(c.embed_dim / 2) + " for prompt embeddings of width " +
                     std::to_string(c.embed_dim));
  if (c.mask_in_chans % 4 != 0)
    throw ModelError(ckpt.path + ": tensor prompt_encoder.mask_downscaling.3.weight has " +
                     std::to_string(c.mask_in_chans) + " output channels, not a multiple of 4");
  return c;
}

PromptEncoderImpl::PromptEncoderImpl(const PromptEncoderConfig &config) : config_(config) {
  const int64_t C = config.embed_dim, m = config.mask_in_chans;
  pe_layer = register_module("pe_layer", Tensors());
  pe_layer->add("positional_encoding_gaussian_matrix", at::randn({2, C / 2}), /*buffer=*/true);
  point_embeddings = register_module("point_embeddings", torch::nn::ModuleList());
  for (int i = 0; i < 4; ++i) {
    Tensors e;
    e->add("weight", at::randn({1, C}));
    point_embeddings->push_back(e);
  }
  not_a_point_embed = register_module("not_a_point_embed", Tensors());
  not_a_point_embed->add("weight", at::randn({1, C}));
  no_mask_embed = register_module("no_mask_embed", Tensors());
  no_mask_embed->add("weight", at::randn({1, C}));

  mask_downscaling = register_module("mask_downscaling", std::make_shared<torch::nn::Module>());
  auto conv = [&](const char *name, int64_t out, int64_t in, int64_t k) {
    Tensors t;
    t->add("weight", at::zeros({out, in, k, k}));
    t->add("bias", at::zeros({out}));
    mask_downscaling->register_module(name, t);
  };
  auto norm = [&](const char *name, int64_t ch) {
    Tensors t;
    t->add("weight", at::ones({ch}));
    t->add("bias", at::zeros({ch}));
    mask_downscaling->register_module(name, t);
  };
  conv("0", m / 4, 1, 2);
  norm("1", m / 4);
  conv("3", m, m / 4, 2);
  norm("4", m);
  conv("6", C, m, 1);
}

const at::Tensor &PromptEncoderImpl::point_embedding(int i) const {
  return point_embeddings->ptr<TensorsImpl>(i)->get("weight");
}

at::Tensor PromptEncoderImpl::encode_normalized(const at::Tensor &coords01) const {
  const at::Tensor &g = pe_layer->get("positional_encoding_gaussian_matrix");
  // 2c - 1, @ G, * 2 pi, [sin, cos]: the reference's _pe_encoding in fp32.
  auto c = at::matmul(coords01.to(at::kFloat) * 2 - 1, g) * (2 * M_PI);
  return at::cat({at::sin(c), at::cos(c)}, -1);
}

at::Tensor PromptEncoderImpl::encode_pixels(const at::Tensor &coords) const {
  // forward_with_coords: x / W, y / H in the coordinates' own dtype, then fp32.
  const double size = static_cast<double>(config_.image_size);
  auto x = coords.select(-1, 0) / size, y = coords.select(-1, 1) / size;
  return encode_normalized(at::stack({x, y}, -1));
}

at::Tensor PromptEncoderImpl::sparse(const at::Tensor &points, const at::Tensor &labels,
                                     const at::Tensor &boxes) const {
  if (!points.defined() && !boxes.defined())
    throw ModelError("SAM prompt encoder: a prompt needs points or a box");
  std::vector<at::Tensor> parts;
  if (points.defined()) {
    if (points.dim() != 3 || points.size(2) != 2 || !labels.defined() || labels.dim() != 2 ||
        labels.size(0) != points.size(0) || labels.size(1) != points.size(1))
      throw ModelError("SAM prompt encoder: points must be [B, N, 2] with labels [B, N]");
    at::Tensor p = points + 0.5;  // pixel centres
    at::Tensor l = labels.to(at::kLong);
    if (!boxes.defined()) {
      p = at::cat({p, at::zeros({p.size(0), 1, 2}, p.options())}, 1);
      l = at::cat({l, at::full({l.size(0), 1}, -1, l.options())}, 1);
    }
    at::Tensor e = encode_pixels(p);  // [B, N, C]
    auto is = [&](int64_t v) { return l.eq(v).unsqueeze(-1); };
    const at::Tensor &pad = not_a_point_embed->get("weight");
    e = at::where(is(-1), pad.view({1, 1, -1}).expand_as(e), e);
    e = at::where(is(0), e + point_embedding(0), e);
    e = at::where(is(1), e + point_embedding(1), e);
    parts.push_back(e);
  }
  if (boxes.defined()) {
    if (boxes.dim() != 2 || boxes.size(1) != 4 ||
        (points.defined() && boxes.size(0) != points.size(0)))
      throw ModelError("SAM prompt encoder: boxes must be [B, 4] (one per prompt)");
    at::Tensor corners = encode_pixels((boxes + 0.5).reshape({-1, 2, 2}));  // [B, 2, C]
    corners = corners + at::stack({point_embedding(2)[0], point_embedding(3)[0]}, 0);
    parts.push_back(corners);
  }
  return parts.size() == 1 ? parts[0] : at::cat(parts, 1);
}

at::Tensor PromptEncoderImpl::dense_no_mask() const {
  const int64_t s = config_.embedding_size;
  return no_mask_embed->get("weight").reshape({1, -1, 1, 1}).expand({1, config_.embed_dim, s, s});
}

at::Tensor PromptEncoderImpl::dense_pe() const {
  const int64_t s = config_.embedding_size;
  // (i + 0.5) / s on each axis, x first: the reference's cumsum grid.
  auto r = (at::arange(s, at::kFloat) + 0.5f) / static_cast<float>(s);
  auto y = r.view({s, 1}).expand({s, s}), x = r.view({1, s}).expand({s, s});
  return encode_normalized(at::stack({x, y}, -1)).permute({2, 0, 1}).unsqueeze(0).contiguous();
}

}  // namespace refseg::sam

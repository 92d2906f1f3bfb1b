#include "sam/mask_decoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <ATen/ATen.h>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"
#include "sam/decoder_kernels.h"

namespace refseg::sam {

namespace {

at::Tensor linear(const at::Tensor &x, const torch::nn::Linear &l) {
  const auto in = x.size(-1);
  auto sizes = x.sizes().vec();
  sizes.back() = l->weight.size(0);
  return at::addmm(l->bias, x.reshape({-1, in}), l->weight.t()).view(sizes);
}

at::Tensor layer_norm(const Tensors &n, const at::Tensor &x, double eps = 1e-5) {
  const at::Tensor &w = n->get("weight");
  return at::layer_norm(x, {w.size(0)}, w, n->get("bias"), eps);
}

Tensors norm_holder(int64_t width) {
  Tensors t;
  t->add("weight", at::ones({width}));
  t->add("bias", at::zeros({width}));
  return t;
}

}  // namespace

MaskDecoderConfig tell_mask_decoder(const SamCheckpoint &ckpt) {
  MaskDecoderConfig c;
  const std::string p = "mask_decoder.";
  c.dim = ckpt.at(p + "iou_token.weight", 2).size(1);
  // Heads are not in the state dict: 8 in every release (width 256); the
  // project's small test checkpoints use width / 8 (2 at width 16).
  c.heads = std::min<int64_t>(8, std::max<int64_t>(1, c.dim / 8));
  c.num_mask_tokens = ckpt.at(p + "mask_tokens.weight", 2).size(0);
  c.depth = ckpt.count_indexed(p + "transformer.layers.", ".norm1.weight");
  if (c.depth < 1)
    throw ModelError(ckpt.path + ": no tensor " + p +
                     "transformer.layers.0.norm1.weight (the mask decoder's two-way blocks)");
  c.mlp_dim = ckpt.at(p + "transformer.layers.0.mlp.lin1.weight", 2).size(0);
  const int64_t internal =
      ckpt.at(p + "transformer.layers.0.cross_attn_token_to_image.q_proj.weight", 2).size(0);
  if (internal <= 0 || c.dim % internal != 0 || internal % c.heads != 0)
    throw ModelError(ckpt.path + ": tensor " + p +
                     "transformer.layers.0.cross_attn_token_to_image.q_proj.weight has " +
                     std::to_string(internal) + " rows, which neither divides the width " +
                     std::to_string(c.dim) + " nor splits into " + std::to_string(c.heads) +
                     " heads");
  c.downsample = c.dim / internal;
  c.iou_head_depth = ckpt.count_indexed(p + "iou_prediction_head.layers.", ".weight");
  if (c.iou_head_depth < 1)
    throw ModelError(ckpt.path + ": no tensor " + p + "iou_prediction_head.layers.0.weight");
  c.iou_head_hidden =
      c.iou_head_depth > 1 ? ckpt.at(p + "iou_prediction_head.layers.0.weight", 2).size(0) : c.dim;
  if (c.num_mask_tokens < 2)
    throw ModelError(ckpt.path + ": tensor " + p + "mask_tokens.weight has " +
                     std::to_string(c.num_mask_tokens) + " rows, expected at least 2");
  return c;
}

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads, int64_t downsample)
    : heads(heads), internal(dim / downsample) {
  q_proj = register_module("q_proj", torch::nn::Linear(dim, internal));
  k_proj = register_module("k_proj", torch::nn::Linear(dim, internal));
  v_proj = register_module("v_proj", torch::nn::Linear(dim, internal));
  out_proj = register_module("out_proj", torch::nn::Linear(internal, dim));
}

at::Tensor AttentionImpl::forward(const at::Tensor &q, const at::Tensor &k,
                                  const at::Tensor &v) const {
  const auto B = q.size(0), Nq = q.size(1), Nk = k.size(1), c = internal / heads;
  auto split = [&](const at::Tensor &x, int64_t n) {
    return x.view({B, n, heads, c}).transpose(1, 2);  // [B, H, n, c]
  };
  auto qh = split(linear(q, q_proj), Nq), kh = split(linear(k, k_proj), Nk),
       vh = split(linear(v, v_proj), Nk);
  auto attn = at::matmul(qh, kh.transpose(2, 3)) / std::sqrt(static_cast<double>(c));
  auto out = at::matmul(at::softmax(attn, -1), vh);  // [B, H, Nq, c]
  return linear(out.transpose(1, 2).reshape({B, Nq, internal}), out_proj);
}

TwoWayBlockImpl::TwoWayBlockImpl(const MaskDecoderConfig &c, bool skip)
    : skip_first_layer_pe(skip) {
  self_attn = register_module("self_attn", Attention(c.dim, c.heads, 1));
  norm1 = register_module("norm1", norm_holder(c.dim));
  cross_attn_token_to_image =
      register_module("cross_attn_token_to_image", Attention(c.dim, c.heads, c.downsample));
  norm2 = register_module("norm2", norm_holder(c.dim));
  mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  lin1 = mlp->register_module("lin1", torch::nn::Linear(c.dim, c.mlp_dim));
  lin2 = mlp->register_module("lin2", torch::nn::Linear(c.mlp_dim, c.dim));
  norm3 = register_module("norm3", norm_holder(c.dim));
  norm4 = register_module("norm4", norm_holder(c.dim));
  cross_attn_image_to_token =
      register_module("cross_attn_image_to_token", Attention(c.dim, c.heads, c.downsample));
}

DecoderMlpImpl::DecoderMlpImpl(int64_t in, int64_t hidden, int64_t out, int64_t n) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i)
    layers->push_back(torch::nn::Linear(i == 0 ? in : hidden, i == n - 1 ? out : hidden));
}

at::Tensor DecoderMlpImpl::forward(const at::Tensor &x) const {
  at::Tensor y = x;
  const auto n = static_cast<int64_t>(layers->size());
  for (int64_t i = 0; i < n; ++i) {
    y = linear(y, torch::nn::Linear(layers->ptr<torch::nn::LinearImpl>(i)));
    if (i < n - 1) y = at::relu(y);
  }
  return y;
}

MaskDecoderImpl::MaskDecoderImpl(const MaskDecoderConfig &c) : config_(c) {
  transformer = register_module("transformer", std::make_shared<torch::nn::Module>());
  layers = transformer->register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.depth; ++i) layers->push_back(TwoWayBlock(c, i == 0));
  final_attn_token_to_image = transformer->register_module("final_attn_token_to_image",
                                                           Attention(c.dim, c.heads, c.downsample));
  norm_final_attn = transformer->register_module("norm_final_attn", norm_holder(c.dim));

  iou_token = register_module("iou_token", Tensors());
  iou_token->add("weight", at::randn({1, c.dim}));
  mask_tokens = register_module("mask_tokens", Tensors());
  mask_tokens->add("weight", at::randn({c.num_mask_tokens, c.dim}));

  output_upscaling = register_module("output_upscaling", std::make_shared<torch::nn::Module>());
  up0 = output_upscaling->register_module("0", Tensors());
  up0->add("weight", at::zeros({c.dim, c.dim / 4, 2, 2}));
  up0->add("bias", at::zeros({c.dim / 4}));
  up1 = output_upscaling->register_module("1", norm_holder(c.dim / 4));
  up3 = output_upscaling->register_module("3", Tensors());
  up3->add("weight", at::zeros({c.dim / 4, c.dim / 8, 2, 2}));
  up3->add("bias", at::zeros({c.dim / 8}));

  output_hypernetworks_mlps = register_module("output_hypernetworks_mlps", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_mask_tokens; ++i)
    output_hypernetworks_mlps->push_back(DecoderMlp(c.dim, c.dim, c.dim / 8, 3));
  iou_prediction_head =
      register_module("iou_prediction_head",
                      DecoderMlp(c.dim, c.iou_head_hidden, c.num_mask_tokens, c.iou_head_depth));
}

DecoderFrame MaskDecoderImpl::prepare(const at::Tensor &image_embedding, const at::Tensor &dense_pe,
                                      const at::Tensor &dense) const {
  const int64_t C = config_.dim, H = config_.heads;
  if (image_embedding.dim() != 4 || image_embedding.size(0) != 1 || image_embedding.size(1) != C)
    throw ModelError("SAM mask decoder: the image embedding must be [1, " + std::to_string(C) +
                     ", h, w]");
  DecoderFrame f;
  f.h = image_embedding.size(2);
  f.w = image_embedding.size(3);
  const at::Tensor pe = dense_pe.flatten(2).squeeze(0).t().contiguous();
  // The frame part F of the tokens entering layer k is the embedding times
  // the norm4 weights of the layers before; a head block made in layer i has
  // been through the norm4 weights of layers i .. k-1 by layer k's norm4.
  // The frame part's projections are in the compute type: bf16 when the
  // decoder runs in bf16 (its per-prompt products with them are the bulk of
  // the transformer's work), else fp32.
  const auto ct = bf16_ ? at::kBFloat16 : at::kFloat;
  auto heads_of = [&](const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias) {
    return project_heads(x, weight, bias, H).to(ct);
  };
  // [HW, C]: image embedding + dense no-mask embedding, the tokens' frame part
  at::Tensor frame = (image_embedding + dense).flatten(2).squeeze(0).t().contiguous();
  std::vector<at::Tensor> norm_weights;
  const auto n = static_cast<int64_t>(layers->size());
  for (int64_t k = 0; k < n; ++k) {
    const auto &blk = *layers->ptr<TwoWayBlockImpl>(k);
    const auto &t2i = *blk.cross_attn_token_to_image, &i2t = *blk.cross_attn_image_to_token;
    DecoderFrame::Layer L;
    L.t2i_key = {heads_of(frame, t2i.k_proj->weight, {}), heads_of(pe, t2i.k_proj->weight, {})};
    L.t2i_value = heads_of(frame, t2i.v_proj->weight, {});
    L.i2t_query = {heads_of(frame, i2t.q_proj->weight, {}),
                   heads_of(pe, i2t.q_proj->weight, i2t.q_proj->bias)};
    L.norm = frame_norm_terms(frame);
    for (int64_t i = 0; i <= k; ++i) {
      at::Tensor g;
      for (int64_t j = i; j < k; ++j) g = g.defined() ? g * norm_weights[j] : norm_weights[j];
      const auto &made_in = *layers->ptr<TwoWayBlockImpl>(i)->cross_attn_image_to_token;
      add_head_terms(L.norm, g, made_in.out_proj->weight, made_in.out_proj->bias, H);
    }
    // The constant rows of the norms before: weight and bias of norm j,
    // through the weights of the norms between.
    for (int64_t j = 0; j < k; ++j) {
      const auto &nj = *layers->ptr<TwoWayBlockImpl>(j)->norm4;
      at::Tensor rows = at::stack({nj.get("weight"), nj.get("bias")}, 0);
      for (int64_t i = j + 1; i < k; ++i) rows = rows * norm_weights[i];
      add_constant_terms(L.norm, rows);
    }
    for (auto &hv : L.norm.head_values) hv = hv.to(ct);
    for (auto &cd : L.norm.constant_dots) cd = cd.to(ct);
    norm_weights.push_back(blk.norm4->get("weight"));
    frame = frame * norm_weights.back();
    f.layers.push_back(std::move(L));
  }
  const auto &fin = *final_attn_token_to_image;
  f.final_key = {heads_of(frame, fin.k_proj->weight, {}), heads_of(pe, fin.k_proj->weight, {})};
  f.final_value = heads_of(frame, fin.v_proj->weight, {});
  f.upscale = at::mm(frame, upscale_weight());
  return f;
}

at::Tensor MaskDecoderImpl::upscale_weight() const {
  // ConvTranspose2d(C, C/4, 2, stride 2) as one matmul from a pixel's
  // channels to its 2x2 children's (di, dj, channel).
  const at::Tensor &w0 = up0->get("weight");
  return w0.permute({0, 2, 3, 1}).reshape({w0.size(0), 4 * w0.size(1)});
}

namespace {

double inv_sqrt(int64_t c) {
  return 1.0 / std::sqrt(static_cast<double>(c));
}

// [B, T, H*c] -> [B, H, T, c]
at::Tensor per_head(const at::Tensor &x, int64_t heads) {
  const auto B = x.size(0), T = x.size(1), c = x.size(2) / heads;
  return x.view({B, T, heads, c}).transpose(1, 2);
}

// Token-to-image attention of the tokens q [B, T, C] over the prompt's
// factored image tokens -> [B, T, C].
at::Tensor token_to_image(const AttentionImpl &a, const at::Tensor &q, const FactoredTokens &img,
                          const FrameProjection &key, const at::Tensor &value) {
  const int64_t c = a.internal / a.heads;
  const at::Tensor qh = per_head(linear(q, a.q_proj) * inv_sqrt(c), a.heads);
  return linear(factored_token_to_image(qh, img, key, value, a.k_proj->weight, a.v_proj->weight,
                                        a.v_proj->bias),
                a.out_proj);
}

}  // namespace

DecodedMasks MaskDecoderImpl::decode(const DecoderFrame &f, const at::Tensor &sparse,
                                     bool multimask) const {
  const DecodedTokens t = decode_tokens(f, sparse, multimask);
  return {upscale_masks(t, at::Tensor()), t.iou};
}

void MaskDecoderImpl::set_bf16(bool on) {
  bf16_ = on;
}

at::Tensor MaskDecoderImpl::upscale_masks(const DecodedTokens &t, const at::Tensor &rows) const {
  std::vector<int64_t> which;
  if (rows.defined()) {
    const at::Tensor r = rows.to(at::kLong).contiguous();
    which.assign(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel());
  } else {
    for (int64_t i = 0; i < t.iou.size(0); ++i) which.push_back(i);
  }
  return upscale(t, which);
}

DecodedTokens MaskDecoderImpl::decode_tokens(const DecoderFrame &f, const at::Tensor &sparse,
                                             bool multimask) const {
  // Prompts go through the transformer in chunks: each holds its factored
  // tokens' coefficients ([m, HW], m about 2 H T) and scores ([H T, HW]).
  // Larger chunks make the tokens' side matmuls less thin; 16 keeps a
  // chunk's arrays to tens of MB (tools/bench_sam, bf16, per 64 prompts:
  // chunks of 4, 8, 16 and 64 took 499, 410, 383 and 353-398 ms).
  const int64_t B = sparse.size(0), step = kPromptsPerChunk;
  DecodedTokens out;
  std::vector<at::Tensor> hyper, iou;
  for (int64_t b0 = 0; b0 < B; b0 += step) {
    DecodedTokens c = decode_chunk(f, sparse.narrow(0, b0, std::min(step, B - b0)), multimask);
    out.chunks.push_back(c.chunks.front());
    out.upscale = c.upscale;
    hyper.push_back(c.hyper);
    iou.push_back(c.iou);
    out.h = c.h;
    out.w = c.w;
  }
  out.chunk = step;
  out.hyper = hyper.size() == 1 ? hyper[0] : at::cat(hyper, 0);
  out.iou = iou.size() == 1 ? iou[0] : at::cat(iou, 0);
  return out;
}

DecodedTokens MaskDecoderImpl::decode_chunk(const DecoderFrame &f, const at::Tensor &sparse,
                                            bool multimask) const {
  const int64_t C = config_.dim, M = config_.num_mask_tokens;
  if (sparse.dim() != 3 || sparse.size(2) != C)
    throw ModelError("SAM mask decoder: prompt embeddings must be [B, N, " + std::to_string(C) +
                     "]");
  const int64_t B = sparse.size(0);
  auto out_tokens = at::cat({iou_token->get("weight"), mask_tokens->get("weight")}, 0);
  const at::Tensor tokens = at::cat({out_tokens.unsqueeze(0).expand({B, 1 + M, C}), sparse}, 1);
  const at::Tensor &qpe = tokens;
  at::Tensor queries = tokens;
  FactoredTokens img;  // the embedding itself until the first image-to-token attention

  const auto n = static_cast<int64_t>(layers->size());
  for (int64_t i = 0; i < n; ++i) {
    const auto &blk = *layers->ptr<TwoWayBlockImpl>(i);
    const DecoderFrame::Layer &L = f.layers[static_cast<size_t>(i)];
    if (blk.skip_first_layer_pe) {
      queries = blk.self_attn->forward(queries, queries, queries);
    } else {
      auto q = queries + qpe;
      queries = queries + blk.self_attn->forward(q, q, queries);
    }
    queries = layer_norm(blk.norm1, queries);
    auto a =
        token_to_image(*blk.cross_attn_token_to_image, queries + qpe, img, L.t2i_key, L.t2i_value);
    queries = layer_norm(blk.norm2, queries + a);
    queries =
        layer_norm(blk.norm3, queries + linear(at::relu(linear(queries, blk.lin1)), blk.lin2));
    const auto &i2t = *blk.cross_attn_image_to_token;
    const int64_t c = i2t.internal / i2t.heads;
    factored_add_image_to_token(
        img, per_head(linear(queries + qpe, i2t.k_proj) * inv_sqrt(c), i2t.heads),
        per_head(linear(queries, i2t.v_proj), i2t.heads), L.i2t_query, i2t.q_proj->weight,
        i2t.out_proj->weight, i2t.out_proj->bias, static_cast<int>(i));
    factored_layer_norm(img, L.norm, blk.norm4->get("weight"), blk.norm4->get("bias"), 1e-5);
  }
  // Only the IoU and mask tokens' outputs are read: the final attention and
  // norm are per token, so the prompt tokens are left out of them.
  const at::Tensor head_tokens = queries.narrow(1, 0, 1 + M);
  const at::Tensor outputs =
      layer_norm(norm_final_attn, head_tokens + token_to_image(*final_attn_token_to_image,
                                                               (queries + qpe).narrow(1, 0, 1 + M),
                                                               img, f.final_key, f.final_value));

  const int64_t first = multimask ? 1 : 0, count = multimask ? M - 1 : 1;
  std::vector<at::Tensor> hyper;
  for (int64_t j = first; j < first + count; ++j)
    hyper.push_back(
        output_hypernetworks_mlps->ptr<DecoderMlpImpl>(j)->forward(outputs.select(1, 1 + j)));
  DecodedTokens out;
  const auto dt = bf16_ ? at::kBFloat16 : at::kFloat;
  out.chunks = {{img.alpha, img.wt.to(dt), at::matmul(img.rows, upscale_weight()).to(dt)}};
  out.upscale = f.upscale;
  out.hyper = at::stack(hyper, 1);
  out.iou = iou_prediction_head->forward(outputs.select(1, 0)).narrow(1, first, count).contiguous();
  out.h = f.h;
  out.w = f.w;
  return out;
}

at::Tensor MaskDecoderImpl::upscale(const DecodedTokens &t,
                                    const std::vector<int64_t> &rows) const {
  // Both transposed convolutions have kernel = stride = 2: each is one
  // matmul from a pixel's channels to its 2x2 children's channels. The
  // first is applied to the factored tokens (DecodedTokens). Pixels stay
  // rows (channels last) until the masks' final reordering.
  const int64_t h = t.h, w = t.w, K = t.hyper.size(1), n = static_cast<int64_t>(rows.size());
  const at::Tensor &w3 = up3->get("weight");
  const int64_t C4 = w3.size(0), C8 = w3.size(1);
  const auto dt = bf16_ ? at::kBFloat16 : at::kFloat;
  const at::Tensor frame_up = t.upscale.to(dt);
  const at::Tensor b0r = up0->get("bias").repeat({4});
  const at::Tensor w3r = w3.permute({0, 2, 3, 1}).reshape({C4, 4 * C8}).to(dt);
  const at::Tensor b3r = up3->get("bias").repeat({4}).to(dt);
  at::Tensor out = at::empty({n, K, 4 * h, 4 * w}, at::kFloat);
  // Prompts per step: keeps the 4x upscaled planes (16 HW x C/8 each) small.
  const int64_t step = 2;
  for (int64_t b0 = 0; b0 < n; b0 += step) {
    const int64_t nb = std::min(step, n - b0);
    std::vector<at::Tensor> al, ws, rs, hy;
    for (int64_t i = b0; i < b0 + nb; ++i) {
      const int64_t r = rows[i];
      const DecodedTokens::Chunk &c = t.chunks[r / t.chunk];
      al.push_back(c.alpha.select(0, r % t.chunk));
      ws.push_back(c.wt.select(0, r % t.chunk));
      rs.push_back(c.rows.select(0, r % t.chunk));
      hy.push_back(t.hyper.select(0, r));
    }
    // [nb, HW, 4 C/4]: the per-prompt part of the first convolution; the
    // frame part and the norm join it in norm_gelu's pass.
    const at::Tensor y = at::bmm(at::stack(ws, 0).transpose(1, 2), at::stack(rs, 0));
    const at::Tensor a =
        norm_gelu(y, at::stack(al, 0), frame_up, b0r, up1->get("weight"), up1->get("bias"), 1e-6);
    const at::Tensor z =
        at::addmm(b3r, a.view({nb * h * w * 4, C4}), w3r).view({nb, h * w * 16, C8});
    at::Tensor masks = out.narrow(0, b0, nb);
    gelu_mask_product(z, at::stack(hy, 0), h, w, masks);
  }
  return out;
}

}  // namespace refseg::sam

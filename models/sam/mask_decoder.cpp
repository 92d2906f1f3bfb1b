#include "sam/mask_decoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <ATen/ATen.h>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"

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

// [B, N, H*c] -> [H, B*N, c]
at::Tensor heads_first(const at::Tensor &x, int64_t heads) {
  const auto B = x.size(0), N = x.size(1), c = x.size(2) / heads;
  return x.reshape({B * N, heads, c}).transpose(0, 1);
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
  const int64_t C = config_.dim;
  if (image_embedding.dim() != 4 || image_embedding.size(0) != 1 || image_embedding.size(1) != C)
    throw ModelError("SAM mask decoder: the image embedding must be [1, " + std::to_string(C) +
                     ", h, w]");
  DecoderFrame f;
  f.h = image_embedding.size(2);
  f.w = image_embedding.size(3);
  f.keys = (image_embedding + dense).flatten(2).permute({0, 2, 1}).contiguous();
  f.key_pe = dense_pe.flatten(2).permute({0, 2, 1}).contiguous();
  const auto &first = *layers->ptr<TwoWayBlockImpl>(0);
  const auto H = config_.heads;
  auto with_pe = f.keys + f.key_pe;
  f.first_k = heads_first(linear(with_pe, first.cross_attn_token_to_image->k_proj), H).contiguous();
  f.first_v = heads_first(linear(f.keys, first.cross_attn_token_to_image->v_proj), H).contiguous();
  f.first_q = heads_first(linear(with_pe, first.cross_attn_image_to_token->q_proj), H).contiguous();
  return f;
}

namespace {

double inv_sqrt(int64_t c) {
  return 1.0 / std::sqrt(static_cast<double>(c));
}

// Per-head values already through out_proj, plus out_proj.bias / H: vo
// [B, H*T, C] such that out_proj(attn @ v) = attn over (h, t) @ vo (each
// head's weights sum to 1, so the H bias shares add up to the bias).
at::Tensor values_through_out_proj(const AttentionImpl &a, const at::Tensor &v) {
  const auto B = v.size(0), T = v.size(1), H = a.heads, c = a.internal / H;
  const auto C = a.out_proj->weight.size(0);
  auto vp = heads_first(linear(v, a.v_proj), H);                    // [H, B*T, c]
  auto wo = a.out_proj->weight.view({C, H, c}).permute({1, 2, 0});  // [H, c, C]
  return (at::bmm(vp, wo) + a.out_proj->bias / static_cast<double>(H))
      .view({H, B, T, C})
      .permute({1, 0, 2, 3})
      .reshape({B, H * T, C});
}

// Token-to-image attention with the keys shared by every prompt: k, v are
// the projections of the frame [H, HW, c]; q [B, T, C] -> [B, T, C].
at::Tensor token_to_shared_image(const AttentionImpl &a, const at::Tensor &q, const at::Tensor &k,
                                 const at::Tensor &v) {
  const auto B = q.size(0), T = q.size(1), H = a.heads, c = a.internal / H;
  auto qh = heads_first(linear(q, a.q_proj) * inv_sqrt(c), H);  // [H, B*T, c]
  auto s = at::bmm(qh, k.transpose(1, 2));                      // [H, B*T, HW]
  auto o = at::bmm(at::softmax(s, -1), v);                      // [H, B*T, c]
  return linear(o.transpose(0, 1).reshape({B, T, a.internal}), a.out_proj);
}

// Token-to-image attention over per-prompt image tokens: xk = keys + pe and
// xv = keys [B, HW, C], in the image tokens' type; q [B, T, C] -> [B, T, C],
// fp32. The key projection is folded into the queries (its bias shifts all
// of a query's scores alike, which softmax ignores), the value projection
// applied after the sum.
at::Tensor token_to_image(const AttentionImpl &a, const at::Tensor &q, const at::Tensor &xk,
                          const at::Tensor &xv) {
  const auto B = q.size(0), T = q.size(1), H = a.heads, c = a.internal / H, C = xk.size(2);
  auto qh = heads_first(linear(q, a.q_proj) * inv_sqrt(c), H);  // [H, B*T, c]
  auto qk = at::bmm(qh, a.k_proj->weight.view({H, c, C}))       // [H, B*T, C]
                .view({H, B, T, C})
                .permute({1, 0, 2, 3})
                .reshape({B, H * T, C})
                .to(xk.scalar_type());
  auto s = at::bmm(qk, xk.transpose(1, 2));                 // [B, H*T, HW]
  auto y = at::bmm(at::softmax(s, -1), xv).to(at::kFloat);  // [B, H*T, C]
  auto yh = y.view({B, H, T, C}).permute({1, 0, 2, 3}).reshape({H, B * T, C});
  auto o = at::baddbmm(a.v_proj->bias.view({H, 1, c}), yh,
                       a.v_proj->weight.view({H, c, C}).transpose(1, 2));  // [H, B*T, c]
  return linear(o.transpose(0, 1).reshape({B, T, a.internal}), a.out_proj);
}

// keys + image-to-token attention with the image queries shared by every
// prompt: qimg [H, HW, c] (projected), keys [1, HW, C] fp32; k, v [B, T, C]
// -> [B, HW, C] fp32, its products in `dt`. Scores are laid out [.., T, HW]
// so softmax runs over T with HW as the contiguous inner dimension. Sums are
// a bmm and an add: LibTorch 1.13's CPU baddbmm with a [B, HW, C] addend
// runs one addmm per prompt, 2.5x the time of the two.
at::Tensor keys_plus_shared_image_to_token(const AttentionImpl &a, const at::Tensor &keys,
                                           const at::Tensor &qimg, const at::Tensor &k,
                                           const at::Tensor &v, at::ScalarType dt) {
  const auto B = k.size(0), T = k.size(1), H = a.heads, c = a.internal / H, HW = qimg.size(1);
  auto kh = heads_first(linear(k, a.k_proj) * inv_sqrt(c), H);  // [H, B*T, c]
  auto s = at::bmm(kh, qimg.transpose(1, 2)).view({H, B, T, HW});
  auto p = at::softmax(s, 2).permute({1, 0, 2, 3}).reshape({B, H * T, HW}).to(dt);
  return at::bmm(p.transpose(1, 2), values_through_out_proj(a, v).to(dt)).to(at::kFloat).add_(keys);
}

// keys + image-to-token attention over per-prompt image tokens x = keys + pe
// [B, HW, C], both in the image tokens' type; k, v [B, T, C] -> [B, HW, C]
// fp32. The query projection is folded into the keys (its bias gives each
// key a constant score term).
at::Tensor keys_plus_image_to_token(const AttentionImpl &a, const at::Tensor &keys,
                                    const at::Tensor &x, const at::Tensor &k, const at::Tensor &v) {
  const auto B = k.size(0), T = k.size(1), H = a.heads, c = a.internal / H, C = x.size(2),
             HW = x.size(1);
  const auto dt = x.scalar_type();
  auto kp = linear(k, a.k_proj) * inv_sqrt(c);                             // [B, T, I]
  auto kq = at::bmm(heads_first(kp, H), a.q_proj->weight.view({H, c, C}))  // [H, B*T, C]
                .view({H, B, T, C})
                .permute({1, 0, 2, 3})
                .reshape({B, H * T, C})
                .to(dt);
  auto kb = (kp.view({B, T, H, c}) * a.q_proj->bias.view({1, 1, H, c}))
                .sum(-1)
                .permute({0, 2, 1})
                .reshape({B, H * T, 1})
                .to(dt);
  auto s = at::bmm(kq, x.transpose(1, 2)).add_(kb);  // [B, H*T, HW]
  auto p = at::softmax(s.view({B, H, T, HW}), 2).view({B, H * T, HW});
  return at::bmm(p.transpose(1, 2), values_through_out_proj(a, v).to(dt)).to(at::kFloat).add_(keys);
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
  // Prompts go through the transformer a few at a time: each holds its own
  // [HW, C] image tokens, and small pieces stay in the caches and in the
  // allocator's reused memory instead of fresh pages for every tensor.
  const int64_t B = sparse.size(0), step = kPromptsPerChunk;
  DecodedTokens out;
  std::vector<at::Tensor> hyper, iou;
  for (int64_t b0 = 0; b0 < B; b0 += step) {
    DecodedTokens c = decode_chunk(f, sparse.narrow(0, b0, std::min(step, B - b0)), multimask);
    out.keys.push_back(c.keys.front());
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
  at::Tensor queries = tokens, keys;  // keys undefined while shared (f.keys)

  // The per-prompt image tokens ([B, HW, C], the bulk of the work) are held
  // in `dt`; their LayerNorms run in fp32 (LibTorch 1.13's bf16 LayerNorm on
  // the CPU is 10x slower than its fp32 one), the tokens' side stays fp32.
  const auto dt = bf16_ ? at::kBFloat16 : at::kFloat;
  const at::Tensor key_pe = f.key_pe.to(dt);
  const auto n = static_cast<int64_t>(layers->size());
  for (int64_t i = 0; i < n; ++i) {
    const auto &blk = *layers->ptr<TwoWayBlockImpl>(i);
    if (blk.skip_first_layer_pe) {
      queries = blk.self_attn->forward(queries, queries, queries);
    } else {
      auto q = queries + qpe;
      queries = queries + blk.self_attn->forward(q, q, queries);
    }
    queries = layer_norm(blk.norm1, queries);
    auto q = queries + qpe;
    at::Tensor x;  // keys + pe, per prompt
    if (keys.defined()) x = keys + key_pe;
    auto a = keys.defined()
                 ? token_to_image(*blk.cross_attn_token_to_image, q, x, keys)
                 : token_to_shared_image(*blk.cross_attn_token_to_image, q, f.first_k, f.first_v);
    queries = layer_norm(blk.norm2, queries + a);
    queries =
        layer_norm(blk.norm3, queries + linear(at::relu(linear(queries, blk.lin1)), blk.lin2));
    q = queries + qpe;
    keys = layer_norm(
               blk.norm4,
               keys.defined()
                   ? keys_plus_image_to_token(*blk.cross_attn_image_to_token, keys, x, q, queries)
                   : keys_plus_shared_image_to_token(*blk.cross_attn_image_to_token, f.keys,
                                                     f.first_q, q, queries, dt))
               .to(dt);
  }
  {
    auto q = queries + qpe;
    queries = layer_norm(norm_final_attn, queries + token_to_image(*final_attn_token_to_image, q,
                                                                   keys + key_pe, keys));
  }

  const int64_t first = multimask ? 1 : 0, count = multimask ? M - 1 : 1;
  std::vector<at::Tensor> hyper;
  for (int64_t j = first; j < first + count; ++j)
    hyper.push_back(
        output_hypernetworks_mlps->ptr<DecoderMlpImpl>(j)->forward(queries.select(1, 1 + j)));
  DecodedTokens out;
  out.keys = {keys};
  out.hyper = at::stack(hyper, 1);
  out.iou = iou_prediction_head->forward(queries.select(1, 0)).narrow(1, first, count).contiguous();
  out.h = f.h;
  out.w = f.w;
  return out;
}

at::Tensor MaskDecoderImpl::upscale(const DecodedTokens &t,
                                    const std::vector<int64_t> &rows) const {
  // Both transposed convolutions have kernel = stride = 2: each is one
  // matmul from a pixel's channels to its 2x2 children's channels. Pixels
  // stay rows (channels last) until the masks' final reordering.
  const int64_t h = t.h, w = t.w, K = t.hyper.size(1), n = static_cast<int64_t>(rows.size());
  const int64_t C = t.keys.front().size(2);
  const at::Tensor &w0 = up0->get("weight"), &w3 = up3->get("weight");
  const int64_t C4 = w0.size(1), C8 = w3.size(1);
  const auto dt = bf16_ ? at::kBFloat16 : at::kFloat;
  auto w0r = w0.permute({0, 2, 3, 1}).reshape({C, 4 * C4}).to(dt);
  auto b0r = up0->get("bias").repeat({4}).to(dt);
  auto w3r = w3.permute({0, 2, 3, 1}).reshape({C4, 4 * C8}).to(dt);
  auto b3r = up3->get("bias").repeat({4}).to(dt);
  const at::Tensor &ln_w = up1->get("weight"), &ln_b = up1->get("bias");
  at::Tensor out = at::empty({n, K, 4 * h, 4 * w}, at::kFloat);
  // Prompts per step: keeps the 4x upscaled planes (16 HW x C/8 each) small.
  const int64_t step = 2;
  for (int64_t b0 = 0; b0 < n; b0 += step) {
    const int64_t nb = std::min(step, n - b0);
    std::vector<at::Tensor> x, hy;
    for (int64_t i = b0; i < b0 + nb; ++i) {
      const int64_t r = rows[i];
      x.push_back(t.keys[r / t.chunk].select(0, r % t.chunk));
      hy.push_back(t.hyper.select(0, r));
    }
    auto xk = (nb == 1 ? x[0].unsqueeze(0) : at::stack(x, 0)).reshape({nb * h * w, C}).to(dt);
    // LayerNorm in fp32 whatever the precision: LibTorch 1.13's bf16
    // LayerNorm on the CPU is 3x slower than its fp32 one.
    auto y = at::addmm(b0r, xk, w0r).view({nb * h * w * 4, C4}).to(at::kFloat);
    y = at::gelu(at::layer_norm(y, {C4}, ln_w, ln_b, 1e-6)).to(dt);
    auto z = at::gelu(at::addmm(b3r, y, w3r)).view({nb, h * w * 16, C8});
    auto m = at::bmm(z.to(at::kFloat), at::stack(hy, 0).transpose(1, 2));  // [nb, 16HW, K]
    // rows are (i, j, di, dj, ei, ej): pixel (4i + 2di + ei, 4j + 2dj + ej)
    out.narrow(0, b0, nb).copy_(m.view({nb, h, w, 2, 2, 2, 2, K})
                                    .permute({0, 7, 1, 3, 5, 2, 4, 6})
                                    .reshape({nb, K, 4 * h, 4 * w}));
  }
  return out;
}

}  // namespace refseg::sam

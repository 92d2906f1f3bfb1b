#include "sam/sam_image_encoder.h"

#include <algorithm>

#include "common/model_error.h"

namespace refseg::sam {
namespace {

namespace F = torch::nn::functional;

// ATen's linear, as the reference's nn.Linear calls it: a contiguous 3-D
// input becomes one addmm. (The C++ frontend's Linear::forward runs matmul
// and then adds the bias for any input that is not 2-D.)
torch::Tensor linear(const torch::nn::Linear &l, const torch::Tensor &x) {
  return at::linear(x, l->weight, l->bias);
}

// Detectron2's LayerNorm2d as SAM writes it: the statistics over channels,
// the biased variance, then weight * x + bias.
class LayerNorm2dImpl : public torch::nn::Module {
 public:
  explicit LayerNorm2dImpl(int64_t channels, double eps = 1e-6) : eps_(eps) {
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
  }
  torch::Tensor forward(const torch::Tensor &x) {
    const auto u = x.mean(1, /*keepdim=*/true);
    const auto d = x - u;
    const auto s = d.pow(2).mean(1, /*keepdim=*/true);
    const auto n = d / torch::sqrt(s + eps_);
    return weight.view({-1, 1, 1}) * n + bias.view({-1, 1, 1});
  }
  torch::Tensor weight, bias;

 private:
  double eps_;
};
TORCH_MODULE(LayerNorm2d);

// The neck shared by both encoders: neck.0 conv1x1, neck.1 LayerNorm2d,
// neck.2 conv3x3, neck.3 LayerNorm2d, none of the convs with a bias.
class NeckImpl : public torch::nn::Module {
 public:
  NeckImpl(int64_t in, int64_t out)
      : conv1(torch::nn::Conv2dOptions(in, out, 1).bias(false)),
        norm1(out),
        conv2(torch::nn::Conv2dOptions(out, out, 3).padding(1).bias(false)),
        norm2(out) {
    register_module("0", conv1);
    register_module("1", norm1);
    register_module("2", conv2);
    register_module("3", norm2);
  }
  torch::Tensor forward(const torch::Tensor &x) { return norm2(conv2(norm1(conv1(x)))); }
  torch::nn::Conv2d conv1;
  LayerNorm2d norm1;
  torch::nn::Conv2d conv2;
  LayerNorm2d norm2;
};
TORCH_MODULE(Neck);

// ---------------------------------------------------------------- SAM ViT

// [B, H, W, C] -> [B * nW, ws, ws, C], zero-padded at the bottom/right.
torch::Tensor window_partition(const torch::Tensor &x, int64_t ws, int64_t &hp, int64_t &wp) {
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  const int64_t pad_h = (ws - H % ws) % ws, pad_w = (ws - W % ws) % ws;
  torch::Tensor y = x;
  if (pad_h > 0 || pad_w > 0) y = F::pad(x, F::PadFuncOptions({0, 0, 0, pad_w, 0, pad_h}));
  hp = H + pad_h;
  wp = W + pad_w;
  return y.view({B, hp / ws, ws, wp / ws, ws, C})
      .permute({0, 1, 3, 2, 4, 5})
      .contiguous()
      .view({-1, ws, ws, C});
}

torch::Tensor window_unpartition(const torch::Tensor &windows, int64_t ws, int64_t hp, int64_t wp,
                                 int64_t H, int64_t W) {
  const int64_t B = windows.size(0) / (hp * wp / ws / ws);
  auto x = windows.view({B, hp / ws, wp / ws, ws, ws, -1})
               .permute({0, 1, 3, 2, 4, 5})
               .contiguous()
               .view({B, hp, wp, -1});
  if (hp > H || wp > W) x = x.narrow(1, 0, H).narrow(2, 0, W).contiguous();
  return x;
}

// rel_pos [2 * size - 1, C] -> [size, size, C]: entry (q, k) is the
// embedding of the offset q - k (the reference's get_rel_pos when the query
// and key sizes agree and the table needs no interpolation).
torch::Tensor rel_pos_table(int64_t size, const torch::Tensor &rel_pos) {
  if (rel_pos.size(0) != 2 * size - 1)
    throw ModelError("SAM ViT: a relative position table of " + std::to_string(rel_pos.size(0)) +
                     " rows for a " + std::to_string(size) +
                     "-token side (the input must be the "
                     "checkpoint's image size)");
  auto q = torch::arange(size, torch::kLong).unsqueeze(1);
  auto k = torch::arange(size, torch::kLong).unsqueeze(0);
  auto idx = (q - k + (size - 1)).to(rel_pos.device());
  return rel_pos.index({idx});
}

class ViTAttentionImpl : public torch::nn::Module {
 public:
  ViTAttentionImpl(int64_t dim, int64_t heads, int64_t side)
      : heads_(heads),
        scale_(std::pow(static_cast<double>(dim / heads), -0.5)),
        qkv(dim, 3 * dim),
        proj(dim, dim) {
    register_module("qkv", qkv);
    register_module("proj", proj);
    rel_pos_h = register_parameter("rel_pos_h", torch::zeros({2 * side - 1, dim / heads}));
    rel_pos_w = register_parameter("rel_pos_w", torch::zeros({2 * side - 1, dim / heads}));
  }

  torch::Tensor forward(const torch::Tensor &x) {
    const int64_t B = x.size(0), H = x.size(1), W = x.size(2);
    auto t = linear(qkv, x).reshape({B, H * W, 3, heads_, -1}).permute({2, 0, 3, 1, 4});
    auto parts = t.reshape({3, B * heads_, H * W, -1}).unbind(0);
    const auto &q = parts[0], &k = parts[1], &v = parts[2];
    auto attn = torch::matmul(q * scale_, k.transpose(-2, -1));
    // Decomposed relative positions, from the unscaled query.
    const auto Rh = rel_pos_table(H, rel_pos_h), Rw = rel_pos_table(W, rel_pos_w);
    const int64_t hd = q.size(2);
    const auto r_q = q.reshape({B * heads_, H, W, hd});
    const auto rel_h = torch::einsum("bhwc,hkc->bhwk", {r_q, Rh});
    const auto rel_w = torch::einsum("bhwc,wkc->bhwk", {r_q, Rw});
    // In place on the attention map (the largest tensor: 12 x 4096 x 4096
    // in ViT-B's global blocks), the same sums in the same order.
    attn = attn.view({B * heads_, H, W, H, W});
    attn.add_(rel_h.unsqueeze(4)).add_(rel_w.unsqueeze(3));
    attn = attn.view({B * heads_, H * W, H * W});
    attn = attn.softmax(-1);
    auto y = torch::matmul(attn, v)
                 .view({B, heads_, H, W, -1})
                 .permute({0, 2, 3, 1, 4})
                 .reshape({B, H, W, -1});
    return linear(proj, y);
  }

  int64_t heads_;
  double scale_;
  torch::nn::Linear qkv, proj;
  torch::Tensor rel_pos_h, rel_pos_w;
};
TORCH_MODULE(ViTAttention);

class MLPBlockImpl : public torch::nn::Module {
 public:
  MLPBlockImpl(int64_t dim, int64_t hidden) : lin1(dim, hidden), lin2(hidden, dim) {
    register_module("lin1", lin1);
    register_module("lin2", lin2);
  }
  torch::Tensor forward(const torch::Tensor &x) {
    return linear(lin2, torch::gelu(linear(lin1, x)));
  }
  torch::nn::Linear lin1, lin2;
};
TORCH_MODULE(MLPBlock);

class ViTBlockImpl : public torch::nn::Module {
 public:
  ViTBlockImpl(int64_t dim, int64_t heads, int64_t mlp_dim, int64_t window, int64_t side)
      : window_(window),
        norm1(torch::nn::LayerNormOptions({dim}).eps(1e-6)),
        attn(dim, heads, window > 0 ? window : side),
        norm2(torch::nn::LayerNormOptions({dim}).eps(1e-6)),
        mlp(dim, mlp_dim) {
    register_module("norm1", norm1);
    register_module("attn", attn);
    register_module("norm2", norm2);
    register_module("mlp", mlp);
  }

  torch::Tensor forward(const torch::Tensor &x) {
    auto y = norm1(x);
    if (window_ > 0) {
      const int64_t H = y.size(1), W = y.size(2);
      int64_t hp = 0, wp = 0;
      y = window_partition(y, window_, hp, wp);
      y = attn(y);
      y = window_unpartition(y, window_, hp, wp, H, W);
    } else {
      y = attn(y);
    }
    auto z = x + y;
    return z + mlp(norm2(z));
  }

  int64_t window_;
  torch::nn::LayerNorm norm1;
  ViTAttention attn;
  torch::nn::LayerNorm norm2;
  MLPBlock mlp;
};
TORCH_MODULE(ViTBlock);

class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(int64_t patch, int64_t dim)
      : proj(torch::nn::Conv2dOptions(3, dim, patch).stride(patch)) {
    register_module("proj", proj);
  }
  torch::Tensor forward(const torch::Tensor &x) { return proj(x).permute({0, 2, 3, 1}); }
  torch::nn::Conv2d proj;
};
TORCH_MODULE(PatchEmbed);

class ViTImageEncoder : public SamImageEncoder {
 public:
  explicit ViTImageEncoder(const SamArchitecture &a)
      : SamImageEncoder(a), patch_embed(a.patch_size, a.embed_dim), neck(a.embed_dim, a.out_chans) {
    register_module("patch_embed", patch_embed);
    pos_embed = register_parameter(
        "pos_embed", torch::zeros({1, a.embedding_size, a.embedding_size, a.embed_dim}));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < a.depth; ++i) {
      const bool global = std::find(a.global_attn_indexes.begin(), a.global_attn_indexes.end(),
                                    i) != a.global_attn_indexes.end();
      blocks->push_back(ViTBlock(a.embed_dim, a.num_heads, a.mlp_dim, global ? 0 : a.window_size,
                                 a.embedding_size));
    }
    register_module("neck", neck);
  }

  torch::Tensor forward(const torch::Tensor &image) override {
    if (image.dim() != 4 || image.size(1) != 3 || image.size(2) != arch_.image_size ||
        image.size(3) != arch_.image_size)
      throw ModelError("SAM ViT image encoder: the input must be [B, 3, " +
                       std::to_string(arch_.image_size) + ", " + std::to_string(arch_.image_size) +
                       "]");
    auto x = patch_embed(image) + pos_embed;
    for (const auto &b : *blocks) x = b->as<ViTBlockImpl>()->forward(x);
    return neck(x.permute({0, 3, 1, 2}));
  }

  PatchEmbed patch_embed;
  torch::Tensor pos_embed;
  torch::nn::ModuleList blocks;
  Neck neck;
};

// ---------------------------------------------------------------- TinyViT

// TinyViT's Conv2d_BN: "c" (no bias) then "bn".
class ConvBNImpl : public torch::nn::Module {
 public:
  ConvBNImpl(int64_t in, int64_t out, int64_t k = 1, int64_t stride = 1, int64_t pad = 0,
             int64_t groups = 1)
      : c(torch::nn::Conv2dOptions(in, out, k)
              .stride(stride)
              .padding(pad)
              .groups(groups)
              .bias(false)),
        bn(out) {
    register_module("c", c);
    register_module("bn", bn);
  }
  torch::Tensor forward(const torch::Tensor &x) { return bn(c(x)); }
  torch::nn::Conv2d c;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvBN);

class MBConvImpl : public torch::nn::Module {
 public:
  MBConvImpl(int64_t dim, int64_t hidden)
      : conv1(dim, hidden, 1), conv2(hidden, hidden, 3, 1, 1, hidden), conv3(hidden, dim, 1) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("conv3", conv3);
  }
  torch::Tensor forward(const torch::Tensor &x) {
    auto y = torch::gelu(conv1(x));
    y = torch::gelu(conv2(y));
    y = conv3(y);
    return torch::gelu(y + x);
  }
  ConvBN conv1, conv2, conv3;
};
TORCH_MODULE(MBConv);

// The reference keeps stride 1 in the merging before a 320/448/576-wide
// stage (the last stage of the 5M/11M/21M models): the last two stages
// both run at 64x64.
int64_t merging_stride(int64_t out_dim) {
  return (out_dim == 320 || out_dim == 448 || out_dim == 576) ? 1 : 2;
}

class PatchMergingImpl : public torch::nn::Module {
 public:
  PatchMergingImpl(int64_t dim, int64_t out)
      : conv1(dim, out, 1), conv2(out, out, 3, merging_stride(out), 1, out), conv3(out, out, 1) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("conv3", conv3);
  }
  // [B, C, H, W] or [B, H*W, C] (with side `side`) -> [B, H'*W', out].
  torch::Tensor forward(torch::Tensor x, int64_t side) {
    if (x.dim() == 3) x = x.view({x.size(0), side, side, -1}).permute({0, 3, 1, 2});
    x = torch::gelu(conv1(x));
    x = torch::gelu(conv2(x));
    x = conv3(x);
    return x.flatten(2).transpose(1, 2);
  }
  ConvBN conv1, conv2, conv3;
};
TORCH_MODULE(PatchMerging);

class TinyAttentionImpl : public torch::nn::Module {
 public:
  TinyAttentionImpl(int64_t dim, int64_t heads, int64_t window)
      : heads_(heads),
        head_dim_(dim / heads),
        scale_(std::pow(static_cast<double>(dim / heads), -0.5)),
        norm(torch::nn::LayerNormOptions({dim})),
        qkv(dim, 3 * dim),
        proj(dim, dim) {
    register_module("norm", norm);
    register_module("qkv", qkv);
    register_module("proj", proj);
    attention_biases =
        register_parameter("attention_biases", torch::zeros({heads, window * window}));
    // The offset (|dy|, |dx|) of two window points has index |dy| * w + |dx|
    // (the reference numbers offsets in order of first appearance, which
    // from the point (0, 0) is this order). Not a state-dict entry.
    const int64_t n = window * window;
    auto p = torch::arange(n, torch::kLong);
    auto py = p.div(window, "floor"), px = p.remainder(window);
    bias_index_ = ((py.unsqueeze(1) - py.unsqueeze(0)).abs() * window +
                   (px.unsqueeze(1) - px.unsqueeze(0)).abs());
  }

  torch::Tensor forward(const torch::Tensor &input) {
    const int64_t B = input.size(0), N = input.size(1);
    auto x = norm(input);
    auto parts = linear(qkv, x).view({B, N, heads_, -1}).split(head_dim_, 3);
    auto q = parts[0].permute({0, 2, 1, 3});
    auto k = parts[1].permute({0, 2, 1, 3});
    auto v = parts[2].permute({0, 2, 1, 3});
    if (bias_index_.device() != attention_biases.device())
      bias_index_ = bias_index_.to(attention_biases.device());
    auto ab = attention_biases.index({torch::indexing::Slice(), bias_index_});
    auto attn = torch::matmul(q, k.transpose(-2, -1)) * scale_ + ab;
    attn = attn.softmax(-1);
    auto y = torch::matmul(attn, v).transpose(1, 2).reshape({B, N, heads_ * head_dim_});
    return linear(proj, y);
  }

  int64_t heads_, head_dim_;
  double scale_;
  torch::nn::LayerNorm norm;
  torch::nn::Linear qkv, proj;
  torch::Tensor attention_biases, bias_index_;
};
TORCH_MODULE(TinyAttention);

class TinyMlpImpl : public torch::nn::Module {
 public:
  TinyMlpImpl(int64_t dim, int64_t hidden)
      : norm(torch::nn::LayerNormOptions({dim})), fc1(dim, hidden), fc2(hidden, dim) {
    register_module("norm", norm);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }
  torch::Tensor forward(const torch::Tensor &x) {
    return linear(fc2, torch::gelu(linear(fc1, norm(x))));
  }
  torch::nn::LayerNorm norm;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(TinyMlp);

class TinyViTBlockImpl : public torch::nn::Module {
 public:
  TinyViTBlockImpl(int64_t dim, int64_t heads, int64_t window, int64_t mlp_dim)
      : window_(window),
        attn(dim, heads, window),
        mlp(dim, mlp_dim),
        local_conv(dim, dim, 3, 1, 1, dim) {
    register_module("attn", attn);
    register_module("mlp", mlp);
    register_module("local_conv", local_conv);
  }

  // x [B, side * side, C].
  torch::Tensor forward(const torch::Tensor &x, int64_t side) {
    const int64_t B = x.size(0), L = x.size(1), C = x.size(2), H = side, W = side, ws = window_;
    torch::Tensor y;
    if (H == ws && W == ws) {
      y = attn(x);
    } else {
      y = x.view({B, H, W, C});
      const int64_t pad_b = (ws - H % ws) % ws, pad_r = (ws - W % ws) % ws;
      if (pad_b > 0 || pad_r > 0) y = F::pad(y, F::PadFuncOptions({0, 0, 0, pad_r, 0, pad_b}));
      const int64_t pH = H + pad_b, pW = W + pad_r, nH = pH / ws, nW = pW / ws;
      y = y.view({B, nH, ws, nW, ws, C}).transpose(2, 3).reshape({B * nH * nW, ws * ws, C});
      y = attn(y);
      y = y.view({B, nH, nW, ws, ws, C}).transpose(2, 3).reshape({B, pH, pW, C});
      if (pad_b > 0 || pad_r > 0) y = y.narrow(1, 0, H).narrow(2, 0, W).contiguous();
      y = y.view({B, L, C});
    }
    auto z = x + y;
    z = z.transpose(1, 2).reshape({B, C, H, W});
    z = local_conv(z);
    z = z.view({B, C, L}).transpose(1, 2);
    return z + mlp(z);
  }

  int64_t window_;
  TinyAttention attn;
  TinyMlp mlp;
  ConvBN local_conv;
};
TORCH_MODULE(TinyViTBlock);

// One stage: "blocks" (MBConv in stage 0, attention blocks after) and,
// except in the last stage, "downsample".
class TinyStageImpl : public torch::nn::Module {
 public:
  TinyStageImpl(const SamArchitecture &a, size_t s) {
    blocks = register_module("blocks", torch::nn::ModuleList());
    const int64_t dim = a.tiny_embed_dims[s];
    for (int64_t i = 0; i < a.tiny_depths[s]; ++i) {
      if (s == 0)
        blocks->push_back(MBConv(dim, a.tiny_mbconv_hidden));
      else
        blocks->push_back(
            TinyViTBlock(dim, a.tiny_num_heads[s], a.tiny_window_sizes[s], a.tiny_mlp_dims[s]));
    }
    conv_stage_ = s == 0;
    if (s + 1 < a.tiny_embed_dims.size())
      downsample = register_module("downsample", PatchMerging(dim, a.tiny_embed_dims[s + 1]));
  }

  // Stage 0 takes [B, C, H, W]; every stage returns [B, L, C'] tokens;
  // `side` is updated to the output side.
  torch::Tensor forward(torch::Tensor x, int64_t &side) {
    for (const auto &b : *blocks) {
      if (conv_stage_)
        x = b->as<MBConvImpl>()->forward(x);
      else
        x = b->as<TinyViTBlockImpl>()->forward(x, side);
    }
    if (downsample) {
      const int64_t stride = merging_stride(downsample->conv1->c->options.out_channels());
      x = downsample->forward(x, side);
      if (stride == 2) side = (side + 1) / 2;
    } else if (conv_stage_) {
      x = x.flatten(2).transpose(1, 2);
    }
    return x;
  }

  bool conv_stage_ = false;
  torch::nn::ModuleList blocks;
  PatchMerging downsample{nullptr};
};
TORCH_MODULE(TinyStage);

class TinyPatchEmbedImpl : public torch::nn::Module {
 public:
  explicit TinyPatchEmbedImpl(int64_t dim) {
    seq = register_module("seq", torch::nn::Sequential());
    conv1 = ConvBN(3, dim / 2, 3, 2, 1);
    conv2 = ConvBN(dim / 2, dim, 3, 2, 1);
    seq->push_back("0", conv1);
    seq->push_back("1", torch::nn::GELU());
    seq->push_back("2", conv2);
  }
  torch::Tensor forward(const torch::Tensor &x) { return conv2(torch::gelu(conv1(x))); }
  torch::nn::Sequential seq;
  ConvBN conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(TinyPatchEmbed);

class TinyViTImageEncoder : public SamImageEncoder {
 public:
  explicit TinyViTImageEncoder(const SamArchitecture &a)
      : SamImageEncoder(a),
        patch_embed(a.tiny_embed_dims[0]),
        norm_head(torch::nn::LayerNormOptions({a.tiny_embed_dims.back()})),
        head(a.tiny_embed_dims.back(), a.tiny_num_classes),
        neck(a.tiny_embed_dims.back(), a.out_chans) {
    register_module("patch_embed", patch_embed);
    layers = register_module("layers", torch::nn::ModuleList());
    int64_t side = a.image_size / 4;
    for (size_t s = 0; s < a.tiny_embed_dims.size(); ++s) {
      layers->push_back(TinyStage(a, s));
      if (s + 1 < a.tiny_embed_dims.size() && merging_stride(a.tiny_embed_dims[s + 1]) == 2)
        side = (side + 1) / 2;
    }
    if (side != a.embedding_size)
      throw ModelError("TinyViT: the last stage runs at " + std::to_string(side) + "x" +
                       std::to_string(side) + ", not the " + std::to_string(a.embedding_size) +
                       "x" + std::to_string(a.embedding_size) + " the neck expects");
    // The classifier head of TinyViT is in the released state dict but
    // unused by SAM (the reference's forward skips it).
    register_module("norm_head", norm_head);
    register_module("head", head);
    register_module("neck", neck);
  }

  torch::Tensor forward(const torch::Tensor &image) override {
    if (image.dim() != 4 || image.size(1) != 3 || image.size(2) != arch_.image_size ||
        image.size(3) != arch_.image_size)
      throw ModelError("TinyViT image encoder: the input must be [B, 3, " +
                       std::to_string(arch_.image_size) + ", " + std::to_string(arch_.image_size) +
                       "]");
    auto x = patch_embed(image);
    int64_t side = x.size(2);
    for (const auto &l : *layers) x = l->as<TinyStageImpl>()->forward(x, side);
    const int64_t B = x.size(0), C = x.size(2);
    x = x.view({B, side, side, C}).permute({0, 3, 1, 2});
    return neck(x);
  }

  TinyPatchEmbed patch_embed;
  torch::nn::ModuleList layers;
  torch::nn::LayerNorm norm_head;
  torch::nn::Linear head;
  Neck neck;
};

}  // namespace

std::shared_ptr<SamImageEncoder> build_image_encoder(const SamArchitecture &arch) {
  std::shared_ptr<SamImageEncoder> e;
  if (arch.encoder == SamEncoderKind::ViT)
    e = std::make_shared<ViTImageEncoder>(arch);
  else
    e = std::make_shared<TinyViTImageEncoder>(arch);
  e->eval();
  return e;
}

std::shared_ptr<SamImageEncoder> load_image_encoder(const SamCheckpoint &checkpoint) {
  const SamArchitecture arch = tell_architecture(checkpoint);
  std::shared_ptr<SamImageEncoder> e;
  try {
    e = build_image_encoder(arch);
  } catch (const ModelError &err) {
    throw ModelError(checkpoint.path + ": " + err.what());
  }
  load_parameters(*e, checkpoint, "image_encoder.");
  e->eval();
  return e;
}

}  // namespace refseg::sam

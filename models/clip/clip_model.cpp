#include "clip/clip_model.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "common/model_error.h"

namespace refseg::clip {
namespace {

std::string shape_of(const at::Tensor &t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

ClipModel::ClipModel(const ClipConfig &c, Initialisation init) : config_(c) {
  if (c.vision_is_vit) {
    vit = register_module("visual",
                          VisionTransformer(c.image_resolution, c.vision_patch_size, c.vision_width,
                                            c.vision_layers, c.vision_heads(), c.embed_dim, init));
  } else {
    resnet =
        register_module("visual", ModifiedResNet(c.resnet_layers, c.embed_dim, c.vision_heads(),
                                                 c.image_resolution, c.vision_width));
  }
  transformer = register_module("transformer",
                                Transformer(c.text_width, c.text_layers, c.text_heads(), init));
  if (init == Initialisation::kToBeLoaded) {
    // No values to draw (a 0 x 0 table), given its real shape.
    token_embedding =
        register_module("token_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(0, 0)));
    torch::NoGradGuard no_grad;
    token_embedding->weight.set_data(at::empty({c.vocab_size, c.text_width}));
  } else {
    token_embedding =
        register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.text_width));
  }
  positional_embedding = register_parameter(
      "positional_embedding", initial_randn({c.context_length, c.text_width}, 0.01, init));
  ln_final = register_module("ln_final", LayerNorm(c.text_width));
  text_projection = register_parameter(
      "text_projection",
      initial_randn({c.text_width, c.embed_dim}, std::pow(c.text_width, -0.5), init));
  logit_scale = register_parameter("logit_scale", at::full({}, std::log(1 / 0.07)));
  eval();  // BatchNorm uses its running statistics
}

void ClipModel::set_precision(Precision precision, Fp32Matmul fp32) {
  if (precision != Precision::kFp32 || device().is_cuda()) fp32 = Fp32Matmul::kBlas;
  if (precision == precision_ && fp32 == fp32_matmul_) return;
  if (precision == Precision::kAuto)
    throw ModelError("set_precision: resolve auto with choose_precision() first");
  const bool cuda = device().is_cuda();
  if (precision == Precision::kFp16 && !cuda)
    throw ModelError("precision fp16 needs a CUDA device; on the CPU use bf16, int8 or fp32");
  if (precision == Precision::kInt8 && cuda)
    throw ModelError("precision int8 runs on the CPU only; on CUDA use fp16");
  if (vit) vit->transformer->pack(precision, fp32);
  transformer->pack(precision, fp32);
  precision_ = precision;
  fp32_matmul_ = fp32;
}

void ClipModel::set_before_block(const std::function<void()> &hook) {
  if (vit) vit->transformer->set_before_block(hook);
  transformer->set_before_block(hook);
}

at::Tensor ClipModel::encode_image(const at::Tensor &images) {
  const int64_t r = config_.image_resolution;
  if (images.dim() != 4 || images.size(1) != 3 || images.size(2) != r || images.size(3) != r)
    throw ModelError("encode_image: expected images [B, 3, " + std::to_string(r) + ", " +
                     std::to_string(r) + "], found " + shape_of(images));
  auto x = images.to(device(), text_projection.scalar_type()).contiguous();
  return (vit ? vit->forward(x) : resnet->forward(x)).to(at::kFloat);
}

at::Tensor ClipModel::encode_text(const at::Tensor &tokens) {
  const int64_t ctx = config_.context_length;
  if (tokens.dim() != 2 || tokens.size(1) != ctx || tokens.scalar_type() != at::kLong)
    throw ModelError("encode_text: expected int64 tokens [B, " + std::to_string(ctx) + "], found " +
                     shape_of(tokens) + " " + std::string(c10::toString(tokens.scalar_type())));
  if (tokens.numel() > 0 &&
      (tokens.min().item<int64_t>() < 0 || tokens.max().item<int64_t>() >= config_.vocab_size))
    throw ModelError("encode_text: token ids must lie in [0, " +
                     std::to_string(config_.vocab_size) + ") for this model's vocabulary");
  auto ids = tokens.to(device());
  // The feature is read at the end-of-text token, the highest id of each row.
  auto eot = ids.argmax(-1);
  // Under the causal mask nothing after the last end-of-text token reaches
  // it: running only that prefix gives the same features for a fraction of
  // the work (a short expression is ~8 of 77 positions).
  const int64_t len = ids.size(0) > 0 ? eot.max().item<int64_t>() + 1 : ctx;
  ids = ids.narrow(1, 0, len);
  auto x =
      token_embedding->forward(ids) + positional_embedding.narrow(0, 0, len);  // [B, len, width]
  // Causal mask: position i attends to positions <= i.
  auto mask = at::full({len, len}, -std::numeric_limits<float>::infinity(), x.options()).triu_(1);
  x = ln_final->forward(transformer->forward(x, mask));
  auto flat_index = at::arange(ids.size(0), ids.options()) * len + eot;
  return at::mm(x.reshape({-1, x.size(2)}).index_select(0, flat_index), text_projection)
      .to(at::kFloat);
}

}  // namespace refseg::clip

// A CLIP model (OpenAI's layout): an image tower under "visual" (ViT or
// ModifiedResNet), the text tower at the top level (token_embedding,
// positional_embedding, transformer, ln_final, text_projection) and
// logit_scale. named_parameters()/named_buffers() equal OpenAI's state dict
// keys, which is what loading and saving rely on.
#pragma once

#include "clip/clip_config.h"
#include "clip/fp32_matmul.h"
#include "clip/modified_resnet.h"
#include "clip/precision.h"
#include "clip/transformer.h"
#include "clip/vision_transformer.h"

#include <torch/nn/modules/embedding.h>

namespace refseg::clip {

class ClipModel : public torch::nn::Module {
 public:
  // The given architecture with random weights (benchmarks, training from
  // scratch), or (kToBeLoaded) with the text tower's and a ViT image
  // tower's large parameters left uninitialised for clip_from_tensors to
  // assign (a ModifiedResNet image tower still draws its random values).
  explicit ClipModel(const ClipConfig &config, Initialisation init = Initialisation::kRandom);

  const ClipConfig &config() const { return config_; }
  // Where the weights live; ClipModel::to(device) (from torch::nn::Module) moves them.
  c10::Device device() const { return text_projection.device(); }

  // How the towers compute from now on (precision.h); kAuto is not a
  // precision (choose_precision() resolves it). The low precisions pack
  // the transformer linears of both towers (packed_linear.h; a ResNet image
  // tower's convolutions stay fp32); fp32 drops the packed copies, unless
  // `fp32` asks for oneDNN (fp32_matmul.h; CPU only, ignored in the low
  // precisions). Throws ModelError for a mode the model's device cannot run.
  void set_precision(Precision precision, Fp32Matmul fp32 = Fp32Matmul::kBlas);
  Precision precision() const { return precision_; }
  Fp32Matmul fp32_matmul() const { return fp32_matmul_; }

  // Before each transformer block of either tower (TransformerImpl::
  // set_before_block): the inference runtime adapts its threads there.
  void set_before_block(const std::function<void()> &hook);

  // Both towers return fp32 whatever the precision.
  // images [B, 3, R, R] normalized with CLIP's mean/std -> [B, embed_dim]
  at::Tensor encode_image(const at::Tensor &images);
  // tokens [B, context_length] int64, EOT = highest id of each row -> [B, embed_dim]
  at::Tensor encode_text(const at::Tensor &tokens);

  // Exactly one of these is set, by config().vision_is_vit.
  VisionTransformer vit{nullptr};
  ModifiedResNet resnet{nullptr};

  Transformer transformer{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  at::Tensor positional_embedding, text_projection, logit_scale;
  LayerNorm ln_final{nullptr};

 private:
  ClipConfig config_;
  Precision precision_ = Precision::kFp32;
  Fp32Matmul fp32_matmul_ = Fp32Matmul::kBlas;
};

}  // namespace refseg::clip

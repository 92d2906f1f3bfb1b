// OpenAI's VisionTransformer image tower (ViT-B/32 etc.), split into the
// stages the global-context encoder needs: embed -> blocks -> head.
#pragma once

#include <torch/nn/modules/conv.h>

#include "clip/transformer.h"

namespace refseg::clip {

class VisionTransformerImpl : public torch::nn::Module {
 public:
  VisionTransformerImpl(int64_t input_resolution, int64_t patch_size, int64_t width, int64_t layers,
                        int64_t heads, int64_t output_dim,
                        Initialisation init = Initialisation::kRandom);

  // images [B, 3, R, R] normalized -> tokens [B, 1 + G*G, width] after ln_pre
  // (class token first, patches row-major).
  at::Tensor embed(const at::Tensor &images);
  // tokens [B, T, width] -> ln_post(class token) @ proj: [B, output_dim]
  at::Tensor head(const at::Tensor &tokens);
  at::Tensor forward(const at::Tensor &images);

  int64_t input_resolution, patch_size, grid;
  torch::nn::Conv2d conv1{nullptr};
  at::Tensor class_embedding, positional_embedding, proj;
  LayerNorm ln_pre{nullptr}, ln_post{nullptr};
  Transformer transformer{nullptr};
};
TORCH_MODULE(VisionTransformer);

}  // namespace refseg::clip

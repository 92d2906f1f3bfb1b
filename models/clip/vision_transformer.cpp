#include "clip/vision_transformer.h"

#include <cmath>

#include <ATen/ATen.h>

namespace refseg::clip {

VisionTransformerImpl::VisionTransformerImpl(int64_t input_resolution, int64_t patch_size,
                                             int64_t width, int64_t layers, int64_t heads,
                                             int64_t output_dim, Initialisation init)
    : input_resolution(input_resolution),
      patch_size(patch_size),
      grid(input_resolution / patch_size) {
  const double scale = std::pow(static_cast<double>(width), -0.5);
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(
                   torch::nn::Conv2dOptions(3, width, patch_size).stride(patch_size).bias(false)));
  class_embedding = register_parameter("class_embedding", initial_randn({width}, scale, init));
  positional_embedding = register_parameter("positional_embedding",
                                            initial_randn({grid * grid + 1, width}, scale, init));
  ln_pre = register_module("ln_pre", LayerNorm(width));
  transformer = register_module("transformer", Transformer(width, layers, heads, init));
  ln_post = register_module("ln_post", LayerNorm(width));
  proj = register_parameter("proj", initial_randn({width, output_dim}, scale, init));
}

at::Tensor VisionTransformerImpl::embed(const at::Tensor &images) {
  const auto B = images.size(0), p = patch_size, g = grid, width = class_embedding.size(0);
  // The stride-p p x p convolution is a matmul over non-overlapping patches:
  // [B, 3, g, p, g, p] -> [B, g, g, 3, p, p] -> [B*g*g, 3*p*p] @ [3*p*p, width].
  auto patches = images.reshape({B, 3, g, p, g, p})
                     .permute({0, 2, 4, 1, 3, 5})
                     .reshape({B * g * g, 3 * p * p});
  auto x = at::mm(patches, conv1->weight.reshape({width, 3 * p * p}).t()).view({B, g * g, width});
  auto cls = class_embedding.view({1, 1, width}).expand({B, 1, width});
  x = at::cat({cls, x}, 1).add_(positional_embedding);  // [B, 1 + g*g, width]
  return ln_pre->forward(x);
}

at::Tensor VisionTransformerImpl::head(const at::Tensor &tokens) {
  return at::mm(ln_post->forward(tokens.select(1, 0)), proj);
}

at::Tensor VisionTransformerImpl::forward(const at::Tensor &images) {
  return head(transformer->forward(embed(images), at::Tensor()));
}

}  // namespace refseg::clip

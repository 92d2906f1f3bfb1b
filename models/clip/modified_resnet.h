// OpenAI's ModifiedResNet image tower (RN50 etc.): a 3-conv stem with an
// average pool, Bottleneck stages that downsample by anti-aliased average
// pooling instead of strided convolutions, and an attention-pooling head.
#pragma once

#include <array>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "clip/transformer.h"

namespace refseg::clip {

// OpenAI's downsample Sequential ("-1": AvgPool2d, "0": conv, "1": bn); the
// pool has no parameters and runs in forward().
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(int64_t inplanes, int64_t outplanes, int64_t stride);
  at::Tensor forward(const at::Tensor &x);
  int64_t stride;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(Downsample);

class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);
  at::Tensor forward(const at::Tensor &x);
  int64_t stride;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  Downsample downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class AttentionPool2dImpl : public torch::nn::Module {
 public:
  AttentionPool2dImpl(int64_t spacial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim);
  // x [B, C, h, w] -> [B, output_dim]: the mean token attends over all positions.
  at::Tensor forward(const at::Tensor &x);
  at::Tensor positional_embedding;  // [h*w + 1, C]
  torch::nn::Linear k_proj{nullptr}, q_proj{nullptr}, v_proj{nullptr}, c_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(AttentionPool2d);

class ModifiedResNetImpl : public torch::nn::Module {
 public:
  ModifiedResNetImpl(std::array<int, 4> layers, int64_t output_dim, int64_t heads,
                     int64_t input_resolution, int64_t width);
  // images [B, 3, R, R] -> final feature map [B, 32*width, R/32, R/32]
  at::Tensor trunk(const at::Tensor &images);
  at::Tensor forward(const at::Tensor &images) { return attnpool->forward(trunk(images)); }

  int64_t input_resolution;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  std::array<torch::nn::Sequential, 4> stages;  // layer1 .. layer4
  AttentionPool2d attnpool{nullptr};
};
TORCH_MODULE(ModifiedResNet);

}  // namespace refseg::clip

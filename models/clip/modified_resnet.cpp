#include "clip/modified_resnet.h"

#include <ATen/ATen.h>

namespace refseg::clip {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

at::Tensor avgpool(const at::Tensor &x, int64_t k) {
  return k > 1 ? at::avg_pool2d(x, {k, k}) : x;
}

}  // namespace

DownsampleImpl::DownsampleImpl(int64_t inplanes, int64_t outplanes, int64_t stride)
    : stride(stride) {
  conv = register_module("0", refseg::clip::conv(inplanes, outplanes, 1));
  bn = register_module("1", torch::nn::BatchNorm2d(outplanes));
}

at::Tensor DownsampleImpl::forward(const at::Tensor &x) {
  return bn->forward(conv->forward(avgpool(x, stride)));
}

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride) : stride(stride) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", conv(planes, planes * 4, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * 4));
  if (stride > 1 || inplanes != planes * 4)
    downsample = register_module("downsample", Downsample(inplanes, planes * 4, stride));
}

at::Tensor BottleneckImpl::forward(const at::Tensor &x) {
  auto out = at::relu(bn1->forward(conv1->forward(x)));
  out = at::relu(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(avgpool(out, stride)));
  return at::relu(out + (downsample ? downsample->forward(x) : x));
}

AttentionPool2dImpl::AttentionPool2dImpl(int64_t spacial_dim, int64_t embed_dim, int64_t heads,
                                         int64_t output_dim)
    : heads(heads) {
  positional_embedding = register_parameter(
      "positional_embedding",
      at::randn({spacial_dim * spacial_dim + 1, embed_dim}) / std::sqrt(double(embed_dim)));
  k_proj = register_module("k_proj", torch::nn::Linear(embed_dim, embed_dim));
  q_proj = register_module("q_proj", torch::nn::Linear(embed_dim, embed_dim));
  v_proj = register_module("v_proj", torch::nn::Linear(embed_dim, embed_dim));
  c_proj = register_module("c_proj", torch::nn::Linear(embed_dim, output_dim));
}

at::Tensor AttentionPool2dImpl::forward(const at::Tensor &x) {
  auto t = x.flatten(2).transpose(1, 2);                                    // [B, hw, C]
  t = at::cat({t.mean(1, /*keepdim=*/true), t}, 1) + positional_embedding;  // [B, 1 + hw, C]
  auto q = linear(t.narrow(1, 0, 1), q_proj);
  auto out = attend(q, linear(t, k_proj), linear(t, v_proj), heads, at::Tensor());
  return linear(out, c_proj).squeeze(1);
}

ModifiedResNetImpl::ModifiedResNetImpl(std::array<int, 4> layers, int64_t output_dim, int64_t heads,
                                       int64_t input_resolution, int64_t width)
    : input_resolution(input_resolution) {
  conv1 = register_module("conv1", conv(3, width / 2, 3, 2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(width / 2));
  conv2 = register_module("conv2", conv(width / 2, width / 2, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(width / 2));
  conv3 = register_module("conv3", conv(width / 2, width, 3));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(width));
  int64_t inplanes = width;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = width << s;
    torch::nn::Sequential stage;
    stage->push_back(Bottleneck(inplanes, planes, s == 0 ? 1 : 2));
    inplanes = planes * 4;
    for (int b = 1; b < layers[s]; ++b) stage->push_back(Bottleneck(inplanes, planes, 1));
    stages[s] = register_module("layer" + std::to_string(s + 1), stage);
  }
  attnpool = register_module("attnpool",
                             AttentionPool2d(input_resolution / 32, width * 32, heads, output_dim));
}

at::Tensor ModifiedResNetImpl::trunk(const at::Tensor &images) {
  auto x = at::relu(bn1->forward(conv1->forward(images)));
  x = at::relu(bn2->forward(conv2->forward(x)));
  x = avgpool(at::relu(bn3->forward(conv3->forward(x))), 2);
  for (auto &stage : stages) x = stage->forward(x);
  return x;
}

}  // namespace refseg::clip

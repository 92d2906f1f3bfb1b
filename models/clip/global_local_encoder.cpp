#include "clip/global_local_encoder.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "clip/clip_model.h"
#include "clip/image_preprocess.h"
#include "clip/reference_preprocess.h"
#include "common/model_error.h"

namespace refseg::clip {
namespace {

constexpr int64_t kBuckets[] = {16, 8, 4, 2, 1};

void check_masks(const std::vector<RegionMask> &masks) {
  for (size_t i = 0; i < masks.size(); ++i) check_mask(masks[i], i);
}

// [n, grid*grid] mask values of masks[first, first + n) on the token grid.
at::Tensor grid_masks(const std::vector<RegionMask> &masks, size_t first, int64_t n, int width,
                      int height, int grid) {
  auto out = at::empty({n, int64_t{grid} * grid}, at::kFloat);
  for (int64_t i = 0; i < n; ++i) {
    const auto values = mask_on_grid(masks[first + i], width, height, grid);
    std::copy(values.begin(), values.end(), out[i].data_ptr<float>());
  }
  return out;
}

}  // namespace

std::vector<int64_t> batch_buckets(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t b : kBuckets)
    for (; n >= b; n -= b) out.push_back(b);
  return out;
}

GlobalLocalEncoder::GlobalLocalEncoder(std::shared_ptr<ClipModel> model, int masked_layers,
                                       Preprocess preprocess)
    : model_(std::move(model)), preprocess_(preprocess) {
  if (!model_) throw ModelError("GlobalLocalEncoder: no model");
  const int layers = model_->config().vision_is_vit ? model_->config().vision_layers : 1;
  masked_layers_ = std::clamp(masked_layers, 0, layers);
}

int GlobalLocalEncoder::embed_dim() const {
  return model_->config().embed_dim;
}

at::Tensor GlobalLocalEncoder::prepared_frame(const ImageView &frame) const {
  return preprocess_ == Preprocess::kReference ? reference_frame(frame) : normalized_frame(frame);
}

at::Tensor GlobalLocalEncoder::global_features(const at::Tensor &frame, int W, int H,
                                               const std::vector<RegionMask> &masks) const {
  const auto &c = model_->config();
  const int64_t N = static_cast<int64_t>(masks.size());
  const auto device = model_->device();
  // [1, 3, R, R]; the masks reach the grid from the frame's size in both modes.
  auto image =
      (preprocess_ == Preprocess::kReference ? reference_global_image(frame, c.image_resolution)
                                             : resize_square(frame, c.image_resolution))
          .to(device);
  std::vector<at::Tensor> parts;
  size_t first = 0;

  if (model_->vit) {
    auto &vit = model_->vit;
    const int64_t L = c.vision_layers, k = masked_layers_;
    // The blocks before L - k see no mask: run them once for the frame.
    auto tokens = vit->transformer->forward(vit->embed(image), at::Tensor(), 0, L - k);
    if (k == 0) return vit->head(tokens).expand({N, c.embed_dim}).to(at::kCPU).contiguous();
    const int64_t T = tokens.size(1), D = tokens.size(2);
    for (int64_t n : batch_buckets(N)) {
      // Per-token scale [n, T, 1]: 1 for the class token, the mask value for patches.
      auto scale = at::cat({at::ones({n, 1}), grid_masks(masks, first, n, W, H, vit->grid)}, 1)
                       .to(device)
                       .unsqueeze(2);
      auto x = tokens.expand({n, T, D});
      for (int64_t j = L - k; j < L; ++j) x = vit->transformer->forward(x * scale, {}, j, j + 1);
      parts.push_back(vit->head(x));
      first += static_cast<size_t>(n);
    }
  } else {
    auto &rn = model_->resnet;
    auto map = rn->trunk(image);  // [1, C, g, g]
    if (masked_layers_ == 0)
      return rn->attnpool->forward(map).expand({N, c.embed_dim}).to(at::kCPU).contiguous();
    const int64_t g = map.size(2);
    for (int64_t n : batch_buckets(N)) {
      auto m = grid_masks(masks, first, n, W, H, static_cast<int>(g)).view({n, 1, g, g}).to(device);
      parts.push_back(rn->attnpool->forward(map * m));
      first += static_cast<size_t>(n);
    }
  }
  if (parts.empty()) return at::empty({0, c.embed_dim}, at::kFloat);
  return at::cat(parts, 0).to(at::kCPU);
}

at::Tensor GlobalLocalEncoder::local_features(const at::Tensor &frame, int W, int H,
                                              const std::vector<RegionMask> &masks) const {
  const int64_t R = model_->config().image_resolution;
  const bool reference = preprocess_ == Preprocess::kReference;
  // reference: the 800-image back at the frame's size, where masks and boxes live.
  const at::Tensor source = reference && !masks.empty() ? resize_no_antialias(frame, H, W) : frame;
  std::vector<at::Tensor> parts;
  size_t first = 0;
  for (int64_t n : batch_buckets(static_cast<int64_t>(masks.size()))) {
    std::vector<at::Tensor> crops;
    for (int64_t i = 0; i < n; ++i)
      crops.push_back(reference ? reference_local_image(source, masks[first + i], R)
                                : local_context_image(source, masks[first + i], R));
    parts.push_back(model_->encode_image(at::cat(crops, 0)));
    first += static_cast<size_t>(n);
  }
  if (parts.empty()) return at::empty({0, model_->config().embed_dim}, at::kFloat);
  return at::cat(parts, 0).to(at::kCPU);
}

// The public entry points compute under InferenceMode, then clone the small
// results outside it so callers get ordinary tensors.
MaskFeatures GlobalLocalEncoder::encode(const ImageView &frame,
                                        const std::vector<RegionMask> &masks) const {
  check_masks(masks);
  MaskFeatures f;
  {
    c10::InferenceMode guard;
    const auto prepared = prepared_frame(frame);
    f.global = global_features(prepared, frame.width, frame.height, masks);
    f.local = local_features(prepared, frame.width, frame.height, masks);
  }
  return {f.global.to(at::kFloat).clone(), f.local.to(at::kFloat).clone()};
}

at::Tensor GlobalLocalEncoder::encode_global(const ImageView &frame,
                                             const std::vector<RegionMask> &masks) const {
  check_masks(masks);
  at::Tensor out;
  {
    c10::InferenceMode guard;
    out = global_features(prepared_frame(frame), frame.width, frame.height, masks);
  }
  return out.to(at::kFloat).clone();
}

at::Tensor GlobalLocalEncoder::encode_local(const ImageView &frame,
                                            const std::vector<RegionMask> &masks) const {
  check_masks(masks);
  at::Tensor out;
  {
    c10::InferenceMode guard;
    out = local_features(prepared_frame(frame), frame.width, frame.height, masks);
  }
  return out.to(at::kFloat).clone();
}

}  // namespace refseg::clip

// Per-mask visual features of Yu et al. (CVPR 2023), docs/method.md step 2:
// a global-context feature (the whole frame seen through the mask in the
// last k blocks) and a local-context feature (the masked crop on its own).
// Weighting and scoring happen elsewhere: these stay separate and
// unnormalized so changing the weights never re-encodes a frame.
#pragma once

#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "clip/preprocess_mode.h"
#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::clip {

class ClipModel;

struct MaskFeatures {
  at::Tensor global, local;  // [N, D] float32 on CPU, unnormalized
};

class GlobalLocalEncoder {
 public:
  // masked_layers: k, the number of final ViT blocks that see the mask
  // (clamped to [0, layers]; 0 gives every mask the plain image feature).
  // For a ResNet tower any k > 0 masks the attention-pooling input.
  // preprocess: how frame and masks become the towers' inputs
  // (preprocess_mode.h); the towers and the masking are the same in both.
  explicit GlobalLocalEncoder(std::shared_ptr<ClipModel> model, int masked_layers = 3,
                              Preprocess preprocess = Preprocess::kClip);

  // Both features of every mask; N = 0 gives [0, D] tensors. Runs under
  // InferenceMode on the model's device (ClipModel::to()).
  MaskFeatures encode(const ImageView &frame, const std::vector<RegionMask> &masks) const;
  at::Tensor encode_global(const ImageView &frame, const std::vector<RegionMask> &masks) const;
  at::Tensor encode_local(const ImageView &frame, const std::vector<RegionMask> &masks) const;

  int masked_layers() const { return masked_layers_; }
  Preprocess preprocess() const { return preprocess_; }
  int embed_dim() const;
  const std::shared_ptr<ClipModel> &model() const { return model_; }

 private:
  // The frame as the mode's chain starts it: normalized_frame() (clip) or
  // reference_frame() (reference).
  at::Tensor prepared_frame(const ImageView &frame) const;
  // Both take prepared_frame()'s output and the frame's size.
  at::Tensor global_features(const at::Tensor &frame, int width, int height,
                             const std::vector<RegionMask> &masks) const;
  at::Tensor local_features(const at::Tensor &frame, int width, int height,
                            const std::vector<RegionMask> &masks) const;

  std::shared_ptr<ClipModel> model_;
  int masked_layers_;
  Preprocess preprocess_;
};

// How a batch of n is split: fixed bucket sizes (16, 8, 4, 2, 1), so the
// kernels see a handful of shapes whatever n is and nothing is padded.
std::vector<int64_t> batch_buckets(int64_t n);

}  // namespace refseg::clip

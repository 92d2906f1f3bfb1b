// The architecture of a CLIP model, read off the shapes of its tensors the
// way OpenAI's build_model() does, so any released size (RN50 ... ViT-L/14)
// and our own tiny fixtures load through one path.
#pragma once

#include <array>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

namespace refseg::clip {

struct ClipConfig {
  int embed_dim = 512;  // joint embedding width (text_projection.shape[1])

  bool vision_is_vit = true;
  int image_resolution = 224;
  int vision_width = 768;  // ViT: token width; ResNet: stem width (64 for RN50)
  int vision_layers = 12;  // ViT blocks
  int vision_patch_size = 32;
  std::array<int, 4> resnet_layers{{3, 4, 6, 3}};

  int context_length = 77;
  int vocab_size = 49408;
  int text_width = 512;
  int text_layers = 12;

  // OpenAI fixes heads by width: 64 channels per head.
  int vision_heads() const { return vision_is_vit ? vision_width / 64 : vision_width * 32 / 64; }
  int text_heads() const { return text_width / 64; }
  // Side of the token grid (ViT) or of the final feature map (ResNet).
  int grid() const {
    return vision_is_vit ? image_resolution / vision_patch_size : image_resolution / 32;
  }
};

using NamedTensors = std::map<std::string, at::Tensor>;

// Infers the architecture from the tensors; throws ModelError naming
// `source` and the tensor that is missing or malformed.
ClipConfig infer_clip_config(const NamedTensors &tensors, const std::string &source);

}  // namespace refseg::clip

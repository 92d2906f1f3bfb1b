// The SAM family's image encoders as LibTorch modules whose parameter names
// are exactly the state-dict keys under "image_encoder." of the released
// checkpoints, so loading is by name (load_parameters):
//   - SAM's ViT (ViT-B/L/H): 16x16 patch embedding, absolute position
//     embedding, blocks with windowed attention (window 14) except the
//     global ones, decomposed relative positions, and the neck conv1x1 ->
//     LayerNorm2d -> conv3x3 -> LayerNorm2d;
//   - MobileSAM's TinyViT-5M: conv stem, an MBConv stage, patch merging,
//     windowed attention stages with attention biases and a local conv, and
//     the same neck.
// Both take the preprocessed [B, 3, 1024, 1024] input (sam_image_preprocess.h)
// and return the image embedding [B, C (256 in the releases), 64, 64].
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

#include "sam/sam_checkpoint.h"

namespace refseg::sam {

class SamImageEncoder : public torch::nn::Module {
 public:
  // [B, 3, S, S] float -> [B, C, S/16, S/16].
  virtual torch::Tensor forward(const torch::Tensor &image) = 0;
  const SamArchitecture &architecture() const { return arch_; }

 protected:
  explicit SamImageEncoder(SamArchitecture arch) : arch_(std::move(arch)) {}
  SamArchitecture arch_;
};

// A random-initialised encoder of that architecture (in eval mode).
std::shared_ptr<SamImageEncoder> build_image_encoder(const SamArchitecture &arch);

// The checkpoint's encoder: architecture told from its keys, every
// "image_encoder." tensor loaded (refused with ModelError naming the file
// and the tensor otherwise), fp32, CPU, eval mode.
std::shared_ptr<SamImageEncoder> load_image_encoder(const SamCheckpoint &checkpoint);

}  // namespace refseg::sam

// SAM's prompt encoder (segment-anything's PromptEncoder, the same in
// MobileSAM): random Fourier positional encoding of points and box corners,
// the learned point/corner/not-a-point embeddings, and the dense "no mask"
// embedding. Parameter names equal the released state dict's under
// "prompt_encoder." (pe_layer.positional_encoding_gaussian_matrix,
// point_embeddings.0.weight, not_a_point_embed.weight, no_mask_embed.weight,
// mask_downscaling.*), so load_parameters() maps them 1:1.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace refseg::sam {

struct SamCheckpoint;

struct PromptEncoderConfig {
  int64_t embed_dim = 256;      // prompt embedding width = image embedding channels
  int64_t embedding_size = 64;  // image embedding grid side (H = W)
  int64_t image_size = 1024;    // padded encoder input side (points are in its pixels)
  int64_t mask_in_chans = 16;   // hidden channels of the mask-input branch
};

// Told from the "prompt_encoder." tensors' shapes; embedding_size and
// image_size come from the image encoder (the caller's SamArchitecture).
// Throws refseg::ModelError naming the file and tensor when one is missing or
// inconsistent.
PromptEncoderConfig tell_prompt_encoder(const SamCheckpoint &checkpoint, int64_t embedding_size,
                                        int64_t image_size);

// A module holding named tensors only ("weight", "bias", ...): the
// state-dict layout of nn.Embedding, LayerNorm2d and the like.
class TensorsImpl : public torch::nn::Module {
 public:
  at::Tensor add(const std::string &name, const at::Tensor &t, bool buffer = false) {
    return held_[name] = buffer ? register_buffer(name, t) : register_parameter(name, t);
  }
  // The registered tensor (the same storage load_parameters copies into).
  const at::Tensor &get(const std::string &name) const { return held_.at(name); }

 private:
  std::map<std::string, at::Tensor> held_;
};
TORCH_MODULE(Tensors);

class PromptEncoderImpl : public torch::nn::Module {
 public:
  explicit PromptEncoderImpl(const PromptEncoderConfig &config);

  // Sparse embeddings [B, N', C] of points and/or boxes, as the reference's
  // forward(): points [B, N, 2] (x, y in encoder-input pixels) with labels
  // [B, N] (1 foreground, 0 background, -1 padding), boxes [B, 4] (x0, y0,
  // x1, y1). Either may be undefined, not both; without boxes a padding
  // point is appended. Coordinates keep their dtype until normalised (the
  // automatic generator passes float64, the predictor float32, as the
  // reference does).
  at::Tensor sparse(const at::Tensor &points, const at::Tensor &labels,
                    const at::Tensor &boxes) const;
  // The "no mask" dense embedding [1, C, h, w] (the same for every prompt).
  at::Tensor dense_no_mask() const;
  // get_dense_pe(): the positional encoding of the embedding grid [1, C, h, w].
  at::Tensor dense_pe() const;
  // Fourier features of coordinates already normalised to [0, 1]: [..., 2] -> [..., C].
  at::Tensor encode_normalized(const at::Tensor &coords01) const;

  const PromptEncoderConfig &config() const { return config_; }

  Tensors pe_layer{nullptr};  // positional_encoding_gaussian_matrix [2, C/2] (buffer)
  torch::nn::ModuleList point_embeddings{nullptr};  // 4 x weight [1, C]
  Tensors not_a_point_embed{nullptr}, no_mask_embed{nullptr};
  // Mask-input branch (loaded so the released files map 1:1; mask inputs are
  // not used by the automatic generator or box refinement).
  std::shared_ptr<torch::nn::Module> mask_downscaling;

 private:
  at::Tensor encode_pixels(const at::Tensor &coords) const;  // [B, N, 2] pixels
  const at::Tensor &point_embedding(int i) const;
  PromptEncoderConfig config_;
};
TORCH_MODULE(PromptEncoder);

}  // namespace refseg::sam

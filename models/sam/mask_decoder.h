// SAM's mask decoder (segment-anything's MaskDecoder + TwoWayTransformer, the
// same in MobileSAM). Parameter names equal the released state dict's under
// "mask_decoder." (transformer.layers.0.self_attn.q_proj.weight, ...,
// output_upscaling.0.weight, output_hypernetworks_mlps.3.layers.2.bias,
// iou_prediction_head.layers.0.weight), so load_parameters() maps them 1:1.
//
// Decoding is organised for many prompts against one image embedding (the
// automatic generator's grid). Each prompt's image tokens are held in
// factored form (sam/factored_image_tokens.h): the frame's embedding, which
// prepare() projects once per frame for every attention, LayerNorm and the
// first upscaling convolution, plus per-prompt low-rank terms; a prompt's
// [HW, C] tokens are never formed. The arithmetic is the reference's,
// regrouped where it is linear; results equal the reference's to float
// rounding (tests/sam).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sam/factored_image_tokens.h"
#include "sam/prompt_encoder.h"

namespace refseg::sam {

struct MaskDecoderConfig {
  int64_t dim = 256;            // transformer width = prompt embedding width
  int64_t heads = 8;            // not in the state dict: 8 in every release
  int64_t mlp_dim = 2048;       // two-way blocks' MLP hidden width
  int64_t depth = 2;            // two-way blocks
  int64_t downsample = 2;       // cross attentions' internal width is dim / downsample
  int64_t num_mask_tokens = 4;  // 1 single-mask + 3 multimask outputs
  int64_t iou_head_depth = 3, iou_head_hidden = 256;
};

// Told from the "mask_decoder." tensors' shapes; heads, which the state dict
// does not hold, are 8 at the released width 256 and width / 8 below it. Throws
// refseg::ModelError naming the file and tensor when one is missing.
MaskDecoderConfig tell_mask_decoder(const SamCheckpoint &checkpoint);

// The reference's Attention: q/k/v projections to dim / downsample, heads, out_proj.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t heads, int64_t downsample);
  // The reference's Attention.forward: q [B, Nq, C], k/v [B, Nk, C].
  at::Tensor forward(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v) const;
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t heads, internal;
};
TORCH_MODULE(Attention);

class TwoWayBlockImpl : public torch::nn::Module {
 public:
  TwoWayBlockImpl(const MaskDecoderConfig &c, bool skip_first_layer_pe);
  Attention self_attn{nullptr}, cross_attn_token_to_image{nullptr},
      cross_attn_image_to_token{nullptr};
  std::shared_ptr<torch::nn::Module> mlp;  // lin1, lin2 (ReLU between)
  torch::nn::Linear lin1{nullptr}, lin2{nullptr};
  Tensors norm1{nullptr}, norm2{nullptr}, norm3{nullptr}, norm4{nullptr};
  bool skip_first_layer_pe;
};
TORCH_MODULE(TwoWayBlock);

// The MLP of the hypernetworks and the IoU head: Linear, ReLU, ..., Linear.
class DecoderMlpImpl : public torch::nn::Module {
 public:
  DecoderMlpImpl(int64_t in, int64_t hidden, int64_t out, int64_t layers);
  at::Tensor forward(const at::Tensor &x) const;
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(DecoderMlp);

// What decode() needs of one frame, prompt-independent: the frame part of
// the image tokens projected for every attention and LayerNorm it meets.
struct DecoderFrame {
  int64_t h = 0, w = 0;
  struct Layer {
    FrameProjection t2i_key;    // token-to-image keys (frame, pe)
    at::Tensor t2i_value;       // token-to-image values [H, HW, c]
    FrameProjection i2t_query;  // image-to-token queries (frame, pe + bias)
    FrameNormTerms norm;        // norm4 after the image-to-token attention
  };
  std::vector<Layer> layers;  // empty: no frame prepared
  FrameProjection final_key;
  at::Tensor final_value;
  at::Tensor upscale;  // [HW, 4 C/4]: the frame part through the first transposed convolution
};

struct DecodedMasks {
  at::Tensor logits;  // [B, k, 4h, 4w] low-resolution mask logits
  at::Tensor iou;     // [B, k] predicted IoU
};

// The decoder's output before the upscaling: the IoU predictions are known
// here, so masks that a predicted-IoU filter drops need no upscaling (the
// upscaling of one prompt depends on that prompt's tokens only).
struct DecodedTokens {
  // Image tokens after the two-way transformer, through the first
  // transposed convolution (without its bias), in chunks of `chunk`
  // prompts: prompt b's are chunks[b / chunk] at b % chunk,
  //   alpha [n, HW] o upscale [HW, 4 C/4] + wt [n, m, HW]^T x rows [n, m, 4 C/4].
  struct Chunk {
    at::Tensor alpha, wt, rows;
  };
  std::vector<Chunk> chunks;
  int64_t chunk = 1;
  at::Tensor upscale;    // DecoderFrame::upscale
  at::Tensor hyper;      // [B, k, C / 8] hypernetwork outputs of the chosen masks
  at::Tensor iou;        // [B, k] predicted IoU
  int64_t h = 0, w = 0;  // the embedding's grid
};

class MaskDecoderImpl : public torch::nn::Module {
 public:
  explicit MaskDecoderImpl(const MaskDecoderConfig &config);

  // image_embedding [1, C, h, w], dense_pe [1, C, h, w], dense [1, C, h, w].
  DecoderFrame prepare(const at::Tensor &image_embedding, const at::Tensor &dense_pe,
                       const at::Tensor &dense) const;
  // sparse [B, N, C] prompt embeddings against the prepared frame:
  // multimask -> masks 1..3, else mask 0 (the reference's slices).
  DecodedMasks decode(const DecoderFrame &frame, const at::Tensor &sparse, bool multimask) const;
  // decode() in two steps: the transformer and heads, then the upscaled
  // logits [n, k, 4h, 4w] of the prompts `rows` (int64 indices into B;
  // undefined: all). decode() = upscale_masks(decode_tokens(...), {}).
  DecodedTokens decode_tokens(const DecoderFrame &frame, const at::Tensor &sparse,
                              bool multimask) const;
  at::Tensor upscale_masks(const DecodedTokens &tokens, const at::Tensor &rows) const;

  // bf16 for the per-prompt products: the factored tokens' scores, softmax
  // and coefficient products, the rows' projections in the attentions
  // (prepare() makes the frame's projections in bf16, so set this before
  // prepare()) and the upscaling's matmuls and mask products, the bulk of
  // the per-prompt arithmetic. The tokens' side, the heads, the rows
  // themselves, the LayerNorms' fp32-accumulated statistics and the
  // upscaling's norm and activations stay fp32; logits and IoU predictions
  // move by bf16's rounding (tests/sam, Bf16DecodesTheReferenceMasks). Only
  // worth it where the CPU has native bf16 (clip::CpuFeatures::fast_bf16).
  void set_bf16(bool on);
  bool bf16() const { return bf16_; }

  const MaskDecoderConfig &config() const { return config_; }

  std::shared_ptr<torch::nn::Module>
      transformer;                        // layers, final_attn_token_to_image, norm_final_attn
  torch::nn::ModuleList layers{nullptr};  // transformer.layers
  Attention final_attn_token_to_image{nullptr};
  Tensors norm_final_attn{nullptr};
  Tensors iou_token{nullptr}, mask_tokens{nullptr};
  std::shared_ptr<torch::nn::Module> output_upscaling;  // 0: ConvT, 1: LayerNorm2d, 3: ConvT
  Tensors up0{nullptr}, up1{nullptr}, up3{nullptr};
  torch::nn::ModuleList output_hypernetworks_mlps{nullptr};
  DecoderMlp iou_prediction_head{nullptr};

 private:
  static constexpr int64_t kPromptsPerChunk = 16;
  DecodedTokens decode_chunk(const DecoderFrame &frame, const at::Tensor &sparse,
                             bool multimask) const;
  at::Tensor upscale(const DecodedTokens &tokens, const std::vector<int64_t> &rows) const;
  at::Tensor upscale_weight() const;  // [C, 4 C/4]
  MaskDecoderConfig config_;
  bool bf16_ = false;
};
TORCH_MODULE(MaskDecoder);

}  // namespace refseg::sam

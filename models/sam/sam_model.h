// A Segment Anything model assembled from one released checkpoint (SAM
// ViT-B/L/H or MobileSAM): image encoder, prompt encoder and mask decoder,
// used as segment-anything's SamPredictor is: set_image() once per frame
// (the embedding and the decoder's prompt-independent work are kept), then
// any number of prompt batches, then postprocess() to frame size.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "clip/precision.h"
#include "common/image_view.h"
#include "common/region_mask.h"
#include "sam/mask_decoder.h"
#include "sam/mask_postprocess.h"
#include "sam/prompt_encoder.h"

namespace refseg::sam {

struct SamCheckpoint;
class SamImageEncoder;

class SamModel {
 public:
  // Reads the checkpoint (read_sam_checkpoint) and loads all three parts;
  // refused files throw refseg::ModelError naming the file and the tensor.
  explicit SamModel(const std::string &checkpoint_path);
  explicit SamModel(const SamCheckpoint &checkpoint);
  ~SamModel();
  SamModel(SamModel &&) noexcept;
  SamModel &operator=(SamModel &&) noexcept;

  // How the model computes from now on: fp32 (the reference's arithmetic)
  // or bf16 (the image encoder converted to bf16, weights and activations,
  // as tools/bench_sam_encoder measures it; the mask decoder's per-prompt
  // products in bf16, MaskDecoderImpl::set_bf16). bf16 only pays where the CPU has
  // native bf16 (clip::CpuFeatures::fast_bf16): callers decide, this does
  // not check. Back to fp32 re-reads the encoder from the checkpoint file.
  // Throws ModelError for another precision. Call before set_image().
  void set_precision(clip::Precision precision);
  clip::Precision precision() const { return precision_; }

  // SamPredictor.set_image: preprocessing, the image encoder, and the
  // decoder's per-frame preparation. Throws ModelError for an empty frame.
  void set_image(const ImageView &frame);
  // The same from an embedding [1, C, h, w] computed elsewhere (a cache, a
  // test's reference) for a frame of that size.
  void set_embedding(const at::Tensor &embedding, int frame_width, int frame_height);
  bool has_image() const { return !frame_.layers.empty(); }
  const at::Tensor &embedding() const { return embedding_; }
  int frame_width() const { return frame_w_; }
  int frame_height() const { return frame_h_; }

  // Frame pixels -> encoder-input pixels (ResizeLongestSide.apply_coords):
  // [..., 2] float64 in, float64 out.
  at::Tensor to_input_coords(const at::Tensor &frame_xy) const;

  // Prompts already in encoder-input pixels: points [B, N, 2] with labels
  // [B, N] and/or boxes [B, 4] (either may be undefined). Low-resolution
  // logits [B, k, 256, 256] and IoU predictions [B, k], k = 3 with
  // multimask, else 1.
  DecodedMasks decode(const at::Tensor &points, const at::Tensor &labels, const at::Tensor &boxes,
                      bool multimask) const;
  // decode() in two steps (MaskDecoderImpl::decode_tokens, upscale_masks):
  // the IoU predictions first, then the low-resolution logits of the
  // prompts `rows` only (undefined: all).
  DecodedTokens decode_tokens(const at::Tensor &points, const at::Tensor &labels,
                              const at::Tensor &boxes, bool multimask) const;
  at::Tensor upscale_masks(const DecodedTokens &tokens, const at::Tensor &rows) const;
  // SamPredictor.predict's prompts in frame pixels (converted as it does:
  // apply_coords in float64, then float32).
  DecodedMasks predict(const at::Tensor &frame_points, const at::Tensor &labels,
                       const at::Tensor &frame_boxes, bool multimask) const;
  // Sam.postprocess_masks: [n, k, 256, 256] -> [n, k, frame h, frame w] logits
  // (bilinear to the encoder input side, the unpadded part, bilinear to the frame).
  at::Tensor postprocess(const at::Tensor &low_res) const;

  // postprocess() composed into one separable map, for the current frame.
  const MaskPostprocess &mask_postprocess() const { return post_; }

  const PromptEncoder &prompt_encoder() const { return prompt_; }
  const MaskDecoder &mask_decoder() const { return decoder_; }
  const DecoderFrame &decoder_frame() const { return frame_; }
  int64_t image_size() const { return image_size_; }

 private:
  void load(const SamCheckpoint &checkpoint);
  std::shared_ptr<SamImageEncoder> encoder_;
  PromptEncoder prompt_{nullptr};
  MaskDecoder decoder_{nullptr};
  at::Tensor embedding_;
  DecoderFrame frame_;
  MaskPostprocess post_;
  std::string path_;
  clip::Precision precision_ = clip::Precision::kFp32;
  int64_t image_size_ = 1024;
  int frame_w_ = 0, frame_h_ = 0, input_w_ = 0, input_h_ = 0;
};

// The frame-size mask where `logits` [H, W] > 0, stored inside its bounding
// box, with `score`; nullopt when no pixel is positive.
std::optional<RegionMask> region_from_logits(const at::Tensor &logits, float score);

// Box refinement (as Grounded-SAM does): the proposal's bounding box as SAM's
// box prompt, x0 y0 x1 y1 = its first and last pixel columns/rows, decoded
// against the model's current image with single-mask output. The refined
// mask's score is SAM's predicted IoU; nullopt when the decoded mask is
// empty (keep the proposal then). Throws ModelError without set_image().
std::optional<RegionMask> refine_with_box(const SamModel &model, const RegionMask &proposal);
// The same for many proposals, their boxes decoded as one batch (equal to
// refine_with_box one by one up to float rounding).
std::vector<std::optional<RegionMask>> refine_with_boxes(const SamModel &model,
                                                         const std::vector<RegionMask> &proposals);

}  // namespace refseg::sam

// Sam.postprocess_masks followed by what the automatic generator reads off
// each frame-size mask, without the 1024-side planes.
//
// The reference upsamples each low-resolution logit plane [256, 256]
// bilinearly (align_corners=False) to the encoder input side (1024 x 1024),
// crops the unpadded part and upsamples that bilinearly to the frame. Both
// steps are separable linear maps, so their composition is too: every frame
// row is a weighted sum of at most three consecutive low-resolution rows,
// every frame column of at most three consecutive columns, with weights
// that are the products of the two steps' bilinear weights (computed here
// as LibTorch's upsample kernel computes them). The frame-size logits equal
// the reference's up to float rounding of the summation order (max |diff|
// about 1e-6 of the logits' scale; tests/sam compare them), at about 1.7M
// multiply-adds per mask instead of 1024 x 1024 intermediate planes.
//
// One pass over each mask then gives the stability score's two counts
// (logits > +offset and > -offset), the area and box of logits > 0, and the
// mask itself.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/region_mask.h"

namespace refseg::sam {

// One axis of the composed resampling: output i = sum_t weight[i][t] *
// input[first[i] + t], t < 4 (unused taps have weight 0).
struct ResampleAxis {
  std::vector<int> first;
  std::vector<std::array<float, 4>> weight;
};

// low -> image_size (bilinear), the first `input` samples kept, -> frame
// (bilinear), as upsample_bilinear2d with align_corners=False computes each.
ResampleAxis compose_postprocess_axis(int low, int image_size, int input, int frame);

struct MaskPlaneStats {
  int64_t above_hi = 0;      // logits > +offset (the stability intersection)
  int64_t above_lo = 0;      // logits > -offset (the stability union)
  int64_t area = 0;          // logits > 0
  std::array<int, 4> box{};  // x0 y0 x1 y1 of logits > 0; zeros when none
  float stability() const {  // intersection / union as the reference divides
    return static_cast<float>(above_hi) / static_cast<float>(above_lo);
  }
};

class MaskPostprocess {
 public:
  MaskPostprocess() = default;
  // Low-resolution planes low_h x low_w, the encoder's square input side,
  // the resized frame inside it (input_w x input_h) and the frame.
  MaskPostprocess(int low_w, int low_h, int image_size, int input_w, int input_h, int frame_w,
                  int frame_h);

  int frame_width() const { return frame_w_; }
  int frame_height() const { return frame_h_; }

  // Frame-size logits of one plane `low` [low_h * low_w] into `out` [frame_h * frame_w].
  void logits(const float *low, float *out) const;

  // Counts at `offset` (the stability score offset) and the box in one pass.
  // When `mask` is given (frame_w * frame_h bytes) it receives logits > 0 as 0/1.
  MaskPlaneStats measure(const float *low, float offset, uint8_t *mask) const;

 private:
  // One frame row of the composed map into `row` [frame_w], from the
  // horizontally resampled planes `cols` [low_h * frame_w].
  void row(const float *cols, int y, float *out) const;
  void columns(const float *low, float *cols) const;
  ResampleAxis rows_, cols_;
  int low_w_ = 0, low_h_ = 0, frame_w_ = 0, frame_h_ = 0;
};

// The RegionMask (inside its box, 0/255, `score`) of a frame-size 0/1 plane
// with that box; nullopt when the box is empty (no pixel on).
std::optional<RegionMask> region_from_plane(const uint8_t *mask, int frame_w,
                                            const MaskPlaneStats &stats, float score);

}  // namespace refseg::sam

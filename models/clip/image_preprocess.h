// Turning frames and region masks into CLIP inputs: CLIP's normalization,
// square resizing, and the reduction of a mask to the token grid.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::clip {

// Throws ModelError unless the view describes a readable frame.
void check_frame(const ImageView &frame);
// Throws ModelError unless pixels match the box (index names the mask).
void check_mask(const RegionMask &mask, size_t index);

// [1, 3, H, W] float32 RGB, (x / 255 - mean) / std with CLIP's mean/std, so
// that the mean pixel is 0. One read of the frame, any PixelLayout.
at::Tensor normalized_frame(const ImageView &frame);

// [B, 3, h, w] -> [B, 3, size, size], bilinear, aspect ratio not kept,
// antialiased when shrinking (like PIL's bilinear resize CLIP users feed).
at::Tensor resize_square(const at::Tensor &images, int64_t size);

// The frame-sized 0/1 mask sampled on a grid x grid raster exactly like
// bilinear interpolate(align_corners=false, antialias=false) of the full
// mask plane, without building that plane. Row-major, grid*grid values.
std::vector<float> mask_on_grid(const RegionMask &mask, int frame_width, int frame_height,
                                int grid);

// [1, 3, R, R] local-context input: pixels outside the mask set to the mean
// (0 after normalization), cropped to the mask's box (clipped to the frame),
// resized to R x R. `frame` is normalized_frame()'s output.
at::Tensor local_context_image(const at::Tensor &frame, const RegionMask &mask, int64_t size);

}  // namespace refseg::clip

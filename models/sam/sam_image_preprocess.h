// What segment-anything's SamPredictor.set_image does before the image
// encoder, step by step:
//   1. ResizeLongestSide(1024).apply_image: the new size is
//      int(side * 1024 / longest + 0.5) for each side, and the resize is
//      torchvision's resize of a PIL image, i.e. Pillow's Image.resize with
//      BILINEAR (a triangle filter widened by the scale when shrinking,
//      plain bilinear taps when enlarging, 8-bit fixed point, each pass
//      rounded to uint8): clip::pil_bilinear_resize;
//   2. Sam.preprocess: (x - pixel_mean) / pixel_std in float32 with mean
//      [123.675, 116.28, 103.53] and std [58.395, 57.12, 57.375];
//   3. zero padding at the bottom and right to 1024 x 1024.
// Identical for SAM and MobileSAM (the same transforms.py and sam.py).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/image_view.h"

namespace refseg::sam {

// ResizeLongestSide.get_preprocess_shape: {width, height}.
std::pair<int, int> longest_side_size(int width, int height, int target = 1024);

// Step 1 alone: width * height * 3 bytes, RGB, row-major, {width, height}
// as longest_side_size gives them.
std::vector<uint8_t> resize_longest_side(const ImageView &frame, int target = 1024);

struct SamInput {
  at::Tensor image;     // [1, 3, target, target] float32, normalised and padded
  int input_width = 0;  // the resized image inside it (before padding)
  int input_height = 0;
  int original_width = 0;  // the frame's
  int original_height = 0;
};

// Steps 1-3 for an 8-bit frame in any of ImageView's layouts (BGR and the
// 4-byte ones are read as RGB, as set_image(image_format="BGR") flips).
// Throws refseg::ModelError for an empty frame.
SamInput sam_preprocess(const ImageView &frame, int target = 1024);

}  // namespace refseg::sam

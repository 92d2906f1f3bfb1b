// The image side of the authors' released code (github Seonghoon-Yu/
// Zero-shot-RIS, Our_method_with_free_solo.py and data/dataset_refer_bert.py
// with torchvision 0.11 and Pillow), rebuilt step by step so that a user can
// compare with the published table. docs/models.md lists each step with the
// line it follows; tests/clip/test_reference_preprocess.cpp checks each one
// against values written by scripts/make_reference_fixtures.py.
//
// The chain: frame -> PIL bilinear resize to short side 800 (uint8) ->
// ImageNet normalisation -> (global) bilinear, no antialias, to R x R;
// (local) bilinear, no antialias, back to the frame size, outside the mask
// set to (0.485, 0.456, 0.406) in normalised units, cropped at the mask's
// box (zero padding outside the frame, as torchvision's crop pads) and
// resized, bilinear without antialias, to R x R. The mask reaches the token
// grid as in `clip` mode (mask_on_grid), which already is their reduction.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::clip {

// torchvision's Resize(800) size rule for an image: the short side becomes
// `short_side`, the long one int(short_side * long / short) (truncated);
// an image whose short side already is `short_side` keeps its size.
// Returns {width, height}.
std::pair<int, int> short_side_size(int width, int height, int short_side);

// Pillow's Image.resize(size, BILINEAR) of an 8-bit RGB frame: separable
// triangle filter widened by the scale when shrinking, 22-bit fixed-point
// weights, horizontal pass first, each pass rounded to uint8. Returns
// out_width * out_height * 3 bytes, RGB, row-major.
std::vector<uint8_t> pil_bilinear_resize(const ImageView &frame, int out_width, int out_height);

// [1, 3, h, w] float32: the frame resized to short side 800 by Pillow,
// then ToTensor (x / 255) and Normalize with ImageNet's mean/std.
at::Tensor reference_frame(const ImageView &frame, int short_side = 800);

// Bilinear resize without antialias (align_corners false) of [B, 3, h, w]
// to [B, 3, out_height, out_width]: torchvision 0.11's tensor Resize.
at::Tensor resize_no_antialias(const at::Tensor &images, int64_t out_height, int64_t out_width);

// [1, 3, R, R] input of the global-context feature.
at::Tensor reference_global_image(const at::Tensor &frame800, int64_t size);

// [1, 3, R, R] local-context input. `restored` is the 800-image resized back
// to the frame's size (resize_no_antialias). Outside the mask: the ImageNet
// mean written into the normalised tensor; the crop is the mask's box as
// (x1, y1, x2, y2) integers; a box with no area gives that grey everywhere
// (the authors' code would stop there).
at::Tensor reference_local_image(const at::Tensor &restored, const RegionMask &mask, int64_t size);

}  // namespace refseg::clip

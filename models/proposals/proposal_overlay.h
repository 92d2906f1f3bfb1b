// Drawing masks onto a frame in place, for the refsegoverlay element:
// proposals (tint, outline, index), selections (tint, outline, expression
// and score in the expression's colour), and the alpha-matte and
// binary-mask outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg {

// A frame that may be written: same layout rules as ImageView.
struct MutableImageView {
  uint8_t *data = nullptr;
  int width = 0, height = 0;
  int stride = 0;
  PixelLayout layout = PixelLayout::RGB;
};

// A box-cropped mask that lives elsewhere (e.g. in frame metadata).
struct MaskRef {
  Box box;
  const uint8_t *pixels = nullptr;  // box.width * box.height, non-zero = inside
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// A fixed palette of well-separated colours; index wraps around.
Rgb palette_colour(int index);

// Tints every mask with its palette colour (opacity in [0, 1]; 0 = no tint),
// outlines it and writes its index next to its top-left corner. Masks are
// drawn in order, so the best (first) proposal ends up at the bottom.
void draw_proposals(const MutableImageView &frame, const std::vector<MaskRef> &masks,
                    double opacity);

struct LabelledMask {
  MaskRef mask;
  Rgb colour;
  std::string label;  // drawn at the box's top-left corner; empty: none
  int weight = 1;     // outline thickness multiplier
};

// Tints, outlines and labels each mask in its own colour, in order.
void draw_labelled_masks(const MutableImageView &frame, const std::vector<LabelledMask> &masks,
                         double opacity);

enum class MaskOutput {
  Alpha,   // alpha byte = 255 inside any mask, 0 elsewhere; colour untouched (RGBA/BGRA)
  Binary,  // every byte = 255 inside any mask, 0 elsewhere
};

// Replaces the frame with the union of the masks, as MaskOutput says.
void write_mask_planes(const MutableImageView &frame, const std::vector<MaskRef> &masks,
                       MaskOutput output);

}  // namespace refseg

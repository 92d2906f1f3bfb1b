// Drawing of mask proposals onto a frame in place: a tint of each mask, its
// outline and its index. Used by the refsegoverlay element; other drawing
// modes (selections, alpha matte, binary mask) add functions beside these.
#pragma once

#include <cstddef>  // region_mask.h uses size_t without including it
#include <cstdint>
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

}  // namespace refseg

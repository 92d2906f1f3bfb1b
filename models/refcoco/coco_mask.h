// COCO's segmentation formats decoded to pixels with the rules of
// pycocotools (common/maskApi.c of github cocodataset/cocoapi), so that a
// target mask here has exactly the pixels the authors' evaluation compared
// against: polygons rasterised as rleFrPoly does (on a 5x finer grid, then
// sampled at pixel centres), uncompressed run-length counts, and the
// compressed string form of the counts (rleFrString).
//
// The functions throw refseg::ModelError describing the fault in the data
// (a bad character, counts that do not cover the image); the caller adds
// which file, annotation and field it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace refseg::refcoco {

// Run-length encoding in COCO's order: column-major (down the first column,
// then the next), runs alternating background / foreground, starting with
// background (a mask whose first pixel is set starts with a 0 run).
struct Rle {
  int height = 0, width = 0;
  std::vector<uint32_t> counts;
};

// A decoded mask, row-major height x width, one byte per pixel.
struct PixelMask {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;

  PixelMask() = default;
  PixelMask(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h, 0) {}
  uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  size_t count_nonzero() const;
};

// One polygon x0, y0, x1, y1, ... in pixel coordinates (a trailing odd value
// is ignored, as pycocotools ignores it), rasterised as rleFrPoly does.
// Throws for a non-finite or absurdly large coordinate (beyond +-1e7,
// where the integer grid of the rule would overflow).
Rle polygon_rle(const std::vector<double> &xy, int height, int width);

// COCO's compressed counts (6 bits per character, '0' .. 'o', the counts
// after the first three stored as differences to the one two before).
// Throws for a character outside that range or a string ending inside a
// count.
Rle rle_from_string(const std::string &counts, int height, int width);

// The mask of an RLE. Throws when the counts do not add up to height x width.
PixelMask decode_rle(const Rle &rle);

// The compressed string of an RLE's counts, as pycocotools' rleToString
// writes it (the inverse of rle_from_string).
std::string rle_to_string(const Rle &rle);

// The RLE of a height x width mask held as a box crop (`pixels`: box_width
// x box_height bytes, row-major, non-zero = foreground) placed at
// (box_x, box_y) in it, as pycocotools' encode of the frame-sized mask
// would give; linear in the box's area plus the width. Throws for a box
// that is not inside the mask or a pixel buffer of the wrong size.
Rle rle_from_box_mask(int height, int width, int box_x, int box_y, int box_width, int box_height,
                      const std::vector<uint8_t> &pixels);

// Adds 1 (wrapping at 256, as numpy's uint8 does) to every foreground pixel
// of `rle` in `sum`, which must have its size: the refer API sums the masks
// of an annotation's polygons instead of merging them.
void add_rle(const Rle &rle, PixelMask *sum);

}  // namespace refseg::refcoco

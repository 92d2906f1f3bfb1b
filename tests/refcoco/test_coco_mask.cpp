// COCO masks decoded to the pixels pycocotools gives. The expected pixels
// are worked out by hand from the rules of maskApi.c (a boundary crossing
// counts where it passes a column of pixel centres, so a pixel is inside
// when its centre (x + 0.5, y + 0.5) is) and from the column-major run
// order, not taken from this decoder.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>

#include "common/model_error.h"
#include "refcoco/coco_mask.h"

namespace refseg::refcoco {
namespace {

using Pixels = std::set<std::pair<int, int>>;  // (x, y)

Pixels foreground(const PixelMask &m) {
  Pixels out;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x)
      if (m.at(x, y)) out.insert({x, y});
  return out;
}

Pixels rectangle(int x0, int y0, int x1, int y1) {  // [x0, x1) x [y0, y1)
  Pixels out;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) out.insert({x, y});
  return out;
}

TEST(CocoMask, RectanglePolygonCoversItsArea) {
  // Corners at whole coordinates: exactly the w x h pixels inside.
  const PixelMask m = decode_rle(polygon_rle({2, 1, 6, 1, 6, 4, 2, 4}, 5, 8));
  EXPECT_EQ(m.width, 8);
  EXPECT_EQ(m.height, 5);
  EXPECT_EQ(foreground(m), rectangle(2, 1, 6, 4));
}

TEST(CocoMask, DirectionOfTheOutlineDoesNotMatter) {
  EXPECT_EQ(foreground(decode_rle(polygon_rle({2, 4, 6, 4, 6, 1, 2, 1}, 5, 8))),
            rectangle(2, 1, 6, 4));
}

TEST(CocoMask, TrianglePixelsByTheirCentres) {
  // x + y < 4: centres with x + y + 1 < 4; column 3's centre (3.5, 0.5)
  // lies on the hypotenuse and is outside.
  const PixelMask m = decode_rle(polygon_rle({0, 0, 4, 0, 0, 4}, 5, 5));
  EXPECT_EQ(foreground(m), (Pixels{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {2, 0}}));
}

TEST(CocoMask, FractionalCornersSampleAtPixelCentres) {
  // x in [1.3, 4.6], y in [0.7, 2.2]: centres x = 1.5 .. 4.5, y = 1.5.
  const PixelMask m = decode_rle(polygon_rle({1.3, 0.7, 4.6, 0.7, 4.6, 2.2, 1.3, 2.2}, 4, 7));
  EXPECT_EQ(foreground(m), rectangle(1, 1, 5, 2));
}

TEST(CocoMask, PolygonIsClippedToTheImage) {
  const PixelMask m = decode_rle(polygon_rle({-3, -2, 4, -2, 4, 3, -3, 3}, 4, 6));
  EXPECT_EQ(foreground(m), rectangle(0, 0, 4, 3));
}

TEST(CocoMask, UncompressedCountsAreColumnMajorFromBackground) {
  // 8 x 8: background 9 (column 0 and row 0 of column 1), foreground 3
  // (column 1, rows 1-3), background 5, foreground 2 (column 2, rows 1-2).
  const PixelMask m = decode_rle({8, 8, {9, 3, 5, 2, 45}});
  EXPECT_EQ(foreground(m), (Pixels{{1, 1}, {1, 2}, {1, 3}, {2, 1}, {2, 2}}));
  // A mask that starts with foreground starts with an empty background run.
  EXPECT_EQ(foreground(decode_rle({2, 2, {0, 1, 3}})), (Pixels{{0, 0}}));
}

TEST(CocoMask, CompressedCountsDecodeByHand) {
  // "X1" = 8 + (1 << 5) = 40 (0x20: another character follows), "6" = 6,
  // "b0" = 18 (0x10 set, so a second character keeps the sign positive).
  EXPECT_EQ(rle_from_string("X16b0", 8, 8).counts, (std::vector<uint32_t>{40, 6, 18}));
  // After the third count each is a difference to the one two before:
  // 'K' = 27 = -5 with the sign bit, 'M' = 29 = -3: 6 - 5 = 1, 9 - 3 = 6.
  EXPECT_EQ(rle_from_string("269KM", 4, 6).counts, (std::vector<uint32_t>{2, 6, 9, 1, 6}));
  // Counts 40, 6: column 5, rows 0-5.
  EXPECT_EQ(foreground(decode_rle(rle_from_string("X16b0", 8, 8))),
            (Pixels{{5, 0}, {5, 1}, {5, 2}, {5, 3}, {5, 4}, {5, 5}}));
}

TEST(CocoMask, PolygonsAddUpWhereTheyOverlap) {
  PixelMask sum(6, 2);
  add_rle(polygon_rle({0, 0, 4, 0, 4, 2, 0, 2}, 2, 6), &sum);
  add_rle(polygon_rle({2, 0, 6, 0, 6, 2, 2, 2}, 2, 6), &sum);
  EXPECT_EQ(sum.pixels, (std::vector<uint8_t>{1, 1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1}));
}

TEST(CocoMask, BadCompressedCountsAreRefused) {
  try {
    rle_from_string("53~3", 4, 6);
    FAIL() << "accepted '~'";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("character 2 ('~')"), std::string::npos) << e.what();
  }
  // 'X' says another character follows, and none does.
  EXPECT_THROW(rle_from_string("5X", 4, 6), ModelError);
  // 'K' (-5) as the fourth count after a 3: a negative run.
  EXPECT_THROW(rle_from_string("533K", 4, 6), ModelError);
}

TEST(CocoMask, CountsThatDoNotCoverTheMaskAreRefused) {
  try {
    decode_rle({4, 6, {5, 3, 10}});
    FAIL() << "accepted 18 of 24 pixels";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("add up to 18 pixels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_rle({4, 6, {5, 3, 10, 7}}), ModelError);
  EXPECT_THROW(decode_rle({0, 6, {}}), ModelError);
}

TEST(CocoMask, UnusableCoordinatesAreRefused) {
  EXPECT_THROW(polygon_rle({0, 0, 1e12, 0, 0, 4}, 5, 5), ModelError);
  EXPECT_THROW(polygon_rle({0, 0, std::nan(""), 0, 0, 4}, 5, 5), ModelError);
}

}  // namespace
}  // namespace refseg::refcoco

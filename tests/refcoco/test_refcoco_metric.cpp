// oIoU and mIoU as the authors' Compute_IoU computes them, on predictions
// whose intersections and unions are counted by hand.
#include <gtest/gtest.h>

#include "refcoco/refcoco_metric.h"

namespace refseg::refcoco {
namespace {

// An image-sized target with the rectangle [x0, x1) x [y0, y1) set.
PixelMask target(int width, int height, int x0, int y0, int x1, int y1) {
  PixelMask m(width, height);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.pixels[static_cast<size_t>(y) * width + x] = 1;
  return m;
}

// A full box-shaped prediction.
RegionMask box(int x, int y, int w, int h) {
  RegionMask m;
  m.box = {x, y, w, h};
  m.pixels.assign(static_cast<size_t>(w) * h, 255);
  return m;
}

TEST(RefcocoMetric, OverlapCountsPixels) {
  const PixelMask t = target(10, 8, 2, 2, 6, 5);  // 12 pixels
  EXPECT_EQ(overlap(box(2, 2, 4, 3), t).intersection, 12);
  EXPECT_EQ(overlap(box(2, 2, 4, 3), t).union_, 12);
  // Half of it: 6 shared, 12 + 12 - 6.
  const Overlap half = overlap(box(4, 2, 4, 3), t);
  EXPECT_EQ(half.intersection, 6);
  EXPECT_EQ(half.union_, 18);
  // A box partly outside the image: only its 2 x 2 inside pixels count.
  const Overlap outside = overlap(box(8, 6, 5, 5), t);
  EXPECT_EQ(outside.intersection, 0);
  EXPECT_EQ(outside.union_, 12 + 4);
  // Holes in the prediction are not predicted pixels.
  RegionMask holed = box(2, 2, 4, 3);
  holed.pixels[0] = holed.pixels[5] = 0;
  EXPECT_EQ(overlap(holed, t).intersection, 10);
  EXPECT_EQ(overlap(holed, t).union_, 12);
}

TEST(RefcocoMetric, OverallAndMeanIoUExactly) {
  IouTally tally;
  tally.add({12, 12});  // exact: 1
  tally.add({5, 15});   // 1/3
  tally.add({0, 10});   // disjoint: 0
  tally.add({0, 0});    // empty prediction and target: 0, and still counted in the mean
  EXPECT_EQ(tally.sentences(), 4);
  EXPECT_EQ(tally.intersection(), 17);
  EXPECT_EQ(tally.union_(), 37);
  EXPECT_DOUBLE_EQ(tally.oiou(), 17.0 / 37.0);
  EXPECT_DOUBLE_EQ(tally.miou(), (1.0 + 1.0 / 3.0) / 4.0);
}

TEST(RefcocoMetric, UnansweredSentencesAreSkippedAsTheAuthorsSkipThem) {
  IouTally tally;
  tally.add({12, 12});
  tally.add({5, 15});
  tally.add_unanswered(9);
  tally.add_unanswered(4);
  EXPECT_EQ(tally.sentences(), 2);
  EXPECT_EQ(tally.unanswered(), 2);
  EXPECT_DOUBLE_EQ(tally.oiou(), 17.0 / 27.0);
  EXPECT_DOUBLE_EQ(tally.miou(), (1.0 + 1.0 / 3.0) / 2.0);
  // The strict count: each a zero with its target in the union.
  EXPECT_DOUBLE_EQ(tally.strict_oiou(), 17.0 / 40.0);
  EXPECT_DOUBLE_EQ(tally.strict_miou(), (1.0 + 1.0 / 3.0) / 4.0);
}

TEST(RefcocoMetric, NothingScoredIsZero) {
  IouTally tally;
  EXPECT_EQ(tally.oiou(), 0.0);
  EXPECT_EQ(tally.miou(), 0.0);
  tally.add_unanswered(5);
  EXPECT_EQ(tally.miou(), 0.0);
  EXPECT_EQ(tally.strict_oiou(), 0.0);
}

}  // namespace
}  // namespace refseg::refcoco

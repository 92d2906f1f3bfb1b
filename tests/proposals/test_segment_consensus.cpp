// Straddling of one segmentation's regions over another's segments
// (proposals/segment_consensus.h): zero for a region the other
// segmentation also draws, the smaller part of each cut segment otherwise.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "proposals/segment_consensus.h"

namespace {

// A 4x8 grid of segments in vertical bands of `width` columns.
cv::Mat bands(int width) {
  cv::Mat labels(4, 8, CV_32S);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) labels.at<int32_t>(y, x) = x / width;
  return labels;
}

}  // namespace

TEST(SegmentConsensus, ARegionTheOtherSegmentationDrawsStraddlesNothing) {
  // from: 4 bands of 2 columns; to: 2 bands of 4 columns.
  const refseg::SegmentOverlaps overlaps(bands(2), 4, bands(4), 2);
  std::vector<int32_t> scratch;
  EXPECT_DOUBLE_EQ(overlaps.straddling({0, 1}, 16, scratch), 0.0);  // to's band 0
  EXPECT_DOUBLE_EQ(overlaps.straddling({0, 1, 2, 3}, 32, scratch), 0.0);
}

TEST(SegmentConsensus, ACutSegmentCountsItsSmallerPart) {
  const refseg::SegmentOverlaps overlaps(bands(2), 4, bands(4), 2);
  std::vector<int32_t> scratch;
  // Columns 0-1: half of to's band 0 (8 of its 16 pixels) -> 8 / 8.
  EXPECT_DOUBLE_EQ(overlaps.straddling({0}, 8, scratch), 1.0);
  // Columns 0-5: all of band 0, half of band 1 -> 8 / 24.
  EXPECT_DOUBLE_EQ(overlaps.straddling({0, 1, 2}, 24, scratch), 8.0 / 24.0);
  // Columns 2-5: half of each band -> (8 + 8) / 16.
  EXPECT_DOUBLE_EQ(overlaps.straddling({1, 2}, 16, scratch), 1.0);
  // The scratch is left zeroed: the same answers again.
  EXPECT_DOUBLE_EQ(overlaps.straddling({0, 1}, 16, scratch), 0.0);
  EXPECT_DOUBLE_EQ(overlaps.straddling({0, 1, 2}, 24, scratch), 8.0 / 24.0);
}

TEST(SegmentConsensus, MismatchedLabelMapsAreRefused) {
  EXPECT_THROW(refseg::SegmentOverlaps(bands(2), 4, cv::Mat(3, 8, CV_32S, cv::Scalar(0)), 1),
               std::invalid_argument);
  // A label at or beyond its segment count.
  EXPECT_THROW(refseg::SegmentOverlaps(bands(2), 3, bands(4), 2), std::invalid_argument);
}

TEST(SegmentConsensus, TheTransposeIsTheOverlapsSeenFromTheOther) {
  // Two segmentations of one 10x6 grid that do not line up: runs of 7
  // pixels in reading order against four 5x3 blocks, so that segments meet
  // several of the other's.
  cv::Mat rows(6, 10, CV_32S), cols(6, 10, CV_32S);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 10; ++x) {
      rows.at<int32_t>(y, x) = (y * 10 + x) / 7;  // 9 segments in reading order
      cols.at<int32_t>(y, x) = x / 5 + 2 * (y / 3);
    }
  const refseg::SegmentOverlaps forward(rows, 9, cols, 4);
  const refseg::SegmentOverlaps direct(cols, 4, rows, 9);
  const refseg::SegmentOverlaps transposed = forward.transposed();
  ASSERT_EQ(transposed.n_to(), 9);
  std::vector<int32_t> a, b;
  // Every region of `cols` (each subset of its 4 segments) straddles `rows`
  // the same seen either way.
  for (int subset = 1; subset < 16; ++subset) {
    std::vector<int> segments;
    long size = 0;
    for (int s = 0; s < 4; ++s)
      if (subset & (1 << s)) {
        segments.push_back(s);
        size += 15;
      }
    EXPECT_DOUBLE_EQ(transposed.straddling(segments, size, a), direct.straddling(segments, size, b))
        << "segments subset " << subset;
  }
}

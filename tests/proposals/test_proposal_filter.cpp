// Shared post-processing: IoU, filtering and mask rescaling.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "proposals/proposal_filter.h"

namespace {

using refseg::RegionMask;

RegionMask rect_mask(int x, int y, int w, int h, float score) {
  return {{x, y, w, h}, std::vector<uint8_t>(static_cast<size_t>(w) * h, 255), score};
}

TEST(MaskIou, OverlapOfRectangles) {
  EXPECT_DOUBLE_EQ(refseg::mask_iou(rect_mask(0, 0, 10, 10, 0), rect_mask(0, 0, 10, 10, 0)), 1.0);
  EXPECT_DOUBLE_EQ(refseg::mask_iou(rect_mask(0, 0, 10, 10, 0), rect_mask(5, 0, 10, 10, 0)),
                   50.0 / 150.0);
  EXPECT_DOUBLE_EQ(refseg::mask_iou(rect_mask(0, 0, 10, 10, 0), rect_mask(20, 20, 5, 5, 0)), 0.0);
}

TEST(FilterProposals, RanksSuppressesAndCaps) {
  std::vector<RegionMask> masks = {rect_mask(0, 0, 10, 10, 0.2f), rect_mask(0, 0, 10, 10, 0.9f),
                                   rect_mask(50, 50, 10, 10, 0.5f), rect_mask(0, 0, 2, 2, 1.0f),
                                   rect_mask(0, 0, 100, 100, 0.99f)};
  refseg::ProposalFilter f;
  f.min_area = 0.005;  // 50 pixels of 10000
  f.max_area = 0.9;
  f.iou_threshold = 0.8;
  auto kept = refseg::filter_proposals(masks, f, 100 * 100);
  ASSERT_EQ(kept.size(), 2u);  // tiny and whole-frame dropped, duplicate suppressed
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.5f);
  f.max_proposals = 1;
  EXPECT_EQ(refseg::filter_proposals(masks, f, 100 * 100).size(), 1u);
}

TEST(FilterProposals, NanScoresRankLast) {
  std::vector<RegionMask> masks = {rect_mask(0, 0, 10, 10, NAN), rect_mask(50, 50, 10, 10, 0.1f)};
  refseg::ProposalFilter f;
  f.min_area = 0;
  const auto kept = refseg::filter_proposals(masks, f, 100 * 100);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.1f);
}

TEST(RescaleMask, MatchesAFullFrameResize) {
  cv::Mat grid = cv::Mat::zeros(48, 64, CV_8U);
  cv::circle(grid, {30, 20}, 11, 255, cv::FILLED);
  cv::rectangle(grid, {50, 30}, {63, 47}, 255, cv::FILLED);  // touches the border
  const RegionMask m = refseg::crop_mask(grid, 0.5f);
  for (const cv::Size frame :
       {cv::Size(640, 480), cv::Size(321, 241), cv::Size(64, 48), cv::Size(37, 23)}) {
    cv::Mat full;
    cv::resize(grid, full, frame, 0, 0, cv::INTER_LINEAR);
    cv::threshold(full, full, 127, 255, cv::THRESH_BINARY);
    const RegionMask expected = refseg::crop_mask(full, 0.5f);
    const RegionMask got = refseg::rescale_mask(m, 64, 48, frame.width, frame.height);
    EXPECT_EQ(got.box.x, expected.box.x) << frame;
    EXPECT_EQ(got.box.y, expected.box.y) << frame;
    EXPECT_EQ(got.box.width, expected.box.width) << frame;
    EXPECT_EQ(got.box.height, expected.box.height) << frame;
    // Identical up to rounding of the interpolation at a handful of pixels.
    EXPECT_GE(refseg::mask_iou(got, expected), 0.99) << frame;
    EXPECT_FLOAT_EQ(got.score, 0.5f);
  }
}

TEST(CropMask, EmptyMaskGivesEmptyBox) {
  EXPECT_TRUE(refseg::crop_mask(cv::Mat::zeros(5, 5, CV_8U), 0.f).box.empty());
}

}  // namespace

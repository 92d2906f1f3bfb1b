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

// Masks a first ranking chose come first; the second adds only what does
// not duplicate them, up to the count limit that both share.
TEST(SelectCandidates, MasksKeptBeforeComeFirstAndAreNotRepeated) {
  const std::vector<RegionMask> earlier = {rect_mask(0, 0, 10, 10, 0.9f)};
  const std::vector<RegionMask> masks = {rect_mask(0, 0, 10, 10, 0.8f),
                                         rect_mask(50, 50, 10, 10, 0.5f),
                                         rect_mask(20, 20, 10, 10, 0.4f)};
  std::vector<refseg::CandidateInfo> info;
  for (const RegionMask &m : masks) info.push_back({m.score, double(m.area()), m.box});
  refseg::ProposalFilter f;
  f.min_area = 0;
  f.max_proposals = 2;
  auto render = [&](size_t i) { return masks[i]; };
  const auto kept = refseg::select_candidates(info, f, 100 * 100, render, earlier);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);  // the earlier mask, first
  EXPECT_FLOAT_EQ(kept[1].score, 0.5f);  // its duplicate skipped, the limit reached after one
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

// The formulation rescale_mask computes faster: cv::warpAffine (bilinear,
// zero outside the box) of the box crop onto the frame pixels around it, then
// a threshold at 127.
RegionMask warp_reference(const RegionMask &mask, int grid_w, int grid_h, int frame_w,
                          int frame_h) {
  const double sx = static_cast<double>(frame_w) / grid_w,
               sy = static_cast<double>(frame_h) / grid_h;
  const refseg::Box &b = mask.box;
  const int fx0 = std::max(0, static_cast<int>(std::floor(b.x * sx)) - 1);
  const int fy0 = std::max(0, static_cast<int>(std::floor(b.y * sy)) - 1);
  const int fx1 = std::min(frame_w, static_cast<int>(std::ceil((b.x + b.width) * sx)) + 1);
  const int fy1 = std::min(frame_h, static_cast<int>(std::ceil((b.y + b.height) * sy)) + 1);
  const cv::Mat src(b.height, b.width, CV_8UC1, const_cast<uint8_t *>(mask.pixels.data()));
  const cv::Matx23d inv(1.0 / sx, 0, (fx0 + 0.5) / sx - 0.5 - b.x,  //
                        0, 1.0 / sy, (fy0 + 0.5) / sy - 0.5 - b.y);
  cv::Mat dst;
  cv::warpAffine(src, dst, cv::Mat(inv), cv::Size(fx1 - fx0, fy1 - fy0),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::threshold(dst, dst, 127, 255, cv::THRESH_BINARY);
  RegionMask out = refseg::crop_mask(dst, mask.score);
  out.box.x += fx0;
  out.box.y += fy0;
  return out;
}

TEST(RescaleMask, EqualsBilinearWarpAndThreshold) {
  cv::RNG rng(5);
  int compared = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int grid_w = rng.uniform(8, 400), grid_h = rng.uniform(8, 300);
    // Blobs of random ellipses and boxes, some touching the grid border.
    cv::Mat grid = cv::Mat::zeros(grid_h, grid_w, CV_8U);
    for (int k = 0; k < 3; ++k) {
      const cv::Point c(rng.uniform(0, grid_w), rng.uniform(0, grid_h));
      const cv::Size axes(rng.uniform(1, std::max(2, grid_w / 3)),
                          rng.uniform(1, std::max(2, grid_h / 3)));
      if (k == 2)
        cv::rectangle(grid, c, c + cv::Point(axes), 255, cv::FILLED);
      else
        cv::ellipse(grid, c, axes, rng.uniform(0, 180), 0, 360, 255, cv::FILLED);
    }
    const RegionMask m = refseg::crop_mask(grid, 0.25f);
    if (m.box.empty()) continue;
    // Upscaling as from the working grid, odd ratios, and downscaling.
    for (const double f : {1.6667, 3.3333, 10.0, 2.0, 1.37, 0.61}) {
      const int frame_w = std::max(1, static_cast<int>(grid_w * f + rng.uniform(-2, 3)));
      const int frame_h = std::max(1, static_cast<int>(grid_h * f + rng.uniform(-2, 3)));
      const RegionMask expected = warp_reference(m, grid_w, grid_h, frame_w, frame_h);
      const RegionMask got = refseg::rescale_mask(m, grid_w, grid_h, frame_w, frame_h);
      ASSERT_EQ(got.box.x, expected.box.x) << trial << " " << f;
      ASSERT_EQ(got.box.y, expected.box.y) << trial << " " << f;
      ASSERT_EQ(got.box.width, expected.box.width) << trial << " " << f;
      ASSERT_EQ(got.box.height, expected.box.height) << trial << " " << f;
      ASSERT_EQ(got.pixels, expected.pixels) << trial << " " << f;
      EXPECT_FLOAT_EQ(got.score, 0.25f);
      ++compared;
    }
  }
  EXPECT_GT(compared, 300);
}

TEST(CropMask, EmptyMaskGivesEmptyBox) {
  EXPECT_TRUE(refseg::crop_mask(cv::Mat::zeros(5, 5, CV_8U), 0.f).box.empty());
}

}  // namespace

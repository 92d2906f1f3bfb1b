// Proposal drawing changes the frame only where there are masks.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "proposals/proposal_overlay.h"

namespace {

TEST(ProposalOverlay, DrawsInsideAndAroundTheMaskOnly) {
  for (const auto layout : {refseg::PixelLayout::RGB, refseg::PixelLayout::BGRx}) {
    const int bpp = refseg::bytes_per_pixel(layout);
    cv::Mat frame(120, 160, bpp == 3 ? CV_8UC3 : CV_8UC4, cv::Scalar::all(100));
    const cv::Mat before = frame.clone();
    std::vector<uint8_t> pixels(30 * 20, 255);
    const refseg::MutableImageView view{frame.data, 160, 120, static_cast<int>(frame.step), layout};
    refseg::draw_proposals(view, {{{60, 50, 30, 20}, pixels.data()}}, 0.5);
    cv::Mat diff;
    cv::absdiff(frame, before, diff);
    cv::Mat changed;
    cv::reduce(diff.reshape(1, 120 * 160), changed, 1, cv::REDUCE_MAX);
    changed = changed.reshape(1, 120);
    EXPECT_GT(cv::countNonZero(changed(cv::Rect(60, 50, 30, 20))), 30 * 20 / 2);
    // Nothing far from the mask changes (outline and label stay near the box).
    EXPECT_EQ(cv::countNonZero(changed(cv::Rect(0, 0, 160, 40))), 0);
    EXPECT_EQ(cv::countNonZero(changed(cv::Rect(0, 80, 160, 40))), 0);
  }
}

TEST(ProposalOverlay, NoMasksNoChange) {
  cv::Mat frame(10, 10, CV_8UC3, cv::Scalar::all(7));
  const cv::Mat before = frame.clone();
  refseg::draw_proposals(
      {frame.data, 10, 10, static_cast<int>(frame.step), refseg::PixelLayout::RGB}, {}, 0.5);
  EXPECT_EQ(cv::norm(frame, before, cv::NORM_INF), 0);
}

}  // namespace

// Proposal drawing changes the frame only where there are masks.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

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
    // Nothing far from the mask changes (outline near the box, the label
    // just above it).
    EXPECT_EQ(cv::countNonZero(changed(cv::Rect(0, 0, 160, 30))), 0);
    EXPECT_EQ(cv::countNonZero(changed(cv::Rect(0, 80, 160, 40))), 0);
  }
}

// Rows holding (anti-aliased) white label text, on frames where nothing
// else is that bright in every channel.
int rows_with_dark(const cv::Mat &frame) {
  int rows = 0;
  for (int y = 0; y < frame.rows; ++y) {
    bool dark = false;
    for (int x = 0; x < frame.cols && !dark; ++x) {
      const cv::Vec3b p = frame.at<cv::Vec3b>(y, x);
      dark = p[0] < 45 && p[1] < 45 && p[2] < 45;
    }
    rows += dark;
  }
  return rows;
}

int rows_with_white(const cv::Mat &frame) {
  int rows = 0;
  for (int y = 0; y < frame.rows; ++y) {
    bool white = false;
    for (int x = 0; x < frame.cols && !white; ++x) {
      const cv::Vec3b p = frame.at<cv::Vec3b>(y, x);
      white = p[0] > 200 && p[1] > 200 && p[2] > 200;
    }
    rows += white;
  }
  return rows;
}

// Proposals of one object share a box; their labels must not be drawn on
// top of each other.
TEST(ProposalOverlay, LabelsOfOverlappingProposalsDoNotOverlap) {
  std::vector<uint8_t> pixels(30 * 20, 255);
  const refseg::MaskRef mask{{60, 50, 30, 20}, pixels.data()};
  auto draw = [&](int copies) {
    cv::Mat frame(120, 160, CV_8UC3, cv::Scalar::all(100));
    refseg::draw_proposals(
        {frame.data, 160, 120, static_cast<int>(frame.step), refseg::PixelLayout::RGB},
        std::vector<refseg::MaskRef>(static_cast<size_t>(copies), mask), 0.0);
    // Labels sit on darkened backings; nothing else here is that dark.
    return rows_with_dark(frame);
  };
  const int one = draw(1);
  ASSERT_GT(one, 5);
  EXPECT_GE(draw(3), 5 * one / 2);  // stacked on one another they would cover `one`
}

// A selection's label is white on a darkened backing, legible whatever the
// object's colour, even a label colour on an object of the same colour.
TEST(ProposalOverlay, SelectionLabelIsLegibleOnItsOwnColour) {
  const refseg::Rgb red = refseg::palette_colour(0);
  cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(red.r, red.g, red.b));
  std::vector<uint8_t> pixels(30 * 20, 255);
  refseg::draw_labelled_masks(
      {frame.data, 160, 120, static_cast<int>(frame.step), refseg::PixelLayout::RGB},
      {{{{60, 50, 30, 20}, pixels.data()}, red, "the red one", 2}}, 0.4);
  EXPECT_GT(rows_with_white(frame(cv::Rect(0, 0, 160, 50))), 3);  // the label above the box
  // Its backing is dark: the darkest pixels above the box are far darker
  // than the red frame.
  double lo = 0, hi = 0;
  cv::Mat grey;
  cv::cvtColor(frame(cv::Rect(60, 30, 60, 20)), grey, cv::COLOR_RGB2GRAY);
  cv::minMaxLoc(grey, &lo, &hi);
  EXPECT_LT(lo, 40);
}

TEST(ProposalOverlay, NoMasksNoChange) {
  cv::Mat frame(10, 10, CV_8UC3, cv::Scalar::all(7));
  const cv::Mat before = frame.clone();
  refseg::draw_proposals(
      {frame.data, 10, 10, static_cast<int>(frame.step), refseg::PixelLayout::RGB}, {}, 0.5);
  EXPECT_EQ(cv::norm(frame, before, cv::NORM_INF), 0);
}

}  // namespace

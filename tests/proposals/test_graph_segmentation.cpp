// Felzenszwalb graph segmentation: the criterion OpenCV's GraphSegmentation
// implements, the properties of its labels, reuse of its working memory.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/segmentation.hpp>

#include "proposals/graph_segmentation.h"
#include "synthetic_scene.h"

namespace {

using refseg::GraphSegmentationParams;

// Frames with few exactly equal edge weights (noise, blur, gradients), so
// that the order OpenCV's std::sort leaves ties in hardly matters.
std::vector<cv::Mat> noisy_frames() {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 6; ++i) {
    cv::Mat rgb = refseg_test::make_scene(384, 288, 3 + i % 4, true, 40 + i).rgb;
    cv::Mat noise(rgb.size(), CV_8SC3);
    cv::RNG rng(90 + i);
    rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(6));
    cv::Mat out;
    rgb.convertTo(out, CV_16SC3);
    cv::Mat n16;
    noise.convertTo(n16, CV_16SC3);
    out += n16;
    out.convertTo(out, CV_8UC3);
    cv::GaussianBlur(out, out, cv::Size(3, 3), 0.7);
    frames.push_back(out);
    cv::Mat lab;
    cv::cvtColor(out, lab, cv::COLOR_RGB2Lab);
    frames.push_back(lab);
  }
  return frames;
}

TEST(GraphSegmentation, AgreesWithOpenCvGraphSegmentation) {
  int identical = 0, total = 0;
  double agreeing = 0, pixels = 0;
  for (const cv::Mat &frame : noisy_frames())
    for (const float k : {150.f, 300.f, 600.f}) {
      const GraphSegmentationParams params{0.8, k, 55};
      cv::Mat expected;
      cv::ximgproc::segmentation::createGraphSegmentation(params.sigma, params.k, params.min_size)
          ->processImage(frame, expected);
      int n = 0;
      const cv::Mat got = refseg::segment_graph(frame, params, &n);
      ASSERT_EQ(got.size(), frame.size());
      ASSERT_EQ(got.type(), CV_32S);
      double max_label = 0;
      cv::minMaxLoc(expected, nullptr, &max_label);
      // OpenCV numbers segments in raster order of their first pixel too, so
      // equal partitions give equal label maps.
      const int equal = cv::countNonZero(got == expected);
      identical += equal == static_cast<int>(got.total());
      agreeing += equal;
      pixels += static_cast<double>(got.total());
      ++total;
      EXPECT_NEAR(n, static_cast<int>(max_label) + 1, 2) << "k " << k;
    }
  // Ties between equal weights are the only difference: most label maps are
  // identical, and the rest differ at a few pixels.
  EXPECT_GE(identical, total * 9 / 10) << identical << " of " << total;
  EXPECT_GE(agreeing / pixels, 0.999);
}

TEST(GraphSegmentation, LabelsAreConnectedLargeEnoughAndInRasterOrder) {
  const cv::Mat frame = noisy_frames()[0];
  const GraphSegmentationParams params{0.8, 300.f, 55};
  int n = 0;
  const cv::Mat labels = refseg::segment_graph(frame, params, &n);
  ASSERT_GT(n, 1);
  std::vector<int> size(n, 0);
  int next = 0;
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) {
      const int l = labels.at<int>(y, x);
      ASSERT_GE(l, 0);
      ASSERT_LT(l, n);
      if (size[l]++ == 0) {
        EXPECT_EQ(l, next) << "first pixel of a segment out of raster order";
        ++next;
      }
    }
  for (int l = 0; l < n; ++l) {
    EXPECT_GE(size[l], params.min_size) << "segment " << l;
    // One 4-connected component per segment.
    cv::Mat mask = labels == l, components;
    EXPECT_EQ(cv::connectedComponents(mask, components, 4), 2) << "segment " << l;
  }
}

TEST(GraphSegmentation, ScaleControlsSegmentCount) {
  const cv::Mat frame = noisy_frames()[0];
  int fine = 0, coarse = 0;
  refseg::segment_graph(frame, {0.8, 100.f, 20}, &fine);
  refseg::segment_graph(frame, {0.8, 1000.f, 20}, &coarse);
  EXPECT_GT(fine, coarse);
}

TEST(GraphSegmentation, UniformAndEmptyImages) {
  int n = -1;
  const cv::Mat labels = refseg::segment_graph(cv::Mat(40, 30, CV_8UC3, cv::Scalar(9, 80, 200)),
                                               GraphSegmentationParams{}, &n);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(cv::countNonZero(labels), 0);
  EXPECT_TRUE(refseg::segment_graph(cv::Mat(), GraphSegmentationParams{}, &n).empty());
  EXPECT_EQ(n, 0);
  refseg::segment_graph(cv::Mat(1, 1, CV_8UC1, cv::Scalar(3)), GraphSegmentationParams{}, &n);
  EXPECT_EQ(n, 1);
}

TEST(GraphSegmentation, ReusedBuffersGiveTheSameLabels) {
  const std::vector<cv::Mat> frames = noisy_frames();
  const GraphSegmentationParams params{0.8, 300.f, 55};
  refseg::GraphSegmentationBuffers buffers;
  cv::Mat labels;
  int n = 0;
  // A larger frame first, then a smaller one and a one-channel one: nothing
  // carries over from one call to the next.
  cv::Mat large;
  cv::resize(frames[2], large, cv::Size(640, 480));
  refseg::segment_graph(large, params, buffers, labels, &n);
  cv::Mat grey;
  cv::cvtColor(frames[0], grey, cv::COLOR_RGB2GRAY);
  for (const cv::Mat &frame : {frames[0], grey, frames[1]}) {
    refseg::segment_graph(frame, params, buffers, labels, &n);
    int fresh_n = 0;
    const cv::Mat fresh = refseg::segment_graph(frame, params, &fresh_n);
    EXPECT_EQ(n, fresh_n);
    EXPECT_EQ(cv::countNonZero(labels != fresh), 0);
  }
}

}  // namespace

// The contour statistics of hierarchical grouping on a label map drawn by
// hand: a two-tone object (two segments split by one straight edge) on a
// background, whose outline and inner boundary lengths are known.
#include <gtest/gtest.h>

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "proposals/region_hierarchy.h"

namespace {

using refseg::HierarchyRegion;

// 100 x 100, background label 0; a 40 x 40 square at (30, 30) whose top
// half is label 1 and bottom half label 2. The square is black on white,
// so its outline is a strong edge and the line between its halves none.
struct TwoToneSquare {
  cv::Mat labels{100, 100, CV_32S, cv::Scalar(0)};
  cv::Mat image{100, 100, CV_8UC3, cv::Scalar(255, 255, 255)};
  cv::Mat edge;
  TwoToneSquare() {
    labels(cv::Rect(30, 30, 40, 20)).setTo(1);
    labels(cv::Rect(30, 50, 40, 20)).setTo(2);
    image(cv::Rect(30, 30, 40, 40)).setTo(cv::Scalar(0, 0, 0));
    cv::Mat scratch[2];
    refseg::edge_strength(image, edge, scratch);
  }
};

const HierarchyRegion *region_of(const std::vector<HierarchyRegion> &regions,
                                 std::vector<int> segments) {
  std::sort(segments.begin(), segments.end());
  for (const HierarchyRegion &r : regions) {
    std::vector<int> mine = r.segments;
    std::sort(mine.begin(), mine.end());
    if (mine == segments) return &r;
  }
  return nullptr;
}

TEST(RegionHierarchy, InnerExtentIsTheInnerBoundaryOverTheOutline) {
  const TwoToneSquare s;
  const auto regions = refseg::group_regions(s.labels, 3, s.image, s.edge, {});
  // The two halves look alike and differ from the background: they merge
  // first, into the square.
  const HierarchyRegion *square = region_of(regions, {1, 2});
  ASSERT_NE(square, nullptr);
  // Outline: 4 x 40 pixel pairs; inner boundary: the 40 pairs across the
  // middle.
  EXPECT_NEAR(square->inner_extent, 40.0 / 160.0, 1e-6);
  EXPECT_GT(square->contour, 0.9f);        // black against white
  EXPECT_LT(square->inner_contour, 0.1f);  // black against black
  // One segment has no inner boundary.
  EXPECT_EQ(regions[1].inner_extent, 0.f);
  EXPECT_EQ(regions[1].inner_contour, 0.f);
}

}  // namespace

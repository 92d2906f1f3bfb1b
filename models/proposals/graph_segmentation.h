// Felzenszwalb-Huttenlocher graph segmentation (IJCV 2004) on a 4-connected
// pixel grid: the same segmentation criterion, smoothing, edge weights and
// small-segment pass as OpenCV's cv::ximgproc::segmentation::GraphSegmentation,
// computed faster (each edge weighed once, edges ordered by a radix sort,
// union-find with path halving).
//
// The one difference from OpenCV: edges of exactly equal weight are taken in
// a fixed order (raster order of their first pixel, the right neighbour
// before the one below) where OpenCV takes them in whatever order its
// std::sort leaves them, and OpenCV visits every edge twice (once from each
// end). The criterion only sees the order of edges, so segmentations agree
// wherever no tie between different components decides a merge.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace refseg {

struct GraphSegmentationParams {
  double sigma = 0.8;  // Gaussian smoothing before the weights (OpenCV clamps <= 0 to 0.001)
  float k = 300.f;     // scale: larger gives larger segments
  int min_size = 50;   // segments below this many pixels are merged into a neighbour
};

// image: CV_8U with 1 to 4 channels (any colour space; edge weight is the
// Euclidean distance of the smoothed pixels). Returns CV_32S labels in
// [0, *n_segments), numbered in raster order of each segment's first pixel.
// Deterministic. An empty image gives an empty Mat and 0 segments.
cv::Mat segment_graph(const cv::Mat &image, const GraphSegmentationParams &params, int *n_segments);

// Working memory of segment_graph, reusable between calls: once it has seen
// the largest image, a call allocates nothing. Contents between calls mean
// nothing.
struct GraphSegmentationBuffers {
  cv::Mat as_float, smoothed;
  std::vector<uint64_t> edges, scratch;
  std::vector<int> parent, size, label_of_root;
  std::vector<float> threshold;
};

// The same into `labels` (reallocated only when its size or type differs),
// with the given working memory.
void segment_graph(const cv::Mat &image, const GraphSegmentationParams &params,
                   GraphSegmentationBuffers &buffers, cv::Mat &labels, int *n_segments);

}  // namespace refseg

#include "proposals/graph_segmentation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace refseg {
namespace {

// An edge packed as (weight bits << 32) | id, id = 2 * first pixel + (0: right
// neighbour, 1: the one below). Non-negative floats order like their bit
// patterns, so sorting the top half sorts by weight.
using PackedEdge = uint64_t;

inline uint32_t weight_bits(float w) {
  uint32_t bits;
  std::memcpy(&bits, &w, sizeof bits);
  return bits;
}
inline float weight_of(PackedEdge e) {
  const uint32_t bits = static_cast<uint32_t>(e >> 32);
  float w;
  std::memcpy(&w, &bits, sizeof w);
  return w;
}

// Euclidean distance of two smoothed pixels, accumulated channel by channel
// in float (the rounding OpenCV's graph segmentation uses, so that equal
// colours give bit-equal weights either way).
template <int C>
inline float distance(const float *a, const float *b) {
  float total = 0.f;
  for (int c = 0; c < C; ++c) {
    const float d = a[c] - b[c];
    const float square = d * d;
    total += square;
  }
  return std::sqrt(total);
}

template <int C>
void build_edges(const cv::Mat &smoothed, std::vector<PackedEdge> &edges) {
  const int rows = smoothed.rows, cols = smoothed.cols;
  edges.clear();
  edges.reserve(2 * static_cast<size_t>(rows) * cols);
  for (int y = 0; y < rows; ++y) {
    const float *p = smoothed.ptr<float>(y);
    const float *below = y + 1 < rows ? smoothed.ptr<float>(y + 1) : nullptr;
    const uint64_t row_id = 2 * static_cast<uint64_t>(y) * cols;
    for (int x = 0; x < cols; ++x) {
      const uint64_t id = row_id + 2 * static_cast<uint64_t>(x);
      if (x + 1 < cols)
        edges.push_back(
            static_cast<uint64_t>(weight_bits(distance<C>(p + x * C, p + (x + 1) * C))) << 32 | id);
      if (below)
        edges.push_back(static_cast<uint64_t>(weight_bits(distance<C>(p + x * C, below + x * C)))
                            << 32 |
                        (id + 1));
    }
  }
}

// Stable LSD radix sort on the weight half, 11 bits per pass (the counts of
// all three passes in one read); a pass whose digit is the same for every
// edge is skipped. Stable: equal weights keep their id order.
void sort_by_weight(std::vector<PackedEdge> &edges, std::vector<PackedEdge> &scratch) {
  constexpr int kBits = 11, kBuckets = 1 << kBits, kPasses = 3;
  scratch.resize(edges.size());
  std::vector<uint32_t> count(kPasses * kBuckets, 0u);
  for (const PackedEdge e : edges) {
    const uint32_t key = static_cast<uint32_t>(e >> 32);
    ++count[key & (kBuckets - 1)];
    ++count[kBuckets + ((key >> kBits) & (kBuckets - 1))];
    ++count[2 * kBuckets + (key >> (2 * kBits))];
  }
  for (int pass = 0; pass < kPasses; ++pass) {
    uint32_t *c = &count[pass * kBuckets];
    if (std::find(c, c + kBuckets, static_cast<uint32_t>(edges.size())) != c + kBuckets) continue;
    uint32_t sum = 0;
    for (int b = 0; b < kBuckets; ++b) {
      const uint32_t here = c[b];
      c[b] = sum;
      sum += here;
    }
    const int shift = 32 + pass * kBits;
    for (const PackedEdge e : edges) scratch[c[(e >> shift) & (kBuckets - 1)]++] = e;
    edges.swap(scratch);
  }
}

// Disjoint sets of pixels over the buffers' arrays: union by size, path
// halving. Which pixel ends up as a set's root does not change the partition.
class PixelSets {
 public:
  PixelSets(int n, std::vector<int> &parent, std::vector<int> &size)
      : parent_(parent), size_(size) {
    parent_.resize(n);
    for (int i = 0; i < n; ++i) parent_[i] = i;
    size_.assign(n, 1);
  }
  int find(int p) {
    while (parent_[p] != p) {
      parent_[p] = parent_[parent_[p]];
      p = parent_[p];
    }
    return p;
  }
  // Joins two roots; returns the new root.
  int join(int a, int b) {
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    return a;
  }
  int size(int root) const { return size_[root]; }

 private:
  std::vector<int> &parent_, &size_;
};

}  // namespace

cv::Mat segment_graph(const cv::Mat &image, const GraphSegmentationParams &params,
                      int *n_segments) {
  GraphSegmentationBuffers buffers;
  cv::Mat labels;
  segment_graph(image, params, buffers, labels, n_segments);
  return labels;
}

void segment_graph(const cv::Mat &image, const GraphSegmentationParams &params,
                   GraphSegmentationBuffers &buffers, cv::Mat &labels, int *n_segments) {
  *n_segments = 0;
  if (image.empty()) {
    labels.release();
    return;
  }
  CV_Assert(image.depth() == CV_8U && image.channels() >= 1 && image.channels() <= 4);
  const int rows = image.rows, cols = image.cols, n = rows * cols;

  image.convertTo(buffers.as_float, CV_32F);
  const double sigma = params.sigma <= 0 ? 0.001 : params.sigma;
  cv::GaussianBlur(buffers.as_float, buffers.smoothed, cv::Size(0, 0), sigma, sigma);

  std::vector<PackedEdge> &edges = buffers.edges;
  switch (image.channels()) {
    case 1:
      build_edges<1>(buffers.smoothed, edges);
      break;
    case 2:
      build_edges<2>(buffers.smoothed, edges);
      break;
    case 3:
      build_edges<3>(buffers.smoothed, edges);
      break;
    default:
      build_edges<4>(buffers.smoothed, edges);
      break;
  }
  sort_by_weight(edges, buffers.scratch);

  auto endpoints = [cols](PackedEdge e) {
    const uint32_t id = static_cast<uint32_t>(e);
    const int p = static_cast<int>(id >> 1);
    return std::make_pair(p, (id & 1) ? p + cols : p + 1);
  };

  // The criterion: join two components across an edge when its weight is at
  // most each side's internal difference plus k / size.
  PixelSets sets(n, buffers.parent, buffers.size);
  std::vector<float> &threshold = buffers.threshold;
  threshold.assign(n, params.k);
  for (PackedEdge &e : edges) {
    const auto [from, to] = endpoints(e);
    const int a = sets.find(from), b = sets.find(to);
    if (a == b) continue;
    const float w = weight_of(e);
    if (w <= threshold[a] && w <= threshold[b]) {
      const int root = sets.join(a, b);
      threshold[root] = w + params.k / static_cast<float>(sets.size(root));
      e = static_cast<uint32_t>(e);  // weight 0: not revisited below
    }
  }
  // Segments below min_size join a neighbour, in edge order; edges of weight
  // 0 (joined above, or inside a flat area) are skipped as OpenCV does.
  for (const PackedEdge e : edges) {
    if ((e >> 32) == 0) continue;
    const auto [from, to] = endpoints(e);
    const int a = sets.find(from), b = sets.find(to);
    if (a != b && (sets.size(a) < params.min_size || sets.size(b) < params.min_size))
      sets.join(a, b);
  }

  labels.create(rows, cols, CV_32S);
  std::vector<int> &label_of_root = buffers.label_of_root;
  label_of_root.assign(n, -1);
  int next = 0;
  for (int y = 0; y < rows; ++y) {
    int *out = labels.ptr<int>(y);
    for (int x = 0; x < cols; ++x) {
      const int root = sets.find(y * cols + x);
      if (label_of_root[root] < 0) label_of_root[root] = next++;
      out[x] = label_of_root[root];
    }
  }
  *n_segments = next;
}

}  // namespace refseg

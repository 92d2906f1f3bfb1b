#include "proposals/region_hierarchy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include <opencv2/imgproc.hpp>

namespace refseg {
namespace {

constexpr int kColourBins = 25;                               // per channel
constexpr int kOrientations = 8, kMagnitudes = 10;            // per channel
constexpr int kColourDim = 3 * kColourBins;                   // 75
constexpr int kTextureDim = 3 * kOrientations * kMagnitudes;  // 240
constexpr float kMagnitudeStep = 24.f;                        // Sobel units per magnitude bin

struct RegionStats {
  std::vector<float> colour, texture;  // L1-normalised histograms
  Box box;
  long size = 0;
};

float intersection(const std::vector<float> &a, const std::vector<float> &b) {
  float s = 0.f;
  for (size_t i = 0; i < a.size(); ++i) s += std::min(a[i], b[i]);
  return s;
}

Box box_union(const Box &a, const Box &b) {
  const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  const int x1 = std::max(a.x + a.width, b.x + b.width),
            y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

void normalise(std::vector<float> &h) {
  float s = 0.f;
  for (float v : h) s += v;
  if (s > 0.f)
    for (float &v : h) v /= s;
}

// Which of 8 45-degree sectors (counter-clockwise from +x) a gradient points
// into, by signs and one comparison instead of atan2 (this runs 3x per pixel).
inline int orientation_sector(float gx, float gy) {
  if (gy >= 0 && gx > 0) return gy < gx ? 0 : 1;
  if (gy > 0 && gx <= 0) return gy > -gx ? 2 : 3;
  if (gy <= 0 && gx < 0) return -gy < -gx ? 4 : 5;
  if (gy < 0 && gx >= 0) return -gy > gx ? 6 : 7;
  return 0;  // no gradient
}

// Per-pixel texture bin of each channel: gradient orientation (8 sectors) x
// gradient magnitude (10 steps), from 3x3 Sobel derivatives.
cv::Mat texture_bins(const cv::Mat &image) {
  cv::Mat gx, gy;
  cv::Sobel(image, gx, CV_32F, 1, 0, 3);
  cv::Sobel(image, gy, CV_32F, 0, 1, 3);
  cv::Mat bins(image.size(), CV_16UC3);
  for (int y = 0; y < image.rows; ++y) {
    const cv::Vec3f *dx = gx.ptr<cv::Vec3f>(y), *dy = gy.ptr<cv::Vec3f>(y);
    cv::Vec3w *out = bins.ptr<cv::Vec3w>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        const float mag = std::sqrt(dx[x][c] * dx[x][c] + dy[x][c] * dy[x][c]);
        const int m = std::min(kMagnitudes - 1, static_cast<int>(mag / kMagnitudeStep));
        const int o = orientation_sector(dx[x][c], dy[x][c]);
        out[x][c] = static_cast<uint16_t>((c * kOrientations + o) * kMagnitudes + m);
      }
  }
  return bins;
}

std::vector<RegionStats> initial_stats(const cv::Mat &labels, int n, const cv::Mat &image) {
  std::vector<RegionStats> stats(n);
  std::vector<int> x0(n, INT32_MAX), y0(n, INT32_MAX), x1(n, -1), y1(n, -1);
  for (auto &s : stats) {
    s.colour.assign(kColourDim, 0.f);
    s.texture.assign(kTextureDim, 0.f);
  }
  const cv::Mat tex = texture_bins(image);
  for (int y = 0; y < labels.rows; ++y) {
    const int *l = labels.ptr<int>(y);
    const cv::Vec3b *px = image.ptr<cv::Vec3b>(y);
    const cv::Vec3w *t = tex.ptr<cv::Vec3w>(y);
    for (int x = 0; x < labels.cols; ++x) {
      RegionStats &s = stats[l[x]];
      ++s.size;
      for (int c = 0; c < 3; ++c) {
        s.colour[c * kColourBins + px[x][c] * kColourBins / 256] += 1.f;
        s.texture[t[x][c]] += 1.f;
      }
      x0[l[x]] = std::min(x0[l[x]], x);
      x1[l[x]] = std::max(x1[l[x]], x);
      y0[l[x]] = std::min(y0[l[x]], y);
      y1[l[x]] = std::max(y1[l[x]], y);
    }
  }
  for (int i = 0; i < n; ++i) {
    normalise(stats[i].colour);
    normalise(stats[i].texture);
    if (stats[i].size > 0) stats[i].box = {x0[i], y0[i], x1[i] - x0[i] + 1, y1[i] - y0[i] + 1};
  }
  return stats;
}

// Pairs of 4-connected neighbouring segments, smaller label first.
std::set<std::pair<int, int>> adjacent_pairs(const cv::Mat &labels) {
  std::set<std::pair<int, int>> pairs;
  auto add = [&](int a, int b) {
    if (a != b) pairs.insert({std::min(a, b), std::max(a, b)});
  };
  for (int y = 0; y < labels.rows; ++y) {
    const int *l = labels.ptr<int>(y);
    const int *below = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
    for (int x = 0; x < labels.cols; ++x) {
      if (x + 1 < labels.cols) add(l[x], l[x + 1]);
      if (below) add(l[x], below[x]);
    }
  }
  return pairs;
}

}  // namespace

std::vector<HierarchyRegion> group_regions(const cv::Mat &labels, int n_segments,
                                           const cv::Mat &image, const SimilarityTerms &terms) {
  CV_Assert(labels.type() == CV_32S && image.type() == CV_8UC3 && labels.size() == image.size());
  std::vector<RegionStats> stats = initial_stats(labels, n_segments, image);
  const double image_size = static_cast<double>(labels.total());

  std::vector<HierarchyRegion> regions(n_segments);
  for (int i = 0; i < n_segments; ++i) {
    regions[i].segments = {i};
    regions[i].box = stats[i].box;
    regions[i].size = stats[i].size;
  }

  auto appearance = [&](int a, int b) {
    return 0.5f * (intersection(stats[a].colour, stats[b].colour) +
                   intersection(stats[a].texture, stats[b].texture));
  };
  auto similarity = [&](int a, int b) {
    double s = 0;
    if (terms.colour) s += intersection(stats[a].colour, stats[b].colour);
    if (terms.texture) s += intersection(stats[a].texture, stats[b].texture);
    const double both = static_cast<double>(stats[a].size + stats[b].size);
    if (terms.size) s += 1.0 - both / image_size;
    if (terms.fill) s += 1.0 - (box_union(stats[a].box, stats[b].box).area() - both) / image_size;
    return s;
  };

  // Merge queue ordered by similarity (highest first), then by the pair's
  // indices so that equal similarities merge in a fixed order.
  using Entry = std::tuple<double, int, int>;
  auto cmp = [](const Entry &l, const Entry &r) {
    if (std::get<0>(l) != std::get<0>(r)) return std::get<0>(l) > std::get<0>(r);
    return std::make_pair(std::get<1>(l), std::get<2>(l)) <
           std::make_pair(std::get<1>(r), std::get<2>(r));
  };
  std::set<Entry, decltype(cmp)> queue(cmp);
  std::map<std::pair<int, int>, double> pair_similarity;
  std::vector<std::set<int>> neighbours(n_segments);
  auto link = [&](int a, int b) {
    const auto key = std::make_pair(std::min(a, b), std::max(a, b));
    const double s = similarity(key.first, key.second);
    pair_similarity[key] = s;
    queue.insert({s, key.first, key.second});
    neighbours[a].insert(b);
    neighbours[b].insert(a);
  };
  auto unlink = [&](int a, int b) {
    const auto key = std::make_pair(std::min(a, b), std::max(a, b));
    const auto it = pair_similarity.find(key);
    if (it == pair_similarity.end()) return;
    queue.erase({it->second, key.first, key.second});
    pair_similarity.erase(it);
    neighbours[a].erase(b);
    neighbours[b].erase(a);
  };
  for (const auto &p : adjacent_pairs(labels)) link(p.first, p.second);

  while (!queue.empty()) {
    const auto [s, a, b] = *queue.begin();
    static_cast<void>(s);
    const int c = static_cast<int>(regions.size());

    RegionStats merged;
    merged.size = stats[a].size + stats[b].size;
    merged.box = box_union(stats[a].box, stats[b].box);
    const float wa = static_cast<float>(stats[a].size) / merged.size, wb = 1.f - wa;
    merged.colour.resize(kColourDim);
    merged.texture.resize(kTextureDim);
    for (int i = 0; i < kColourDim; ++i)
      merged.colour[i] = wa * stats[a].colour[i] + wb * stats[b].colour[i];
    for (int i = 0; i < kTextureDim; ++i)
      merged.texture[i] = wa * stats[a].texture[i] + wb * stats[b].texture[i];

    for (int r : {a, b}) {
      float most_similar = 0.f;
      for (int n : neighbours[r]) most_similar = std::max(most_similar, appearance(r, n));
      regions[r].isolation = 1.f - most_similar;
    }
    HierarchyRegion region;
    region.segments = regions[a].segments;
    region.segments.insert(region.segments.end(), regions[b].segments.begin(),
                           regions[b].segments.end());
    region.box = merged.box;
    region.size = merged.size;
    regions.push_back(std::move(region));
    stats.push_back(std::move(merged));
    neighbours.emplace_back();

    std::set<int> around = neighbours[a];
    around.insert(neighbours[b].begin(), neighbours[b].end());
    around.erase(a);
    around.erase(b);
    for (int n : std::set<int>(neighbours[a])) unlink(a, n);
    for (int n : std::set<int>(neighbours[b])) unlink(b, n);
    for (int n : around) link(n, c);
  }
  return regions;
}

RegionMask render_region(const HierarchyRegion &region, const cv::Mat &labels, int n_segments,
                         float score) {
  RegionMask out;
  out.score = score;
  out.box = region.box;
  if (region.box.empty()) return out;
  std::vector<uint8_t> member(n_segments, 0);
  for (int s : region.segments) member[s] = 255;
  out.pixels.resize(static_cast<size_t>(region.box.area()));
  for (int y = 0; y < region.box.height; ++y) {
    const int *l = labels.ptr<int>(region.box.y + y) + region.box.x;
    uint8_t *dst = &out.pixels[static_cast<size_t>(y) * region.box.width];
    for (int x = 0; x < region.box.width; ++x) dst[x] = member[l[x]];
  }
  return out;
}

}  // namespace refseg

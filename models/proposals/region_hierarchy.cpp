#include "proposals/region_hierarchy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

namespace refseg {
namespace {

constexpr int kColourBins = 25;                               // per channel
constexpr int kOrientations = 8, kMagnitudes = 10;            // per channel
constexpr int kColourDim = 3 * kColourBins;                   // 75
constexpr int kTextureDim = 3 * kOrientations * kMagnitudes;  // 240
constexpr float kMagnitudeStep = 24.f;                        // Sobel units per magnitude bin

float intersection(const float *a, const float *b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; ++i) s += std::min(a[i], b[i]);
  return s;
}

Box box_union(const Box &a, const Box &b) {
  const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  const int x1 = std::max(a.x + a.width, b.x + b.width),
            y1 = std::max(a.y + a.height, b.y + b.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

// Which of 8 45-degree sectors (counter-clockwise from +x) a gradient points
// into, by signs and one comparison instead of atan2 (this runs 3x per
// pixel). No gradient is sector 0.
inline int orientation_sector(int gx, int gy) {
  if (gy >= 0 && gx > 0) return gy < gx ? 0 : 1;
  if (gy > 0 && gx <= 0) return gy > -gx ? 2 : 3;
  if (gy <= 0 && gx < 0) return -gy < -gx ? 4 : 5;
  if (gy < 0 && gx >= 0) return -gy > gx ? 6 : 7;
  return 0;  // no gradient
}

// The texture bin of one channel's gradient without its channel offset:
// orientation sector x magnitude step, the step min(9, floor(|g| / 24)).
// (The 3x3 Sobel derivatives of 8-bit pixels are integers, so the squared
// magnitude is exact in float.)
inline int texture_code(int gx, int gy) {
  const float magnitude = std::sqrt(static_cast<float>(gx * gx + gy * gy));
  const int m = std::min(kMagnitudes - 1, static_cast<int>(magnitude / kMagnitudeStep));
  return orientation_sector(gx, gy) * kMagnitudes + m;
}

// texture_code of n derivative pairs, eight at a time where the CPU has
// 128-bit SIMD. The sector: the gradient turned by a multiple of 90 degrees
// into the first quadrant (x > 0, y >= 0), where it is 0 below the diagonal
// and 1 on or above it. The magnitude step: the number of k in 1..9 with
// gx^2 + gy^2 >= (24 k)^2, in integers (the float formula's value, as the
// squares are exact).
void texture_codes(const int16_t *dx, const int16_t *dy, uint16_t *out, int n) {
  int i = 0;
#if CV_SIMD128
  using cv::v_int16x8;
  using cv::v_int32x4;
  const v_int16x8 zero = cv::v_setzero_s16(), one = cv::v_setall_s16(1);
  const v_int16x8 two = cv::v_setall_s16(2), three = cv::v_setall_s16(3);
  const v_int16x8 steps = cv::v_setall_s16(kMagnitudes);
  v_int32x4 step_starts[kMagnitudes - 1];
  for (int k = 1; k < kMagnitudes; ++k) {
    const int start = static_cast<int>(kMagnitudeStep) * k;
    step_starts[k - 1] = cv::v_setall_s32(start * start - 1);
  }
  for (; i + 8 <= n; i += 8) {
    const v_int16x8 gx = cv::v_load(dx + i), gy = cv::v_load(dy + i);
    const v_int16x8 gx_pos = gx > zero;
    const v_int16x8 gx_neg = zero > gx;
    const v_int16x8 gy_pos = gy > zero;
    const v_int16x8 gy_neg = zero > gy;
    const v_int16x8 q1 = gx_pos & ~gy_neg;  // gy >= 0, gx > 0
    const v_int16x8 q2 = gy_pos & ~gx_pos;  // gy > 0, gx <= 0
    const v_int16x8 q3 = gx_neg & ~gy_pos;  // gy <= 0, gx < 0 (else gy < 0, gx >= 0, or none)
    const v_int16x8 ngx = zero - gx, ngy = zero - gy;
    const v_int16x8 u = cv::v_select(q1, gx, cv::v_select(q2, gy, cv::v_select(q3, ngx, ngy)));
    const v_int16x8 v = cv::v_select(q1, gy, cv::v_select(q2, ngx, cv::v_select(q3, ngy, gx)));
    const v_int16x8 quadrant =
        cv::v_select(q1, zero, cv::v_select(q2, one, cv::v_select(q3, two, three)));
    const v_int16x8 none = (gx == zero) & (gy == zero);
    const v_int16x8 sector = cv::v_select(none, zero, quadrant + quadrant + ((v >= u) & one));
    v_int16x8 lo, hi;
    cv::v_zip(gx, gy, lo, hi);
    const v_int32x4 square_lo = cv::v_dotprod(lo, lo), square_hi = cv::v_dotprod(hi, hi);
    v_int32x4 m_lo = cv::v_setzero_s32(), m_hi = cv::v_setzero_s32();
    for (const v_int32x4 &start : step_starts) {  // comparisons give -1 where true
      m_lo = m_lo - (square_lo > start);
      m_hi = m_hi - (square_hi > start);
    }
    const v_int16x8 code = sector * steps + cv::v_pack(m_lo, m_hi);
    cv::v_store(reinterpret_cast<int16_t *>(out + i), code);
  }
#endif
  for (; i < n; ++i) out[i] = static_cast<uint16_t>(texture_code(dx[i], dy[i]));
}

// Per-pixel texture bin of each channel: gradient orientation (8 sectors) x
// gradient magnitude (10 steps), from 3x3 Sobel derivatives.
void texture_bins(const cv::Mat &image, GroupingBuffers &buffers) {
  cv::Sobel(image, buffers.gx, CV_16S, 1, 0, 3);
  cv::Sobel(image, buffers.gy, CV_16S, 0, 1, 3);
  buffers.texture_bins.create(image.size(), CV_16UC3);
  const int n = 3 * image.cols;
  for (int y = 0; y < image.rows; ++y) {
    uint16_t *out = buffers.texture_bins.ptr<uint16_t>(y);
    texture_codes(buffers.gx.ptr<int16_t>(y), buffers.gy.ptr<int16_t>(y), out, n);
    // Channel c's bins come after those of the channels before it.
    for (int i = 0; i < n; i += 3) {
      out[i + 1] += kOrientations * kMagnitudes;
      out[i + 2] += 2 * kOrientations * kMagnitudes;
    }
  }
}

// Length (pixel pairs) and summed edge strength of a stretch of boundary.
struct Boundary {
  double length = 0, strength = 0;
  Boundary &operator+=(const Boundary &o) {
    length += o.length;
    strength += o.strength;
    return *this;
  }
  float mean() const { return length > 0 ? static_cast<float>(strength / length) : 0.f; }
};

// Region statistics in flat arrays, one row per region (initial segments
// first, merged regions appended): L1-normalised colour and texture
// histograms, box, size.
struct RegionStats {
  std::vector<float> &colour, &texture;
  std::vector<Box> box;
  std::vector<long> size;
  const float *colour_of(int r) const { return &colour[static_cast<size_t>(r) * kColourDim]; }
  const float *texture_of(int r) const { return &texture[static_cast<size_t>(r) * kTextureDim]; }
  float *colour_of(int r) { return &colour[static_cast<size_t>(r) * kColourDim]; }
  float *texture_of(int r) { return &texture[static_cast<size_t>(r) * kTextureDim]; }
};

// Pixel counts per initial segment, normalised into the first n rows.
void initial_stats(const cv::Mat &labels, int n, const cv::Mat &image, GroupingBuffers &buffers,
                   RegionStats &stats) {
  texture_bins(image, buffers);
  std::vector<int32_t> &colour = buffers.colour_counts, &texture = buffers.texture_counts;
  colour.assign(static_cast<size_t>(n) * kColourDim, 0);
  texture.assign(static_cast<size_t>(n) * kTextureDim, 0);
  std::vector<int> x0(n, INT32_MAX), y0(n, INT32_MAX), x1(n, -1), y1(n, -1);
  stats.size.assign(n, 0);
  // Colour bin of a channel value (v * 25 / 256), offset by the channel.
  uint8_t bin[3][256];
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      bin[c][v] = static_cast<uint8_t>(c * kColourBins + v * kColourBins / 256);
  for (int y = 0; y < labels.rows; ++y) {
    const int *l = labels.ptr<int>(y);
    const cv::Vec3b *px = image.ptr<cv::Vec3b>(y);
    const cv::Vec3w *t = buffers.texture_bins.ptr<cv::Vec3w>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int r = l[x];
      ++stats.size[r];
      int32_t *cc = &colour[static_cast<size_t>(r) * kColourDim];
      int32_t *tc = &texture[static_cast<size_t>(r) * kTextureDim];
      for (int c = 0; c < 3; ++c) {
        ++cc[bin[c][px[x][c]]];
        ++tc[t[x][c]];
      }
      x0[r] = std::min(x0[r], x);
      x1[r] = std::max(x1[r], x);
      y0[r] = std::min(y0[r], y);
      y1[r] = std::max(y1[r], y);
    }
  }
  // Merged regions append a row each: room for all n - 1 of them up front.
  stats.colour.resize(static_cast<size_t>(2 * n) * kColourDim);
  stats.texture.resize(static_cast<size_t>(2 * n) * kTextureDim);
  stats.box.assign(n, Box{});
  auto normalise = [](const int32_t *counts, float *out, int dim) {
    // The counts are below 2^24: the float sum is exact.
    float s = 0.f;
    for (int i = 0; i < dim; ++i) s += static_cast<float>(counts[i]);
    for (int i = 0; i < dim; ++i) out[i] = s > 0.f ? static_cast<float>(counts[i]) / s : 0.f;
  };
  for (int i = 0; i < n; ++i) {
    normalise(&colour[static_cast<size_t>(i) * kColourDim], stats.colour_of(i), kColourDim);
    normalise(&texture[static_cast<size_t>(i) * kTextureDim], stats.texture_of(i), kTextureDim);
    if (stats.size[i] > 0) stats.box[i] = {x0[i], y0[i], x1[i] - x0[i] + 1, y1[i] - y0[i] + 1};
  }
}

// Pairs of 4-connected neighbouring segments, smaller label first, sorted,
// with their shared boundary: one unit of length per pair of neighbouring
// pixels across it, whose strength is the larger edge strength of the two.
std::vector<std::pair<std::pair<int, int>, Boundary>> adjacent_pairs(const cv::Mat &labels,
                                                                     const cv::Mat &edge) {
  std::vector<std::tuple<int, int, float>> crossings;
  auto add = [&](int a, int b, float e) {
    if (a != b) crossings.emplace_back(std::min(a, b), std::max(a, b), e);
  };
  for (int y = 0; y < labels.rows; ++y) {
    const int *l = labels.ptr<int>(y);
    const int *below = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
    const float *e = edge.ptr<float>(y);
    const float *e_below = below ? edge.ptr<float>(y + 1) : nullptr;
    for (int x = 0; x < labels.cols; ++x) {
      if (x + 1 < labels.cols) add(l[x], l[x + 1], std::max(e[x], e[x + 1]));
      if (below) add(l[x], below[x], std::max(e[x], e_below[x]));
    }
  }
  std::sort(crossings.begin(), crossings.end(), [](const auto &u, const auto &v) {
    return std::make_pair(std::get<0>(u), std::get<1>(u)) <
           std::make_pair(std::get<0>(v), std::get<1>(v));
  });
  std::vector<std::pair<std::pair<int, int>, Boundary>> pairs;
  for (const auto &[a, b, e] : crossings) {
    if (pairs.empty() || pairs.back().first != std::make_pair(a, b))
      pairs.push_back({{a, b}, Boundary{}});
    pairs.back().second += Boundary{1.0, static_cast<double>(e)};
  }
  return pairs;
}

}  // namespace

void edge_strength(const cv::Mat &image, cv::Mat &edge, cv::Mat scratch[2]) {
  CV_Assert(image.type() == CV_8UC3);
  cv::Mat &gx = scratch[0], &gy = scratch[1];
  cv::Sobel(image, gx, CV_16S, 1, 0, 3);
  cv::Sobel(image, gy, CV_16S, 0, 1, 3);
  edge.create(image.size(), CV_32F);
  constexpr float kSaturation = 4.f * 80.f;  // 3x3 Sobel: 4 x the step
  for (int y = 0; y < image.rows; ++y) {
    const int16_t *dx = gx.ptr<int16_t>(y), *dy = gy.ptr<int16_t>(y);
    float *out = edge.ptr<float>(y);
    for (int x = 0; x < image.cols; ++x) {
      float sum = 0.f;
      for (int c = 0; c < 3; ++c) {
        const float u = dx[3 * x + c], v = dy[3 * x + c];
        sum += u * u + v * v;
      }
      out[x] = std::min(1.f, std::sqrt(sum) / kSaturation);
    }
  }
}

std::vector<HierarchyRegion> group_regions(const cv::Mat &labels, int n_segments,
                                           const cv::Mat &image, const cv::Mat &edge,
                                           const SimilarityTerms &terms) {
  GroupingBuffers buffers;
  return group_regions(labels, n_segments, image, edge, terms, buffers);
}

std::vector<HierarchyRegion> group_regions(const cv::Mat &labels, int n_segments,
                                           const cv::Mat &image, const cv::Mat &edge,
                                           const SimilarityTerms &terms, GroupingBuffers &buffers) {
  CV_Assert(labels.type() == CV_32S && image.type() == CV_8UC3 && labels.size() == image.size() &&
            edge.type() == CV_32F && edge.size() == image.size());
  RegionStats stats{buffers.colour, buffers.texture, {}, {}};
  initial_stats(labels, n_segments, image, buffers, stats);
  const double image_size = static_cast<double>(labels.total());

  std::vector<HierarchyRegion> regions(n_segments);
  regions.reserve(2 * static_cast<size_t>(std::max(1, n_segments)));
  for (int i = 0; i < n_segments; ++i) {
    regions[i].segments = {i};
    regions[i].box = stats.box[i];
    regions[i].size = stats.size[i];
  }

  auto appearance = [&](int a, int b) {
    return 0.5f * (intersection(stats.colour_of(a), stats.colour_of(b), kColourDim) +
                   intersection(stats.texture_of(a), stats.texture_of(b), kTextureDim));
  };
  // Shared boundary of each pair of neighbouring regions, and each region's
  // whole outer boundary.
  std::map<std::pair<int, int>, Boundary> shared;
  std::vector<Boundary> outer(n_segments), inner(n_segments);
  auto similarity = [&](int a, int b) {
    double s = 0;
    if (terms.colour) s += intersection(stats.colour_of(a), stats.colour_of(b), kColourDim);
    if (terms.texture) s += intersection(stats.texture_of(a), stats.texture_of(b), kTextureDim);
    const double both = static_cast<double>(stats.size[a] + stats.size[b]);
    if (terms.size) s += 1.0 - both / image_size;
    if (terms.fill) s += 1.0 - (box_union(stats.box[a], stats.box[b]).area() - both) / image_size;
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
    shared.erase(key);
    neighbours[a].erase(b);
    neighbours[b].erase(a);
  };
  for (const auto &[pair, boundary] : adjacent_pairs(labels, edge)) {
    shared[pair] = boundary;
    outer[pair.first] += boundary;
    outer[pair.second] += boundary;
  }
  for (const auto &entry : shared) link(entry.first.first, entry.first.second);

  while (!queue.empty()) {
    const auto [s, a, b] = *queue.begin();
    static_cast<void>(s);
    const int c = static_cast<int>(regions.size());

    // The merged region's statistics: sizes add, boxes unite, histograms
    // are the size-weighted means.
    const long size = stats.size[a] + stats.size[b];
    stats.size.push_back(size);
    stats.box.push_back(box_union(stats.box[a], stats.box[b]));
    const float wa = static_cast<float>(stats.size[a]) / size, wb = 1.f - wa;
    {
      const float *ca = stats.colour_of(a), *cb = stats.colour_of(b);
      float *cc = stats.colour_of(c);
      for (int i = 0; i < kColourDim; ++i) cc[i] = wa * ca[i] + wb * cb[i];
      const float *ta = stats.texture_of(a), *tb = stats.texture_of(b);
      float *tc = stats.texture_of(c);
      for (int i = 0; i < kTextureDim; ++i) tc[i] = wa * ta[i] + wb * tb[i];
    }

    for (int r : {a, b}) {
      float most_similar = 0.f;
      for (int n : neighbours[r]) most_similar = std::max(most_similar, appearance(r, n));
      regions[r].isolation = 1.f - most_similar;
      regions[r].contour = outer[r].mean();
      regions[r].inner_contour = inner[r].mean();
      regions[r].inner_extent =
          outer[r].length > 0 ? static_cast<float>(inner[r].length / outer[r].length) : 0.f;
    }
    // The merged region's boundaries: each neighbour's with a and with b
    // together; its outer boundary is a's and b's less the one between them.
    const Boundary between = shared.at({a, b});
    Boundary merged_outer = outer[a];
    merged_outer += outer[b];
    merged_outer.length -= 2 * between.length;
    merged_outer.strength -= 2 * between.strength;
    outer.push_back(merged_outer);
    Boundary merged_inner = inner[a];
    merged_inner += inner[b];
    merged_inner += between;
    inner.push_back(merged_inner);
    HierarchyRegion region;
    region.segments = regions[a].segments;
    region.segments.insert(region.segments.end(), regions[b].segments.begin(),
                           regions[b].segments.end());
    region.box = stats.box[c];
    region.size = size;
    regions.push_back(std::move(region));
    neighbours.emplace_back();

    std::set<int> around = neighbours[a];
    around.insert(neighbours[b].begin(), neighbours[b].end());
    around.erase(a);
    around.erase(b);
    std::vector<Boundary> with_c;
    for (int n : around) {
      Boundary sum;
      for (int r : {a, b}) {
        const auto it = shared.find({std::min(r, n), std::max(r, n)});
        if (it != shared.end()) sum += it->second;
      }
      with_c.push_back(sum);
    }
    for (int n : std::set<int>(neighbours[a])) unlink(a, n);
    for (int n : std::set<int>(neighbours[b])) unlink(b, n);
    size_t k = 0;
    for (int n : around) {
      shared[{n, c}] = with_c[k++];  // n < c: c is the newest region
      link(n, c);
    }
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

#include "proposals/frame_image.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace refseg {

cv::Mat wrap_frame(const ImageView &frame) {
  const int type = bytes_per_pixel(frame.layout) == 3 ? CV_8UC3 : CV_8UC4;
  return cv::Mat(frame.height, frame.width, type, const_cast<uint8_t *>(frame.data),
                 static_cast<size_t>(frame.stride));
}

namespace {

// One source pixel's share of a destination pixel along one axis.
struct AreaTap {
  int source;
  float weight;
};

// The taps of each destination index along an axis of src_n pixels shrunk
// to dst_n by `scale` = src_n / dst_n (>= 1): destination d averages the
// source cell [d * scale, (d + 1) * scale), partly covered pixels weighted by
// their overlap (less than 1e-3 of a pixel ignored). The same weights, in
// the same order and float rounding, as cv::resize's INTER_AREA tables, so
// that area_shrink below gives its bytes exactly. Taps of d are
// taps[first[d]] .. taps[first[d + 1] - 1].
void area_taps(int src_n, int dst_n, double scale, std::vector<int> &first,
               std::vector<AreaTap> &taps) {
  first.assign(dst_n + 1, 0);
  taps.clear();
  for (int d = 0; d < dst_n; ++d) {
    first[d] = static_cast<int>(taps.size());
    const double begin = d * scale, end = begin + scale;
    const double cell = std::min(scale, src_n - begin);
    int whole_begin = static_cast<int>(std::ceil(begin)),
        whole_end = static_cast<int>(std::floor(end));
    whole_end = std::min(whole_end, src_n - 1);
    whole_begin = std::min(whole_begin, whole_end);
    if (whole_begin - begin > 1e-3)
      taps.push_back({whole_begin - 1, static_cast<float>((whole_begin - begin) / cell)});
    for (int s = whole_begin; s < whole_end; ++s)
      taps.push_back({s, static_cast<float>(1.0 / cell)});
    if (end - whole_end > 1e-3)
      taps.push_back(
          {whole_end, static_cast<float>(std::min(std::min(end - whole_end, 1.), cell) / cell)});
  }
  first[dst_n] = static_cast<int>(taps.size());
}

// One source row averaged across: out[d * CN + c] for each destination column.
template <int CN>
void shrink_row(const uint8_t *row, const std::vector<int> &first, const std::vector<AreaTap> &taps,
                int dst_w, float *out) {
  for (int d = 0; d < dst_w; ++d) {
    float acc[CN] = {};
    for (int t = first[d]; t < first[d + 1]; ++t) {
      const uint8_t *px = row + taps[t].source * CN;
      for (int c = 0; c < CN; ++c) acc[c] = acc[c] + px[c] * taps[t].weight;
    }
    for (int c = 0; c < CN; ++c) out[d * CN + c] = acc[c];
  }
}

// Area-averaging shrink of an 8-bit image with CN channels to `size`, for
// scales >= 1 that are not whole numbers on both axes (where cv::resize takes
// another path): the bytes cv::resize(..., INTER_AREA) gives, computed with
// each source row averaged across once instead of once per destination row
// it contributes to.
template <int CN>
void area_shrink(const cv::Mat &src, cv::Size size, cv::Mat &dst) {
  const double scale_x = 1. / (static_cast<double>(size.width) / src.cols),
               scale_y = 1. / (static_cast<double>(size.height) / src.rows);
  std::vector<int> first_x, first_y;
  std::vector<AreaTap> taps_x, taps_y;
  area_taps(src.cols, size.width, scale_x, first_x, taps_x);
  area_taps(src.rows, size.height, scale_y, first_y, taps_y);
  const int n = size.width * CN;
  std::vector<float> across(n), sum(n);
  int across_row = -1;  // the source row `across` holds
  dst.create(size, CV_MAKETYPE(CV_8U, CN));
  for (int d = 0; d < size.height; ++d) {
    for (int t = first_y[d]; t < first_y[d + 1]; ++t) {
      const int s = taps_y[t].source;
      if (s != across_row) {
        shrink_row<CN>(src.ptr<uint8_t>(s), first_x, taps_x, size.width, across.data());
        across_row = s;
      }
      const float beta = taps_y[t].weight;
      if (t == first_y[d])
        for (int i = 0; i < n; ++i) sum[i] = beta * across[i];
      else
        for (int i = 0; i < n; ++i) sum[i] += beta * across[i];
    }
    uint8_t *out = dst.ptr<uint8_t>(d);
    for (int i = 0; i < n; ++i)
      out[i] = static_cast<uint8_t>(std::clamp(static_cast<int>(std::lrint(sum[i])), 0, 255));
  }
}

}  // namespace

void shrink_area(const cv::Mat &src, cv::Size size, cv::Mat &dst) {
  CV_Assert(src.depth() == CV_8U && size.width > 0 && size.height > 0 && size.width <= src.cols &&
            size.height <= src.rows);
  // cv::resize's own scale expressions and its test for its whole-number path.
  const double scale_x = 1. / (static_cast<double>(size.width) / src.cols),
               scale_y = 1. / (static_cast<double>(size.height) / src.rows);
  const bool whole = std::abs(scale_x - std::lround(scale_x)) < DBL_EPSILON &&
                     std::abs(scale_y - std::lround(scale_y)) < DBL_EPSILON;
  if (whole || size == src.size()) {
    cv::resize(src, dst, size, 0, 0, cv::INTER_AREA);
    return;
  }
  switch (src.channels()) {
    case 1:
      area_shrink<1>(src, size, dst);
      break;
    case 3:
      area_shrink<3>(src, size, dst);
      break;
    case 4:
      area_shrink<4>(src, size, dst);
      break;
    default:
      cv::resize(src, dst, size, 0, 0, cv::INTER_AREA);
      break;
  }
}

cv::Size working_size(int width, int height, int long_side) {
  const int longest = std::max(width, height);
  if (long_side <= 0 || longest <= long_side) return {width, height};
  const double s = static_cast<double>(long_side) / longest;
  return {std::max(1, static_cast<int>(std::lround(width * s))),
          std::max(1, static_cast<int>(std::lround(height * s)))};
}

cv::Mat frame_to_rgb(const ImageView &frame, int long_side) {
  if (frame.data == nullptr || frame.width <= 0 || frame.height <= 0) return {};
  const cv::Mat src = wrap_frame(frame);
  const cv::Size size = working_size(frame.width, frame.height, long_side);
  cv::Mat small = src;
  if (size != src.size()) shrink_area(src, size, small);
  cv::Mat rgb;
  switch (frame.layout) {
    case PixelLayout::RGB:
      rgb = small.data == src.data ? small.clone() : small;
      break;
    case PixelLayout::BGR:
      cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelLayout::RGBA:
    case PixelLayout::RGBx:
      cv::cvtColor(small, rgb, cv::COLOR_RGBA2RGB);
      break;
    case PixelLayout::BGRA:
    case PixelLayout::BGRx:
      cv::cvtColor(small, rgb, cv::COLOR_BGRA2RGB);
      break;
  }
  return rgb;
}

}  // namespace refseg

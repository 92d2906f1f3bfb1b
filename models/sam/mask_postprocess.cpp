#include "sam/mask_postprocess.h"

#include <algorithm>
#include <map>
#include <string>

#include "common/model_error.h"

namespace refseg::sam {

namespace {

struct Taps {
  int64_t i0, i1;
  double w0, w1;
};

// upsample_bilinear2d's source indices and weights for one output index
// (align_corners=False, no scale given): the scale is input/output in
// float, the source index scale * (i + 0.5) - 0.5 in double, clamped at 0
// and truncated, its fraction the second tap's weight (rounded to float),
// the second tap clamped at the edge (probed against LibTorch 1.13).
Taps bilinear_taps(int64_t in, int64_t out, int64_t i) {
  if (in == out) return {i, i, 1.0, 0.0};
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  double real = scale * (i + 0.5) - 0.5;
  if (real < 0) real = 0;
  const int64_t i0 = static_cast<int64_t>(real);
  const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
  const float l1 = static_cast<float>(std::min(std::max(real - static_cast<double>(i0), 0.0), 1.0));
  const float l0 = 1.f - l1;
  return {i0, i1, l0, l1};
}

}  // namespace

ResampleAxis compose_postprocess_axis(int low, int image_size, int input, int frame) {
  if (low <= 0 || image_size <= 0 || input <= 0 || input > image_size || frame <= 0)
    throw ModelError("SAM mask postprocessing: sizes " + std::to_string(low) + " -> " +
                     std::to_string(image_size) + " (kept " + std::to_string(input) + ") -> " +
                     std::to_string(frame) + " do not make a resampling");
  ResampleAxis axis;
  axis.first.resize(frame);
  axis.weight.resize(frame);
  for (int o = 0; o < frame; ++o) {
    const Taps b = bilinear_taps(input, frame, o);
    std::map<int64_t, double> w;
    for (const auto &[j, wb] : {std::pair<int64_t, double>{b.i0, b.w0}, {b.i1, b.w1}}) {
      const Taps a = bilinear_taps(low, image_size, j);
      w[a.i0] += wb * a.w0;
      w[a.i1] += wb * a.w1;
    }
    int64_t first = w.begin()->first;
    const int64_t last = w.rbegin()->first;
    if (last - first >= 4)
      throw ModelError("SAM mask postprocessing: a frame sample spans " +
                       std::to_string(last - first + 1) + " low-resolution samples");
    first = std::min<int64_t>(first, std::max<int64_t>(0, low - 4));
    axis.first[o] = static_cast<int>(first);
    std::array<float, 4> taps{};
    for (const auto &[i, v] : w) taps[i - first] = static_cast<float>(v);
    axis.weight[o] = taps;
  }
  return axis;
}

MaskPostprocess::MaskPostprocess(int low_w, int low_h, int image_size, int input_w, int input_h,
                                 int frame_w, int frame_h)
    : rows_(compose_postprocess_axis(low_h, image_size, input_h, frame_h)),
      cols_(compose_postprocess_axis(low_w, image_size, input_w, frame_w)),
      low_w_(low_w),
      low_h_(low_h),
      frame_w_(frame_w),
      frame_h_(frame_h) {
  if (low_w < 4 || low_h < 4)
    throw ModelError("SAM mask postprocessing: low-resolution planes of at least 4 x 4 expected");
}

void MaskPostprocess::columns(const float *low, float *cols) const {
  for (int r = 0; r < low_h_; ++r) {
    const float *in = low + static_cast<size_t>(r) * low_w_;
    float *out = cols + static_cast<size_t>(r) * frame_w_;
    for (int x = 0; x < frame_w_; ++x) {
      const float *s = in + cols_.first[x];
      const auto &w = cols_.weight[x];
      out[x] = w[0] * s[0] + w[1] * s[1] + w[2] * s[2] + w[3] * s[3];
    }
  }
}

void MaskPostprocess::row(const float *cols, int y, float *out) const {
  const float *s0 = cols + static_cast<size_t>(rows_.first[y]) * frame_w_;
  const float *s1 = s0 + frame_w_, *s2 = s1 + frame_w_, *s3 = s2 + frame_w_;
  const auto &w = rows_.weight[y];
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
  for (int x = 0; x < frame_w_; ++x) out[x] = w0 * s0[x] + w1 * s1[x] + w2 * s2[x] + w3 * s3[x];
}

void MaskPostprocess::logits(const float *low, float *out) const {
  std::vector<float> cols(static_cast<size_t>(low_h_) * frame_w_);
  columns(low, cols.data());
  for (int y = 0; y < frame_h_; ++y) row(cols.data(), y, out + static_cast<size_t>(y) * frame_w_);
}

MaskPlaneStats MaskPostprocess::measure(const float *low, float offset, uint8_t *mask) const {
  std::vector<float> cols(static_cast<size_t>(low_h_) * frame_w_), line(frame_w_);
  columns(low, cols.data());
  MaskPlaneStats st;
  const float hi = offset, lo = -offset;
  int x0 = frame_w_, x1 = -1, y0 = frame_h_, y1 = -1;
  for (int y = 0; y < frame_h_; ++y) {
    row(cols.data(), y, line.data());
    int64_t nh = 0, nl = 0, n = 0;
    for (int x = 0; x < frame_w_; ++x) {
      const float v = line[x];
      nh += v > hi;
      nl += v > lo;
      n += v > 0.f;
    }
    if (mask) {
      uint8_t *m = mask + static_cast<size_t>(y) * frame_w_;
      for (int x = 0; x < frame_w_; ++x) m[x] = line[x] > 0.f;
    }
    st.above_hi += nh;
    st.above_lo += nl;
    st.area += n;
    if (n > 0) {
      y0 = std::min(y0, y);
      y1 = y;
      int a = 0;
      while (!(line[a] > 0.f)) ++a;
      int b = frame_w_ - 1;
      while (!(line[b] > 0.f)) --b;
      x0 = std::min(x0, a);
      x1 = std::max(x1, b);
    }
  }
  if (st.area > 0) st.box = {x0, y0, x1, y1};
  return st;
}

std::optional<RegionMask> region_from_plane(const uint8_t *mask, int frame_w,
                                            const MaskPlaneStats &st, float score) {
  if (st.area <= 0) return std::nullopt;
  RegionMask m;
  const auto &b = st.box;
  m.box = {b[0], b[1], b[2] - b[0] + 1, b[3] - b[1] + 1};
  m.score = score;
  m.pixels.resize(static_cast<size_t>(m.box.width) * m.box.height);
  for (int y = 0; y < m.box.height; ++y) {
    const uint8_t *src = mask + static_cast<size_t>(b[1] + y) * frame_w + b[0];
    uint8_t *dst = &m.pixels[static_cast<size_t>(y) * m.box.width];
    for (int x = 0; x < m.box.width; ++x) dst[x] = src[x] ? 255 : 0;
  }
  return m;
}

}  // namespace refseg::sam

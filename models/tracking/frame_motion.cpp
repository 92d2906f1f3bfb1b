#include "tracking/frame_motion.h"

#include <algorithm>
#include <cmath>

namespace refseg::tracking {
namespace {

using Colour = cv::Vec3f;

// Levels are 8-bit; samples are interpolated in float.
Colour bilinear(const cv::Mat &img, float x, float y) {
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const float fx = x - x0, fy = y - y0;
  const uint8_t *r0 = img.ptr<uint8_t>(y0) + 3 * x0, *r1 = img.ptr<uint8_t>(y0 + 1) + 3 * x0;
  const float w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
  return {w00 * r0[0] + w01 * r0[3] + w10 * r1[0] + w11 * r1[3],
          w00 * r0[1] + w01 * r0[4] + w10 * r1[1] + w11 * r1[4],
          w00 * r0[2] + w01 * r0[5] + w10 * r1[2] + w11 * r1[5]};
}

bool inside(const cv::Mat &img, float x, float y) {
  return x >= 1.f && y >= 1.f && x < img.cols - 2.f && y < img.rows - 2.f;
}

struct Sample {
  float x, y;     // in the level's pixels, in the earlier frame
  Colour value;   // the earlier frame there
  Colour gx, gy;  // its gradient, per channel
};

// Whether a sample at mask coordinates (mx, my) belongs to the fit: on the
// mask, or within `rim` pixels of it along an axis (the object's outline,
// which is what an alignment locks on to, lies half outside the mask).
bool near_mask(const RegionMask &mask, int mx, int my, int rim) {
  const auto on = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < mask.box.width && y < mask.box.height &&
           mask.pixels[static_cast<size_t>(y) * mask.box.width + x] != 0;
  };
  return on(mx, my) || (rim > 0 && (on(mx - rim, my) || on(mx + rim, my) || on(mx, my - rim) ||
                                    on(mx, my + rim)));
}

}  // namespace

namespace {

// Mean of each factor x factor block, 3 channels out of 3 or 4. Written
// out instead of cv::resize / cv::pyrDown: those run on OpenCV's
// process-wide thread pool, which the analysis (refsegproposals) keeps busy
// at a lower priority, and the video path must never wait for it.
cv::Mat block_mean(const uint8_t *data, int width, int height, size_t stride, int channels,
                   int factor) {
  const int w = width / factor, h = height / factor;
  cv::Mat out(h, w, CV_8UC3);
  const int n = factor * factor;
  std::vector<int> acc(static_cast<size_t>(w) * 3);
  for (int y = 0; y < h; y++) {
    std::fill(acc.begin(), acc.end(), 0);
    // Rows streamed in memory order into per-block sums.
    for (int dy = 0; dy < factor; dy++) {
      const uint8_t *row = data + (static_cast<size_t>(y) * factor + dy) * stride;
      for (int x = 0; x < w; x++) {
        int *a = &acc[3 * static_cast<size_t>(x)];
        const uint8_t *p = row + static_cast<size_t>(x) * factor * channels;
        for (int dx = 0; dx < factor; dx++, p += channels) {
          a[0] += p[0];
          a[1] += p[1];
          a[2] += p[2];
        }
      }
    }
    uint8_t *o = out.ptr<uint8_t>(y);
    for (size_t i = 0; i < acc.size(); i++) o[i] = static_cast<uint8_t>((acc[i] + n / 2) / n);
  }
  return out;
}

}  // namespace

FramePyramid make_pyramid(const ImageView &frame, const MotionOptions &options) {
  // Colour, not grey: an orange shape on a background of the same
  // brightness has no edge in grey. Channel order does not matter here.
  const int channels = bytes_per_pixel(frame.layout);
  const int factor = std::max(1, frame.width / std::max(16, options.working_width));
  FramePyramid p;
  p.frame_width = frame.width;
  p.frame_height = frame.height;
  p.levels.resize(std::max(1, options.levels));
  p.levels[0] = block_mean(frame.data, frame.width, frame.height, static_cast<size_t>(frame.stride),
                           channels, factor);
  p.scale_x = static_cast<float>(frame.width) / p.levels[0].cols;
  p.scale_y = static_cast<float>(frame.height) / p.levels[0].rows;
  for (size_t l = 1; l < p.levels.size(); l++) {
    const cv::Mat &up = p.levels[l - 1];
    p.levels[l] = block_mean(up.data, up.cols, up.rows, up.step, 3, 2);
  }
  return p;
}

FrameMotion::FrameMotion(std::shared_ptr<const FramePyramid> from,
                         std::shared_ptr<const FramePyramid> to, const MotionOptions &options)
    : from_(std::move(from)), to_(std::move(to)), options_(options) {}

Displacement FrameMotion::translation_of(const RegionMask &mask, Displacement offset) const {
  if (empty() || mask.box.empty()) return {};
  const int rim = std::max(0, options_.rim);
  const size_t area = mask.area();
  if (area == 0) return {};
  // An even subsample of the mask's pixels: every step-th row and column.
  const int step = std::max(
      1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(area) / options_.max_samples))));
  const float sx = from_->scale_x, sy = from_->scale_y;
  float dx = 0.f, dy = 0.f;  // at the current level, in its pixels
  for (int level = static_cast<int>(from_->levels.size()) - 1; level >= 0; level--) {
    const cv::Mat &a = from_->levels[level], &b = to_->levels[level];
    const float scale = static_cast<float>(1 << level);
    std::vector<Sample> samples;
    double h00 = 0, h01 = 0, h11 = 0;
    // No denser than this level's pixels: coarse levels read fewer samples.
    const int level_step =
        std::max(step, static_cast<int>(std::min(sx, sy) * static_cast<float>(1 << level)));
    for (int my = level_step / 2 - rim; my < mask.box.height + rim; my += level_step) {
      for (int mx = level_step / 2 - rim; mx < mask.box.width + rim; mx += level_step) {
        if (!near_mask(mask, mx, my, rim)) continue;
        // Pixel centre in frame coordinates, then in this level's.
        const float fx = mask.box.x + mx + 0.5f + offset.dx,
                    fy = mask.box.y + my + 0.5f + offset.dy;
        const float x = fx / sx / scale - 0.5f, y = fy / sy / scale - 0.5f;
        if (!inside(a, x, y)) continue;
        Sample s{x, y, bilinear(a, x, y), {}, {}};
        s.gx = 0.5f * (bilinear(a, x + 1, y) - bilinear(a, x - 1, y));
        s.gy = 0.5f * (bilinear(a, x, y + 1) - bilinear(a, x, y - 1));
        h00 += s.gx.dot(s.gx);
        h01 += s.gx.dot(s.gy);
        h11 += s.gy.dot(s.gy);
        samples.push_back(s);
      }
    }
    const double det = h00 * h11 - h01 * h01;
    // No edge to align at this level: keep what the coarser levels found.
    if (samples.size() < 4 || det <= 1e-6 * (h00 + h11) * (h00 + h11) || h00 + h11 < 1e-3) {
      if (level > 0) dx *= 2.f, dy *= 2.f;
      continue;
    }
    for (int it = 0; it < options_.iterations; it++) {
      double bx = 0, by = 0;
      for (const Sample &s : samples) {
        const float x = s.x + dx, y = s.y + dy;
        if (!inside(b, x, y)) continue;
        const Colour e = bilinear(b, x, y) - s.value;
        bx += s.gx.dot(e);
        by += s.gy.dot(e);
      }
      // Inverse compositional step: the Hessian of the earlier frame's
      // gradients is fixed, so each iteration is one pass over the samples.
      const float ux = static_cast<float>((h11 * bx - h01 * by) / det);
      const float uy = static_cast<float>((h00 * by - h01 * bx) / det);
      dx -= ux;
      dy -= uy;
      if (std::abs(ux) < 0.01f && std::abs(uy) < 0.01f) break;
    }
    if (level > 0) dx *= 2.f, dy *= 2.f;
  }
  if (!std::isfinite(dx) || !std::isfinite(dy)) return {};
  return {dx * sx, dy * sy};
}

FrameMotion MotionEstimator::next(const ImageView &frame) {
  auto pyramid = std::make_shared<const FramePyramid>(make_pyramid(frame, options_));
  FrameMotion motion;
  if (previous_ && previous_->frame_width == frame.width &&
      previous_->frame_height == frame.height && previous_->levels.size() == pyramid->levels.size())
    motion = FrameMotion(previous_, pyramid, options_);
  previous_ = std::move(pyramid);
  return motion;
}

}  // namespace refseg::tracking

// Motion between consecutive video frames, estimated from the frames
// themselves, per mask: each carried mask is aligned from one frame to the
// next by a translation-only Lucas-Kanade fit of the mask's own pixels
// (inverse compositional, coarse to fine on a small colour pyramid).
//
// Why not dense optical flow: referred objects are often flat-coloured, and
// the flow inside a flat region is ill-posed, so a mask's median flow
// underestimates its motion; aligning the whole mask, whose edge carries the
// signal, does not (docs/benchmarks.md, "Tracking cost", has the development
// comparison; tools/bench_tracker measures what is here).
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::tracking {

struct Displacement {
  float dx = 0.f, dy = 0.f;
};

struct MotionOptions {
  // Width of the grey copy the alignment runs on (height keeps the aspect;
  // frames are never enlarged). 320 keeps a 640x480 frame's cost near a
  // millisecond on one core.
  int working_width = 320;
  int levels = 3;          // pyramid levels (each halves): motion up to ~2^levels px per frame
  int max_samples = 1024;  // mask pixels a fit reads (subsampled evenly beyond this)
  int iterations = 8;      // per level, at most
  int rim = 2;             // frame pixels around the mask that the fit also reads
};

// A frame as the alignment reads it: a grey pyramid, level 0 at working size.
struct FramePyramid {
  std::vector<cv::Mat> levels;         // CV_32F
  float scale_x = 1.f, scale_y = 1.f;  // frame pixels per level-0 pixel
  int frame_width = 0, frame_height = 0;
};

FramePyramid make_pyramid(const ImageView &frame, const MotionOptions &options);

// The motion from one frame to the next.
class FrameMotion {
 public:
  FrameMotion() = default;  // no motion (the first frame, or a reset)
  FrameMotion(std::shared_ptr<const FramePyramid> from, std::shared_ptr<const FramePyramid> to,
              const MotionOptions &options);

  bool empty() const { return !from_ || !to_; }

  // Translation of the object `mask` covers once shifted by `offset` (where
  // it is in the earlier frame), in frame pixels. Zero when the mask is
  // empty, lies outside the frame, or has no edge to align (a flat region).
  Displacement translation_of(const RegionMask &mask, Displacement offset = {}) const;

 private:
  std::shared_ptr<const FramePyramid> from_, to_;
  MotionOptions options_;
};

// Feeds frames in display order; each call returns the motion from the
// previous frame fed. Not thread-safe: one estimator per stream.
class MotionEstimator {
 public:
  explicit MotionEstimator(MotionOptions options = {}) : options_(options) {}

  FrameMotion next(const ImageView &frame);
  // Forgets the previous frame (after a flush or a size change).
  void reset() { previous_.reset(); }

 private:
  MotionOptions options_;
  std::shared_ptr<const FramePyramid> previous_;
};

}  // namespace refseg::tracking

// Bridges between refseg::ImageView frames and OpenCV images.
#pragma once

#include <opencv2/core.hpp>

#include "common/image_view.h"

namespace refseg {

// The frame's pixels as a cv::Mat (3 or 4 channels, the frame's own channel
// order and stride); no copy. The Mat must not be written through.
cv::Mat wrap_frame(const ImageView &frame);

// Working-grid size for a frame: the frame scaled so that its long side is
// at most long_side (never enlarged; long_side <= 0 keeps the frame size).
cv::Size working_size(int width, int height, int long_side);

// cv::resize(src, dst, size, 0, 0, cv::INTER_AREA) for an 8-bit src shrunk
// (size no larger than src on either axis), bit for bit, faster where the
// scale is not a whole number (there each source row is averaged across once
// rather than once per destination row it touches).
void shrink_area(const cv::Mat &src, cv::Size size, cv::Mat &dst);

// An RGB copy of the frame at working_size(long_side), area-averaged when
// shrinking. Empty for an empty frame.
cv::Mat frame_to_rgb(const ImageView &frame, int long_side);

}  // namespace refseg

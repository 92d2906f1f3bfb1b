#include "proposals/frame_image.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace refseg {

cv::Mat wrap_frame(const ImageView &frame) {
  const int type = bytes_per_pixel(frame.layout) == 3 ? CV_8UC3 : CV_8UC4;
  return cv::Mat(frame.height, frame.width, type, const_cast<uint8_t *>(frame.data),
                 static_cast<size_t>(frame.stride));
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
  if (size != src.size()) cv::resize(src, small, size, 0, 0, cv::INTER_AREA);
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

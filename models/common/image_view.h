// A non-owning view of a packed 8-bit video frame. Elements wrap mapped
// GstVideoFrames in it so the inference core never copies a frame to read it.
#pragma once

#include <cstdint>

namespace refseg {

enum class PixelLayout { RGB, BGR, RGBA, BGRA, RGBx, BGRx };

inline int bytes_per_pixel(PixelLayout l) {
  return (l == PixelLayout::RGB || l == PixelLayout::BGR) ? 3 : 4;
}
// Offset of the red channel in a pixel; blue is at 2 - red.
inline int red_offset(PixelLayout l) {
  return (l == PixelLayout::RGB || l == PixelLayout::RGBA || l == PixelLayout::RGBx) ? 0 : 2;
}

struct ImageView {
  const uint8_t *data = nullptr;
  int width = 0, height = 0;
  int stride = 0;  // bytes per row
  PixelLayout layout = PixelLayout::RGB;

  const uint8_t *row(int y) const { return data + static_cast<long>(y) * stride; }
};

}  // namespace refseg

// Test frames with known objects: filled shapes of distinct colours on a
// plain or a textured background, with the exact mask of every object.
// Shared by the proposal unit tests and the element tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace refseg_test {

struct Scene {
  cv::Mat rgb;                   // CV_8UC3, RGB order
  std::vector<cv::Mat> objects;  // CV_8U 0/255 full-frame mask per object
};

// n_objects (1..6) shapes laid out on a 3 x 2 grid of cells, one per cell,
// each well inside its cell so that objects never touch.
inline Scene make_scene(int width, int height, int n_objects, bool textured, uint64_t seed = 7) {
  static const cv::Scalar kColours[] = {{220, 30, 30},  {30, 190, 40},  {30, 60, 220},
                                        {235, 215, 20}, {200, 40, 200}, {20, 200, 210}};
  Scene s;
  s.rgb.create(height, width, CV_8UC3);
  if (textured) {
    // Noise plus diagonal stripes: many small Felzenszwalb segments that the
    // grouping has to put back together.
    cv::RNG rng(seed);
    cv::Mat noise(height, width, CV_8SC3);
    rng.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(14));
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const int stripe = ((x + y) / 12) % 2 ? 22 : 0;
        const cv::Vec<int8_t, 3> n = noise.at<cv::Vec<int8_t, 3>>(y, x);
        auto clamp = [](int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); };
        s.rgb.at<cv::Vec3b>(y, x) = {clamp(120 + stripe + n[0]), clamp(112 + stripe + n[1]),
                                     clamp(100 + stripe + n[2])};
      }
  } else {
    s.rgb.setTo(cv::Scalar(128, 128, 128));
  }
  const int cw = width / 3, ch = height / 2;
  for (int i = 0; i < std::min(n_objects, 6); ++i) {
    const cv::Point o((i % 3) * cw, (i / 3) * ch);
    const cv::Point c(o.x + cw / 2, o.y + ch / 2);
    const int r = std::min(cw, ch) * 3 / 10;  // shape radius: 60 % of the smaller cell side
    cv::Mat mask = cv::Mat::zeros(height, width, CV_8U);
    switch (i % 6) {
      case 0:
        cv::rectangle(mask, cv::Point(c.x - r, c.y - r * 3 / 4),
                      cv::Point(c.x + r, c.y + r * 3 / 4), 255, cv::FILLED);
        break;
      case 1:
        cv::circle(mask, c, r, 255, cv::FILLED);
        break;
      case 2: {
        std::vector<cv::Point> tri = {
            {c.x, c.y - r}, {c.x - r, c.y + r * 4 / 5}, {c.x + r, c.y + r * 4 / 5}};
        cv::fillConvexPoly(mask, tri, 255);
        break;
      }
      case 3:
        cv::ellipse(mask, c, cv::Size(r, r / 2), 30, 0, 360, 255, cv::FILLED);
        break;
      case 4: {
        std::vector<cv::Point> l = {{c.x - r, c.y - r}, {c.x, c.y - r},     {c.x, c.y},
                                    {c.x + r, c.y},     {c.x + r, c.y + r}, {c.x - r, c.y + r}};
        cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{l}, 255);
        break;
      }
      case 5: {
        std::vector<cv::Point> pent;
        for (int k = 0; k < 5; ++k)
          pent.emplace_back(c.x + static_cast<int>(r * std::sin(k * 2 * CV_PI / 5)),
                            c.y - static_cast<int>(r * std::cos(k * 2 * CV_PI / 5)));
        cv::fillConvexPoly(mask, pent, 255);
        break;
      }
    }
    s.rgb.setTo(kColours[i], mask);
    s.objects.push_back(mask);
  }
  return s;
}

// The frame packed in another channel layout. Four-byte layouts get an
// alpha/padding byte of 255; rows get `pad` extra bytes to exercise strides.
// order: the byte offsets of R, G, B in a pixel; bpp 3 or 4.
inline std::vector<uint8_t> pack(const cv::Mat &rgb, int bpp, int red, int pad, int *stride) {
  *stride = rgb.cols * bpp + pad;
  std::vector<uint8_t> out(static_cast<size_t>(*stride) * rgb.rows, 255);
  for (int y = 0; y < rgb.rows; ++y)
    for (int x = 0; x < rgb.cols; ++x) {
      const cv::Vec3b p = rgb.at<cv::Vec3b>(y, x);
      uint8_t *d = &out[static_cast<size_t>(y) * *stride + x * bpp];
      d[red] = p[0];
      d[1] = p[1];
      d[2 - red] = p[2];
    }
  return out;
}

// IoU of a box-cropped mask (box x, y, w, h and its bytes) with a full mask.
inline double iou_with(const cv::Mat &full, int bx, int by, int bw, int bh, const uint8_t *pixels) {
  double inter = 0, in_mask = 0;
  for (int y = 0; y < bh; ++y)
    for (int x = 0; x < bw; ++x) {
      if (!pixels[static_cast<size_t>(y) * bw + x]) continue;
      ++in_mask;
      const int fx = bx + x, fy = by + y;
      if (fx >= 0 && fy >= 0 && fx < full.cols && fy < full.rows && full.at<uint8_t>(fy, fx))
        ++inter;
    }
  const double uni = in_mask + cv::countNonZero(full) - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace refseg_test

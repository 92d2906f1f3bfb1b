#include "world/shape_geometry.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace refseg::world {
namespace {

constexpr float kPi = 3.14159265358979f;

// Points at radius r(k) and angle a(k), k = 0..n-1, counter-clockwise from
// straight up (image y grows downwards).
template <typename Radius>
std::vector<cv::Point2f> polar(int n, float start, Radius r) {
  std::vector<cv::Point2f> points;
  for (int k = 0; k < n; ++k) {
    const float a = start + 2.f * kPi * k / n;
    points.emplace_back(r(k) * std::sin(a), -r(k) * std::cos(a));
  }
  return points;
}

// Unit-radius outline centred on the origin, before rotation.
std::vector<cv::Point2f> unit_outline(Shape shape) {
  switch (shape) {
    case Shape::Circle:
      return polar(72, 0.f, [](int) { return 1.f; });
    case Shape::Square:
      return polar(4, kPi / 4, [](int) { return 1.f; });
    case Shape::Triangle:
      return polar(3, 0.f, [](int) { return 1.f; });
    case Shape::Star:
      return polar(10, 0.f, [](int k) { return k % 2 ? 0.45f : 1.f; });
    case Shape::Hexagon:
      return polar(6, kPi / 6, [](int) { return 1.f; });
    case Shape::Cross: {
      // A plus sign whose arm corners touch the unit circle.
      const float w = 0.34f, l = std::sqrt(1.f - w * w);
      return {{-w, -l}, {w, -l}, {w, -w}, {l, -w}, {l, w},   {w, w},
              {w, l},   {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w}};
    }
    case Shape::Heart: {
      // The classic parametric heart, recentred on its bounding box and
      // scaled so its farthest point is at radius 1.
      std::vector<cv::Point2f> p;
      for (int k = 0; k < 64; ++k) {
        const float t = 2.f * kPi * k / 64;
        const float s = std::sin(t);
        p.emplace_back(16.f * s * s * s, -(13.f * std::cos(t) - 5.f * std::cos(2 * t) -
                                           2.f * std::cos(3 * t) - std::cos(4 * t)));
      }
      const cv::Rect2f box = cv::boundingRect(p);
      const cv::Point2f mid(box.x + box.width / 2, box.y + box.height / 2);
      float far = 0.f;
      for (auto &q : p) {
        q -= mid;
        far = std::max(far, std::hypot(q.x, q.y));
      }
      for (auto &q : p) q /= far;
      return p;
    }
  }
  return {};
}

}  // namespace

std::vector<cv::Point2f> shape_outline(Shape shape, cv::Point2f centre, float radius,
                                       float rotation) {
  const float c = std::cos(rotation), s = std::sin(rotation);
  std::vector<cv::Point2f> points = unit_outline(shape);
  for (auto &p : points) p = centre + radius * cv::Point2f(c * p.x - s * p.y, s * p.x + c * p.y);
  return points;
}

cv::Mat shape_mask(Shape shape, cv::Point2f centre, float radius, float rotation, cv::Size size) {
  constexpr int kShift = 4;  // sub-pixel vertex precision: 1/16 pixel
  std::vector<cv::Point> fixed;
  for (const auto &p : shape_outline(shape, centre, radius, rotation))
    fixed.emplace_back(cvRound(p.x * (1 << kShift)), cvRound(p.y * (1 << kShift)));
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{fixed}, cv::Scalar(255), cv::LINE_8,
               kShift);
  return mask;
}

}  // namespace refseg::world

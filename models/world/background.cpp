#include "world/background.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace refseg::world {
namespace {

// A muted tone: a grey level with a slight tint.
cv::Vec3f muted_tone(SeededRandom &random) {
  const double grey = random.uniform(85, 180);
  cv::Vec3f tone;
  for (int c = 0; c < 3; ++c) tone[c] = static_cast<float>(grey + random.uniform(-18, 18));
  return tone;
}

// A second tone close enough to the first to stay a background.
cv::Vec3f partner_tone(SeededRandom &random, const cv::Vec3f &first) {
  const double shift = random.uniform(25, 50) * (random.bernoulli(0.5) ? 1 : -1);
  cv::Vec3f tone;
  for (int c = 0; c < 3; ++c)
    tone[c] =
        std::clamp(static_cast<float>(first[c] + shift + random.uniform(-10, 10)), 60.f, 200.f);
  return tone;
}

// Fills image with lerp(a, b, weight(x, y)), weight in [0, 1].
template <typename Weight>
void blend(const cv::Vec3f &a, const cv::Vec3f &b, Weight weight, cv::Mat &image) {
  for (int y = 0; y < image.rows; ++y) {
    auto *row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const float w = weight(x, y);
      row[x] = cv::Vec3b(cv::saturate_cast<uchar>(a[0] + w * (b[0] - a[0])),
                         cv::saturate_cast<uchar>(a[1] + w * (b[1] - a[1])),
                         cv::saturate_cast<uchar>(a[2] + w * (b[2] - a[2])));
    }
  }
}

}  // namespace

cv::Mat render_background(SeededRandom &random, cv::Size size, bool textured, Background *kind) {
  static const std::vector<Background> kinds = {Background::Plain, Background::Gradient,
                                                Background::Stripes, Background::Noise,
                                                Background::Checker};
  const Background chosen = textured ? random.pick(kinds) : Background::Plain;
  if (kind) *kind = chosen;
  const cv::Vec3f a = muted_tone(random), b = partner_tone(random, a);
  cv::Mat image(size, CV_8UC3);
  const double angle = random.uniform(0, 3.141592653589793);
  const float ux = static_cast<float>(std::cos(angle)), uy = static_cast<float>(std::sin(angle));
  switch (chosen) {
    case Background::Plain:
      blend(
          a, b, [](int, int) { return 0.f; }, image);
      break;
    case Background::Gradient: {
      // Projection on a random direction, normalised over the frame.
      const float span = std::abs(ux) * size.width + std::abs(uy) * size.height;
      const float lo = std::min(0.f, ux * size.width) + std::min(0.f, uy * size.height);
      blend(
          a, b, [&](int x, int y) { return (ux * x + uy * y - lo) / span; }, image);
      break;
    }
    case Background::Stripes: {
      const float period = static_cast<float>(random.uniform(10, 36));
      const bool hard = random.bernoulli(0.5);
      blend(
          a, b,
          [&](int x, int y) {
            const float s = 0.5f + 0.5f * std::sin(6.2831853f * (ux * x + uy * y) / period);
            return hard ? (s > 0.5f ? 1.f : 0.f) : s;
          },
          image);
      break;
    }
    case Background::Noise: {
      // Smooth value noise: a coarse random grid, upsampled bicubically.
      const int cell = static_cast<int>(random.uniform_int(8, 32));
      cv::Mat coarse(size.height / cell + 3, size.width / cell + 3, CV_32F);
      for (int y = 0; y < coarse.rows; ++y)
        for (int x = 0; x < coarse.cols; ++x)
          coarse.at<float>(y, x) = static_cast<float>(random.uniform01());
      cv::Mat fine;
      cv::resize(coarse, fine, cv::Size(coarse.cols * cell, coarse.rows * cell), 0, 0,
                 cv::INTER_CUBIC);
      blend(
          a, b, [&](int x, int y) { return fine.at<float>(y + cell, x + cell); }, image);
      break;
    }
    case Background::Checker: {
      const int cell = static_cast<int>(random.uniform_int(14, 48));
      blend(
          a, b, [&](int x, int y) { return static_cast<float>((x / cell + y / cell) % 2); }, image);
      break;
    }
  }
  return image;
}

void degrade(SeededRandom &random, double max_noise, double max_blur, cv::Mat &image) {
  const double sigma_noise = max_noise > 0 ? random.uniform(0, max_noise) : 0.0;
  const double sigma_blur = max_blur > 0 ? random.uniform(0, max_blur) : 0.0;
  if (sigma_noise > 0) {
    for (int y = 0; y < image.rows; ++y) {
      auto *row = image.ptr<cv::Vec3b>(y);
      for (int x = 0; x < image.cols; ++x)
        for (int c = 0; c < 3; ++c)
          row[x][c] = cv::saturate_cast<uchar>(row[x][c] + sigma_noise * random.normal());
    }
  }
  // Below a third of a pixel a Gaussian kernel changes next to nothing.
  if (sigma_blur > 0.33) cv::GaussianBlur(image, image, cv::Size(0, 0), sigma_blur);
}

}  // namespace refseg::world

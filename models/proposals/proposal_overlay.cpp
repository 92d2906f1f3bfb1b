#include "proposals/proposal_overlay.h"

#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

namespace refseg {
namespace {

// The frame's colour in its own channel order (alpha/padding set opaque).
cv::Scalar frame_colour(Rgb c, PixelLayout layout) {
  const bool rgb_order = red_offset(layout) == 0;
  return rgb_order ? cv::Scalar(c.r, c.g, c.b, 255) : cv::Scalar(c.b, c.g, c.r, 255);
}

void tint(const MutableImageView &frame, const MaskRef &m, Rgb colour, double opacity) {
  const int bpp = bytes_per_pixel(frame.layout), red = red_offset(frame.layout);
  const double keep = 1.0 - opacity;
  const double add[3] = {opacity * colour.r, opacity * colour.g, opacity * colour.b};
  const int x0 = std::max(0, m.box.x), y0 = std::max(0, m.box.y);
  const int x1 = std::min(frame.width, m.box.x + m.box.width);
  const int y1 = std::min(frame.height, m.box.y + m.box.height);
  for (int y = y0; y < y1; ++y) {
    const uint8_t *in = m.pixels + static_cast<size_t>(y - m.box.y) * m.box.width - m.box.x;
    uint8_t *px = frame.data + static_cast<size_t>(y) * frame.stride;
    for (int x = x0; x < x1; ++x) {
      if (!in[x]) continue;
      uint8_t *p = px + x * bpp;
      p[red] = static_cast<uint8_t>(p[red] * keep + add[0] + 0.5);
      p[1] = static_cast<uint8_t>(p[1] * keep + add[1] + 0.5);
      p[2 - red] = static_cast<uint8_t>(p[2 - red] * keep + add[2] + 0.5);
    }
  }
}

}  // namespace

Rgb palette_colour(int index) {
  static const Rgb kPalette[] = {{230, 25, 75},  {60, 180, 75},   {255, 225, 25}, {0, 130, 200},
                                 {245, 130, 48}, {145, 30, 180},  {70, 240, 240}, {240, 50, 230},
                                 {210, 245, 60}, {250, 190, 212}, {0, 128, 128},  {220, 190, 255},
                                 {170, 110, 40}, {255, 250, 200}, {128, 0, 0},    {170, 255, 195}};
  const int n = static_cast<int>(sizeof(kPalette) / sizeof(kPalette[0]));
  return kPalette[((index % n) + n) % n];
}

void draw_labelled_masks(const MutableImageView &frame, const std::vector<LabelledMask> &masks,
                         double opacity) {
  if (frame.data == nullptr || frame.width <= 0 || frame.height <= 0) return;
  opacity = std::clamp(opacity, 0.0, 1.0);
  const int type = bytes_per_pixel(frame.layout) == 3 ? CV_8UC3 : CV_8UC4;
  cv::Mat canvas(frame.height, frame.width, type, frame.data, static_cast<size_t>(frame.stride));
  // Line width and text size follow the frame so they stay visible on 4K.
  const int shorter = std::min(frame.width, frame.height);
  const int thickness = std::max(1, shorter / 360);
  const double font_scale = std::max(0.35, shorter / 720.0);

  for (const LabelledMask &lm : masks) {
    const MaskRef &m = lm.mask;
    if (m.box.empty() || m.pixels == nullptr) continue;
    if (opacity > 0) tint(frame, m, lm.colour, opacity);

    // Pad by one pixel so that masks touching their box edge get closed outlines.
    const cv::Mat crop(m.box.height, m.box.width, CV_8UC1, const_cast<uint8_t *>(m.pixels));
    cv::Mat padded;
    cv::copyMakeBorder(crop, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(padded, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE,
                     cv::Point(m.box.x - 1, m.box.y - 1));
    const cv::Scalar c = frame_colour(lm.colour, frame.layout);
    // Emphasised masks (selections) get a dark rim under the coloured
    // outline, so the outline shows even on an object of its own colour.
    if (lm.weight > 1)
      cv::polylines(canvas, contours, true, cv::Scalar(0, 0, 0, 255), thickness * (lm.weight + 2),
                    cv::LINE_8);
    cv::polylines(canvas, contours, true, c, thickness * lm.weight, cv::LINE_8);

    if (lm.label.empty()) continue;
    int baseline = 0;
    const cv::Size text =
        cv::getTextSize(lm.label, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &baseline);
    const cv::Point at(
        std::clamp(m.box.x + thickness + 1, 0, std::max(0, frame.width - text.width)),
        std::clamp(m.box.y + text.height + thickness + 1, text.height,
                   std::max(text.height, frame.height - 1)));
    // A dark outline under the coloured text keeps it readable on any background.
    cv::putText(canvas, lm.label, at, cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(0, 0, 0, 255), thickness + 2, cv::LINE_AA);
    cv::putText(canvas, lm.label, at, cv::FONT_HERSHEY_SIMPLEX, font_scale, c, thickness,
                cv::LINE_AA);
  }
}

void draw_proposals(const MutableImageView &frame, const std::vector<MaskRef> &masks,
                    double opacity) {
  std::vector<LabelledMask> labelled;
  for (size_t i = 0; i < masks.size(); ++i)
    labelled.push_back({masks[i], palette_colour(static_cast<int>(i)), std::to_string(i), 1});
  draw_labelled_masks(frame, labelled, opacity);
}

void write_mask_planes(const MutableImageView &frame, const std::vector<MaskRef> &masks,
                       MaskOutput output) {
  const int bpp = bytes_per_pixel(frame.layout);
  // Alpha is the 4th byte of RGBA/BGRA; the x of RGBx/BGRx is padding.
  const bool alpha_only = output == MaskOutput::Alpha;
  for (int y = 0; y < frame.height; ++y) {
    uint8_t *row = frame.data + static_cast<size_t>(y) * frame.stride;
    for (int x = 0; x < frame.width; ++x) {
      uint8_t value = 0;
      for (const MaskRef &m : masks) {
        const int lx = x - m.box.x, ly = y - m.box.y;
        if (lx >= 0 && ly >= 0 && lx < m.box.width && ly < m.box.height &&
            m.pixels[static_cast<size_t>(ly) * m.box.width + lx]) {
          value = 255;
          break;
        }
      }
      uint8_t *p = row + x * bpp;
      if (alpha_only) {
        p[3] = value;
      } else {
        for (int c = 0; c < bpp; ++c) p[c] = value;
      }
    }
  }
}

}  // namespace refseg

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

namespace {

// Where labels went in this drawing, so the next one does not cover them.
class LabelPlacer {
 public:
  LabelPlacer(int width, int height) : width_(width), height_(height) {}
  // A free spot for a w x h label near the box: above it, else inside its
  // top, then further down in label steps; the first spot if none is free.
  cv::Rect place(const Box &box, int w, int h) {
    const int x = std::clamp(box.x, 0, std::max(0, width_ - w));
    const int above = box.y - h - 1;
    const int first_y = above >= 0 ? above : std::clamp(box.y + 1, 0, std::max(0, height_ - h));
    cv::Rect spot(x, first_y, w, h);
    for (int step = 0; step < 8; ++step) {
      const int y = std::clamp(first_y + step * (h + 1), 0, std::max(0, height_ - h));
      const cv::Rect candidate(x, y, w, h);
      const bool free = std::none_of(placed_.begin(), placed_.end(),
                                     [&](const cv::Rect &r) { return (r & candidate).area() > 0; });
      if (free) {
        spot = candidate;
        break;
      }
    }
    placed_.push_back(spot);
    return spot;
  }

 private:
  int width_, height_;
  std::vector<cv::Rect> placed_;
};

// Darkens a rectangle of the frame: the label's backing, legible on any
// object colour.
void darken(cv::Mat &canvas, const cv::Rect &r, double keep) {
  cv::Mat roi = canvas(r & cv::Rect(0, 0, canvas.cols, canvas.rows));
  roi.convertTo(roi, -1, keep, 0);
}

}  // namespace

void draw_labelled_masks(const MutableImageView &frame, const std::vector<LabelledMask> &masks,
                         double opacity) {
  if (frame.data == nullptr || frame.width <= 0 || frame.height <= 0) return;
  opacity = std::clamp(opacity, 0.0, 1.0);
  const int type = bytes_per_pixel(frame.layout) == 3 ? CV_8UC3 : CV_8UC4;
  cv::Mat canvas(frame.height, frame.width, type, frame.data, static_cast<size_t>(frame.stride));
  // Line width and text size follow the frame so they stay visible from
  // 240p to 4K.
  const int shorter = std::min(frame.width, frame.height);
  const int thickness = std::max(1, shorter / 360);
  const double font_scale = std::max(0.4, shorter / 600.0);
  const int text_thickness = std::max(1, shorter / 400);
  LabelPlacer labels(frame.width, frame.height);

  for (const LabelledMask &lm : masks) {
    const MaskRef &m = lm.mask;
    if (m.box.empty() || m.pixels == nullptr) continue;
    const bool emphasised = lm.weight > 1;
    // Proposals are context: half the tint of a selection, so that objects
    // keep their colours.
    const double tint_opacity = emphasised ? opacity : opacity / 2;
    if (tint_opacity > 0) tint(frame, m, lm.colour, tint_opacity);

    // Pad by one pixel so that masks touching their box edge get closed outlines.
    const cv::Mat crop(m.box.height, m.box.width, CV_8UC1, const_cast<uint8_t *>(m.pixels));
    cv::Mat padded;
    cv::copyMakeBorder(crop, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(padded, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE,
                     cv::Point(m.box.x - 1, m.box.y - 1));
    const cv::Scalar c = frame_colour(lm.colour, frame.layout);
    // A selection is ringed black, white, then its colour: one of the three
    // contrasts with any object and any background.
    if (emphasised) {
      cv::polylines(canvas, contours, true, cv::Scalar(0, 0, 0, 255), thickness * (lm.weight + 4),
                    cv::LINE_8);
      cv::polylines(canvas, contours, true, cv::Scalar(255, 255, 255, 255),
                    thickness * (lm.weight + 2), cv::LINE_8);
    }
    cv::polylines(canvas, contours, true, c, thickness * lm.weight, cv::LINE_8);
  }

  // Labels after every mask, so that no later tint or outline covers one.
  for (const LabelledMask &lm : masks) {
    const MaskRef &m = lm.mask;
    if (m.box.empty() || m.pixels == nullptr || lm.label.empty()) continue;
    const bool emphasised = lm.weight > 1;
    const cv::Scalar c = frame_colour(lm.colour, frame.layout);
    // White text on a darkened backing with a swatch of the mask's colour;
    // proposals' labels smaller than selections'.
    const double scale = emphasised ? font_scale : 0.8 * font_scale;
    int baseline = 0;
    const cv::Size text =
        cv::getTextSize(lm.label, cv::FONT_HERSHEY_SIMPLEX, scale, text_thickness, &baseline);
    const int pad = std::max(2, text.height / 4), swatch = text.height;
    const int w = std::min(frame.width, swatch + 3 * pad + text.width);
    const int h = std::min(frame.height, text.height + baseline + 2 * pad);
    const cv::Rect spot = labels.place(m.box, w, h);
    darken(canvas, spot, 0.3);
    cv::rectangle(canvas, cv::Rect(spot.x + pad, spot.y + pad, swatch, text.height), c, cv::FILLED);
    cv::putText(canvas, lm.label, cv::Point(spot.x + swatch + 2 * pad, spot.y + pad + text.height),
                cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255, 255), text_thickness,
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

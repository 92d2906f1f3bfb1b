#include "sam/sam_image_preprocess.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "clip/reference_preprocess.h"
#include "common/model_error.h"

namespace refseg::sam {
namespace {

constexpr float kPixelMean[3] = {123.675f, 116.28f, 103.53f};
constexpr float kPixelStd[3] = {58.395f, 57.12f, 57.375f};

}  // namespace

std::pair<int, int> longest_side_size(int width, int height, int target) {
  // Python: scale = target * 1.0 / max(h, w); int(side * scale + 0.5).
  const double scale = target * 1.0 / std::max(width, height);
  const int w = static_cast<int>(width * scale + 0.5);
  const int h = static_cast<int>(height * scale + 0.5);
  return {w, h};
}

std::vector<uint8_t> resize_longest_side(const ImageView &frame, int target) {
  if (!frame.data || frame.width <= 0 || frame.height <= 0)
    throw ModelError("SAM preprocessing: an empty frame");
  const auto [w, h] = longest_side_size(frame.width, frame.height, target);
  return clip::pil_bilinear_resize(frame, w, h);
}

SamInput sam_preprocess(const ImageView &frame, int target) {
  std::vector<uint8_t> rgb = resize_longest_side(frame, target);
  const auto [w, h] = longest_side_size(frame.width, frame.height, target);
  SamInput in;
  in.input_width = w;
  in.input_height = h;
  in.original_width = frame.width;
  in.original_height = frame.height;
  in.image = at::zeros({1, 3, target, target}, at::kFloat);
  float *out = in.image.data_ptr<float>();
  const size_t plane = static_cast<size_t>(target) * target;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y) {
      float *row = out + c * plane + static_cast<size_t>(y) * target;
      const uint8_t *src = &rgb[static_cast<size_t>(y) * w * 3 + c];
      for (int x = 0; x < w; ++x)
        row[x] = (static_cast<float>(src[x * 3]) - kPixelMean[c]) / kPixelStd[c];
    }
  return in;
}

}  // namespace refseg::sam

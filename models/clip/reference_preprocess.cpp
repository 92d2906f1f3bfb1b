#include "clip/reference_preprocess.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "clip/image_preprocess.h"

namespace refseg::clip {
namespace {

// ImageNet's statistics, as dataset_refer_bert.py's Normalize and the fill
// value of Our_method_with_free_solo.py's local input.
constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

// Pillow's 8-bit resampling keeps weights in fixed point with this many
// fraction bits (32 - 8 - 2, so that 255 * weight sums fit an int32).
constexpr int kPrecisionBits = 22;

// One output sample's taps: the first source index and the fixed-point
// weights of the consecutive sources from there.
struct Kernel {
  int first = 0;
  std::vector<int32_t> weights;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the triangle
// filter (support 1): the filter is widened by the scale when shrinking,
// taps are those within the support around the sample's centre, weights
// are normalised in double, then rounded half away from zero to fixed point.
std::vector<Kernel> pil_bilinear_kernels(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale, inverse = 1.0 / filter_scale;
  std::vector<Kernel> kernels(static_cast<size_t>(out_size));
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    std::vector<double> w;
    double sum = 0;
    for (int i = lo; i < hi; ++i) {
      const double t = std::abs((i - center + 0.5) * inverse);  // Pillow multiplies
      w.push_back(t < 1.0 ? 1.0 - t : 0.0);
      sum += w.back();
    }
    Kernel &k = kernels[static_cast<size_t>(o)];
    k.first = lo;
    for (double v : w) {
      const double n = (sum != 0.0 ? v / sum : v) * (1 << kPrecisionBits);
      k.weights.push_back(static_cast<int32_t>(n < 0 ? n - 0.5 : n + 0.5));
    }
  }
  return kernels;
}

// Fixed-point accumulator (starting at one half) back to a byte, clamped.
uint8_t to_byte(int32_t acc) {
  return static_cast<uint8_t>(std::clamp(acc >> kPrecisionBits, 0, 255));
}

// One separable pass over an RGB plane: along x (horizontal) or y.
std::vector<uint8_t> resample_pass(const std::vector<uint8_t> &in, int w, int h, int out_size,
                                   bool horizontal) {
  const auto kernels = pil_bilinear_kernels(horizontal ? w : h, out_size);
  const int ow = horizontal ? out_size : w, oh = horizontal ? h : out_size;
  std::vector<uint8_t> out(static_cast<size_t>(ow) * oh * 3);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      const Kernel &k = kernels[static_cast<size_t>(horizontal ? x : y)];
      int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1),
                        1 << (kPrecisionBits - 1)};
      for (size_t t = 0; t < k.weights.size(); ++t) {
        const int sx = horizontal ? k.first + static_cast<int>(t) : x;
        const int sy = horizontal ? y : k.first + static_cast<int>(t);
        const uint8_t *p = &in[(static_cast<size_t>(sy) * w + sx) * 3];
        for (int c = 0; c < 3; ++c) acc[c] += p[c] * k.weights[t];
      }
      uint8_t *q = &out[(static_cast<size_t>(y) * ow + x) * 3];
      for (int c = 0; c < 3; ++c) q[c] = to_byte(acc[c]);
    }
  return out;
}

std::vector<uint8_t> packed_rgb(const ImageView &f) {
  const int bpp = bytes_per_pixel(f.layout), r = red_offset(f.layout);
  std::vector<uint8_t> rgb(static_cast<size_t>(f.width) * f.height * 3);
  for (int y = 0; y < f.height; ++y) {
    const uint8_t *row = f.data + static_cast<size_t>(y) * f.stride;
    for (int x = 0; x < f.width; ++x) {
      uint8_t *q = &rgb[(static_cast<size_t>(y) * f.width + x) * 3];
      q[0] = row[x * bpp + r];
      q[1] = row[x * bpp + 1];
      q[2] = row[x * bpp + 2 - r];
    }
  }
  return rgb;
}

at::Tensor imagenet_mean() {
  return at::tensor(at::ArrayRef<float>(kImageNetMean, 3)).view({1, 3, 1, 1});
}

}  // namespace

std::pair<int, int> short_side_size(int width, int height, int short_side) {
  const int shorter = std::min(width, height), longer = std::max(width, height);
  if (shorter == short_side) return {width, height};
  // Python's int(size * long / short): a correctly rounded double, truncated.
  const int new_long =
      static_cast<int>(static_cast<double>(short_side) * longer / static_cast<double>(shorter));
  return width <= height ? std::make_pair(short_side, new_long)
                         : std::make_pair(new_long, short_side);
}

std::vector<uint8_t> pil_bilinear_resize(const ImageView &frame, int out_width, int out_height) {
  check_frame(frame);
  std::vector<uint8_t> rgb = packed_rgb(frame);
  int w = frame.width;
  // Pillow runs the horizontal pass first and only the passes that change
  // a size (its crop of unused rows before the first pass changes nothing).
  if (out_width != w) rgb = resample_pass(rgb, w, frame.height, out_width, true), w = out_width;
  if (out_height != frame.height) rgb = resample_pass(rgb, w, frame.height, out_height, false);
  return rgb;
}

at::Tensor reference_frame(const ImageView &frame, int short_side) {
  check_frame(frame);
  const auto [w, h] = short_side_size(frame.width, frame.height, short_side);
  std::vector<uint8_t> rgb = pil_bilinear_resize(frame, w, h);
  auto x = at::from_blob(rgb.data(), {h, w, 3}, at::kByte)
               .permute({2, 0, 1})
               .to(at::kFloat)
               .div(255.f);  // ToTensor: x / 255 in float32
  // Normalize: subtract, then divide, in float32 as torchvision does.
  x.sub_(at::tensor(at::ArrayRef<float>(kImageNetMean, 3)).view({3, 1, 1}))
      .div_(at::tensor(at::ArrayRef<float>(kImageNetStd, 3)).view({3, 1, 1}));
  return x.contiguous().unsqueeze(0);
}

at::Tensor resize_no_antialias(const at::Tensor &images, int64_t out_height, int64_t out_width) {
  if (images.size(2) == out_height && images.size(3) == out_width) return images;
  return at::upsample_bilinear2d(images, {out_height, out_width}, /*align_corners=*/false,
                                 c10::nullopt, c10::nullopt);
}

at::Tensor reference_global_image(const at::Tensor &frame800, int64_t size) {
  return resize_no_antialias(frame800, size, size);
}

at::Tensor reference_local_image(const at::Tensor &restored, const RegionMask &m, int64_t size) {
  const int64_t H = restored.size(2), W = restored.size(3);
  const auto grey = imagenet_mean().to(restored.options());
  const int64_t x1 = m.box.x, y1 = m.box.y, x2 = x1 + m.box.width, y2 = y1 + m.box.height;
  if (x2 <= x1 || y2 <= y1) return grey.expand({1, 3, size, size}).contiguous();
  // torchvision's crop: the box's part inside the frame, zeros (in
  // normalised units) for the part outside it.
  auto crop = at::zeros({1, 3, y2 - y1, x2 - x1}, restored.options());
  const int64_t ix0 = std::max<int64_t>(x1, 0), iy0 = std::max<int64_t>(y1, 0);
  const int64_t ix1 = std::min(x2, W), iy1 = std::min(y2, H);
  if (ix1 > ix0 && iy1 > iy0) {
    auto inside = at::empty({iy1 - iy0, ix1 - ix0}, at::kBool);
    auto *p = inside.data_ptr<bool>();
    for (int64_t y = iy0; y < iy1; ++y)
      for (int64_t x = ix0; x < ix1; ++x)
        *p++ = m.contains(static_cast<int>(x), static_cast<int>(y));
    auto region = restored.narrow(2, iy0, iy1 - iy0).narrow(3, ix0, ix1 - ix0);
    crop.narrow(2, iy0 - y1, iy1 - iy0)
        .narrow(3, ix0 - x1, ix1 - ix0)
        .copy_(at::where(inside.to(restored.device()), region, grey));
  }
  return resize_no_antialias(crop, size, size);
}

}  // namespace refseg::clip

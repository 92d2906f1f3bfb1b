#include "clip/image_preprocess.h"

#include <algorithm>
#include <string>

#include <ATen/ATen.h>

#include "common/model_error.h"

namespace refseg::clip {
namespace {

constexpr float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
constexpr float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// PyTorch's bilinear source index for align_corners=false: the two taps and
// the weight of the second.
struct Taps {
  int i0, i1;
  float w1;
};
Taps source_taps(int dst, int in_size, int out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float src = std::max(scale * (static_cast<float>(dst) + 0.5f) - 0.5f, 0.f);
  Taps t;
  t.i0 = static_cast<int>(src);
  t.i1 = t.i0 + (t.i0 < in_size - 1 ? 1 : 0);
  t.w1 = src - static_cast<float>(t.i0);
  return t;
}

}  // namespace

void check_frame(const ImageView &f) {
  if (!f.data || f.width <= 0 || f.height <= 0 || f.stride < f.width * bytes_per_pixel(f.layout))
    throw ModelError("frame: empty or inconsistent view (" + std::to_string(f.width) + "x" +
                     std::to_string(f.height) + ", stride " + std::to_string(f.stride) + ")");
}

void check_mask(const RegionMask &m, size_t index) {
  if (m.box.width < 0 || m.box.height < 0 ||
      m.pixels.size() != static_cast<size_t>(m.box.width) * static_cast<size_t>(m.box.height))
    throw ModelError("mask " + std::to_string(index) + ": holds " +
                     std::to_string(m.pixels.size()) + " pixels, its box " +
                     std::to_string(m.box.width) + "x" + std::to_string(m.box.height) + " needs " +
                     std::to_string(static_cast<long>(m.box.width) * m.box.height));
}

at::Tensor normalized_frame(const ImageView &f) {
  check_frame(f);
  const int64_t bpp = bytes_per_pixel(f.layout), r = red_offset(f.layout);
  auto pixels = at::from_blob(const_cast<uint8_t *>(f.data), {f.height, f.width, bpp},
                              {f.stride, bpp, 1}, at::kByte);
  auto rgb = pixels
                 .index_select(2, at::tensor({r, int64_t{1}, 2 - r}, at::kLong))  // [H, W, 3]
                 .permute({2, 0, 1})
                 .to(at::kFloat)
                 .contiguous();
  float scale[3], offset[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.f / (255.f * kStd[c]);
    offset[c] = kMean[c] / kStd[c];
  }
  rgb.mul_(at::tensor(at::ArrayRef<float>(scale, 3)).view({3, 1, 1}))
      .sub_(at::tensor(at::ArrayRef<float>(offset, 3)).view({3, 1, 1}));
  return rgb.unsqueeze(0);
}

at::Tensor resize_square(const at::Tensor &images, int64_t size) {
  if (images.size(2) == size && images.size(3) == size) return images;
  const bool shrink = images.size(2) > size || images.size(3) > size;
  if (shrink)
    return at::_upsample_bilinear2d_aa(images, {size, size}, /*align_corners=*/false, c10::nullopt,
                                       c10::nullopt);
  return at::upsample_bilinear2d(images, {size, size}, /*align_corners=*/false, c10::nullopt,
                                 c10::nullopt);
}

std::vector<float> mask_on_grid(const RegionMask &m, int frame_width, int frame_height, int grid) {
  std::vector<float> out(static_cast<size_t>(grid) * grid);
  auto at = [&](int x, int y) { return m.contains(x, y) ? 1.f : 0.f; };
  for (int gy = 0; gy < grid; ++gy) {
    const Taps ty = source_taps(gy, frame_height, grid);
    for (int gx = 0; gx < grid; ++gx) {
      const Taps tx = source_taps(gx, frame_width, grid);
      const float top = (1 - tx.w1) * at(tx.i0, ty.i0) + tx.w1 * at(tx.i1, ty.i0);
      const float bottom = (1 - tx.w1) * at(tx.i0, ty.i1) + tx.w1 * at(tx.i1, ty.i1);
      out[static_cast<size_t>(gy) * grid + gx] = (1 - ty.w1) * top + ty.w1 * bottom;
    }
  }
  return out;
}

at::Tensor local_context_image(const at::Tensor &frame, const RegionMask &m, int64_t size) {
  const int64_t H = frame.size(2), W = frame.size(3);
  const int64_t x0 = std::max<int64_t>(m.box.x, 0), y0 = std::max<int64_t>(m.box.y, 0);
  const int64_t x1 = std::min<int64_t>(m.box.x + m.box.width, W);
  const int64_t y1 = std::min<int64_t>(m.box.y + m.box.height, H);
  if (x1 <= x0 || y1 <= y0) return at::zeros({1, 3, size, size}, frame.options());  // all mean
  auto plane =
      at::from_blob(const_cast<uint8_t *>(m.pixels.data()), {m.box.height, m.box.width}, at::kByte)
          .narrow(0, y0 - m.box.y, y1 - y0)
          .narrow(1, x0 - m.box.x, x1 - x0)
          .ne(0)
          .to(frame.options());
  auto crop = frame.narrow(2, y0, y1 - y0).narrow(3, x0, x1 - x0) * plane;  // outside -> mean (0)
  return resize_square(crop, size);
}

}  // namespace refseg::clip

// Comparing the automatic mask generator with segment-anything's
// SamAutomaticMaskGenerator outputs written by scripts/make_sam_fixtures.py
// (amg_outputs): shared by the synthetic-frame and real-photo tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "sam/automatic_mask_generator.h"
#include "sam/sam_model.h"
#include "sam_fixture.h"

namespace refseg::sam::amg_parity {

const int kStride = 4;  // the "open" masks are stored at [::4, ::4], np.packbits'd

// make_sam_fixtures.py's AMG_SETTINGS.
inline AutomaticMaskOptions settings(const std::string &name) {
  AutomaticMaskOptions o;
  o.points_per_side = 8;
  if (name == "open") {
    o.pred_iou_thresh = 0.0;
    o.stability_score_thresh = 0.0;
    o.box_nms_thresh = 1.0;
  } else if (name == "filters") {
    o.pred_iou_thresh = 0.5;
    o.stability_score_thresh = 1e-4;
    o.box_nms_thresh = 1.0;
  } else if (name == "regions") {
    o.points_per_side = 4;
    o.pred_iou_thresh = 0.0;
    o.stability_score_thresh = 0.0;
    o.min_mask_region_area = 50;
  } else if (name == "nms") {
    o.pred_iou_thresh = 0.0;
    o.stability_score_thresh = 0.0;
  }
  return o;
}

// Reference mask i, subsampled, as 0/1 bytes [h4 * w4].
inline std::vector<uint8_t> reference_bits(const at::Tensor &packed, int64_t i, int64_t n) {
  std::vector<uint8_t> bits(static_cast<size_t>(n));
  const at::Tensor row = packed[i].contiguous();
  const uint8_t *p = row.data_ptr<uint8_t>();
  for (int64_t k = 0; k < n; ++k) bits[k] = (p[k / 8] >> (7 - k % 8)) & 1;
  return bits;
}

inline std::vector<uint8_t> subsampled(const RegionMask &m, int W, int H) {
  const int w4 = (W + kStride - 1) / kStride, h4 = (H + kStride - 1) / kStride;
  std::vector<uint8_t> bits(static_cast<size_t>(w4) * h4, 0);
  for (int y = 0; y < h4; ++y)
    for (int x = 0; x < w4; ++x) bits[static_cast<size_t>(y) * w4 + x] = m.contains(x * 4, y * 4);
  return bits;
}

inline double bits_iou(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  double inter = 0, uni = 0;
  for (size_t i = 0; i < a.size(); ++i) inter += a[i] & b[i], uni += a[i] | b[i];
  return uni > 0 ? inter / uni : 1.0;
}

// One setting: the same number of masks, in the same order (mask i of ours
// is mask i of the reference's, so the ranking by predicted IoU agrees),
// predicted IoU, stability, box and prompt point equal; for "open", at least
// 95% of the masks match at mask IoU 0.95 (on the stored 4x subsampling).
inline void compare(const std::map<std::string, at::Tensor> &ref, const std::string &name,
                    const std::vector<AutomaticMask> &mine, int W, int H) {
  SCOPED_TRACE(name);
  const at::Tensor iou = fixture::entry(ref, name + "_predicted_iou");
  const at::Tensor stab = fixture::entry(ref, name + "_stability_score");
  const at::Tensor point = fixture::entry(ref, name + "_point");
  const at::Tensor area = fixture::entry(ref, name + "_area");
  const int64_t n = iou.size(0);
  ASSERT_EQ(static_cast<int64_t>(mine.size()), n);
  int64_t same_point = 0, matched = 0;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(mine[i].predicted_iou, iou[i].item<float>(), 1e-4) << i;
    EXPECT_NEAR(mine[i].stability_score, stab[i].item<float>(), 2e-3) << i;
    const double ra = static_cast<double>(area[i].item<int64_t>());
    EXPECT_NEAR(static_cast<double>(mine[i].area), ra, 0.01 * ra + 2) << i;
    same_point += std::abs(mine[i].point[0] - point[i][0].item<double>()) < 1e-9 &&
                  std::abs(mine[i].point[1] - point[i][1].item<double>()) < 1e-9;
  }
  EXPECT_EQ(same_point, n);
  const auto it = ref.find(name + "_mask_bits");
  if (it == ref.end()) return;
  const int64_t bits_n =
      static_cast<int64_t>((W + kStride - 1) / kStride) * ((H + kStride - 1) / kStride);
  for (int64_t i = 0; i < n; ++i)
    matched +=
        bits_iou(subsampled(mine[i].mask, W, H), reference_bits(it->second, i, bits_n)) >= 0.95;
  EXPECT_GE(matched, (95 * n + 99) / 100) << matched << " of " << n << " masks matched";
  EXPECT_GT(n, 0);
}

}  // namespace refseg::sam::amg_parity

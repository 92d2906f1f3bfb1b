#include "sam/automatic_mask_generator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "common/model_error.h"
#include "sam/sam_model.h"

namespace refseg::sam {

std::vector<std::array<double, 2>> build_point_grid(int n) {
  std::vector<std::array<double, 2>> points;
  if (n <= 0) return points;
  // np.linspace(offset, 1 - offset, n): start + i * step, the last exactly stop.
  const double offset = 1.0 / (2 * n), start = offset, stop = 1 - offset;
  std::vector<double> side(n);
  const double step = n > 1 ? (stop - start) / (n - 1) : 0.0;
  for (int i = 0; i < n; ++i) side[i] = i * step + start;
  if (n > 1) side[n - 1] = stop;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) points.push_back({side[x], side[y]});
  return points;
}

std::vector<int64_t> box_nms(const std::vector<std::array<float, 4>> &boxes,
                             const std::vector<float> &scores, double iou_threshold) {
  const size_t n = boxes.size();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<float> areas(n);
  for (size_t i = 0; i < n; ++i)
    areas[i] = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]);
  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  for (size_t oi = 0; oi < n; ++oi) {
    const int64_t i = order[oi];
    if (suppressed[i]) continue;
    keep.push_back(i);
    const auto &bi = boxes[i];
    for (size_t oj = oi + 1; oj < n; ++oj) {
      const int64_t j = order[oj];
      if (suppressed[j]) continue;
      const auto &bj = boxes[j];
      const float w = std::max(0.f, std::min(bi[2], bj[2]) - std::max(bi[0], bj[0]));
      const float h = std::max(0.f, std::min(bi[3], bj[3]) - std::max(bi[1], bj[1]));
      const float inter = w * h;
      const float ovr = inter / (areas[i] + areas[j] - inter);
      if (ovr > iou_threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

std::vector<std::array<double, 2>> prompt_points(const AutomaticMaskOptions &o, int width,
                                                 int height) {
  std::vector<std::array<double, 2>> pts;
  if (!o.points.empty()) {
    pts = o.points;
    if (o.max_points > 0 && static_cast<int>(pts.size()) > o.max_points) {
      std::vector<std::array<double, 2>> thin;
      for (int i = 0; i < o.max_points; ++i)
        thin.push_back(pts[static_cast<size_t>(i) * pts.size() / o.max_points]);
      pts.swap(thin);
    }
    return pts;
  }
  int side = o.points_per_side;
  if (o.max_points > 0)
    side =
        std::min(side, static_cast<int>(std::floor(std::sqrt(static_cast<double>(o.max_points)))));
  for (const auto &p : build_point_grid(side))
    pts.push_back({p[0] * width, p[1] * height});  // points_scale = (w, h)
  return pts;
}

namespace {

struct Candidate {
  RegionMask mask;  // inside its box (empty box when no pixel is on)
  std::array<int, 4> box;
  int64_t area;
  float iou, stability;
  std::array<double, 2> point;
};

// The box-cropped mask as a frame-size 0/1 plane.
std::vector<uint8_t> frame_plane(const RegionMask &m, int W, int H) {
  std::vector<uint8_t> plane(static_cast<size_t>(W) * H, 0);
  for (int y = 0; y < m.box.height; ++y)
    for (int x = 0; x < m.box.width; ++x)
      plane[static_cast<size_t>(m.box.y + y) * W + m.box.x + x] =
          m.pixels[static_cast<size_t>(y) * m.box.width + x] != 0;
  return plane;
}

// x0 y0 x1 y1 of the positive pixels (batched_mask_to_box), zeros when none.
std::array<int, 4> mask_box(const at::Tensor &on) {
  const at::Tensor ry = on.any(1).nonzero(), cx = on.any(0).nonzero();
  if (ry.numel() == 0) return {0, 0, 0, 0};
  return {static_cast<int>(cx[0].item<int64_t>()), static_cast<int>(ry[0].item<int64_t>()),
          static_cast<int>(cx[-1].item<int64_t>()), static_cast<int>(ry[-1].item<int64_t>())};
}

// cv2.connectedComponentsWithStats(mask, 8) sizes and labels (0 = the
// zero pixels), by flood fill.
int label_components(const std::vector<uint8_t> &mask, int W, int H, std::vector<int> &labels,
                     std::vector<int64_t> &sizes) {
  labels.assign(mask.size(), 0);
  sizes.assign(1, 0);
  int next = 1;
  std::vector<int> stack;
  for (int start = 0; start < W * H; ++start) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = next;
    int64_t count = 0;
    stack.push_back(start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      ++count;
      const int y = p / W, x = p % W;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          const int q = yy * W + xx;
          if (mask[q] && !labels[q]) {
            labels[q] = next;
            stack.push_back(q);
          }
        }
    }
    sizes.push_back(count);
    ++next;
  }
  return next;
}

// remove_small_regions(mask, area, mode): true when the mask changed.
bool remove_small_regions(std::vector<uint8_t> &mask, int W, int H, double area, bool holes) {
  std::vector<uint8_t> work(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) work[i] = holes ? !mask[i] : mask[i] != 0;
  std::vector<int> labels;
  std::vector<int64_t> sizes;
  const int n = label_components(work, W, H, labels, sizes);
  std::vector<char> small(n, 0);
  bool any_small = false;
  for (int i = 1; i < n; ++i)
    if (sizes[i] < area) small[i] = 1, any_small = true;
  if (!any_small) return false;
  std::vector<char> fill(n, 0);
  if (holes) {
    fill[0] = 1;
    for (int i = 1; i < n; ++i) fill[i] = small[i];
  } else {
    bool any = false;
    for (int i = 1; i < n; ++i) any |= (fill[i] = !small[i]) != 0;
    if (!any) {
      int best = 1;
      for (int i = 2; i < n; ++i)
        if (sizes[i] > sizes[best]) best = i;
      fill[best] = 1;
    }
  }
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = fill[labels[i]] ? 1 : 0;
  return true;
}

}  // namespace

std::vector<AutomaticMask> generate_masks(const SamModel &model, const AutomaticMaskOptions &o) {
  if (!model.has_image()) throw ModelError("SAM automatic masks: no image set");
  if (o.points_per_batch <= 0)
    throw ModelError("SAM automatic masks: points_per_batch must be positive");
  at::NoGradGuard no_grad;
  const int W = model.frame_width(), H = model.frame_height();
  const auto points = prompt_points(o, W, H);
  const float iou_thresh = static_cast<float>(o.pred_iou_thresh);
  const float stab_thresh = static_cast<float>(o.stability_score_thresh);
  const float offset = static_cast<float>(o.stability_score_offset);
  const MaskPostprocess &post = model.mask_postprocess();

  std::vector<Candidate> kept;
  for (size_t b0 = 0; b0 < points.size(); b0 += o.points_per_batch) {
    const size_t nb = std::min(points.size() - b0, static_cast<size_t>(o.points_per_batch));
    at::Tensor xy = at::empty({static_cast<int64_t>(nb), 1, 2}, at::kDouble);
    auto acc = xy.accessor<double, 3>();
    for (size_t i = 0; i < nb; ++i) {
      acc[i][0][0] = points[b0 + i][0];
      acc[i][0][1] = points[b0 + i][1];
    }
    const at::Tensor labels = at::ones({static_cast<int64_t>(nb), 1}, at::kInt);
    // The IoU predictions come before the upscaling: the reference filters
    // on them after upscaling every mask; a prompt none of whose masks pass
    // is not upscaled at all (the same masks survive).
    const DecodedTokens tokens =
        model.decode_tokens(model.to_input_coords(xy), labels, at::Tensor(), true);
    const int64_t k = tokens.iou.size(1);
    const at::Tensor iou = tokens.iou.flatten(0, 1).contiguous();  // prompt-major
    const float *iou_p = iou.data_ptr<float>();
    std::vector<int64_t> pass, rows, row_of(nb, -1);
    for (int64_t j = 0; j < static_cast<int64_t>(nb) * k; ++j)
      if (!(o.pred_iou_thresh > 0.0) || iou_p[j] > iou_thresh) {
        pass.push_back(j);
        if (row_of[j / k] < 0) {
          row_of[j / k] = static_cast<int64_t>(rows.size());
          rows.push_back(j / k);
        }
      }
    if (pass.empty()) continue;
    const at::Tensor logits =
        model.upscale_masks(tokens, at::tensor(rows, at::kLong)).contiguous();  // [rows, k, 4h, 4w]
    const int64_t plane = logits.size(2) * logits.size(3);
    const float *low = logits.data_ptr<float>();
    std::vector<Candidate> found(pass.size());
    std::vector<char> ok(pass.size(), 0);
    // Each mask at frame size once: stability counts, area, box, the mask.
    at::parallel_for(0, static_cast<int64_t>(pass.size()), 1, [&](int64_t i0, int64_t i1) {
      std::vector<uint8_t> mask(static_cast<size_t>(W) * H);
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t j = pass[i];
        const float *lp = low + (row_of[j / k] * k + j % k) * plane;
        const MaskPlaneStats st = post.measure(lp, offset, mask.data());
        const float stab = st.stability();
        if (o.stability_score_thresh > 0.0 && !(stab >= stab_thresh)) continue;
        Candidate &c = found[i];
        c.box = st.box;
        c.area = st.area;
        c.iou = iou_p[j];
        c.stability = stab;
        c.point = points[b0 + j / k];
        if (auto r = region_from_plane(mask.data(), W, st, iou_p[j])) c.mask = std::move(*r);
        ok[i] = 1;
      }
    });
    for (size_t i = 0; i < pass.size(); ++i)
      if (ok[i]) kept.push_back(std::move(found[i]));
  }

  std::vector<std::array<float, 4>> boxes;
  std::vector<float> scores;
  for (const Candidate &c : kept) {
    const auto &b = c.box;
    boxes.push_back({static_cast<float>(b[0]), static_cast<float>(b[1]), static_cast<float>(b[2]),
                     static_cast<float>(b[3])});
    scores.push_back(c.iou);
  }
  std::vector<int64_t> order = box_nms(boxes, scores, o.box_nms_thresh);

  if (o.min_mask_region_area > 0 && !order.empty()) {
    // postprocess_small_regions: clean each mask, then NMS with the unchanged
    // masks first (score 1) and the changed ones after (score 0).
    std::vector<std::array<float, 4>> new_boxes;
    std::vector<float> unchanged;
    std::vector<std::vector<uint8_t>> cleaned;
    for (int64_t i : order) {
      std::vector<uint8_t> m = frame_plane(kept[i].mask, W, H);
      const bool c1 = remove_small_regions(m, W, H, o.min_mask_region_area, true);
      const bool c2 = remove_small_regions(m, W, H, o.min_mask_region_area, false);
      const at::Tensor t = at::from_blob(m.data(), {H, W}, at::kByte).gt(0);
      const auto b = mask_box(t);
      new_boxes.push_back({static_cast<float>(b[0]), static_cast<float>(b[1]),
                           static_cast<float>(b[2]), static_cast<float>(b[3])});
      unchanged.push_back(c1 || c2 ? 0.f : 1.f);
      cleaned.push_back(std::move(m));
    }
    const std::vector<int64_t> keep2 =
        box_nms(new_boxes, unchanged, std::max(o.box_nms_thresh, 0.7 /* crop_nms_thresh */));
    std::vector<int64_t> reordered;
    for (int64_t r : keep2) {
      const int64_t i = order[r];
      if (unchanged[r] == 0.f) {
        const at::Tensor plane = at::from_blob(cleaned[r].data(), {H, W}, at::kByte).to(at::kFloat);
        kept[i].mask = region_from_logits(plane, kept[i].iou).value_or(RegionMask());
        kept[i].area = static_cast<int64_t>(kept[i].mask.area());
        const auto &nb = new_boxes[r];
        kept[i].box = {static_cast<int>(nb[0]), static_cast<int>(nb[1]), static_cast<int>(nb[2]),
                       static_cast<int>(nb[3])};
      }
      reordered.push_back(i);
    }
    order.swap(reordered);
  }

  std::vector<AutomaticMask> result;
  for (int64_t i : order) {
    const Candidate &c = kept[i];
    AutomaticMask m;
    m.predicted_iou = c.iou;
    m.stability_score = c.stability;
    m.box_xyxy = c.box;
    m.point = c.point;
    m.area = c.area;
    m.mask = c.mask;
    result.push_back(std::move(m));
  }
  return result;
}

std::vector<AutomaticMask> generate_masks(SamModel &model, const ImageView &frame,
                                          const AutomaticMaskOptions &options) {
  model.set_image(frame);
  return generate_masks(static_cast<const SamModel &>(model), options);
}

}  // namespace refseg::sam

// Automatic mask generation as segment-anything's SamAutomaticMaskGenerator
// does it with crop_n_layers = 0: a grid of points (build_point_grid)
// decoded in batches with multimask output; the predicted-IoU filter, the
// stability-score filter (logits thresholded at 0 +- offset, at frame size),
// masks thresholded at 0 at frame size, box NMS; the result in the order the
// NMS keeps (predicted IoU, highest first). Options carry the reference's
// names and defaults.
//
// Beyond the reference, for the CPU: a points budget (max_points) and given
// prompt points (e.g. the centroids of the weightless generator's regions)
// instead of the grid.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"

namespace refseg::sam {

class SamModel;

struct AutomaticMaskOptions {
  int points_per_side = 32;
  int points_per_batch = 64;
  double pred_iou_thresh = 0.88;         // kept when predicted IoU > this (0 disables)
  double stability_score_thresh = 0.95;  // kept when stability >= this (0 disables)
  double stability_score_offset = 1.0;
  double box_nms_thresh = 0.7;
  // > 0: holes and islands smaller than this many pixels are removed, then a
  // second box NMS (the reference's postprocess_small_regions).
  int min_mask_region_area = 0;
  // Points budget: > 0 caps the prompts per frame (a grid shrinks to the
  // largest side whose square fits; given points are thinned evenly).
  int max_points = 0;
  // Given prompts in frame pixels (x, y); when not empty they replace the grid.
  std::vector<std::array<double, 2>> points;
};

struct AutomaticMask {
  RegionMask mask;  // frame pixels inside its box; score = predicted IoU
  float predicted_iou = 0.f;
  float stability_score = 0.f;
  std::array<int, 4> box_xyxy{};  // the reference's box: first/last columns and rows
  std::array<double, 2> point{};  // the prompt, frame pixels
  int64_t area = 0;
};

// build_point_grid(n): n x n points in [0, 1]^2, x fastest.
std::vector<std::array<double, 2>> build_point_grid(int n_per_side);

// torchvision.ops.batched_nms with one category, as the generator calls it:
// boxes x0 y0 x1 y1 (float), greedy by score (a stable sort: ties in input
// order), a box is dropped when its IoU with a kept one exceeds `iou_threshold`.
// Returns the kept indices in score order.
std::vector<int64_t> box_nms(const std::vector<std::array<float, 4>> &boxes,
                             const std::vector<float> &scores, double iou_threshold);

// The prompts the options give for a frame of this size (frame pixels).
std::vector<std::array<double, 2>> prompt_points(const AutomaticMaskOptions &options, int width,
                                                 int height);

// Masks for the model's current image (SamModel::set_image first).
std::vector<AutomaticMask> generate_masks(const SamModel &model,
                                          const AutomaticMaskOptions &options);
// set_image(frame), then generate_masks.
std::vector<AutomaticMask> generate_masks(SamModel &model, const ImageView &frame,
                                          const AutomaticMaskOptions &options);

}  // namespace refseg::sam

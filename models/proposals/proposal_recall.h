// How well ranked proposals cover annotated objects: for the first K
// proposals, whether each object is found (best IoU at least 0.5, at least
// 0.7) and its best IoU. What tools/bench_proposals prints for the world and
// for real photos, and what the proposal tests hold floors on.
#pragma once

#include <vector>

#include "common/region_mask.h"

namespace refseg {

struct RecallAtK {
  int k = 0;
  int found50 = 0, found70 = 0;  // objects whose best IoU among the first k reaches 0.5 / 0.7
  double best_iou_sum = 0;       // sum over objects of their best IoU among the first k
};

class RecallTally {
 public:
  explicit RecallTally(std::vector<int> ks = {10, 20, 50, 100});

  // One object: its IoU with each proposal, in rank order (best first).
  void add_object(const std::vector<double> &ious_in_rank_order);
  void merge(const RecallTally &other);

  int objects() const { return objects_; }
  const std::vector<RecallAtK> &at() const { return at_; }
  // Fraction of objects found at IoU `threshold` (0.5 or 0.7) by the first k
  // (k must be one of the tally's); 0 with no objects.
  double recall(int k, double threshold) const;
  double mean_best_iou(int k) const;

 private:
  const RecallAtK &entry(int k) const;
  int objects_ = 0;
  std::vector<RecallAtK> at_;
};

// IoU of each proposal's mask with `truth`, in the proposals' order.
std::vector<double> mask_ious(const std::vector<RegionMask> &proposals, const RegionMask &truth);

double box_iou(const Box &a, const Box &b);
std::vector<double> box_ious(const std::vector<Box> &boxes, const Box &truth);

// Index of the best of the first k IoUs (-1 when there is none).
int best_index(const std::vector<double> &ious, int k);

}  // namespace refseg

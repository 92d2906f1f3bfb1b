// The authors' accuracy figures (Compute_IoU in utils.py of github
// Seonghoon-Yu/Zero-shot-RIS, called once per sentence in
// Our_method_with_free_solo.py):
//   I = |prediction AND target|, U = |prediction OR target| over the image,
//   IoU = I / U, or 0 when U = 0;
//   oIoU = sum of I / sum of U, mIoU = mean of the per-sentence IoU,
// both over the sentences that were scored. A ref whose image has no
// proposal is skipped there (`continue` before the sentence loop): its
// sentences enter neither sum nor mean. The tally also keeps a stricter
// count in which each of those sentences scores I = 0, U = |target|.
#pragma once

#include <cstdint>

#include "common/region_mask.h"
#include "refcoco/coco_mask.h"

namespace refseg::refcoco {

struct Overlap {
  int64_t intersection = 0, union_ = 0;
};

// Intersection and union of a box-cropped prediction with an image-sized
// target (non-zero = in); prediction pixels outside the image are not part
// of it and count for neither.
Overlap overlap(const RegionMask &prediction, const PixelMask &target);

class IouTally {
 public:
  void add(const Overlap &o);
  // A sentence of a ref that had no proposal: as the authors, nothing; the
  // strict count adds I = 0, U = target_area.
  void add_unanswered(int64_t target_area);

  int64_t sentences() const { return sentences_; }  // scored
  int64_t unanswered() const { return unanswered_; }
  int64_t intersection() const { return intersection_; }
  int64_t union_() const { return union_sum_; }
  // Fractions in [0, 1] (the paper's table shows 100 x these); 0 with
  // nothing scored.
  double oiou() const;
  double miou() const;
  // Counting each unanswered sentence as IoU 0 (and its target in the union).
  double strict_oiou() const;
  double strict_miou() const;

 private:
  int64_t sentences_ = 0, unanswered_ = 0;
  int64_t intersection_ = 0, union_sum_ = 0, unanswered_union_ = 0;
  double iou_sum_ = 0;
};

}  // namespace refseg::refcoco

#include "proposals/proposal_recall.h"

#include <algorithm>
#include <stdexcept>

namespace refseg {

RecallTally::RecallTally(std::vector<int> ks) {
  for (int k : ks) at_.push_back({k, 0, 0, 0.0});
}

void RecallTally::add_object(const std::vector<double> &ious) {
  ++objects_;
  for (RecallAtK &r : at_) {
    double best = 0;
    for (size_t i = 0; i < ious.size() && static_cast<int>(i) < r.k; ++i)
      best = std::max(best, ious[i]);
    r.found50 += best >= 0.5;
    r.found70 += best >= 0.7;
    r.best_iou_sum += best;
  }
}

void RecallTally::merge(const RecallTally &other) {
  if (other.at_.size() != at_.size()) throw std::invalid_argument("tallies of different K");
  objects_ += other.objects_;
  for (size_t i = 0; i < at_.size(); ++i) {
    at_[i].found50 += other.at_[i].found50;
    at_[i].found70 += other.at_[i].found70;
    at_[i].best_iou_sum += other.at_[i].best_iou_sum;
  }
}

const RecallAtK &RecallTally::entry(int k) const {
  for (const RecallAtK &r : at_)
    if (r.k == k) return r;
  throw std::invalid_argument("the tally has no K = " + std::to_string(k));
}

double RecallTally::recall(int k, double threshold) const {
  if (objects_ == 0) return 0;
  const RecallAtK &r = entry(k);
  return (threshold >= 0.7 ? r.found70 : r.found50) / static_cast<double>(objects_);
}

double RecallTally::mean_best_iou(int k) const {
  return objects_ == 0 ? 0 : entry(k).best_iou_sum / objects_;
}

std::vector<double> mask_ious(const std::vector<RegionMask> &proposals, const RegionMask &truth) {
  std::vector<double> out;
  out.reserve(proposals.size());
  for (const RegionMask &m : proposals) out.push_back(mask_iou(m, truth));
  return out;
}

double box_iou(const Box &a, const Box &b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.width, b.x + b.width);
  const int y1 = std::min(a.y + a.height, b.y + b.height);
  const double inter = std::max(0, x1 - x0) * static_cast<double>(std::max(0, y1 - y0));
  const double uni = static_cast<double>(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<double> box_ious(const std::vector<Box> &boxes, const Box &truth) {
  std::vector<double> out;
  out.reserve(boxes.size());
  for (const Box &b : boxes) out.push_back(box_iou(b, truth));
  return out;
}

int best_index(const std::vector<double> &ious, int k) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(ious.size()) && i < k; ++i)
    if (best < 0 || ious[i] > ious[best]) best = i;
  return best;
}

}  // namespace refseg

#include "tracking/selection_stabilizer.h"

#include <cstddef>

namespace refseg::tracking {

int SelectionStabilizer::choose(const std::vector<int> &ids, const std::vector<float> &scores,
                                int best, const StabilizerOptions &options) {
  if (best < 0 || best >= static_cast<int>(ids.size()) || scores.size() != ids.size()) {
    selected_ = candidate_ = -1;
    candidate_count_ = 0;
    return -1;
  }
  int current = -1;
  for (std::size_t i = 0; i < ids.size(); i++)
    if (ids[i] == selected_) current = static_cast<int>(i);
  const auto take = [&](int index) {
    selected_ = ids[index];
    candidate_ = -1;
    candidate_count_ = 0;
    return index;
  };
  if (current < 0 || current == best) return take(best);
  if (scores[best] >= scores[current] + options.margin) return take(best);
  if (ids[best] == candidate_)
    candidate_count_++;
  else {
    candidate_ = ids[best];
    candidate_count_ = 1;
  }
  if (candidate_count_ >= options.confirmations) return take(best);
  return current;
}

}  // namespace refseg::tracking

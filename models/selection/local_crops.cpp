#include "selection/local_crops.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "selection/selection.h"

namespace refseg {

std::vector<bool> rows_for_local_crops(const float *global, size_t n, size_t dim,
                                       const std::vector<std::vector<float>> &texts, int k) {
  if (k < 0 || texts.empty()) return std::vector<bool>(n, true);
  std::vector<bool> wanted(n, false);
  std::vector<size_t> order(n);
  for (const auto &text : texts) {
    // Global weight 1: the local argument is never read.
    const std::vector<float> scores = score_proposals(global, global, n, dim, text, 1.f);
    std::iota(order.begin(), order.end(), size_t{0});
    // Best first, ties by index; NaN (broken rows) last.
    auto better = [&](size_t a, size_t b) {
      const bool fa = std::isfinite(scores[a]), fb = std::isfinite(scores[b]);
      if (fa != fb) return fa;
      if (fa && scores[a] != scores[b]) return scores[a] > scores[b];
      return a < b;
    };
    const size_t keep = std::min(n, static_cast<size_t>(k));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      better);
    for (size_t i = 0; i < keep; ++i)
      if (std::isfinite(scores[order[i]])) wanted[order[i]] = true;
  }
  return wanted;
}

}  // namespace refseg

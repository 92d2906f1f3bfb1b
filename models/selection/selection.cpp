#include "selection/selection.h"

#include <cmath>
#include <limits>

namespace refseg {

std::vector<float> mix_text_features(const std::vector<float> &sentence,
                                     const std::vector<float> &phrase, float sentence_weight) {
  std::vector<float> mixed(sentence.size());
  for (size_t i = 0; i < mixed.size(); i++)
    mixed[i] = sentence_weight * sentence[i] +
               (1.f - sentence_weight) * (i < phrase.size() ? phrase[i] : 0.f);
  return mixed;
}

std::vector<float> score_proposals(const float *global, const float *local, size_t n, size_t dim,
                                   const std::vector<float> &text, float global_weight) {
  std::vector<float> scores(n, 0.f);
  if (text.size() != dim) return scores;
  double text_norm = 0;
  for (float t : text) text_norm += double(t) * t;
  text_norm = std::sqrt(text_norm);
  for (size_t i = 0; i < n; i++) {
    double dot = 0, norm = 0;
    for (size_t d = 0; d < dim; d++) {
      const double v =
          global_weight * global[i * dim + d] + (1.0 - global_weight) * local[i * dim + d];
      dot += v * text[d];
      norm += v * v;
    }
    const double denom = std::sqrt(norm) * text_norm;
    // Non-finite features stay non-finite (NaN): a broken row must not
    // pass for a zero score that could win.
    if (!std::isfinite(dot) || !std::isfinite(denom))
      scores[i] = std::numeric_limits<float>::quiet_NaN();
    else
      scores[i] = denom > 0 ? static_cast<float>(100.0 * dot / denom) : 0.f;
  }
  return scores;
}

int best_proposal(const std::vector<float> &scores) {
  int best = -1;
  for (size_t i = 0; i < scores.size(); i++) {
    if (!std::isfinite(scores[i])) continue;
    if (best < 0 || scores[i] > scores[best]) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace refseg

// Keeps an expression's selection on one tracked object from analysis to
// analysis. CLIP scores of neighbouring proposals differ by fractions of a
// point, so picking the best every time flickers between near-equal masks;
// the rule here switches only for a clear reason:
//
//  - nothing is selected yet, or the selected track is gone: take the best;
//  - the best scores at least `margin` points above the selected track: take it;
//  - the same other track has been the best in `confirmations` analyses in
//    a row: take it;
//  - otherwise the selection stays on its track.
//
// margin 0 with confirmations 1 is the paper's rule (always the best).
#pragma once

#include <vector>

namespace refseg::tracking {

struct StabilizerOptions {
  float margin = 3.f;     // score points (100 x cosine)
  int confirmations = 3;  // analyses in a row
};

class SelectionStabilizer {
 public:
  // scores[i] belongs to track ids[i]; best is the analysis' own choice (an
  // index, -1 for nothing). Returns the index chosen, -1 when best is -1.
  int choose(const std::vector<int> &ids, const std::vector<float> &scores, int best,
             const StabilizerOptions &options);
  int selected_track() const { return selected_; }
  void reset() { *this = SelectionStabilizer(); }

 private:
  int selected_ = -1;   // track id
  int candidate_ = -1;  // track id that has been best but not taken yet
  int candidate_count_ = 0;
};

}  // namespace refseg::tracking

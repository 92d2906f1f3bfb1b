// Which proposals get a local-context crop pass when only K may
// (local-crops=K, issue 10): the local feature weighs 1 - a = 0.05 by
// default, so a proposal far down the global ranking rarely gains enough
// from it to win. Every expression keeps its K best proposals by global
// score; the rest are scored on their global feature alone.
#pragma once

#include <cstddef>
#include <vector>

namespace refseg {

// Marks the union over `texts` (mixed text features, dim floats each) of
// each text's `k` best rows of `global` (n x dim, row-major) by cosine.
// k < 0, or no text to rank by: every row (the paper's method). Rows with
// non-finite features are never among the best.
std::vector<bool> rows_for_local_crops(const float *global, size_t n, size_t dim,
                                       const std::vector<std::vector<float>> &texts, int k);

}  // namespace refseg

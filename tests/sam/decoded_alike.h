// Whether two decodings of one box agree. A box decoded in a batch and the
// same box decoded alone run different matrix kernels (the BLAS and oneDNN
// choose their blocking by the batch size), so their logits agree to float
// rounding, not bit for bit: on a 2-core AMD EPYC with AVX-512 a predicted
// IoU differed in its sixth digit (-0.444511 against -0.444512) and a mask
// in the pixels whose logit lies within that rounding of the threshold.
// What a user depends on is that batching does not change the result
// beyond that.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace refseg::sam::fixture {

inline bool scores_alike(float a, float b) {
  return std::fabs(a - b) <= 1e-5f * std::max(1.f, std::fabs(b));
}

// Pixels of two masks of the same box that differ; SIZE_MAX when their sizes
// differ.
inline size_t pixels_differing(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  if (a.size() != b.size()) return SIZE_MAX;
  size_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

// At most one pixel in a thousand (and at least one allowed) may flip.
inline bool masks_alike(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  return pixels_differing(a, b) <= std::max<size_t>(1, a.size() / 1000);
}

}  // namespace refseg::sam::fixture

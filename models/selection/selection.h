// Choosing the proposal an expression refers to, from stored features
// (docs/method.md step 4). Plain arrays in, plain arrays out: the selector reads
// features from frame metadata and never re-encodes a frame to rescore it.
#pragma once

#include <cstddef>
#include <vector>

namespace refseg {

struct SelectionWeights {
  float global = 0.95f;   // a: v = a f_g + (1 - a) f_l
  float sentence = 0.5f;  // b: t = b t_sentence + (1 - b) t_phrase
};

// b t_sentence + (1 - b) t_phrase, on the unnormalized embeddings.
std::vector<float> mix_text_features(const std::vector<float> &sentence,
                                     const std::vector<float> &phrase, float sentence_weight);

// score_i = 100 cos(a f_g_i + (1 - a) f_l_i, t) for the n rows of the
// row-major n x dim feature arrays. A zero vector scores 0; a row or text
// with NaN or infinite values scores NaN.
std::vector<float> score_proposals(const float *global, const float *local, size_t n, size_t dim,
                                   const std::vector<float> &text, float global_weight);

// Index of the highest finite score (the first one on ties), -1 for none.
int best_proposal(const std::vector<float> &scores);

}  // namespace refseg

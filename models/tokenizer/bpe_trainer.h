// Learns a small BPE vocabulary from text, in CLIP's format, for models that
// train their own text tower (the tiny CLIP of the synthetic world). The
// text goes through exactly the cleaning and splitting BpeTokenizer uses, so
// BpeTokenizer::from_merges(learn_bpe_merges(...)) segments the corpus's
// words as they were learnt.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/merges_file.h"  // BpeMerges, write_merges_gz

namespace refseg {

// Up to num_merges merges, most frequent adjacent symbol pair first (over
// all word occurrences; ties go to the lexicographically smallest pair so the
// result is deterministic). Stops early when no pair is left. The
// tokenizer's vocabulary size is then 256 * 2 + merges.size() + 2.
BpeMerges learn_bpe_merges(const std::vector<std::string> &texts, std::size_t num_merges);

}  // namespace refseg

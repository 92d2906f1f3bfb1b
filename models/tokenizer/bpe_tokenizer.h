// CLIP's byte-level BPE tokenizer (OpenAI's simple_tokenizer.py in C++),
// producing the same ids as OpenAI's, ftfy's text fixing included except
// its mojibake repair (text_cleaning.h, ftfy_fixes.h).
//
// Vocabulary: the 256 byte characters, the same with "</w>" appended, one
// entry per merge, then <|startoftext|> and <|endoftext|>: 49408 entries
// for OpenAI's file, 256 * 2 + merges + 2 for a learnt one (SOT and EOT are
// always the last two ids).
//
// Invalid UTF-8 in the input is defined behaviour: each maximal ill-formed
// byte sequence is read as U+FFFD (as Python's decode(errors='replace')), so
// the ids equal OpenAI's for the text that decoding gives.
//
// Thread-safe: every const method may be called concurrently. Copies share
// the vocabulary and the BPE cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/merges_file.h"

namespace refseg {

class BpeTokenizer {
 public:
  // OpenAI's bpe_simple_vocab_16e6.txt.gz or a file from write_merges_gz.
  // Uses the first 49152 - 256 - 2 = 48894 merges when the file has more (as
  // OpenAI does), all of them otherwise. Throws refseg::ModelError naming the
  // file and the problem (missing, not gzip, truncated, too few merges).
  static BpeTokenizer from_file(const std::string &gz_path);
  // Merges in rank order, symbols in the byte-to-unicode alphabet.
  static BpeTokenizer from_merges(BpeMerges merges);

  static constexpr std::size_t kOpenAiMerges = 49152 - 256 - 2;

  // Token ids of the text, without SOT/EOT.
  std::vector<int> encode(const std::string &text) const;
  // [SOT, ids..., EOT] padded with 0 to context_length; longer input is
  // truncated keeping EOT last (clip.tokenize(truncate=True)).
  std::vector<int64_t> tokenize(const std::string &text, int context_length = 77) const;
  // Text of the ids ("</w>" becomes a space, SOT/EOT appear as their
  // names); bytes that do not form UTF-8 become U+FFFD. Throws
  // refseg::ModelError for an id outside the vocabulary.
  std::string decode(const std::vector<int> &ids) const;

  int sot() const;
  int eot() const;
  std::size_t vocab_size() const;
  std::size_t merge_count() const;

 private:
  struct State;
  explicit BpeTokenizer(std::shared_ptr<State> state);
  std::vector<int> bpe_piece(const std::string &piece) const;

  std::shared_ptr<State> state_;
};

}  // namespace refseg

#include "tokenizer/bpe_trainer.h"

#include <map>
#include <unordered_map>

#include "tokenizer/byte_unicode.h"
#include "tokenizer/text_cleaning.h"

namespace refseg {

BpeMerges learn_bpe_merges(const std::vector<std::string> &texts, std::size_t num_merges) {
  // Distinct pieces and how often each occurs.
  std::map<std::string, long> piece_counts;  // ordered: deterministic iteration
  for (const std::string &t : texts)
    for (const std::string &piece : text::split_pieces(text::clean(t)))
      if (piece != "<|startoftext|>" && piece != "<|endoftext|>") ++piece_counts[piece];

  const ByteUnicode bytes;
  struct Word {
    std::vector<std::string> symbols;
    long count;
  };
  std::vector<Word> words;
  words.reserve(piece_counts.size());
  for (const auto &[piece, count] : piece_counts) {
    Word w{{}, count};
    for (unsigned char b : piece) w.symbols.push_back(bytes.encode(b));
    w.symbols.back() += "</w>";
    words.push_back(std::move(w));
  }

  BpeMerges merges;
  while (merges.size() < num_merges) {
    std::map<std::pair<std::string, std::string>, long> pair_counts;
    for (const Word &w : words)
      for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i)
        pair_counts[{w.symbols[i], w.symbols[i + 1]}] += w.count;
    if (pair_counts.empty()) break;
    auto best = pair_counts.begin();
    for (auto it = pair_counts.begin(); it != pair_counts.end(); ++it)
      if (it->second > best->second) best = it;  // strict: the smallest pair wins ties
    const auto [first, second] = best->first;
    merges.emplace_back(first, second);
    // Merge left to right, as the tokenizer will.
    for (Word &w : words) {
      std::vector<std::string> merged;
      merged.reserve(w.symbols.size());
      for (std::size_t i = 0; i < w.symbols.size();) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == first && w.symbols[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(w.symbols[i++]);
        }
      }
      w.symbols.swap(merged);
    }
  }
  return merges;
}

}  // namespace refseg

// Text helpers shared by the parser and the heuristic: normalising an
// expression and splitting it into words with their byte offsets.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace refseg {

// Trims, collapses runs of ASCII whitespace (and NUL bytes, which count as
// whitespace) to one space, and drops trailing sentence punctuation
// (". ! ?"), which the parsers add or ignore themselves.
std::string normalize_expression(const std::string &text);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or bytes
// past U+10FFFF).
bool is_valid_utf8(const std::string &text);

struct WordSpan {
  std::size_t begin = 0;  // byte offsets into the normalized expression
  std::size_t end = 0;
  std::string lower;  // ASCII lower-cased text
};

// Words split at spaces; a trailing comma stays out of the word.
std::vector<WordSpan> split_words(const std::string &normalized);

}  // namespace refseg

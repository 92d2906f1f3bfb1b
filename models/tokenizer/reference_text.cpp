#include "tokenizer/reference_text.h"

#include <algorithm>

#include "tokenizer/unicode_props.h"

namespace refseg::text {
namespace {

using unicode::is_letter;

const std::u32string kPrefixes = U"\"'([{<«“‘„$£€¥#¿¡*&~`";
const std::u32string kSuffixes = U")]}>\"'.,;:!?…»”’%*";
const std::u32string kApostrophes = U"'’";

bool is_one_of(char32_t c, const std::u32string &set) {
  return set.find(c) != std::u32string::npos;
}

bool ends_with(const std::u32string &s, const std::u32string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A clitic ending `word` (its length), with either apostrophe; 0 if none.
size_t clitic_length(const std::u32string &word) {
  for (const char32_t *c : {U"s", U"re", U"ve", U"ll", U"d", U"m"}) {
    const std::u32string tail(c);
    for (char32_t a : kApostrophes)
      if (ends_with(word, std::u32string(1, a) + tail) && word.size() > tail.size() + 1)
        return tail.size() + 1;
  }
  for (char32_t a : kApostrophes) {
    const std::u32string nt = std::u32string(U"n") + a + U"t";
    if (ends_with(word, nt) && word.size() > 3) return 3;
  }
  return 0;
}

bool is_clitic(const std::u32string &word) {
  for (char32_t a : kApostrophes)
    for (const char32_t *c : {U"s", U"re", U"ve", U"ll", U"d", U"m"})
      if (word == std::u32string(1, a) + c) return true;
  for (char32_t a : kApostrophes)
    if (word == std::u32string(U"n") + a + U"t") return true;
  return false;
}

// Whole words spaCy's exceptions split in two: the length of the first part.
size_t exception_split(const std::u32string &word) {
  if (word == U"cannot") return 3;
  if (word == U"gonna" || word == U"gotta" || word == U"wanna") return 3;
  return 0;
}

bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}

// Splits at hyphens and commas between letters and at + - * ^ between
// digits (spaCy's infix rules for these).
void split_infixes(const std::u32string &word, std::vector<std::u32string> &out) {
  size_t start = 0;
  for (size_t i = 1; i + 1 < word.size(); ++i) {
    const bool letters =
        (word[i] == U'-' || word[i] == U',') && is_letter(word[i - 1]) && is_letter(word[i + 1]);
    const bool digits = is_one_of(word[i], U"+-*^") && is_digit(word[i - 1]) &&
                        (is_digit(word[i + 1]) || word[i + 1] == U'-');
    if (letters || digits) {
      out.push_back(word.substr(start, i - start));
      out.push_back(word.substr(i, 1));
      start = i + 1;
    }
  }
  out.push_back(word.substr(start));
}

void split_chunk(std::u32string chunk, std::vector<std::u32string> &out) {
  std::vector<std::u32string> suffixes;  // peeled from the end, emitted reversed
  while (!chunk.empty()) {
    if (const size_t n = exception_split(chunk)) {
      out.push_back(chunk.substr(0, n));
      chunk = chunk.substr(n);
      continue;
    }
    if (is_clitic(chunk)) {
      out.push_back(chunk);
      break;
    }
    if (chunk.size() > 1 && is_one_of(chunk.front(), kPrefixes)) {
      out.push_back(chunk.substr(0, 1));
      chunk.erase(0, 1);
      continue;
    }
    if (const size_t n = clitic_length(chunk)) {
      suffixes.push_back(chunk.substr(chunk.size() - n));
      chunk.resize(chunk.size() - n);
      continue;
    }
    if (chunk.size() > 1 && is_one_of(chunk.back(), kSuffixes)) {
      const bool abbreviation =
          chunk.back() == U'.' && chunk.find(U'.') != chunk.size() - 1 && is_letter(chunk[0]);
      if (!abbreviation) {
        suffixes.push_back(chunk.substr(chunk.size() - 1));
        chunk.pop_back();
        continue;
      }
    }
    split_infixes(chunk, out);
    chunk.clear();
  }
  out.insert(out.end(), suffixes.rbegin(), suffixes.rend());
}

}  // namespace

std::vector<std::string> reference_tokens(const std::string &sentence) {
  const std::u32string lower = unicode::to_lower(unicode::decode_utf8(sentence));
  std::vector<std::u32string> pieces;
  std::u32string chunk;
  for (char32_t c : lower + U" ") {
    if (!unicode::is_py_space(c)) {
      chunk.push_back(c);
      continue;
    }
    if (!chunk.empty()) split_chunk(chunk, pieces);
    chunk.clear();
  }
  std::vector<std::string> out;
  for (const auto &p : pieces)
    if (!p.empty()) out.push_back(unicode::encode_utf8(p));
  return out;
}

std::string reference_sentence(const std::string &sentence) {
  std::string out;
  for (const std::string &t : reference_tokens(sentence)) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

}  // namespace refseg::text

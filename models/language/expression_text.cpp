#include "language/expression_text.h"

#include <cctype>

namespace refseg {

namespace {
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
}  // namespace

std::string normalize_expression(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    // NUL bytes (possible through the C++ API) count as whitespace: a C
    // parser must never see a sentence cut short or empty.
    if (is_space(c) || c == '\0') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() &&
         (out.back() == ' ' || out.back() == '.' || out.back() == '!' || out.back() == '?'))
    out.pop_back();
  return out;
}

bool is_valid_utf8(const std::string &text) {
  const auto *s = reinterpret_cast<const unsigned char *>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = s[i];
    std::size_t len;
    unsigned cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static const unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::vector<WordSpan> split_words(const std::string &normalized) {
  std::vector<WordSpan> words;
  std::size_t i = 0;
  while (i < normalized.size()) {
    while (i < normalized.size() && normalized[i] == ' ') ++i;
    std::size_t j = i;
    while (j < normalized.size() && normalized[j] != ' ') ++j;
    std::size_t end = j;
    while (end > i && (normalized[end - 1] == ',' || normalized[end - 1] == ';')) --end;
    if (end > i) {
      WordSpan w{i, end, normalized.substr(i, end - i)};
      for (char &c : w.lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      words.push_back(std::move(w));
    }
    i = j;
  }
  return words;
}

}  // namespace refseg

#include "tokenizer/unicode_props.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/unicode_tables.h"

namespace refseg {
namespace unicode {
namespace {

namespace ut = unicode_tables;

constexpr char32_t kReplacement = 0xFFFD;

bool in_ranges(const ut::CodeRange *ranges, std::size_t count, char32_t cp) {
  const ut::CodeRange *end = ranges + count;
  // First range whose last >= cp; cp is inside if it also starts at or before.
  const ut::CodeRange *it = std::lower_bound(
      ranges, end, cp, [](const ut::CodeRange &r, char32_t c) { return r.last < c; });
  return it != end && it->first <= cp;
}

bool is_cased(char32_t cp) {
  return in_ranges(ut::kCased, ut::kCasedCount, cp);
}
bool is_case_ignorable(char32_t cp) {
  return in_ranges(ut::kCaseIgnorable, ut::kCaseIgnorableCount, cp);
}

// Python's handle_capital_sigma: final when preceded by a cased letter and not
// followed by one, case-ignorable code points skipped on both sides.
bool is_final_sigma(const std::u32string &text, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  std::size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

// Single code point lowering; 0 when the mapping is several code points.
char32_t lower_single(char32_t cp) {
  const ut::LowerRun *end = ut::kLower + ut::kLowerCount;
  const ut::LowerRun *it = std::lower_bound(
      ut::kLower, end, cp, [](const ut::LowerRun &r, char32_t c) { return r.last < c; });
  if (it != end && it->first <= cp && (cp - it->first) % it->stride == 0)
    return static_cast<char32_t>(static_cast<int64_t>(cp) + it->delta);
  return cp;
}

}  // namespace

std::u32string decode_utf8(const std::string &bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b0 = s[i];
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int need;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    char32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1, cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2, cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3, cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;  // no overlong forms
      if (b0 == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      out.push_back(kReplacement);  // a continuation or never-valid byte
      ++i;
      continue;
    }
    int k = 1;
    for (; k <= need; ++k) {
      if (i + k >= n) break;
      const unsigned char b = s[i + k];
      const unsigned char first_lo = k == 1 ? lo : 0x80, first_hi = k == 1 ? hi : 0xBF;
      if (b < first_lo || b > first_hi) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (k > need) {
      out.push_back(cp);
      i += need + 1;
    } else {
      out.push_back(kReplacement);  // the valid prefix counts as one error
      i += k;
    }
  }
  return out;
}

void append_utf8(char32_t cp, std::string &out) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(const std::u32string &text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(cp, out);
  return out;
}

bool is_letter(char32_t cp) {
  return in_ranges(ut::kLetter, ut::kLetterCount, cp);
}
bool is_number(char32_t cp) {
  return in_ranges(ut::kNumber, ut::kNumberCount, cp);
}
bool is_regex_space(char32_t cp) {
  return in_ranges(ut::kRegexSpace, ut::kRegexSpaceCount, cp);
}
bool is_py_space(char32_t cp) {
  return in_ranges(ut::kPySpace, ut::kPySpaceCount, cp);
}

std::u32string to_lower(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    if (cp == 0x03A3) {
      out.push_back(is_final_sigma(text, i) ? 0x03C2 : 0x03C3);
      continue;
    }
    const ut::LowerMulti *multi =
        std::find_if(ut::kLowerMulti, ut::kLowerMulti + ut::kLowerMultiCount,
                     [cp](const ut::LowerMulti &m) { return m.cp == cp; });
    if (multi != ut::kLowerMulti + ut::kLowerMultiCount) {
      out += decode_utf8(multi->utf8);
      continue;
    }
    out.push_back(lower_single(cp));
  }
  return out;
}

}  // namespace unicode
}  // namespace refseg

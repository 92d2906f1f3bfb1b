#include "tokenizer/text_cleaning.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/ftfy_fixes.h"
#include "tokenizer/unicode_props.h"
#include "tokenizer/unicode_tables.h"

namespace refseg {
namespace text {
namespace {

namespace ut = unicode_tables;

bool is_ascii_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char32_t c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char32_t c) {
  if (is_ascii_digit(c)) return static_cast<int>(c - '0');
  return static_cast<int>((c | 0x20) - 'a' + 10);
}

// The text a named reference stands for, or nullptr. `name` may end in ';'.
const char *lookup_entity(const std::string &name) {
  const ut::HtmlEntity *end = ut::kHtmlEntities + ut::kHtmlEntitiesCount;
  const ut::HtmlEntity *it = std::lower_bound(ut::kHtmlEntities, end, name,
                                              [](const ut::HtmlEntity &e, const std::string &n) {
                                                return std::strcmp(e.name, n.c_str()) < 0;
                                              });
  return it != end && name == it->name ? it->utf8 : nullptr;
}

// Python's _replace_charref for a numeric reference with value `num`
// (saturated at 0x110000 so that huge numbers stay out of range).
std::u32string numeric_reference(uint32_t num) {
  for (std::size_t i = 0; i < ut::kInvalidCharRefsCount; ++i)
    if (ut::kInvalidCharRefs[i].number == num) return {ut::kInvalidCharRefs[i].replacement};
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return {0xFFFD};
  for (std::size_t i = 0; i < ut::kInvalidCodepointsCount; ++i)
    if (num >= ut::kInvalidCodepoints[i].first && num <= ut::kInvalidCodepoints[i].last) return {};
  return {static_cast<char32_t>(num)};
}

// Tries a reference at text[amp] == '&'; on success appends its replacement
// and returns the index just past it, else returns amp.
std::size_t unescape_at(const std::u32string &text, std::size_t amp, std::u32string &out) {
  const std::size_t n = text.size();
  std::size_t i = amp + 1;
  if (i < n && text[i] == '#') {
    ++i;
    const bool hex = i < n && (text[i] == 'x' || text[i] == 'X');
    if (hex) ++i;
    const std::size_t digits_begin = i;
    uint32_t num = 0;
    while (i < n && (hex ? is_hex_digit(text[i]) : is_ascii_digit(text[i]))) {
      const uint32_t d = static_cast<uint32_t>(hex ? hex_value(text[i]) : text[i] - '0');
      num = std::min<uint32_t>(num * (hex ? 16 : 10) + d, 0x110000);
      ++i;
    }
    if (i == digits_begin) return amp;  // "&#" or "&#x" alone is kept as is
    if (i < n && text[i] == ';') ++i;
    out += numeric_reference(num);
    return i;
  }
  // Named: up to 32 characters other than \t \n \f space < & # ;, then an
  // optional ';'.
  std::size_t end = i;
  while (end < n && end - i < 32) {
    const char32_t c = text[end];
    if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
        c == ';')
      break;
    ++end;
  }
  if (end == i) return amp;
  if (end < n && text[end] == ';') ++end;
  const std::u32string name(text, i, end - i);
  // Entity names are ASCII; a name with other characters can still have an
  // ASCII prefix that is an entity (the longest-prefix rule below).
  std::string ascii;
  for (char32_t c : name) ascii.push_back(c < 0x80 ? static_cast<char>(c) : '\x01');
  if (const char *whole = lookup_entity(ascii)) {
    out += unicode::decode_utf8(whole);
    return end;
  }
  for (std::size_t len = name.size() - 1; len >= 2; --len) {
    if (const char *prefix = lookup_entity(ascii.substr(0, len))) {
      out += unicode::decode_utf8(prefix);
      return i + len;  // the rest of the name is kept as text
    }
  }
  return amp;
}

std::u32string strip_py_space(const std::u32string &text) {
  std::size_t b = 0, e = text.size();
  while (b < e && unicode::is_py_space(text[b])) ++b;
  while (e > b && unicode::is_py_space(text[e - 1])) --e;
  return text.substr(b, e - b);
}

// re.sub(r'\s+', ' ', text) with the regex module's \s.
std::u32string collapse_space(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (unicode::is_regex_space(text[i])) {
      while (i < text.size() && unicode::is_regex_space(text[i])) ++i;
      out.push_back(' ');
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// Case-insensitive comparison for the pattern's literals: text is already
// lower-cased, and the only other code point the regex module's simple case
// folding equates with a letter in these literals is U+017F LONG S ~ 's'.
bool literal_at(const std::u32string &text, std::size_t i, const char *literal) {
  for (std::size_t k = 0; literal[k] != '\0'; ++k, ++i) {
    if (i >= text.size()) return false;
    const char32_t c = text[i];
    const char32_t want = static_cast<unsigned char>(literal[k]);
    if (c != want && !(want == 's' && c == 0x017F)) return false;
  }
  return true;
}

// U+0345 COMBINING GREEK YPOGEGRAMMENI is a mark, but it case-folds to iota,
// so under IGNORECASE the negated class [^\s\p{L}\p{N}] excludes it while
// [\p{L}] does not match it either: OpenAI's findall skips it like a space.
constexpr char32_t kYpogegrammeni = 0x0345;

bool is_other(char32_t c) {
  return !unicode::is_regex_space(c) && !unicode::is_letter(c) && !unicode::is_number(c) &&
         c != kYpogegrammeni;
}

}  // namespace

std::u32string html_unescape(const std::u32string &text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      const std::size_t next = unescape_at(text, i, out);
      if (next != i) {
        i = next;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string clean(const std::string &utf8) {
  std::u32string t = ftfy_fix_text(unicode::decode_utf8(utf8));
  t = strip_py_space(html_unescape(html_unescape(t)));  // basic_clean
  t = strip_py_space(collapse_space(t));                // whitespace_clean
  return unicode::to_lower(t);
}

std::vector<std::string> split_pieces(const std::u32string &s) {
  static const char *const kLiterals[] = {
      "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  std::vector<std::string> pieces;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    std::size_t end = i;
    for (const char *lit : kLiterals) {
      if (literal_at(s, i, lit)) {
        end = i + std::strlen(lit);
        break;
      }
    }
    if (end == i) {
      if (unicode::is_letter(s[i])) {
        while (end < n && unicode::is_letter(s[end])) ++end;
      } else if (unicode::is_number(s[i])) {
        end = i + 1;
      } else if (is_other(s[i])) {
        while (end < n && is_other(s[end])) ++end;
      }
    }
    if (end == i) {  // nothing matches here (space): findall moves on
      ++i;
      continue;
    }
    pieces.push_back(unicode::encode_utf8(s.substr(i, end - i)));
    i = end;
  }
  return pieces;
}

}  // namespace text
}  // namespace refseg

#include "tokenizer/ftfy_fixes.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/text_cleaning.h"
#include "tokenizer/unicode_normalization.h"
#include "tokenizer/unicode_props.h"
#include "tokenizer/unicode_tables.h"

namespace refseg {
namespace text {
namespace {

namespace ut = unicode_tables;

// Longest entity name ftfy's pattern accepts: '&', an optional '#', 1 to 24
// ASCII letters or digits, ';'.
constexpr std::size_t kMaxEntityChars = 24;

bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *find_entity(const ut::HtmlEntity *table, std::size_t count, const std::string &name) {
  const ut::HtmlEntity *end = table + count;
  const ut::HtmlEntity *it =
      std::lower_bound(table, end, name, [](const ut::HtmlEntity &e, const std::string &n) {
        return std::strcmp(e.name, n.c_str()) < 0;
      });
  return it != end && name == it->name ? it->utf8 : nullptr;
}

// Replaces each code point found in `table` (sorted by cp) by its text.
std::u32string translate(const std::u32string &text, const ut::Replacement *table,
                         std::size_t count) {
  const ut::Replacement *end = table + count;
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    const ut::Replacement *it = std::lower_bound(
        table, end, cp, [](const ut::Replacement &r, char32_t c) { return r.cp < c; });
    if (it != end && it->cp == cp)
      out += unicode::decode_utf8(it->utf8);
    else
      out.push_back(cp);
  }
  return out;
}

bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

bool is_decimal_digit(char32_t c) {
  const ut::CodeRange *end = ut::kDecimalDigit + ut::kDecimalDigitCount;
  const ut::CodeRange *it = std::lower_bound(
      ut::kDecimalDigit, end, c, [](const ut::CodeRange &r, char32_t x) { return r.last < x; });
  return it != end && it->first <= c;
}

bool is_ascii_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// One pass of fix_and_explain's loop over one line.
std::u32string fix_pass(const std::u32string &text, bool unescape) {
  std::u32string t = unescape ? ftfy_unescape_html(text) : text;
  t = fix_c1_controls(t);
  t = fix_latin_ligatures(t);
  t = fix_character_width(t);
  t = uncurl_quotes(t);
  t = remove_terminal_escapes(t);
  t = remove_control_chars(t);
  return unicode::nfc(t);
}

}  // namespace

std::u32string ftfy_unescape_html(const std::u32string &text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      std::size_t j = i + 1;
      const bool numeric = j < text.size() && text[j] == '#';
      if (numeric) ++j;
      std::size_t end = j;
      while (end < text.size() && is_ascii_alnum(text[end])) ++end;
      const std::size_t length = end - j;
      if (length >= 1 && length <= kMaxEntityChars && end < text.size() && text[end] == ';') {
        const std::u32string match = text.substr(i, end + 1 - i);
        std::string name;  // ASCII: the pattern admits nothing else
        for (std::size_t k = i + 1; k <= end; ++k) name.push_back(static_cast<char>(text[k]));
        const char *value = find_entity(ut::kHtmlEntities, ut::kHtmlEntitiesCount, name);
        if (!value) value = find_entity(ut::kUpperCaseEntities, ut::kUpperCaseEntitiesCount, name);
        if (value) {
          out += unicode::decode_utf8(value);
          i = end + 1;
          continue;
        }
        if (numeric) {
          // A numeric reference counts only when html.unescape consumes it
          // whole, ';' included ("&#12a;" stays as written).
          const std::u32string decoded = html_unescape(match);
          if (decoded.find(U';') == std::u32string::npos) {
            out += decoded;
            i = end + 1;
            continue;
          }
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string fix_c1_controls(const std::u32string &text) {
  return translate(text, ut::kC1AsWindows1252, ut::kC1AsWindows1252Count);
}

std::u32string fix_latin_ligatures(const std::u32string &text) {
  return translate(text, ut::kLatinLigatures, ut::kLatinLigaturesCount);
}

std::u32string fix_character_width(const std::u32string &text) {
  return translate(text, ut::kWidthForms, ut::kWidthFormsCount);
}

std::u32string uncurl_quotes(const std::u32string &text) {
  std::u32string out = text;
  for (char32_t &c : out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B))
      c = '\'';
    else if (c >= 0x201C && c <= 0x201F)
      c = '"';
  }
  return out;
}

std::u32string remove_terminal_escapes(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t j = i + 2;
      while (j < text.size() && (text[j] == ';' || is_decimal_digit(text[j]))) ++j;
      if (j < text.size() && is_ascii_letter(text[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string remove_control_chars(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text)
    if (!is_removed_control(c)) out.push_back(c);
  return out;
}

std::u32string ftfy_fix_text(const std::u32string &text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape = true;  // "auto": off from the first line holding '<' on
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t newline = text.find(U'\n', pos);
    const std::size_t next = newline == std::u32string::npos ? text.size() : newline + 1;
    std::u32string line = text.substr(pos, next - pos);
    if (line.find(U'<') != std::u32string::npos) unescape = false;
    // Every fixer either shortens the text (an entity) or leaves a form the
    // others keep, so the loop ends; it usually takes two passes.
    for (;;) {
      std::u32string fixed = fix_pass(line, unescape);
      if (fixed == line) break;
      line = std::move(fixed);
    }
    out += line;
    pos = next;
  }
  return out;
}

}  // namespace text
}  // namespace refseg

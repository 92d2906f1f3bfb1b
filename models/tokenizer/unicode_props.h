// UTF-8 <-> code points and the few Unicode properties CLIP's text cleaning
// asks about, answered from the generated tables (no ICU).
#pragma once

#include <string>

namespace refseg {
namespace unicode {

// Decodes UTF-8. Invalid input never throws: each maximal ill-formed
// subsequence (Unicode's "best practice", which is also what Python's
// bytes.decode('utf-8', errors='replace') does) becomes one U+FFFD.
std::u32string decode_utf8(const std::string &bytes);

// Encodes code points as UTF-8 (surrogates and values past U+10FFFF, which
// decode_utf8 never produces, are written as U+FFFD).
std::string encode_utf8(const std::u32string &text);
void append_utf8(char32_t cp, std::string &out);

bool is_letter(char32_t cp);       // \p{L}
bool is_number(char32_t cp);       // \p{N}
bool is_regex_space(char32_t cp);  // the regex module's \s (White_Space)
bool is_py_space(char32_t cp);     // Python's str.isspace(), used by strip()

// Python's str.lower(): the full one-to-many mapping (U+0130 -> "i\u0307")
// for every script, plus Final_Sigma (a capital sigma ending a word lowers
// to U+03C2, elsewhere to U+03C3), as Python 3 does.
std::u32string to_lower(const std::u32string &text);

}  // namespace unicode
}  // namespace refseg

// The parts of ftfy.fix_text (ftfy 6, default settings) that change CLIP
// tokens for typed text. OpenAI's simple_tokenizer.py runs fix_text first;
// these are its fixers, each written from ftfy's documented rule:
//
//   unescape_html        "&rsquo;", "&#x2019;", "&EACUTE;": entities that end
//                        in ';' (plus ftfy's upper-cased names); skipped for
//                        a line holding '<' and every line after it
//   fix_c1_controls      U+0080..U+009F read as Windows-1252 ("\x92" -> ’)
//   fix_latin_ligatures  "ﬁ" -> "fi", "ĳ" -> "ij", "ǆ" -> "dž", ...
//   fix_character_width  "ｒｅｄ" -> "red", U+3000 -> ' ', halfwidth katakana
//   uncurl_quotes        U+2018..U+201B and U+02BC -> ', U+201C..U+201F -> "
//   remove_terminal_escapes  ESC '[' digits/';' letter
//   remove_control_chars U+0000..U+0008, U+000B, U+000E..U+001F, U+007F,
//                        U+206A..U+206F, U+FEFF, U+FFF9..U+FFFC
//   NFC normalization    (unicode_normalization.h)
//
// repeated until a pass changes nothing, on each line separately, as
// fix_text does. Each pass undoes one level of nested entities
// ("&amp;amp;amp;"), so, as with ftfy's own loop, the cost grows with
// nesting depth times length (2000 levels, 10 kB: about 0.3 s of CPU
// here). Left out: fix_encoding (mojibake repair, "cafÃ©" -> "café": a
// statistical heuristic; such text tokenizes as written here),
// fix_line_breaks and fix_surrogates (no effect on tokens: every line
// break is whitespace that CLIP collapses, and decoded UTF-8 holds no
// surrogates).
#pragma once

#include <string>

namespace refseg {
namespace text {

// The whole fix_text as described above.
std::u32string ftfy_fix_text(const std::u32string &text);

// The single fixers, for tests and for the description above.
std::u32string ftfy_unescape_html(const std::u32string &text);
std::u32string fix_c1_controls(const std::u32string &text);
std::u32string fix_latin_ligatures(const std::u32string &text);
std::u32string fix_character_width(const std::u32string &text);
std::u32string uncurl_quotes(const std::u32string &text);
std::u32string remove_terminal_escapes(const std::u32string &text);
std::u32string remove_control_chars(const std::u32string &text);

}  // namespace text
}  // namespace refseg

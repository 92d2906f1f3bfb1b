// Unicode canonical normalization (NFD, NFC) from the generated tables, as
// Python's unicodedata.normalize does it for the Unicode version the tables
// were generated from (unicode_tables.cpp names it). ftfy.fix_text ends
// each pass with NFC, so OpenAI's tokenizer never sees a decomposed "café".
#pragma once

#include <cstdint>
#include <string>

namespace refseg {
namespace unicode {

// Canonical_Combining_Class (0 for starters and unassigned code points).
uint8_t combining_class(char32_t cp);

// Canonical decomposition, recursively, Hangul syllables included, then
// the canonical ordering of combining marks.
std::u32string nfd(const std::u32string &text);

// nfd() followed by canonical composition (composition exclusions honoured).
std::u32string nfc(const std::u32string &text);

}  // namespace unicode
}  // namespace refseg

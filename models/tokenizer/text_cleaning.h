// CLIP's text preparation before BPE, as in OpenAI's simple_tokenizer.py:
// ftfy.fix_text (the parts listed in ftfy_fixes.h: curly quotes, ligatures,
// width forms, C1 and other control characters, terminal escapes, HTML
// entities, NFC), html-unescape twice, collapse whitespace, strip,
// lower-case, then split into pieces with CLIP's pattern. Not reproduced:
// ftfy's mojibake repair ("cafÃ©" stays as written, where OpenAI's gives
// "café").
#pragma once

#include <string>
#include <vector>

namespace refseg {
namespace text {

// Python's html.unescape: named references from the full HTML5 table
// (with the standard's longest-prefix rule for names without ';'), decimal
// &#..; and hex &#x..; references with the standard's fixes (&#x80; -> euro
// sign, &#0; and out-of-range -> U+FFFD, control-character references ->
// nothing).
std::u32string html_unescape(const std::u32string &text);

// The whole cleaning: UTF-8 decode (invalid bytes -> U+FFFD, see
// unicode::decode_utf8), ftfy_fix_text, unescape twice, strip, whitespace
// runs -> ' ', strip, lower-case.
std::u32string clean(const std::string &utf8);

// Splits cleaned text with
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (case-insensitive, as OpenAI compiles it); returns the pieces as UTF-8.
std::vector<std::string> split_pieces(const std::u32string &cleaned);

}  // namespace text
}  // namespace refseg

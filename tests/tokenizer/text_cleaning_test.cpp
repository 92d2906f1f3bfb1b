// The cleaning steps before BPE, against what Python's html.unescape,
// str.lower() and the regex pattern give (values checked with Python 3.11).
#include <gtest/gtest.h>

#include "tokenizer/text_cleaning.h"
#include "tokenizer/unicode_props.h"

namespace {

using refseg::text::clean;
using refseg::text::split_pieces;
namespace unicode = refseg::unicode;

std::string cleaned(const std::string &s) {
  return unicode::encode_utf8(clean(s));
}
std::string unescaped(const std::string &s) {
  return unicode::encode_utf8(refseg::text::html_unescape(unicode::decode_utf8(s)));
}

TEST(HtmlUnescape, NamedAndNumericReferences) {
  EXPECT_EQ(unescaped("a &amp; b"), "a & b");
  EXPECT_EQ(unescaped("&lt;b&gt;"), "<b>");
  EXPECT_EQ(unescaped("&#65;&#x42;&#X43;"), "ABC");
  EXPECT_EQ(unescaped("caf&eacute;"), "café");
  EXPECT_EQ(unescaped("&nbsp;"), "\xc2\xa0");
  EXPECT_EQ(unescaped("&#128;"), "€");           // windows-1252 fix-up
  EXPECT_EQ(unescaped("&#0;"), "\xef\xbf\xbd");  // NUL -> U+FFFD
  EXPECT_EQ(unescaped("&#x110000;"), "\xef\xbf\xbd");
  EXPECT_EQ(unescaped("&#99999999999999999999;"), "\xef\xbf\xbd");
  EXPECT_EQ(unescaped("a&#1;b"), "ab");     // control characters vanish
  EXPECT_EQ(unescaped("&notit;"), "¬it;");  // longest-prefix rule
  EXPECT_EQ(unescaped("&ampx"), "&x");
  EXPECT_EQ(unescaped("&bogus; & &# &#x;"), "&bogus; & &# &#x;");
  EXPECT_EQ(unescaped("&amp;amp;"), "&amp;");  // once ...
  EXPECT_EQ(cleaned("&amp;amp;"), "&");        // ... and twice in clean()
}

TEST(Clean, WhitespaceCollapsedAndStripped) {
  EXPECT_EQ(cleaned("  Woman  in\tPINK\n"), "woman in pink");
  EXPECT_EQ(cleaned("a\xc2\xa0\xc2\xa0"
                    "b"),
            "a b");  // no-break spaces are whitespace
  EXPECT_EQ(cleaned("\x1c"
                    "a\x1c"),
            "a");  // str.strip() removes U+001C, the regex \s does not
}

TEST(Clean, LowerCaseIsUnicodeAware) {
  EXPECT_EQ(cleaned("ÉLÉPHANT Über"), "éléphant über");
  EXPECT_EQ(cleaned("ΟΔΟΣ ΣΑ"), "οδος σα");  // final sigma only at a word's end
  EXPECT_EQ(cleaned("ПРИВЕТ"), "привет");
  EXPECT_EQ(cleaned("İ"), "i\xcc\x87");  // one code point lowers to two
  EXPECT_EQ(cleaned("ＡＢＣ"), "abc");   // ftfy's fix_character_width, then lower()
}

TEST(SplitPieces, FollowsClipsPattern) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_pieces(clean("it's what we've done")),
            (V{"it", "'s", "what", "we", "'ve", "done"}));
  EXPECT_EQ(split_pieces(clean("hot-dog stand")), (V{"hot", "-", "dog", "stand"}));
  EXPECT_EQ(split_pieces(clean("12 o'clock")), (V{"1", "2", "o", "'", "clock"}));
  EXPECT_EQ(split_pieces(clean("zebra #2!!")), (V{"zebra", "#", "2", "!!"}));
  EXPECT_EQ(split_pieces(clean("a<|endoftext|>b")), (V{"a", "<|endoftext|>", "b"}));
  EXPECT_EQ(split_pieces(clean("!<|endoftext|>")), (V{"!<|", "endoftext", "|>"}));
  EXPECT_EQ(split_pieces(clean("🐶dog")), (V{"🐶", "dog"}));
  EXPECT_EQ(split_pieces(clean("")), V{});
  // Quirks of the case-insensitive pattern: LONG S matches the 's literal,
  // and U+0345 (folds to iota, yet is a mark) is matched by nothing.
  EXPECT_EQ(split_pieces(clean("x'\u017f")), (V{"x", "'\u017f"}));
  EXPECT_EQ(split_pieces(clean("a\u0345b !\u0345!")), (V{"a", "b", "!", "!"}));
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(unicode::decode_utf8("a\xff"
                                 "b"),
            (std::u32string{U'a', 0xFFFD, U'b'}));
  // A truncated 3-byte sequence is one error, the next byte starts afresh.
  EXPECT_EQ(unicode::decode_utf8("\xe4\xb8z"), (std::u32string{0xFFFD, U'z'}));
  EXPECT_EQ(unicode::decode_utf8("\xed\xa0\x80"), (std::u32string(3, 0xFFFD)));  // surrogate
  EXPECT_EQ(unicode::decode_utf8("\xc0\xaf"), (std::u32string(2, 0xFFFD)));      // overlong
  EXPECT_EQ(unicode::decode_utf8("\xf0\x9f\x90\xb6"), (std::u32string{0x1F436}));
  EXPECT_EQ(unicode::encode_utf8(U"\U0001F436é"), "\xf0\x9f\x90\xb6\xc3\xa9");
}

}  // namespace

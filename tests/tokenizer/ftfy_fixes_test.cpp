// The ftfy fixers OpenAI's tokenizer runs first (ftfy_fixes.h), against the
// values ftfy's documentation and its own test cases state (ftfy 6.3.1:
// docstrings of ftfy/fixes.py and ftfy/__init__.py, tests/test_characters.py,
// tests/test-cases/synthetic.json), and NFC against Python's unicodedata.
#include <gtest/gtest.h>

#include "tokenizer/ftfy_fixes.h"
#include "tokenizer/unicode_normalization.h"
#include "tokenizer/unicode_props.h"

namespace {

namespace text = refseg::text;
namespace unicode = refseg::unicode;

// Runs a fixer on UTF-8 text.
template <typename Fix>
std::string run_fix(Fix fix, const std::string &utf8) {
  return unicode::encode_utf8(fix(unicode::decode_utf8(utf8)));
}
std::string fixed(const std::string &utf8) {
  return run_fix(text::ftfy_fix_text, utf8);
}

TEST(FtfyFixes, UncurlQuotes) {
  EXPECT_EQ(run_fix(text::uncurl_quotes, "\u201chere\u2019s a test\u201d"), "\"here's a test\"");
  EXPECT_EQ(run_fix(text::uncurl_quotes, "\u2018a\u2019 \u201ab\u201b \u201ec\u201f d\u02bc"),
            "'a' 'b' \"c\" d'");
  // Neither primes nor guillemets are quotes to ftfy.
  EXPECT_EQ(run_fix(text::uncurl_quotes, "5\u2032 \u00abx\u00bb"), "5\u2032 \u00abx\u00bb");
}

TEST(FtfyFixes, LatinLigatures) {
  EXPECT_EQ(run_fix(text::fix_latin_ligatures, "\ufb02u\ufb03e\ufb06"), "fluffiest");
  EXPECT_EQ(run_fix(text::fix_latin_ligatures, "\ufb01sh \u0133s \u0132"), "fish ijs IJ");
  EXPECT_EQ(run_fix(text::fix_latin_ligatures, "\u01c4 \u01c5 \u01c6 \u01c9"),
            "D\u017d D\u017e d\u017e lj");
  EXPECT_EQ(run_fix(text::fix_latin_ligatures, "\ufb05"), "\u017ft");  // long s stays
  EXPECT_EQ(run_fix(text::fix_latin_ligatures, "\u0153uf \u00e6"), "\u0153uf \u00e6");  // not these
  // n-apostrophe splits into U+02BC + n, which the same pass uncurls.
  EXPECT_EQ(fixed("\u0149"), "'n");
}

TEST(FtfyFixes, CharacterWidth) {
  EXPECT_EQ(run_fix(text::fix_character_width,
                    "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29"
                    "\uff33\uff25\uff33"),
            "LOUD NOISES");
  EXPECT_EQ(run_fix(text::fix_character_width, "\uff35\uff80\uff70\uff9d"), "U\u30bf\u30fc\u30f3");
  EXPECT_EQ(run_fix(text::fix_character_width, "\uff52\uff45\uff44\uff01\uff11"), "red!1");
  // Halfwidth ka + voiced mark: width gives ka + U+3099, NFC then joins them.
  EXPECT_EQ(fixed("\uff76\uff9e"), "\u30ac");
}

TEST(FtfyFixes, C1ControlsReadAsWindows1252) {
  EXPECT_EQ(run_fix(text::fix_c1_controls, "it\u0092s \u0093x\u0094 \u0080 \u0085"),
            "it\u2019s \u201cx\u201d \u20ac \u2026");
  // The five bytes Windows-1252 leaves undefined stay as they are.
  EXPECT_EQ(run_fix(text::fix_c1_controls, "\u0081\u008d\u008f\u0090\u009d"),
            "\u0081\u008d\u008f\u0090\u009d");
  EXPECT_EQ(fixed("girl\u0092s"), "girl's");
}

TEST(FtfyFixes, TerminalEscapes) {
  EXPECT_EQ(
      run_fix(text::remove_terminal_escapes, "\x1b[36;44mI'm blue, da ba dee da ba doo...\x1b[0m"),
      "I'm blue, da ba dee da ba doo...");
  EXPECT_EQ(fixed("\x01\x1b[36;44mfoo"), "foo");
  // Not an escape: no final letter; the ESC itself is still a control.
  EXPECT_EQ(run_fix(text::remove_terminal_escapes, "\x1b[12"), "\x1b[12");
  EXPECT_EQ(fixed("\x1b[12"), "[12");
}

TEST(FtfyFixes, ControlCharacters) {
  const std::string text =
      "\ufeffSometimes, \ufffc"
      "bad ideas \x7f\ufffalike these characters\ufffb \u206aget standardized.\r\n";
  EXPECT_EQ(run_fix(text::remove_control_chars, text),
            "Sometimes, bad ideas like these characters get standardized.\r\n");
  // Whitespace controls, joiners, direction marks and tag characters stay.
  const std::string kept = "a\tb\x0c\u200d\u200f\u202e\U000e0067";
  EXPECT_EQ(run_fix(text::remove_control_chars, kept), kept);
  EXPECT_EQ(run_fix(text::remove_control_chars, std::string("a\0b\x07\x1f", 5)), "ab");
}

TEST(FtfyFixes, HtmlEntities) {
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "&lt;tag&gt;"), "<tag>");
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "&Jscr;ohn &HilbertSpace;ancock"),
            "\U0001d4a5ohn \u210bancock");
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "P&EACUTE;REZ"), "P\u00c9REZ");
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "BUNDESSTRA&SZLIG;E"), "BUNDESSTRASSE");
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "&ntilde; &Ntilde; &NTILDE; &nTILDE;"),
            "\u00f1 \u00d1 \u00d1 &nTILDE;");
  // Only references ending in ';' ("this&not that" is left alone) ...
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "this&not that &amp"), "this&not that &amp");
  // ... numeric ones only when html.unescape consumes them whole.
  EXPECT_EQ(run_fix(text::ftfy_unescape_html, "it&#x2019;s &#65; &#12a; &#x;"),
            "it\u2019s A &#12a; &#x;");
}

TEST(FtfyFixText, RepeatsUntilNothingChanges) {
  EXPECT_EQ(fixed("it&rsquo;s"), "it's");         // unescaped, then uncurled
  EXPECT_EQ(fixed("&amp;amp;amp;"), "&");         // one level per pass
  EXPECT_EQ(fixed("&amp;rsquo;"), "'");           // the second pass uncurls
  EXPECT_EQ(fixed("&\uff41\uff4d\uff50;"), "&");  // width first, entity next pass
  EXPECT_EQ(fixed("I'm not such a fan of Charlotte Bront\u00eb\u2026\u201d"),
            "I'm not such a fan of Charlotte Bront\u00eb\u2026\"");
}

TEST(FtfyFixText, NoHtmlUnescapingFromTheFirstLineWithALessThanSign) {
  EXPECT_EQ(fixed("a &amp; b"), "a & b");
  EXPECT_EQ(fixed("a &lt; b"), "a < b");  // '<' only counts when written
  EXPECT_EQ(fixed("<b> &amp; it&rsquo;s"), "<b> &amp; it&rsquo;s");
  EXPECT_EQ(fixed("x &amp;\n<y> &amp;\nz &amp;"), "x &\n<y> &amp;\nz &amp;");
}

TEST(FtfyFixText, OrdinaryTextIsUnchanged) {
  for (const std::string &t :
       std::vector<std::string>{"the man in the red shirt on the left", "caf\u00e9 au lait",
                                "\u65e5\u672c\u8a9e", "\U0001f436 dog", "a \u2026 b", ""})
    EXPECT_EQ(fixed(t), t);
}

TEST(Normalization, NfcComposesAndNfdDecomposes) {
  // Values from Python 3.11's unicodedata.normalize.
  EXPECT_EQ(unicode::nfc(U"cafe\u0301"), U"caf\u00e9");
  EXPECT_EQ(unicode::nfd(U"caf\u00e9"), U"cafe\u0301");
  EXPECT_EQ(unicode::nfc(U"\u212b"), U"\u00c5");         // singleton: angstrom -> A ring
  EXPECT_EQ(unicode::nfc(U"s\u0323\u0307"), U"\u1e69");  // two marks, both join
  EXPECT_EQ(unicode::nfc(U"s\u0307\u0323"), U"\u1e69");  // canonical order first
  EXPECT_EQ(unicode::nfd(U"\u1e69"), U"s\u0323\u0307");
  EXPECT_EQ(unicode::nfc(U"\u1100\u1161\u11a8"), U"\uac01");  // Hangul jamo
  EXPECT_EQ(unicode::nfd(U"\uac01"), U"\u1100\u1161\u11a8");
  EXPECT_EQ(unicode::nfc(U"\u0958"), U"\u0915\u093c");         // composition exclusion
  EXPECT_EQ(unicode::nfc(U"a\u0301\u0301"), U"\u00e1\u0301");  // blocked by the same class
  EXPECT_EQ(unicode::nfc(U"\u0301a"), U"\u0301a");             // no starter before the mark
  EXPECT_EQ(unicode::combining_class(0x0301), 230);
  EXPECT_EQ(unicode::combining_class(U'a'), 0);
}

}  // namespace

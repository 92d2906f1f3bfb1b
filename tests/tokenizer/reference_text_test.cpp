// The sentence as the authors' loop re-joins it (reference_text.h). The
// expected strings follow spaCy's English tokenizer rules as documented
// (prefixes, suffixes, clitic and contraction exceptions, letter-hyphen
// infixes) and Python's str.lower().
#include <gtest/gtest.h>

#include "tokenizer/reference_text.h"

using refseg::text::reference_sentence;
using refseg::text::reference_tokens;

TEST(ReferenceText, LowerCasesAsPythonDoes) {
  EXPECT_EQ(reference_sentence("Man In The RED Shirt"), "man in the red shirt");
  EXPECT_EQ(reference_sentence("ÉCOLE Sign"), "école sign");
  EXPECT_EQ(reference_sentence("İ"), "i\xcc\x87");  // U+0130 -> i + combining dot
}

TEST(ReferenceText, WhitespaceRunsBecomeOneSpace) {
  EXPECT_EQ(reference_sentence("  left \t  guy\n"), "left guy");
  EXPECT_EQ(reference_sentence(""), "");
  EXPECT_EQ(reference_sentence(" \t "), "");
}

TEST(ReferenceText, PunctuationAndClitics) {
  EXPECT_EQ(reference_sentence("the girl's bike"), "the girl 's bike");
  EXPECT_EQ(reference_sentence("the girl’s bike"), "the girl ’s bike");
  EXPECT_EQ(reference_sentence("left guy, with hat."), "left guy , with hat .");
  EXPECT_EQ(reference_sentence("(left) \"red\" one!"), "( left ) \" red \" one !");
  EXPECT_EQ(reference_sentence("girls' bikes"), "girls ' bikes");
  EXPECT_EQ(reference_sentence("they're here"), "they 're here");
  EXPECT_EQ(reference_sentence("'s"), "'s");
}

TEST(ReferenceText, ContractionsAndExceptionWords) {
  EXPECT_EQ(reference_sentence("don't"), "do n't");
  EXPECT_EQ(reference_sentence("Can't see"), "ca n't see");
  EXPECT_EQ(reference_sentence("won't"), "wo n't");
  EXPECT_EQ(reference_sentence("cannot"), "can not");
  EXPECT_EQ(reference_sentence("gonna"), "gon na");
}

TEST(ReferenceText, InfixesAndAbbreviations) {
  EXPECT_EQ(reference_sentence("guy in t-shirt"), "guy in t - shirt");
  EXPECT_EQ(reference_sentence("2-3 people"), "2 - 3 people");
  EXPECT_EQ(reference_sentence("u.s. flag"), "u.s. flag");
  EXPECT_EQ(reference_tokens("red,blue car"),
            (std::vector<std::string>{"red", ",", "blue", "car"}));
}

TEST(ReferenceText, IsIdempotent) {
  for (const char *s : {"The Girl's T-Shirt, left.", "don't (cannot)", "u.s. flag!"})
    EXPECT_EQ(reference_sentence(reference_sentence(s)), reference_sentence(s)) << s;
}

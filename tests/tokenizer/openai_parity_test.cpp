// Ids must equal those of OpenAI's tokenizer (expected values computed with
// OpenAI's simple_tokenizer.py, in ../shared/clip/tokenizer_cases.json).
// Its own test program (openai_main.cpp): without OpenAI's vocabulary it is
// skipped as a whole, which meson reports as skipped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "test_paths.h"
#include "tokenizer/bpe_tokenizer.h"

namespace {

using refseg::BpeTokenizer;

// Loads OpenAI's vocabulary once (SetUp has checked that it is there).
const BpeTokenizer &openai_tokenizer() {
  static const BpeTokenizer tok = BpeTokenizer::from_file(refseg_test::clip_vocab_path());
  return tok;
}

class OpenAiTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    // openai_main.cpp has checked that it is there.
    ASSERT_NO_THROW(openai_tokenizer()) << "cannot load " << refseg_test::clip_vocab_path();
  }
  const BpeTokenizer &tok() const { return openai_tokenizer(); }
};

TEST_F(OpenAiTokenizer, VocabularyHasOpenAisShape) {
  EXPECT_EQ(tok().vocab_size(), 49408u);
  EXPECT_EQ(tok().merge_count(), 48894u);
  EXPECT_EQ(tok().sot(), 49406);
  EXPECT_EQ(tok().eot(), 49407);
}

TEST_F(OpenAiTokenizer, MatchesOpenAiOnSharedCases) {
  const std::string path = refseg_test::tokenizer_cases_path();
  // A vocabulary from a download comes without OpenAI's expected ids.
  if (!refseg_test::have_file(path))
    GTEST_SKIP() << refseg_test::missing_openai_file("expected ids", {path});
  nlohmann::json doc;
  std::ifstream file(path);
  ASSERT_NO_THROW(doc = nlohmann::json::parse(file))
      << "cannot read the expected ids from '" << path << "'";
  const int context = doc.at("context_length").get<int>();
  const auto &cases = doc.at("cases");
  ASSERT_TRUE(cases.is_array());
  ASSERT_GE(cases.size(), 21u);
  for (const auto &c : cases) {
    const std::string text = c.at("text").get<std::string>();
    std::vector<int64_t> expected = c.at("ids").get<std::vector<int64_t>>();
    expected.resize(static_cast<std::size_t>(context), 0);  // the cases list ids before padding
    EXPECT_EQ(tok().tokenize(text, context), expected) << "text: '" << text << "'";
  }
}

// OpenAI's tokenizer runs ftfy.fix_text first. The expected ids are those of
// the text ftfy's documented rules turn each input into (ftfy_fixes.h), that
// text's ids being OpenAI's ("girl's bike" is a shared case above).
TEST_F(OpenAiTokenizer, FtfyFixesGiveOpenAisIds) {
  using V = std::vector<int>;
  const V girls_bike = {1611, 568, 3701};
  EXPECT_EQ(tok().encode("girl's bike"), girls_bike);
  EXPECT_EQ(tok().encode("girl\u2019s bike"), girls_bike);   // right single quote
  EXPECT_EQ(tok().encode("girl\u02bcs bike"), girls_bike);   // modifier apostrophe
  EXPECT_EQ(tok().encode("girl&rsquo;s bike"), girls_bike);  // entity, then uncurled
  EXPECT_EQ(tok().encode("girl\u0092s bike"), girls_bike);   // C1 control as Windows-1252
  EXPECT_EQ(tok().encode("\u201chere\u2019s a test\u201d"), (V{257, 763, 568, 320, 1628, 257}));
  EXPECT_EQ(tok().encode("\ufb01sh"), (V{2759}));                           // "fish"
  EXPECT_EQ(tok().encode("\ufb02u\ufb03e\ufb06"), (V{3698, 19961, 1509}));  // "fluffiest"
  EXPECT_EQ(tok().encode("\uff52\uff45\uff44"), (V{736}));                  // "red"
  EXPECT_EQ(tok().encode("\uff32\uff25\uff24\u3000\uff33\uff28\uff29\uff32\uff34"),
            (V{736, 2523}));                          // "RED SHIRT"
  EXPECT_EQ(tok().encode("cafe\u0301"), (V{15304}));  // NFD -> NFC "caf\u00e9"
  EXPECT_EQ(tok().encode("cafe\u0301"), tok().encode("caf\u00e9"));
  EXPECT_EQ(tok().encode("red\x07 shirt"), (V{736, 2523}));             // control removed
  EXPECT_EQ(tok().encode("\ufeffred shirt"), (V{736, 2523}));           // byte order mark
  EXPECT_EQ(tok().encode("\x1b[31mred\x1b[0m shirt"), (V{736, 2523}));  // terminal colours
  EXPECT_EQ(tok().encode("P&EACUTE;REZ"), (V{43167, 15192}));           // "p\u00e9rez"
  // With a '<' in the text ftfy leaves entities alone; CLIP's own unescape
  // then gives a curly quote, which stays: "<", "it", "\u2019", "s".
  const V curly = {283, 585, 728, 503, 338};
  EXPECT_EQ(tok().encode("<it&rsquo;s"), curly);
  EXPECT_EQ(tok().decode(curly), "< it \u2019 s ");
  EXPECT_NE(tok().encode("<it&rsquo;s"), tok().encode("<it's"));
}

TEST_F(OpenAiTokenizer, EmptyTextIsSotEot) {
  EXPECT_TRUE(tok().encode("").empty());
  EXPECT_TRUE(tok().encode(" \t\n ").empty());
  const std::vector<int64_t> ids = tok().tokenize("");
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids[0], 49406);
  EXPECT_EQ(ids[1], 49407);
  for (std::size_t i = 2; i < ids.size(); ++i) EXPECT_EQ(ids[i], 0);
}

TEST_F(OpenAiTokenizer, LongTextIsTruncatedKeepingEot) {
  std::string text;
  while (text.size() < 10000) text += "a photo of a red bicycle next to 3 people, ";
  const std::vector<int64_t> ids = tok().tokenize(text);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids.front(), 49406);
  EXPECT_EQ(ids.back(), 49407);
  const std::vector<int> all = tok().encode(text);
  ASSERT_GT(all.size(), 75u);
  for (std::size_t i = 1; i < 76; ++i) EXPECT_EQ(ids[i], all[i - 1]);
  const std::vector<int64_t> short_ctx = tok().tokenize(text, 5);
  EXPECT_EQ(short_ctx, (std::vector<int64_t>{49406, all[0], all[1], all[2], 49407}));
  EXPECT_THROW(tok().tokenize(text, 1), refseg::ModelError);
}

TEST_F(OpenAiTokenizer, NonAsciiRoundTrips) {
  for (const std::string text : {"café", "über", "中文", "🐶", "naïve éléphant", "日本語 text"}) {
    const std::vector<int> ids = tok().encode(text);
    EXPECT_FALSE(ids.empty()) << text;
    for (int id : ids) EXPECT_LT(id, 49406) << text;
    // Every word ends in "</w>", which decodes to a space.
    EXPECT_EQ(tok().decode(ids), text + " ") << text;
  }
  // Lower-casing is Unicode-aware: upper-case input gives the same ids.
  EXPECT_EQ(tok().encode("ÜBER CAFÉ"), tok().encode("über café"));
  EXPECT_EQ(tok().encode("ПРИВЕТ"), tok().encode("привет"));
  EXPECT_EQ(tok().encode("ΟΔΟΣ"), tok().encode("οδος"));  // final sigma
}

TEST_F(OpenAiTokenizer, InvalidUtf8IsReadAsReplacementCharacters) {
  // Defined behaviour: each maximal ill-formed sequence is one U+FFFD.
  const std::string invalid = "dog \xff\xfe cat \xe4\xb8 end \xc3";
  const std::string replaced = "dog \xef\xbf\xbd\xef\xbf\xbd cat \xef\xbf\xbd end \xef\xbf\xbd";
  std::vector<int> ids;
  ASSERT_NO_THROW(ids = tok().encode(invalid));
  EXPECT_EQ(ids, tok().encode(replaced));
  EXPECT_EQ(tok().tokenize(std::string("\x80\x80\x80", 3)).size(), 77u);
  EXPECT_EQ(tok().tokenize(std::string("a\0b", 3)).size(), 77u);
}

TEST_F(OpenAiTokenizer, SpecialTokensInTextMapToTheirIds) {
  EXPECT_EQ(tok().encode("<|startoftext|>dog<|endoftext|>"),
            (std::vector<int>{49406, 1929, 49407}));
}

TEST_F(OpenAiTokenizer, DecodeMatchesOpenAi) {
  EXPECT_EQ(tok().decode({786, 530, 1449}), "man in black ");
  EXPECT_EQ(tok().decode({49406, 1929, 49407}), "<|startoftext|>dog <|endoftext|>");
  EXPECT_THROW(tok().decode({49408}), refseg::ModelError);
  EXPECT_THROW(tok().decode({-1}), refseg::ModelError);
}

TEST_F(OpenAiTokenizer, ItsFileCutShortIsReported) {
  std::ifstream in(refseg_test::clip_vocab_path(), std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string path =
      ::testing::TempDir() + "refseg_tok_" + std::to_string(::getpid()) + "_openai_cut.gz";
  std::ofstream(path, std::ios::binary) << gz.substr(0, gz.size() - 1000);
  std::string message;
  try {
    BpeTokenizer::from_file(path);
  } catch (const refseg::ModelError &e) {
    message = e.what();
  }
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  std::remove(path.c_str());
}

TEST_F(OpenAiTokenizer, ConcurrentCallersGetTheSameIds) {
  const std::vector<std::string> texts = {
      "the man in the red shirt on the left", "zebra #2", "hot-dog stand", "café au lait", "日本語",
      "blurry thing top right corner"};
  std::vector<std::vector<int>> expected;
  for (const auto &t : texts) expected.push_back(tok().encode(t));
  const BpeTokenizer fresh = BpeTokenizer::from_file(refseg_test::clip_vocab_path());  // cold cache
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 200; ++rep)
        for (std::size_t i = 0; i < texts.size(); ++i)
          if (fresh.encode(texts[(i + t) % texts.size()]) != expected[(i + t) % texts.size()])
            ++mismatches[t];
    });
  for (auto &th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace

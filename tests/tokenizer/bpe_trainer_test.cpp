// A vocabulary learnt from a small corpus round-trips through the file
// format and tokenizes its corpus with the learnt merges.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>

#include "common/model_error.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/bpe_trainer.h"

namespace {

using refseg::BpeTokenizer;

const std::vector<std::string> kCorpus = {
    "the red ball left of the blue cube", "the blue cube", "a green ball",
    "the small red cube on the right",    "Red BALL!",     "the ball behind the cube",
};

TEST(BpeTrainer, LearntVocabularyRoundTripsThroughAFile) {
  const refseg::BpeMerges merges = refseg::learn_bpe_merges(kCorpus, 24);
  ASSERT_EQ(merges.size(), 24u);
  // The most frequent pair comes first: "h" + "e</w>", the end of "the"
  // (7 times) and of nothing else.
  EXPECT_EQ(merges[0], (std::pair<std::string, std::string>{"h", "e</w>"}));

  const std::string path =
      ::testing::TempDir() + "refseg_tok_" + std::to_string(::getpid()) + "_learnt.txt.gz";
  refseg::write_merges_gz(path, merges);
  const BpeTokenizer tok = BpeTokenizer::from_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(tok.merge_count(), 24u);
  EXPECT_EQ(tok.vocab_size(), 256u * 2 + 24 + 2);
  EXPECT_EQ(tok.sot(), static_cast<int>(tok.vocab_size()) - 2);
  EXPECT_EQ(tok.eot(), static_cast<int>(tok.vocab_size()) - 1);

  // Frequent words became single tokens.
  EXPECT_EQ(tok.encode("the").size(), 1u);
  EXPECT_EQ(tok.encode("cube").size(), 1u);
  EXPECT_EQ(tok.encode("ball").size(), 1u);
  // Same ids as a tokenizer built from the in-memory merges.
  const BpeTokenizer direct = BpeTokenizer::from_merges(merges);
  for (const std::string &t : kCorpus) {
    EXPECT_EQ(tok.encode(t), direct.encode(t)) << t;
    EXPECT_LT(tok.encode(t).size(), t.size()) << t;  // merges shorten the corpus
  }
  // Decoding gives back the cleaned text; unseen words fall back to bytes.
  EXPECT_EQ(tok.decode(tok.encode("The red ball")), "the red ball ");
  EXPECT_EQ(tok.decode(tok.encode("purple zebra ü")), "purple zebra ü ");
  const std::vector<int64_t> ids = tok.tokenize("the red ball", 8);
  EXPECT_EQ(ids.front(), tok.sot());
  EXPECT_EQ(ids[4], tok.eot());
}

TEST(BpeTrainer, StopsWhenNothingIsLeftToMerge) {
  const refseg::BpeMerges merges = refseg::learn_bpe_merges({"ab ab ab"}, 100);
  // a b</w> -> ab</w>, then one symbol per word: one merge only.
  ASSERT_EQ(merges.size(), 1u);
  EXPECT_EQ(merges[0], (std::pair<std::string, std::string>{"a", "b</w>"}));
  EXPECT_TRUE(refseg::learn_bpe_merges({}, 10).empty());
}

TEST(BpeTrainer, WritingUnrepresentableMergesFails) {
  const std::string path = ::testing::TempDir() + "refseg_tok_bad_merges.gz";
  EXPECT_THROW(refseg::write_merges_gz(path, {{"a b", "c"}}), refseg::ModelError);
  EXPECT_THROW(refseg::write_merges_gz(path, {{"", "c"}}), refseg::ModelError);
  EXPECT_THROW(refseg::write_merges_gz("/nonexistent-dir/x.gz", {{"a", "b"}}), refseg::ModelError);
}

}  // namespace

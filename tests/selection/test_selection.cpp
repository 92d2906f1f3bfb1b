// The selection rule: which proposal wins for a text, and how the weights
// a (global vs local) and b (sentence vs phrase) steer it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <cmath>

#include "selection/local_crops.h"
#include "selection/selection.h"

namespace {

using refseg::best_proposal;
using refseg::mix_text_features;
using refseg::score_proposals;

// Three proposals in 3-D: proposal 0 matches the text globally, proposal 1
// locally, proposal 2 matches neither.
const std::vector<float> kGlobal = {1, 0, 0, /**/ 0, 1, 0, /**/ 0, 0, 1};
const std::vector<float> kLocal = {0, 1, 0, /**/ 1, 0, 0, /**/ 0, 0, 1};
const std::vector<float> kText = {2, 0, 0};

TEST(Selection, ScoresAreHundredTimesCosineOfTheMixedFeature) {
  const float a = 0.7f;
  const auto scores = score_proposals(kGlobal.data(), kLocal.data(), 3, 3, kText, a);
  ASSERT_EQ(scores.size(), 3u);
  for (int i = 0; i < 3; i++) {
    double v[3], dot = 0, nv = 0, nt = 0;
    for (int d = 0; d < 3; d++) {
      v[d] = a * kGlobal[i * 3 + d] + (1 - a) * kLocal[i * 3 + d];
      dot += v[d] * kText[d];
      nv += v[d] * v[d];
      nt += kText[d] * kText[d];
    }
    EXPECT_NEAR(scores[i], 100 * dot / std::sqrt(nv * nt), 1e-4) << "proposal " << i;
  }
}

TEST(Selection, GlobalWeightOneSelectsByGlobalFeatureOnly) {
  const auto scores = score_proposals(kGlobal.data(), kLocal.data(), 3, 3, kText, 1.f);
  EXPECT_EQ(best_proposal(scores), 0);
  EXPECT_NEAR(scores[0], 100.f, 1e-4);
  EXPECT_NEAR(scores[1], 0.f, 1e-4);
}

TEST(Selection, GlobalWeightZeroSelectsByLocalFeatureOnly) {
  const auto scores = score_proposals(kGlobal.data(), kLocal.data(), 3, 3, kText, 0.f);
  EXPECT_EQ(best_proposal(scores), 1);
  EXPECT_NEAR(scores[1], 100.f, 1e-4);
}

TEST(Selection, SentenceWeightChoosesBetweenSentenceAndPhrase) {
  const std::vector<float> sentence = {1, 0, 0}, phrase = {0, 1, 0};
  EXPECT_EQ(mix_text_features(sentence, phrase, 1.f), sentence);
  EXPECT_EQ(mix_text_features(sentence, phrase, 0.f), phrase);
  const auto half = mix_text_features(sentence, phrase, 0.5f);
  EXPECT_FLOAT_EQ(half[0], 0.5f);
  EXPECT_FLOAT_EQ(half[1], 0.5f);
  // With a = 1, sentence-only text picks proposal 0, phrase-only proposal 1.
  auto by = [&](float b) {
    return best_proposal(score_proposals(kGlobal.data(), kLocal.data(), 3, 3,
                                         mix_text_features(sentence, phrase, b), 1.f));
  };
  EXPECT_EQ(by(1.f), 0);
  EXPECT_EQ(by(0.f), 1);
}

TEST(Selection, NoProposalsMeansNoSelection) {
  EXPECT_TRUE(score_proposals(nullptr, nullptr, 0, 3, kText, 0.9f).empty());
  EXPECT_EQ(best_proposal({}), -1);
}

TEST(Selection, TiesGoToTheFirstProposalAndZeroVectorsScoreZero) {
  const std::vector<float> zeros(6, 0.f);
  const auto scores = score_proposals(zeros.data(), zeros.data(), 2, 3, kText, 0.5f);
  EXPECT_EQ(scores, (std::vector<float>{0.f, 0.f}));
  EXPECT_EQ(best_proposal(scores), 0);
}

TEST(Selection, TextOfAnotherDimensionScoresNothing) {
  const auto scores = score_proposals(kGlobal.data(), kLocal.data(), 3, 3, {1, 0}, 0.5f);
  EXPECT_EQ(scores, (std::vector<float>{0.f, 0.f, 0.f}));
}

}  // namespace

TEST(Selection, NonFiniteFeaturesNeverWin) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Row 0 is broken; rows 1 and 2 are real, row 2 points along the text.
  const std::vector<float> global = {nan, 0.f, 1.f, 0.f, 1.f, 0.f, 1.f, 1.f, 0.f};
  const std::vector<float> local = global;
  const std::vector<float> text = {1.f, 0.f, 0.f};
  const std::vector<float> scores = score_proposals(global.data(), local.data(), 3, 3, text, 0.95f);
  EXPECT_TRUE(std::isnan(scores[0]));
  EXPECT_EQ(best_proposal(scores), 2);
  EXPECT_EQ(best_proposal({nan, nan}), -1) << "all broken: nothing";
  const std::vector<float> inf_text = {std::numeric_limits<float>::infinity(), 0.f, 0.f};
  EXPECT_EQ(best_proposal(score_proposals(global.data(), local.data(), 3, 3, inf_text, 0.95f)), -1);
}

TEST(LocalCrops, EachTextKeepsItsKBestByGlobalScore) {
  using refseg::rows_for_local_crops;
  // Four proposals in 3-D; text x likes 0 then 2, text y likes 1 then 3.
  const std::vector<float> global = {1, 0, 0, /**/ 0, 1, 0, /**/ 1, 0.5f, 0, /**/ 0.2f, 1, 0.5f};
  const std::vector<float> x = {1, 0, 0}, y = {0, 1, 0};
  EXPECT_EQ(rows_for_local_crops(global.data(), 4, 3, {x}, 1),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(rows_for_local_crops(global.data(), 4, 3, {x}, 2),
            (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(rows_for_local_crops(global.data(), 4, 3, {x, y}, 1),
            (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(rows_for_local_crops(global.data(), 4, 3, {x}, 0), std::vector<bool>(4, false));
  EXPECT_EQ(rows_for_local_crops(global.data(), 4, 3, {x}, 9), std::vector<bool>(4, true));
}

TEST(LocalCrops, AllRowsWithoutAKOrATextToRankBy) {
  using refseg::rows_for_local_crops;
  const std::vector<float> global = {1, 0, 0, 1};
  EXPECT_EQ(rows_for_local_crops(global.data(), 2, 2, {{1, 0}}, -1), std::vector<bool>(2, true));
  EXPECT_EQ(rows_for_local_crops(global.data(), 2, 2, {}, 1), std::vector<bool>(2, true));
}

TEST(LocalCrops, BrokenRowsAreNeverAmongTheBest) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> global = {nan, 0, 0, 1};
  EXPECT_EQ(refseg::rows_for_local_crops(global.data(), 2, 2, {{1, 0}}, 2),
            (std::vector<bool>{false, true}));
}

// The per-frame decision (selection/frame_decision.h) on constructed
// frames: features and a text tower made of a few directions, so that the
// scores, the threshold's "not there", the spatial words and the reasons
// can each be told apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "selection/frame_decision.h"

namespace refseg {
namespace {

constexpr size_t kDim = 3;  // 0: square, 1: circle, 2: anything else

// A text's embedding: the shapes it names, plus a little of "else" so that
// no text is a zero vector. Counts every text it encodes.
struct Tower {
  std::map<std::string, int> calls;
  std::vector<float> operator()(const std::string &text) {
    ++calls[text];
    std::vector<float> t(kDim, 0.f);
    if (text.find("square") != std::string::npos) t[0] = 1.f;
    if (text.find("circle") != std::string::npos) t[1] = 1.f;
    t[2] = 0.1f;
    return t;
  }
};

// Proposals side by side in a row, each a 10 x 10 box with a full mask,
// from left to right; each one's global and local features are `looks`.
struct Frame {
  std::vector<std::vector<float>> looks;
  std::vector<uint8_t> pixels = std::vector<uint8_t>(100, 1);
  std::vector<float> global, local;
  FrameProposals proposals;

  explicit Frame(std::vector<std::vector<float>> l) : looks(std::move(l)) {
    for (size_t i = 0; i < looks.size(); ++i) {
      proposals.boxes.push_back(Box{static_cast<int>(20 * i), 10, 10, 10});
      proposals.masks.push_back(pixels.data());
      for (float v : looks[i]) global.push_back(v);
      for (float v : looks[i]) local.push_back(v);
    }
    proposals.count = looks.size();
    proposals.global = global.data();
    proposals.local = local.data();
    proposals.rows = looks.size();
    proposals.dim = kDim;
  }
};

const std::vector<float> kSquare = {1.f, 0.f, 0.1f};
const std::vector<float> kCircle = {0.f, 1.f, 0.1f};
const std::vector<float> kOther = {0.f, 0.f, 1.f};

DecisionSettings always() {
  DecisionSettings s;
  s.threshold = kSelectAlways;
  return s;
}

ExpressionDecision decide_one(const Frame &f, const std::string &sentence,
                              const DecisionSettings &s = always(), std::string phrase = "") {
  Tower tower;
  auto d = decide_frame(f.proposals, {{sentence, phrase}}, s, std::ref(tower));
  EXPECT_EQ(d.size(), 1u);
  return d.front();
}

TEST(FrameDecision, SelectsTheBestScoreWithTheMixedText) {
  const Frame f({kOther, kCircle, kSquare});
  Tower tower;
  DecisionSettings s = always();
  s.weights.sentence = 0.25f;
  const auto d = decide_frame(f.proposals, {{"the red square", "square"}}, s, std::ref(tower));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].outcome, DecisionOutcome::kSelected);
  EXPECT_EQ(d[0].index, 2);
  EXPECT_TRUE(d[0].reason.empty());
  const std::vector<float> text =
      mix_text_features(tower("the red square"), tower("square"), 0.25f);
  EXPECT_EQ(d[0].text, text);
  const std::vector<float> scores =
      score_proposals(f.global.data(), f.local.data(), 3, kDim, text, s.weights.global);
  EXPECT_EQ(d[0].scores, scores);
  EXPECT_EQ(d[0].proposal_scores, scores);
  EXPECT_FLOAT_EQ(d[0].score, scores[2]);
  EXPECT_FALSE(d[0].spatial.parsed);  // no spatial words
}

TEST(FrameDecision, AnEmptyPhraseUsesTheSentence) {
  const Frame f({kCircle, kSquare});
  Tower tower;
  decide_frame(f.proposals, {{"a square", ""}}, always(), std::ref(tower));
  EXPECT_EQ(tower.calls.size(), 1u);
  EXPECT_EQ(tower.calls.count("a square"), 1u);
}

TEST(FrameDecision, UnderTheThresholdIsNotThere) {
  const Frame f({kOther, kCircle});
  DecisionSettings s;
  s.threshold = 50.f;
  const ExpressionDecision d = decide_one(f, "the square", s);
  EXPECT_EQ(d.outcome, DecisionOutcome::kBelowThreshold);
  EXPECT_EQ(d.index, -1);
  EXPECT_FLOAT_EQ(d.threshold, 50.f);
  // The best score, which the reason names.
  EXPECT_FLOAT_EQ(d.score, *std::max_element(d.scores.begin(), d.scores.end()));
  EXPECT_EQ(d.reason.rfind("best score ", 0), 0u) << d.reason;
  EXPECT_NE(d.reason.find("is below the threshold 50.00"), std::string::npos) << d.reason;
  // The same frame asks for a circle: it is there.
  EXPECT_EQ(decide_one(f, "the circle", s).index, 1);
}

TEST(FrameDecision, TheModelsCalibrationIsTheDefaultThreshold) {
  const Frame f({kCircle, kOther});                         // the best, 1, scores about 10
  DecisionSettings s;                                       // kModelThreshold
  EXPECT_FLOAT_EQ(s.effective_threshold(), kSelectAlways);  // no calibration: select always
  EXPECT_EQ(decide_one(f, "the square", s).index, 1);
  s.calibration.threshold = 50.f;
  EXPECT_FLOAT_EQ(s.effective_threshold(), 50.f);
  EXPECT_EQ(decide_one(f, "the square", s).index, -1);
  s.threshold = 0.f;  // a set threshold wins over the calibration
  EXPECT_FLOAT_EQ(s.effective_threshold(), 0.f);
  EXPECT_EQ(decide_one(f, "the square", s).index, 1);
}

TEST(FrameDecision, NoProposalsAndNoFeaturesSayWhy) {
  Frame none({});
  ExpressionDecision d = decide_one(none, "the square");
  EXPECT_EQ(d.outcome, DecisionOutcome::kNoProposals);
  EXPECT_EQ(d.index, -1);
  EXPECT_EQ(d.reason, "no proposals: nothing to choose from");
  EXPECT_TRUE(d.scores.empty());
  EXPECT_TRUE(d.text.empty());

  Frame f({kSquare});
  f.proposals.global = nullptr;
  d = decide_one(f, "the square");
  EXPECT_EQ(d.outcome, DecisionOutcome::kNoFeatures);
  EXPECT_EQ(d.index, -1);
  EXPECT_NE(d.reason.find("refsegencoder"), std::string::npos);
}

TEST(FrameDecision, NonFiniteFeaturesSelectNothing) {
  Frame f({kSquare, kCircle});
  f.global[0] = std::numeric_limits<float>::quiet_NaN();
  f.global[kDim + 1] = std::numeric_limits<float>::infinity();
  const ExpressionDecision d = decide_one(f, "the square");
  EXPECT_EQ(d.outcome, DecisionOutcome::kNonFinite);
  EXPECT_EQ(d.index, -1);
  EXPECT_NE(d.reason.find("NaN"), std::string::npos);
  EXPECT_EQ(d.scores.size(), 2u);
}

TEST(FrameDecision, TextOfAnotherModelThrows) {
  Frame f({kSquare});
  f.proposals.dim = 2;  // the features' width is not the text's
  Tower tower;
  try {
    decide_frame(f.proposals, {{"the square", ""}}, always(), std::ref(tower));
    FAIL() << "no FeatureMismatch";
  } catch (const FeatureMismatch &e) {
    EXPECT_EQ(e.feature_dim, 2u);
    EXPECT_EQ(e.text_dim, kDim);
  }
}

TEST(FrameDecision, SpatialWordsPickByGeometry) {
  // Three squares that look the same: only the words of place decide.
  const Frame f({kSquare, kSquare, kSquare});
  DecisionSettings s = always();
  ExpressionDecision d = decide_one(f, "the rightmost square", s);
  ASSERT_TRUE(d.spatial.parsed);
  EXPECT_TRUE(d.spatial.resolution.resolved) << d.spatial.summary;
  EXPECT_EQ(d.index, 2);
  EXPECT_EQ(d.scores, d.spatial.resolution.support);  // the support is what decided
  EXPECT_FLOAT_EQ(d.score, d.scores[2]);
  EXPECT_EQ(decide_one(f, "the second square from the left", s).index, 1);
  // Off: the paper's rule, the best score (the first on ties).
  s.spatial = false;
  d = decide_one(f, "the rightmost square", s);
  EXPECT_FALSE(d.spatial.parsed);
  EXPECT_EQ(d.index, 0);
  EXPECT_EQ(d.scores, d.proposal_scores);
}

TEST(FrameDecision, SpatialWordsDoNotChangeOtherExpressions) {
  const Frame f({kCircle, kSquare, kOther});
  DecisionSettings on = always(), off = always();
  off.spatial = false;
  const ExpressionDecision a = decide_one(f, "the red square", on);
  const ExpressionDecision b = decide_one(f, "the red square", off);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.score, b.score);
}

TEST(FrameDecision, TheDescriptionDecidesWhetherTheTargetIsThere) {
  // No circle among the squares: "the leftmost circle" is not there,
  // though geometry alone would pick the leftmost proposal.
  const Frame f({kSquare, kSquare, kSquare});
  DecisionSettings s;
  s.threshold = 50.f;
  ExpressionDecision d = decide_one(f, "the leftmost circle", s);
  EXPECT_TRUE(d.spatial.resolution.resolved);
  EXPECT_EQ(d.index, -1);
  EXPECT_NE(d.reason.find("below the threshold"), std::string::npos);
  EXPECT_EQ(decide_one(f, "the leftmost square", s).index, 0);
  // A generic description ("the second one from the left") is always there.
  d = decide_one(f, "the second one from the left", s);
  EXPECT_TRUE(d.spatial.resolution.resolved) << d.spatial.summary;
  EXPECT_EQ(d.index, 1);
}

TEST(FrameDecision, TheDeciderKeepsParsesAndAnswersAsDecideFrame) {
  const Frame f({kSquare, kCircle, kSquare});
  FrameDecider decider;
  Tower tower;
  const std::vector<PreparedExpression> asked = {
      {"the rightmost square", ""}, {"the circle", "circle"}, {"the leftmost circle", ""}};
  for (int round = 0; round < 2; ++round) {
    const auto kept = decider.decide(f.proposals, asked, always(), std::ref(tower));
    const auto fresh = decide_frame(f.proposals, asked, always(), std::ref(tower));
    ASSERT_EQ(kept.size(), 3u);
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].index, fresh[i].index) << i;
      EXPECT_EQ(kept[i].scores, fresh[i].scores) << i;
      EXPECT_EQ(kept[i].reason, fresh[i].reason) << i;
      EXPECT_EQ(kept[i].spatial.summary, fresh[i].spatial.summary) << i;
    }
    EXPECT_EQ(kept[0].index, 2);
    EXPECT_EQ(kept[1].index, 1);
  }
}

TEST(FrameDecision, FrameProposalsFromMasks) {
  std::vector<RegionMask> masks(2);
  masks[0].box = {1, 2, 3, 4};
  masks[0].pixels.assign(12, 1);
  masks[1].box = {5, 6, 1, 1};
  masks[1].pixels.assign(1, 1);
  const std::vector<float> g(6, 1.f), l(6, 1.f);
  const FrameProposals p = frame_proposals(masks, g.data(), l.data(), 2, 3);
  EXPECT_EQ(p.count, 2u);
  EXPECT_EQ(p.boxes[1].x, 5);
  EXPECT_EQ(p.masks[0], masks[0].pixels.data());
  EXPECT_EQ(p.rows, 2u);
  EXPECT_EQ(p.dim, 3u);
}

}  // namespace
}  // namespace refseg

// EvaluationOptions::preprocess: both modes run the same scenes and the
// JSON says which mode a figure was measured with (what the mode does to
// the features is tested in tests/clip and through tools/refseg_image).
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "training/refseg_evaluation.h"

namespace refseg::training {
namespace {

EvaluationOptions few_scenes(clip::Preprocess preprocess) {
  EvaluationOptions o;
  const char *env = std::getenv("REFSEG_TINY_MODEL");
  o.model = env ? env : REFSEG_SOURCE_DIR "/models/pretrained/refseg-tiny.pt";
  o.first_seed = 900000;
  o.scenes = 3;
  o.threads = 1;
  o.preprocess = preprocess;
  return o;
}

TEST(RefsegEvaluation, PreprocessIsReported) {
  const EvaluationOptions clip_options = few_scenes(clip::Preprocess::kClip);
  const EvaluationOptions reference_options = few_scenes(clip::Preprocess::kReference);
  const EvaluationResult a = evaluate_refseg(clip_options);
  const EvaluationResult b = evaluate_refseg(reference_options);
  const std::string ja = evaluation_json(clip_options, a),
                    jb = evaluation_json(reference_options, b);
  EXPECT_NE(ja.find("\"preprocess\": \"clip\""), std::string::npos) << ja;
  EXPECT_NE(jb.find("\"preprocess\": \"reference\""), std::string::npos) << jb;
  ASSERT_EQ(a.settings.size(), b.settings.size());
  EXPECT_EQ(a.settings[0].all.expressions, b.settings[0].all.expressions);
  EXPECT_GT(b.settings[0].all.expressions, 0);
}

// A model is named by the user (a path of any bytes): the JSON stays
// valid, with what cannot be kept replaced.
TEST(RefsegEvaluation, JsonStringsAreAlwaysValidJson) {
  const std::string odd = "a\"b\\c\n\x01 \xff end";
  const nlohmann::json parsed = nlohmann::json::parse("[" + json_string(odd) + "]");
  EXPECT_EQ(parsed[0].get<std::string>(), "a\"b\\c\n\x01 \xef\xbf\xbd end");
  EXPECT_EQ(json_string("ground-truth"), "\"ground-truth\"");
}

}  // namespace
}  // namespace refseg::training

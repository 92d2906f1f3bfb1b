// The protocol end to end on the generated dataset with the bundled
// refseg-tiny model and the grouping proposals: the library call, then the
// tool as a user runs it (exit status, JSON on stdout and in --json, the
// progress bar, the errors).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <torch/script.h>

#include "common/model_error.h"
#include "refcoco/refcoco_evaluation.h"
#include "refer_fixture.h"

namespace refseg::refcoco {
namespace {

using testing::ReferFixture;

std::string tiny_model() {
  return REFSEG_SOURCE_DIR "/models/pretrained/refseg-tiny.pt";
}

RefcocoOptions options_for(const ReferFixture &f, const std::string &split) {
  RefcocoOptions o;
  o.refer_root = f.root;
  o.dataset = "refcoco";
  o.split = split;
  o.model = tiny_model();
  o.threads = 1;
  o.per_sentence = true;
  return o;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(EvaluateRefcoco, ScoresEverySentenceOfTheSplit) {
  ReferFixture f;
  const RefcocoOptions o = options_for(f, "val");
  const RefcocoResult r = evaluate_refcoco(o);
  EXPECT_EQ(r.split_refs, 2);  // refs 1 and 4
  EXPECT_EQ(r.split_sentences, 3);
  EXPECT_EQ(r.refs, 2);
  EXPECT_EQ(r.sentences, 3);
  EXPECT_EQ(r.split_by, "unc");
  EXPECT_FLOAT_EQ(r.global_weight, 0.95f);
  EXPECT_EQ(r.tally.sentences() + r.tally.unanswered(), 3);
  ASSERT_EQ(r.per_sentence.size(), 3u);
  // In the refs file's order, the text lower-cased as the authors' loop does.
  EXPECT_EQ(r.per_sentence[0].ref_id, 1);
  EXPECT_EQ(r.per_sentence[0].sent_id, 11);
  EXPECT_EQ(r.per_sentence[0].text, "red square");
  EXPECT_EQ(r.per_sentence[2].ref_id, 4);
  // The figures are the per-sentence overlaps summed and averaged.
  int64_t inter = 0, uni = 0;
  double iou_sum = 0;
  int scored = 0;
  for (const SentenceResult &s : r.per_sentence) {
    if (s.chosen < 0) continue;
    ++scored;
    EXPECT_LE(s.overlap.intersection, s.overlap.union_);
    inter += s.overlap.intersection;
    uni += s.overlap.union_;
    iou_sum +=
        s.overlap.union_ ? static_cast<double>(s.overlap.intersection) / s.overlap.union_ : 0;
  }
  EXPECT_EQ(scored, r.tally.sentences());
  EXPECT_EQ(r.tally.intersection(), inter);
  EXPECT_EQ(r.tally.union_(), uni);
  ASSERT_GT(uni, 0);
  EXPECT_DOUBLE_EQ(r.tally.oiou(), static_cast<double>(inter) / uni);
  EXPECT_DOUBLE_EQ(r.tally.miou(), iou_sum / scored);
  // Every union holds the whole target: ref 1's square is 320 pixels.
  EXPECT_GE(r.per_sentence[0].overlap.union_, 320);
}

TEST(EvaluateRefcoco, LimitStopsAfterThatManySentences) {
  ReferFixture f;
  RefcocoOptions o = options_for(f, "test");  // refs 2, 3, 5: 4 sentences
  o.limit = 2;
  const RefcocoResult r = evaluate_refcoco(o);
  EXPECT_EQ(r.split_sentences, 4);
  EXPECT_EQ(r.sentences, 2);
  EXPECT_EQ(r.refs, 2);  // ref 2 (one sentence) and the first of ref 3's two
  ASSERT_EQ(r.per_sentence.size(), 2u);
  EXPECT_EQ(r.per_sentence[1].sent_id, 31);
}

TEST(EvaluateRefcoco, RefcocogDefaultsToUmdAndItsWeight) {
  ReferFixture f;
  std::filesystem::create_directories(f.root + "/refcocog");
  std::filesystem::copy_file(f.refs_path(), f.root + "/refcocog/refs(umd).json");
  std::filesystem::copy_file(f.instances_path(), f.root + "/refcocog/instances.json");
  RefcocoOptions o = options_for(f, "val");
  o.dataset = "refcocog";
  o.limit = 1;
  const RefcocoResult r = evaluate_refcoco(o);
  EXPECT_EQ(r.split_by, "umd");
  EXPECT_EQ(r.refs_file, f.root + "/refcocog/refs(umd).json");
  EXPECT_FLOAT_EQ(r.global_weight, 0.85f);
}

TEST(EvaluateRefcoco, MissingImageIsNamed) {
  ReferFixture f;
  std::filesystem::remove(f.image_path(1));  // of refs 1 and 2
  try {
    evaluate_refcoco(options_for(f, "val"));
    FAIL() << "no error for a missing image";
  } catch (const ModelError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(f.image_path(1)), std::string::npos) << m;
    EXPECT_NE(m.find("image 1, ref 1"), std::string::npos) << m;
    EXPECT_NE(m.find("missing"), std::string::npos) << m;
  }
}

TEST(EvaluateRefcoco, ImageOfTheWrongSizeIsNamed) {
  ReferFixture f;
  cv::imwrite(f.image_path(1), cv::Mat(30, 40, CV_8UC3, cv::Scalar(0, 0, 0)));
  try {
    evaluate_refcoco(options_for(f, "val"));
    FAIL() << "no error for an image of another size";
  } catch (const ModelError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is 30 x 40, instances.json says 48 x 64"), std::string::npos) << m;
  }
}

TEST(EvaluateRefcoco, UndecodableImageIsNamed) {
  ReferFixture f;
  std::ofstream(f.image_path(1)) << "not a jpeg";
  try {
    evaluate_refcoco(options_for(f, "val"));
    FAIL() << "no error for an undecodable image";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("cannot be decoded"), std::string::npos) << e.what();
  }
}

TEST(EvaluateRefcoco, RefWithoutProposalsIsSkippedAsTheAuthorsSkipIt) {
  // A flat image is one region, which the grouping generator drops as
  // background: ref 3's image has no proposal.
  ReferFixture f;
  cv::imwrite(f.image_path(2), cv::Mat(48, 64, CV_8UC3, cv::Scalar(128, 128, 128)));
  const RefcocoResult r = evaluate_refcoco(options_for(f, "testB"));  // refs 3 (two), 5 (one)
  EXPECT_EQ(r.sentences, 3);
  EXPECT_EQ(r.unanswered_refs, 1);
  EXPECT_EQ(r.tally.unanswered(), 2);
  ASSERT_EQ(r.tally.sentences(), 1);
  ASSERT_EQ(r.per_sentence.size(), 3u);
  EXPECT_EQ(r.per_sentence[0].chosen, -1);
  EXPECT_EQ(r.per_sentence[1].chosen, -1);
  const Overlap only = r.per_sentence[2].overlap;
  ASSERT_GE(r.per_sentence[2].chosen, 0);
  // Only ref 5's sentence is in the figures...
  EXPECT_EQ(r.tally.intersection(), only.intersection);
  EXPECT_EQ(r.tally.union_(), only.union_);
  EXPECT_DOUBLE_EQ(r.tally.miou(), static_cast<double>(only.intersection) / only.union_);
  // ...and the strict count adds ref 3's target (the 384 pixels only one of
  // its two polygons covers) to the union twice, and two zeros to the mean.
  EXPECT_DOUBLE_EQ(r.tally.strict_oiou(),
                   static_cast<double>(only.intersection) / (only.union_ + 2 * 384));
  EXPECT_DOUBLE_EQ(r.tally.strict_miou(), r.tally.miou() / 3);
}

// The tool, as a user runs it.
struct ToolRun {
  int status = -1;
  std::string out, err;
};

ToolRun run_tool(const std::string &args, const std::string &dir) {
  const char *tool = std::getenv("REFSEG_EVALUATE_REFCOCO");
  if (!tool) throw std::runtime_error("REFSEG_EVALUATE_REFCOCO is not set (meson sets it)");
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const std::string command =
      std::string("'") + tool + "' " + args + " > '" + out + "' 2> '" + err + "'";
  ToolRun r;
  const int raw = std::system(command.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

TEST(EvaluateRefcocoTool, RunsWithLimitAndWritesJson) {
  ReferFixture f;
  const std::string json_path = f.root + "/result.json";
  const ToolRun r =
      run_tool("--refer-root '" + f.root + "' --dataset refcoco --split testB --model '" +
                   tiny_model() + "' --threads 1 --limit 2 --json '" + json_path + "'",
               f.root);
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j, nlohmann::json::parse(read_file(json_path)));
  EXPECT_EQ(j["dataset"], "refcoco");
  EXPECT_EQ(j["split"], "testB");
  EXPECT_EQ(j["split_by"], "unc");
  EXPECT_EQ(j["proposals"], "grouping");
  EXPECT_EQ(j["split_sentences"], 3);  // refs 3 (two) and 5 (one: testAB)
  EXPECT_EQ(j["sentences"], 2);
  EXPECT_EQ(j["limit"], 2);
  EXPECT_EQ(j["scored_sentences"].get<int>() + j["unanswered_sentences"].get<int>(), 2);
  const double inter = j["intersection"], uni = j["union"];
  ASSERT_GT(uni, 0);
  EXPECT_DOUBLE_EQ(j["oIoU"].get<double>(), inter / uni);
  EXPECT_DOUBLE_EQ(j["oIoU_percent"].get<double>(), 100 * j["oIoU"].get<double>());
  EXPECT_NE(r.err.find("2/2 sentences"), std::string::npos) << r.err;
}

TEST(EvaluateRefcocoTool, FixedProposalGivesExactFigures) {
  // A TorchScript "segmenter" whose one mask is always [8, 28) x [8, 24):
  // ref 1's target exactly (320 pixels, both sentences IoU 1), disjoint
  // from ref 4's [44, 52) x [24, 40) (128 pixels: I = 0, U = 448).
  ReferFixture f;
  torch::jit::Module m("FixedProposal");
  m.define(R"(
def forward(self, x):
    ys = torch.arange(x.size(2)).unsqueeze(1)
    xs = torch.arange(x.size(3)).unsqueeze(0)
    mask = ((ys >= 8) & (ys < 24) & (xs >= 8) & (xs < 28)).float().unsqueeze(0)
    return (mask, torch.tensor([0.9]))
)");
  const std::string model = f.root + "/fixed_proposal.pt";
  m.save(model);
  const ToolRun r = run_tool("--refer-root '" + f.root + "' --split val --model '" + tiny_model() +
                                 "' --threads 1 --proposal-model '" + model + "' --per-sentence",
                             f.root);
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["proposals"], model);
  EXPECT_EQ(j["mean_proposals"], 1.0);
  EXPECT_EQ(j["scored_sentences"], 3);
  EXPECT_EQ(j["intersection"], 640);
  EXPECT_EQ(j["union"], 320 + 320 + 448);
  EXPECT_DOUBLE_EQ(j["oIoU"].get<double>(), 640.0 / 1088.0);
  EXPECT_DOUBLE_EQ(j["mIoU"].get<double>(), 2.0 / 3.0);
  ASSERT_EQ(j["per_sentence"].size(), 3u);
  EXPECT_EQ(j["per_sentence"][2]["ref_id"], 4);
  EXPECT_EQ(j["per_sentence"][2]["intersection"], 0);
  EXPECT_EQ(j["per_sentence"][2]["union"], 448);
}

TEST(EvaluateRefcocoTool, PreprocessReferenceRejoinsTheSentenceAndIsReported) {
  ReferFixture f;
  f.refs[0]["sentences"][1]["raw"] = "The red square, on the LEFT";
  f.write();
  const std::string common = "--refer-root '" + f.root + "' --split val --model '" + tiny_model() +
                             "' --threads 1 --per-sentence";
  const ToolRun r = run_tool(common + " --preprocess reference", f.root);
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["preprocess"], "reference");
  ASSERT_GE(j["per_sentence"].size(), 2u);
  EXPECT_EQ(j["per_sentence"][0]["text"], "red square");
  EXPECT_EQ(j["per_sentence"][1]["text"], "the red square , on the left");

  const ToolRun plain = run_tool(common, f.root);
  ASSERT_EQ(plain.status, 0) << plain.err;
  const nlohmann::json k = nlohmann::json::parse(plain.out);
  EXPECT_EQ(k["preprocess"], "clip");
  EXPECT_EQ(k["per_sentence"][1]["text"], "the red square, on the left");

  const ToolRun bad = run_tool(common + " --preprocess imagenet", f.root);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("preprocess 'imagenet': expected clip or reference"), std::string::npos)
      << bad.err;
}

TEST(EvaluateRefcocoTool, MissingImageFailsNamingIt) {
  ReferFixture f;
  std::filesystem::remove(f.image_path(2));
  const ToolRun r = run_tool(
      "--refer-root '" + f.root + "' --split testB --model '" + tiny_model() + "' --threads 1",
      f.root);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(f.image_path(2)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("image 2, ref 3"), std::string::npos) << r.err;
}

TEST(EvaluateRefcocoTool, MalformedAnnotationFailsNamingIt) {
  ReferFixture f;
  f.instances["annotations"][2]["segmentation"][1] = {16, 4, 36};
  f.write();
  const ToolRun r = run_tool(
      "--refer-root '" + f.root + "' --split testB --model '" + tiny_model() + "' --threads 1",
      f.root);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("annotation 201: segmentation polygon 1 has an odd number of coordinates"),
            std::string::npos)
      << r.err;
}

TEST(EvaluateRefcocoTool, BadArgumentsAreUsageErrors) {
  ReferFixture f;
  ToolRun r = run_tool("--refer-root '" + f.root + "' --limit 0", f.root);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--limit must be from 1 to 9223372036854775807, got '0'"), std::string::npos)
      << r.err;
  r = run_tool("--refer-root '" + f.root + "' --dataset refclef", f.root);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--dataset: expected refcoco, refcoco+ or refcocog"), std::string::npos)
      << r.err;
  r = run_tool("--refer-root '" + f.root + "' --split validation --model '" + tiny_model() + "'",
               f.root);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("split 'validation'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace refseg::refcoco

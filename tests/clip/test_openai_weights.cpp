// Bad files give a ModelError whose message names the file and the problem.
#include <cstdio>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clip/clip_model.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "fixtures.h"

using namespace refseg::clip;

namespace {

// Runs load_openai_clip and returns the error message ("" if it loaded).
std::string load_error(const std::string &path) {
  try {
    load_openai_clip(path);
  } catch (const refseg::ModelError &e) {
    return e.what();
  }
  return "";
}

std::string temp_path(const std::string &name) {
  return ::testing::TempDir() + "/" + name;
}

TEST(OpenAIWeights, MissingFile) {
  const auto msg = load_error("/nonexistent/ViT-B-32.pt");
  EXPECT_NE(msg.find("/nonexistent/ViT-B-32.pt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

TEST(OpenAIWeights, NotATorchScriptArchive) {
  const auto path = temp_path("clip_not_torchscript.pt");
  std::ofstream(path) << "this is not a zip archive\n";
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("not a TorchScript archive"), std::string::npos) << msg;
}

TEST(OpenAIWeights, NotAClipModel) {
  const auto path = temp_path("clip_not_clip.pt");
  save_tensor_archive({{"backbone.weight", torch::ones({3, 3})}}, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("not a CLIP model"), std::string::npos) << msg;
}

TEST(OpenAIWeights, MissingVisualProj) {
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_vit.pt"));
  ASSERT_EQ(tensors.erase("visual.proj"), 1u);
  const auto path = temp_path("clip_no_proj.pt");
  save_tensor_archive(tensors, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("missing tensor visual.proj"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(OpenAIWeights, MissingBlockTensor) {
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_rn.pt"));
  ASSERT_EQ(tensors.erase("transformer.resblocks.1.mlp.c_fc.bias"), 1u);
  const auto path = temp_path("clip_no_bias.pt");
  save_tensor_archive(tensors, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("missing tensor transformer.resblocks.1.mlp.c_fc.bias"), std::string::npos)
      << msg;
}

TEST(OpenAIWeights, ShapeMismatch) {
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_vit.pt"));
  tensors["visual.ln_post.weight"] = torch::ones({32}, torch::kHalf);
  const auto path = temp_path("clip_bad_shape.pt");
  save_tensor_archive(tensors, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("shape mismatch for visual.ln_post.weight: expected [64], found [32]"),
            std::string::npos)
      << msg;
}

TEST(OpenAIWeights, ATensorWithNaNIsRefusedByName) {
  // What a few flipped bytes inside a tensor's data can do.
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_vit.pt"));
  at::Tensor damaged = tensors.at("visual.transformer.resblocks.0.attn.in_proj_weight").clone();
  damaged.view(-1)[7] = std::numeric_limits<float>::quiet_NaN();
  tensors["visual.transformer.resblocks.0.attn.in_proj_weight"] = damaged;
  const auto path = temp_path("clip_nan.pt");
  save_tensor_archive(tensors, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("visual.transformer.resblocks.0.attn.in_proj_weight"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("NaN or infinite"), std::string::npos) << msg;
}

TEST(OpenAIWeights, MetadataDisagreeingWithShapes) {
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_vit.pt"));
  tensors["input_resolution"] = torch::scalar_tensor(224, torch::kLong);
  const auto path = temp_path("clip_bad_resolution.pt");
  save_tensor_archive(tensors, path);
  const auto msg = load_error(path);
  std::remove(path.c_str());
  EXPECT_NE(msg.find("input_resolution is 224"), std::string::npos) << msg;
}

TEST(OpenAIWeights, ArchiveHoldsFp16TensorsUnderOpenAINames) {
  auto tensors = read_torchscript_tensors(fixtures::fixture_path("tiny_vit.pt"));
  for (const char *name :
       {"visual.transformer.resblocks.0.attn.in_proj_weight", "token_embedding.weight",
        "text_projection", "logit_scale", "visual.proj", "visual.class_embedding"}) {
    ASSERT_TRUE(tensors.count(name)) << name;
    EXPECT_EQ(tensors[name].scalar_type(), torch::kHalf) << name;
  }
  EXPECT_EQ(tensors["input_resolution"].item<int64_t>(), 48);
}

}  // namespace

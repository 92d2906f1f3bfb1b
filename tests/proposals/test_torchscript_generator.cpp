// TorchScript proposal models: a module made here is loaded and its masks
// arrive at frame size; modules and files that break the contract are
// refused with a message naming the file and the problem.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <torch/script.h>

#include "common/model_error.h"
#include "proposals/torchscript_generator.h"
#include "synthetic_scene.h"

namespace {

namespace fs = std::filesystem;
using refseg::ModelError;
using refseg::TorchScriptProposalGenerator;

// A "segmenter": one mask of the red-dominant pixels and one of the
// green-dominant pixels, at half the input resolution.
const char *kRedGreenModel = R"(
def forward(self, x):
    r = x[0, 0]
    g = x[0, 1]
    b = x[0, 2]
    red = ((r > 0.6) & (g < 0.4) & (b < 0.4)).float()
    green = ((g > 0.6) & (r < 0.4) & (b < 0.4)).float()
    masks = torch.stack([green, red])[:, ::2, ::2]
    return (masks, torch.tensor([0.3, 0.8]))
)";

fs::path save_module(const std::string &name, const std::string &source) {
  torch::jit::Module m("ProposalModel");
  m.define(source);
  const fs::path path = fs::temp_directory_path() /
                        ("refseg_test_" + std::to_string(::getpid()) + "_" + name + ".pt");
  m.save(path.string());
  return path;
}

std::string load_error(const std::string &path) {
  try {
    TorchScriptProposalGenerator gen(path);
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

TEST(TorchScriptGenerator, MasksArriveAtFrameSizeBestFirst) {
  const auto path = save_module("redgreen", kRedGreenModel);
  TorchScriptProposalGenerator gen(path.string());
  const auto scene = refseg_test::make_scene(321, 241, 2, false);  // red rectangle, green circle
  const auto masks = gen.propose(
      {scene.rgb.data, 321, 241, static_cast<int>(scene.rgb.step), refseg::PixelLayout::RGB});
  fs::remove(path);
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_FLOAT_EQ(masks[0].score, 0.8f);  // red first: scores rank
  const auto &red = masks[0], &green = masks[1];
  EXPECT_GE(refseg_test::iou_with(scene.objects[0], red.box.x, red.box.y, red.box.width,
                                  red.box.height, red.pixels.data()),
            0.9);
  EXPECT_GE(refseg_test::iou_with(scene.objects[1], green.box.x, green.box.y, green.box.width,
                                  green.box.height, green.pixels.data()),
            0.9);
  EXPECT_LE(red.box.x + red.box.width, 321);
  EXPECT_LE(red.box.y + red.box.height, 241);
}

TEST(TorchScriptGenerator, MissingFileIsNamed) {
  const std::string msg = load_error("/nonexistent/dir/proposals.pt");
  EXPECT_NE(msg.find("/nonexistent/dir/proposals.pt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(TorchScriptGenerator, FileThatIsNotTorchScriptIsNamed) {
  const fs::path path =
      fs::temp_directory_path() / ("refseg_test_" + std::to_string(::getpid()) + "_garbage.pt");
  std::ofstream(path) << "this is not a zip archive";
  const std::string msg = load_error(path.string());
  fs::remove(path);
  EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a TorchScript module"), std::string::npos) << msg;
}

TEST(TorchScriptGenerator, ContractViolationsAreNamed) {
  struct Case {
    const char *name, *source, *expected;
  };
  const Case cases[] = {
      {"tensor", "def forward(self, x):\n    return x[0]\n", "got a Tensor"},
      {"triple", "def forward(self, x):\n    return (x[0], x[0, 0, 0], x)\n",
       "tuple of 3 elements"},
      {"dims", "def forward(self, x):\n    return (x, x[0, 0, 0])\n",
       "masks of shape [1, 3, 64, 64]"},
      {"count", "def forward(self, x):\n    return (x[0], x[0, 0, 0, :2])\n",
       "3 masks and 2 scores"},
      {"raises", "def forward(self, x):\n    return (x[0], x[5, 0, 0])\n", "forward() failed"},
  };
  for (const Case &c : cases) {
    const auto path = save_module(c.name, c.source);
    const std::string msg = load_error(path.string());
    fs::remove(path);
    EXPECT_NE(msg.find(path.string()), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": " << msg;
    if (std::string(c.name) != "raises") {
      EXPECT_NE(msg.find("must be a tuple (masks [N,h,w], scores [N])"), std::string::npos) << msg;
    }
  }
}

TEST(TorchScriptGenerator, NoMasksIsNoProposals) {
  const auto path = save_module(
      "none", "def forward(self, x):\n    return (torch.zeros([0, 8, 8]), torch.zeros([0]))\n");
  TorchScriptProposalGenerator gen(path.string());
  fs::remove(path);
  cv::Mat rgb(10, 10, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_TRUE(gen.propose({rgb.data, 10, 10, static_cast<int>(rgb.step), refseg::PixelLayout::RGB})
                  .empty());
}

}  // namespace

// The hook before each transformer block: where the runtime changes its
// thread count in the middle of an analysis (clip_runtime.cpp). It must be
// reached by every block either tower and the global-local encoder run, and
// a thread count that changes between blocks must not change the features.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/openai_weights.h"
#include "fixtures.h"

using namespace refseg;
using namespace refseg::clip;

namespace {

// Puts the calling thread's LibTorch thread count back when it ends.
struct KeepThreads {
  int threads = at::get_num_threads();
  ~KeepThreads() { at::set_num_threads(threads); }
};

}  // namespace

TEST(BeforeBlock, EveryBlockOfBothTowersAndOfTheMaskedLayersCallsIt) {
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  const auto &c = model->config();
  int calls = 0;
  model->set_before_block([&] { ++calls; });
  const auto parity = fixtures::parity_tensors("tiny_vit");
  torch::NoGradGuard no_grad;
  model->encode_image(parity.at("images"));
  EXPECT_EQ(calls, c.vision_layers);
  calls = 0;
  model->encode_text(parity.at("text"));
  EXPECT_EQ(calls, c.text_layers);

  // Two masks (one batch): the unmasked prefix once, the k masked blocks
  // once for the batch, then every block for the batch of local crops.
  const int k = 2;
  const fixtures::Frame frame(96, 72, 3);
  calls = 0;
  GlobalLocalEncoder(model, k).encode(frame.view(), fixtures::two_masks(frame.width, frame.height));
  EXPECT_EQ(calls, (c.vision_layers - k) + k + c.vision_layers);

  model->set_before_block({});
  calls = 0;
  model->encode_image(parity.at("images"));
  EXPECT_EQ(calls, 0) << "an empty hook is not called";
}

TEST(BeforeBlock, AThreadCountChangedBetweenBlocksKeepsTheFeatures) {
  const KeepThreads keep;
  at::set_num_threads(2);
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  const fixtures::Frame frame(96, 72, 3);
  const auto masks = fixtures::two_masks(frame.width, frame.height);
  const MaskFeatures steady = GlobalLocalEncoder(model, 2).encode(frame.view(), masks);
  int block = 0;
  model->set_before_block([&] { at::set_num_threads(++block % 2 ? 1 : 2); });
  const MaskFeatures changing = GlobalLocalEncoder(model, 2).encode(frame.view(), masks);
  EXPECT_GT(block, 0);
  EXPECT_TRUE(torch::allclose(changing.global, steady.global, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(changing.local, steady.local, 1e-5, 1e-6));
}

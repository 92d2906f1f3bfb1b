// Proposal reuse on a still camera: what a frame that did not change may
// keep, and every change that must give fresh proposals.
#include <gtest/gtest.h>

#include <vector>

#include "proposals/proposal_reuse.h"

namespace refseg {
namespace {

struct Frame {
  int width, height;
  std::vector<uint8_t> rgb;
  Frame(int w, int h, uint8_t value) : width(w), height(h), rgb(size_t(w) * h * 3, value) {}
  ImageView view() const { return {rgb.data(), width, height, width * 3, PixelLayout::RGB}; }
  void paint(Box b, uint8_t value) {
    for (int y = b.y; y < b.y + b.height; ++y)
      for (int x = b.x; x < b.x + b.width; ++x)
        for (int c = 0; c < 3; ++c) rgb[(size_t(y) * width + x) * 3 + c] = value;
  }
};

std::vector<RegionMask> two_masks() {
  RegionMask a{{10, 10, 4, 4}, std::vector<uint8_t>(16, 255)};
  RegionMask b{{40, 20, 8, 8}, std::vector<uint8_t>(64, 255)};
  return {a, b};
}

TEST(ProposalReuse, AnUnchangedFrameGetsTheKeptProposals) {
  ProposalReuse reuse;
  const Frame frame(160, 120, 100);
  EXPECT_EQ(reuse.reuse(frame.view()), nullptr) << "nothing kept yet";
  reuse.remember(frame.view(), two_masks());
  const std::vector<RegionMask> *kept = reuse.reuse(frame.view());
  ASSERT_NE(kept, nullptr);
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[1].box.x, 40);
  EXPECT_EQ((*kept)[1].pixels, two_masks()[1].pixels);
  EXPECT_EQ(reuse.age(), 1);
}

TEST(ProposalReuse, NoiseUnderTheThresholdPasses) {
  ProposalReuse reuse;
  Frame frame(160, 120, 100);
  reuse.remember(frame.view(), two_masks());
  for (size_t i = 0; i < frame.rgb.size(); ++i) frame.rgb[i] = uint8_t(100 + (i % 3) - 1);
  EXPECT_NE(reuse.reuse(frame.view()), nullptr) << "mean change 2/3 of a level";
}

TEST(ProposalReuse, ASmallObjectThatMovedGivesFreshProposals) {
  ProposalReuse reuse;
  Frame frame(640, 480, 100);
  reuse.remember(frame.view(), two_masks());
  // A 20 x 20 shape appears: 0.13% of the frame, a tenth of a level over
  // the whole frame's mean, but most of one tile.
  frame.paint({300, 200, 20, 20}, 200);
  EXPECT_EQ(reuse.reuse(frame.view()), nullptr);
}

TEST(ProposalReuse, AtMostMaxAgeReusesInARow) {
  ProposalReuse reuse(ProposalReuseSettings{2.0, 3});
  const Frame frame(64, 64, 50);
  reuse.remember(frame.view(), two_masks());
  for (int i = 0; i < 3; ++i) EXPECT_NE(reuse.reuse(frame.view()), nullptr) << i;
  EXPECT_EQ(reuse.reuse(frame.view()), nullptr) << "the fourth must be fresh";
  reuse.remember(frame.view(), two_masks());
  EXPECT_NE(reuse.reuse(frame.view()), nullptr) << "fresh proposals start the count again";
}

TEST(ProposalReuse, AnotherSizeOrForgettingGivesFreshProposals) {
  ProposalReuse reuse;
  const Frame frame(64, 64, 50), wider(96, 64, 50);
  reuse.remember(frame.view(), two_masks());
  EXPECT_EQ(reuse.reuse(wider.view()), nullptr);
  reuse.forget();
  EXPECT_EQ(reuse.reuse(frame.view()), nullptr);
}

TEST(ProposalReuse, TheComparisonIsWithTheFrameTheProposalsWereMadeOn) {
  // A slow drift of one level per frame: each frame is close to the one
  // before, but not to the one the proposals came from.
  ProposalReuse reuse(ProposalReuseSettings{2.0, 100});
  Frame frame(64, 64, 50);
  reuse.remember(frame.view(), two_masks());
  int reused = 0;
  for (int step = 1; step <= 5; ++step) {
    std::fill(frame.rgb.begin(), frame.rgb.end(), uint8_t(50 + step));
    reused += reuse.reuse(frame.view()) != nullptr;
  }
  EXPECT_EQ(reused, 2) << "levels 51 and 52 pass, 53 and beyond do not";
}

}  // namespace
}  // namespace refseg

// The grouping generator finds drawn objects and honours its options.
#include <gtest/gtest.h>

#include <thread>

#include <opencv2/imgproc.hpp>

#include "proposals/grouping_generator.h"
#include "synthetic_scene.h"

namespace {

using refseg::GroupingProposalGenerator;
using refseg::ImageView;
using refseg::PixelLayout;
using refseg::RegionMask;

ImageView view_of(const cv::Mat &rgb) {
  return {rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), PixelLayout::RGB};
}

double best_iou(const cv::Mat &object, const std::vector<RegionMask> &masks) {
  double best = 0;
  for (const RegionMask &m : masks)
    best = std::max(best, refseg_test::iou_with(object, m.box.x, m.box.y, m.box.width, m.box.height,
                                                m.pixels.data()));
  return best;
}

void expect_objects_found(const refseg_test::Scene &scene, const std::vector<RegionMask> &masks) {
  for (size_t i = 0; i < scene.objects.size(); ++i)
    EXPECT_GE(best_iou(scene.objects[i], masks), 0.8) << "object " << i;
}

void expect_well_formed(const std::vector<RegionMask> &masks, int width, int height) {
  for (size_t i = 0; i < masks.size(); ++i) {
    const RegionMask &m = masks[i];
    ASSERT_FALSE(m.box.empty());
    EXPECT_GE(m.box.x, 0);
    EXPECT_GE(m.box.y, 0);
    EXPECT_LE(m.box.x + m.box.width, width);
    EXPECT_LE(m.box.y + m.box.height, height);
    ASSERT_EQ(m.pixels.size(), static_cast<size_t>(m.box.area()));
    for (uint8_t p : m.pixels) ASSERT_TRUE(p == 0 || p == 255);
    // Box is tight: first/last row and column hold a mask pixel.
    const cv::Mat crop(m.box.height, m.box.width, CV_8U, const_cast<uint8_t *>(m.pixels.data()));
    EXPECT_EQ(cv::boundingRect(crop), cv::Rect(0, 0, m.box.width, m.box.height));
    if (i > 0) {
      EXPECT_GE(masks[i - 1].score, m.score) << "scores must not increase";
    }
  }
}

class ObjectCount : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(ObjectCount, EveryObjectHasAProposal) {
  const auto [n, textured] = GetParam();
  const auto scene = refseg_test::make_scene(640, 480, n, textured);
  GroupingProposalGenerator gen;
  const auto masks = gen.propose(view_of(scene.rgb));
  EXPECT_LE(masks.size(), 20u);
  expect_well_formed(masks, 640, 480);
  expect_objects_found(scene, masks);
}

INSTANTIATE_TEST_SUITE_P(Scenes, ObjectCount,
                         ::testing::Combine(::testing::Values(3, 4, 5, 6), ::testing::Bool()));

TEST(GroupingGenerator, AllLayoutsGiveTheSameProposals) {
  const auto scene = refseg_test::make_scene(320, 240, 5, true);
  GroupingProposalGenerator gen;
  const auto reference = gen.propose(view_of(scene.rgb));
  expect_objects_found(scene, reference);
  struct L {
    PixelLayout layout;
    int bpp, red;
  };
  for (const L l :
       {L{PixelLayout::BGR, 3, 2}, L{PixelLayout::RGBA, 4, 0}, L{PixelLayout::BGRA, 4, 2},
        L{PixelLayout::RGBx, 4, 0}, L{PixelLayout::BGRx, 4, 2}}) {
    int stride = 0;
    const auto bytes = refseg_test::pack(scene.rgb, l.bpp, l.red, 12, &stride);
    const auto masks = gen.propose({bytes.data(), 320, 240, stride, l.layout});
    ASSERT_EQ(masks.size(), reference.size()) << "layout " << static_cast<int>(l.layout);
    for (size_t i = 0; i < masks.size(); ++i) EXPECT_EQ(masks[i].pixels, reference[i].pixels);
  }
}

// The quality setting too: its strategies and their overlaps run side by
// side on OpenCV's threads.
TEST(GroupingGenerator, Deterministic) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  for (const auto &options : {refseg::GroupingOptions{}, refseg::GroupingOptions::quality()}) {
    GroupingProposalGenerator a(options), b(options);
    const auto first = a.propose(view_of(scene.rgb));
    const auto again = a.propose(view_of(scene.rgb));
    const auto other = b.propose(view_of(scene.rgb.clone()));
    ASSERT_FALSE(first.empty());
    for (const auto *run : {&again, &other}) {
      ASSERT_EQ(run->size(), first.size());
      for (size_t i = 0; i < first.size(); ++i) {
        EXPECT_EQ((*run)[i].box.x, first[i].box.x);
        EXPECT_EQ((*run)[i].box.y, first[i].box.y);
        EXPECT_EQ((*run)[i].box.width, first[i].box.width);
        EXPECT_EQ((*run)[i].score, first[i].score);
        EXPECT_EQ((*run)[i].pixels, first[i].pixels);
      }
    }
  }
}

// The generator keeps its working memory between frames: frames of other
// sizes and contents before a frame change nothing in its proposals.
TEST(GroupingGenerator, EarlierFramesDoNotChangeTheProposals) {
  const auto scene = refseg_test::make_scene(640, 480, 5, true, 21);
  const auto fresh = GroupingProposalGenerator().propose(view_of(scene.rgb));
  ASSERT_FALSE(fresh.empty());
  GroupingProposalGenerator reused;
  for (const cv::Size size : {cv::Size(1280, 720), cv::Size(200, 150), cv::Size(7, 480)})
    reused.propose(view_of(refseg_test::make_scene(size.width, size.height, 6, false, 3).rgb));
  refseg::GroupingOptions one_strategy;
  one_strategy.strategies.resize(1);
  reused.set_options(one_strategy);
  reused.propose(view_of(scene.rgb));
  reused.set_options(refseg::GroupingOptions{});
  const auto again = reused.propose(view_of(scene.rgb));
  ASSERT_EQ(again.size(), fresh.size());
  for (size_t i = 0; i < fresh.size(); ++i) {
    EXPECT_EQ(again[i].box.x, fresh[i].box.x);
    EXPECT_EQ(again[i].box.y, fresh[i].box.y);
    EXPECT_EQ(again[i].box.width, fresh[i].box.width);
    EXPECT_EQ(again[i].box.height, fresh[i].box.height);
    EXPECT_EQ(again[i].score, fresh[i].score);
    EXPECT_EQ(again[i].pixels, fresh[i].pixels);
  }
}

// Copies of a generator that has run do not share its working memory: the
// copies, used at the same time from two threads on different frames, give
// what fresh generators give.
TEST(GroupingGenerator, CopiesDoNotShareWorkingMemory) {
  const auto a = refseg_test::make_scene(640, 480, 4, true, 8);
  const auto b = refseg_test::make_scene(640, 480, 6, false, 9);
  const auto expected_a = GroupingProposalGenerator().propose(view_of(a.rgb));
  const auto expected_b = GroupingProposalGenerator().propose(view_of(b.rgb));
  GroupingProposalGenerator first;
  first.propose(view_of(b.rgb));
  GroupingProposalGenerator second = first;
  GroupingProposalGenerator third;
  third.propose(view_of(a.rgb));
  third = first;
  auto same = [](const std::vector<RegionMask> &got, const std::vector<RegionMask> &expected) {
    if (got.size() != expected.size()) return false;
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i].pixels != expected[i].pixels || got[i].score != expected[i].score) return false;
    return true;
  };
  for (int round = 0; round < 3; ++round) {
    bool ok_a = false, ok_b = false, ok_c = false;
    std::thread t1([&] { ok_a = same(first.propose(view_of(a.rgb)), expected_a); });
    std::thread t2([&] { ok_b = same(second.propose(view_of(b.rgb)), expected_b); });
    ok_c = same(third.propose(view_of(a.rgb)), expected_a);
    t1.join();
    t2.join();
    EXPECT_TRUE(ok_a) << "round " << round;
    EXPECT_TRUE(ok_b) << "round " << round;
    EXPECT_TRUE(ok_c) << "round " << round;
  }
}

TEST(GroupingGenerator, MaxProposalsCapsTheCount) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  refseg::ProposalFilter filter;
  const size_t unlimited = GroupingProposalGenerator({}, filter).propose(view_of(scene.rgb)).size();
  ASSERT_GT(unlimited, 3u);
  filter.max_proposals = 3;
  EXPECT_EQ(GroupingProposalGenerator({}, filter).propose(view_of(scene.rgb)).size(), 3u);
  filter.max_proposals = 0;
  EXPECT_TRUE(GroupingProposalGenerator({}, filter).propose(view_of(scene.rgb)).empty());
}

TEST(GroupingGenerator, MinAreaDropsSmallMasks) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  double largest = 0;
  for (const auto &object : scene.objects)
    largest = std::max<double>(largest, cv::countNonZero(object));
  refseg::ProposalFilter filter;
  filter.max_proposals = 100;
  // Above every object by 30 %: a mask that large has IoU <= 1 / 1.3 with any object.
  filter.min_area = 1.3 * largest / (640 * 480);
  // Full-resolution processing: areas are exact, no rescaling.
  refseg::GroupingOptions options;
  options.processing_size = 640;
  const auto masks = GroupingProposalGenerator(options, filter).propose(view_of(scene.rgb));
  ASSERT_FALSE(masks.empty());
  for (const auto &m : masks) EXPECT_GE(m.area(), filter.min_area * 640 * 480);
  for (const auto &object : scene.objects) EXPECT_LT(best_iou(object, masks), 0.8);
}

TEST(GroupingGenerator, MaxAreaDropsTheBackground) {
  const auto scene = refseg_test::make_scene(640, 480, 3, false);
  const auto masks = GroupingProposalGenerator().propose(view_of(scene.rgb));
  for (const auto &m : masks) EXPECT_LE(m.area(), 0.9 * 640 * 480 + 640);
}

TEST(GroupingGenerator, DuplicatesAreSuppressed) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  refseg::ProposalFilter filter;
  filter.iou_threshold = 0.5;
  const auto masks = GroupingProposalGenerator({}, filter).propose(view_of(scene.rgb));
  for (size_t i = 0; i < masks.size(); ++i)
    for (size_t j = i + 1; j < masks.size(); ++j) {
      cv::Mat full = cv::Mat::zeros(480, 640, CV_8U);
      const auto &a = masks[i];
      cv::Mat(a.box.height, a.box.width, CV_8U, const_cast<uint8_t *>(a.pixels.data()))
          .copyTo(full(cv::Rect(a.box.x, a.box.y, a.box.width, a.box.height)));
      const auto &b = masks[j];
      // Small tolerance: suppression runs on the working grid, before upscaling.
      EXPECT_LT(
          refseg_test::iou_with(full, b.box.x, b.box.y, b.box.width, b.box.height, b.pixels.data()),
          0.55);
    }
}

// The default and the quality setting (its eight segmentations and their
// consensus).
TEST(GroupingGenerator, TinyAndOddFramesDoNotCrash) {
  for (const auto &options : {refseg::GroupingOptions{}, refseg::GroupingOptions::quality()}) {
    GroupingProposalGenerator gen(options);
    for (const cv::Size size :
         {cv::Size(1, 1), cv::Size(2, 3), cv::Size(3, 2), cv::Size(321, 241), cv::Size(7, 480)}) {
      cv::Mat rgb(size, CV_8UC3, cv::Scalar(10, 200, 30));
      if (size.width > 100) rgb = refseg_test::make_scene(size.width, size.height, 4, true).rgb;
      const auto masks = gen.propose(view_of(rgb));
      expect_well_formed(masks, size.width, size.height);
    }
    EXPECT_TRUE(gen.propose(ImageView{}).empty());
  }
}

TEST(GroupingGenerator, UltraHdFrameKeepsFrameCoordinates) {
  const auto scene = refseg_test::make_scene(3840, 2160, 6, false);
  const auto masks = GroupingProposalGenerator().propose(view_of(scene.rgb));
  expect_well_formed(masks, 3840, 2160);
  expect_objects_found(scene, masks);
}

}  // namespace

// A thin band of mixed colour around an object (what chroma at half
// resolution leaves) is a ring with strong contours on both sides; it must
// come out as the whole object, never as the ring alone, while an object's
// small enclosed hole of background stays a hole.
TEST(GroupingGenerator, ARingAroundAnObjectIsProposedWithItsInside) {
  cv::Mat rgb(240, 320, CV_8UC3, cv::Scalar(40, 120, 40));
  cv::Mat object = cv::Mat::zeros(240, 320, CV_8U), ring = cv::Mat::zeros(240, 320, CV_8U);
  cv::circle(rgb, {100, 120}, 40, cv::Scalar(120, 120, 200), cv::FILLED);  // the band
  cv::circle(rgb, {100, 120}, 35, cv::Scalar(200, 40, 40), cv::FILLED);    // the object
  cv::circle(object, {100, 120}, 40, cv::Scalar(255), cv::FILLED);
  cv::circle(ring, {100, 120}, 40, cv::Scalar(255), cv::FILLED);
  cv::circle(ring, {100, 120}, 35, cv::Scalar(0), cv::FILLED);
  // A square with a hole of background in it (a handle, the gap between legs):
  // proposed with its inside, its IoU with the holed square would be 0.75.
  cv::Mat holed = cv::Mat::zeros(240, 320, CV_8U);
  cv::rectangle(rgb, cv::Rect(200, 80, 80, 80), cv::Scalar(230, 200, 40), cv::FILLED);
  cv::rectangle(rgb, cv::Rect(220, 100, 40, 40), cv::Scalar(40, 120, 40), cv::FILLED);
  cv::rectangle(holed, cv::Rect(200, 80, 80, 80), cv::Scalar(255), cv::FILLED);
  cv::rectangle(holed, cv::Rect(220, 100, 40, 40), cv::Scalar(0), cv::FILLED);

  const auto masks = GroupingProposalGenerator().propose(view_of(rgb));
  expect_well_formed(masks, 320, 240);
  EXPECT_GE(best_iou(object, masks), 0.9);
  EXPECT_LT(best_iou(ring, masks), 0.5) << "the band alone was proposed";
  EXPECT_GE(best_iou(holed, masks), 0.9) << "the square lost its hole";
}

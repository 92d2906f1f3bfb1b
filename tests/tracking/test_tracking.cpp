// The tracking core: motion from frames, masks carried onto later frames,
// stable track ids and selections that switch only for a reason.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <set>

#include "tracking/carried_mask.h"
#include "tracking/frame_motion.h"
#include "tracking/result_tracker.h"
#include "tracking/selection_stabilizer.h"
#include "world/referring_world.h"

namespace refseg::tracking {
namespace {

ImageView view_of(const cv::Mat &rgb) {
  ImageView v;
  v.data = rgb.data;
  v.width = rgb.cols;
  v.height = rgb.rows;
  v.stride = static_cast<int>(rgb.step);
  v.layout = PixelLayout::RGB;
  return v;
}

RegionMask rect_mask(int x, int y, int w, int h) {
  RegionMask m;
  m.box = {x, y, w, h};
  m.pixels.assign(static_cast<size_t>(w) * h, 255);
  return m;
}

// A textured picture and the same picture shifted by (dx, dy).
cv::Mat texture(int w, int h, int dx, int dy) {
  cv::Mat big(h + 40, w + 40, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(big, cv::RNG::UNIFORM, 0, 255);
  cv::GaussianBlur(big, big, cv::Size(0, 0), 2.5);
  return big(cv::Rect(20 - dx, 20 - dy, w, h)).clone();
}

TEST(FrameMotion, FindsAGlobalShift) {
  MotionEstimator estimator;
  const cv::Mat a = texture(320, 240, 0, 0), b = texture(320, 240, 6, -4);
  EXPECT_TRUE(estimator.next(view_of(a)).empty()) << "the first frame has no motion";
  const FrameMotion motion = estimator.next(view_of(b));
  ASSERT_FALSE(motion.empty());
  const Displacement d = motion.translation_of(rect_mask(100, 80, 80, 60));
  EXPECT_NEAR(d.dx, 6.f, 0.75f);
  EXPECT_NEAR(d.dy, -4.f, 0.75f);
  EXPECT_EQ(motion.translation_of(RegionMask{}).dx, 0.f) << "an empty mask does not move";
}

TEST(FrameMotion, ASizeChangeStartsAgain) {
  MotionEstimator estimator;
  estimator.next(view_of(texture(320, 240, 0, 0)));
  EXPECT_TRUE(estimator.next(view_of(texture(160, 120, 0, 0))).empty());
  EXPECT_FALSE(estimator.next(view_of(texture(160, 120, 1, 0))).empty());
}

TEST(CarriedMask, ShiftsAndClipsToTheFrame) {
  CarriedMask still(rect_mask(10, 10, 20, 20));
  EXPECT_EQ(still.current(100, 100).box.x, 10);
  // Moving right by 85 px: only 5 columns are left in a 100-wide frame.
  MotionEstimator estimator;
  estimator.next(view_of(texture(100, 100, 0, 0)));
  CarriedMask m(rect_mask(10, 10, 20, 20));
  for (int i = 0; i < 17; i++) {
    // Five pixels a frame, measured on a real shift.
    const cv::Mat a = texture(100, 100, 0, 0), b = texture(100, 100, 5, 0);
    MotionEstimator e;
    e.next(view_of(a));
    const FrameMotion step = e.next(view_of(b));
    const Displacement d = step.translation_of(rect_mask(30, 30, 40, 40));
    ASSERT_NEAR(d.dx, 5.f, 0.75f);
    m.move(step);
  }
  const RegionMask now = m.current(100, 100);
  EXPECT_GE(now.box.x, 90);
  EXPECT_EQ(now.box.x + now.box.width, 100);
  EXPECT_EQ(now.box.height, 20);
}

TEST(SelectionStabilizer, SwitchesOnlyForAMarginOrRepeatedAgreement) {
  SelectionStabilizer s;
  const StabilizerOptions o{3.f, 3};
  const std::vector<int> ids = {7, 8, 9};
  EXPECT_EQ(s.choose(ids, {30.f, 29.f, 10.f}, 0, o), 0) << "first analysis: the best";
  EXPECT_EQ(s.selected_track(), 7);
  // Track 8 is slightly better: not a reason to switch, until it has won
  // three analyses in a row.
  EXPECT_EQ(s.choose(ids, {29.f, 30.f, 10.f}, 1, o), 0);
  EXPECT_EQ(s.choose(ids, {29.f, 30.f, 10.f}, 1, o), 0);
  EXPECT_EQ(s.choose(ids, {29.f, 30.f, 10.f}, 1, o), 1);
  EXPECT_EQ(s.selected_track(), 8);
  // A clear margin switches at once.
  EXPECT_EQ(s.choose(ids, {29.f, 26.f, 10.f}, 0, o), 0);
  EXPECT_EQ(s.selected_track(), 7);
  // The selected track disappears: the best of what is there.
  EXPECT_EQ(s.choose({8, 9}, {20.f, 25.f}, 1, o), 1);
  EXPECT_EQ(s.selected_track(), 9);
  // Nothing above the threshold: nothing, and no memory of the old track.
  EXPECT_EQ(s.choose({8, 9}, {20.f, 25.f}, -1, o), -1);
  EXPECT_EQ(s.selected_track(), -1);
  // margin 0, one confirmation: the paper's rule, always the best.
  SelectionStabilizer paper;
  const StabilizerOptions none{0.f, 1};
  EXPECT_EQ(paper.choose(ids, {30.f, 29.f, 10.f}, 0, none), 0);
  EXPECT_EQ(paper.choose(ids, {29.f, 30.f, 10.f}, 1, none), 1);
}

world::WorldOptions moving_world() {
  world::WorldOptions o;
  o.width = 320;
  o.height = 240;
  o.min_objects = 3;
  o.max_objects = 5;
  o.overlap_probability = 0.0;
  return o;
}

Analysis truth_analysis(const world::Scene &scene, int64_t t) {
  Analysis a;
  a.timestamp = t;
  a.width = scene.image.cols;
  a.height = scene.image.rows;
  for (const world::Object &o : scene.objects) a.proposals.push_back(world::region_mask(o));
  return a;
}

// The mean IoU with the truth of masks analysed on frame `from` and carried
// to frame `to`, with the results handed over `late` frames after `from`.
double carried_iou(uint64_t seed, int from, int to, int late) {
  const world::WorldVideo video(seed, moving_world());
  ResultTracker tracker;
  std::vector<world::Scene> frames;
  for (int t = 0; t <= to; t++) frames.push_back(video.frame(t));
  for (int t = 0; t <= to; t++) {
    tracker.advance(view_of(frames[t].image), t);
    if (t == from + late) {
      EXPECT_TRUE(tracker.apply(truth_analysis(frames[from], from)));
    }
  }
  const TrackedFrame now = tracker.current();
  const world::Scene &truth = frames[to];
  EXPECT_EQ(now.proposals.size(), truth.objects.size());
  double sum = 0;
  for (size_t i = 0; i < truth.objects.size() && i < now.proposals.size(); i++)
    sum += mask_iou(now.proposals[i], world::region_mask(truth.objects[i]));
  return sum / truth.objects.size();
}

TEST(ResultTracker, CarriedMasksStayOnTheirObjects) {
  for (uint64_t seed : {3u, 11u}) {
    // Not carried at all, the masks of frame 0 would be off by ten frames
    // of motion: the carried ones must do clearly better.
    const world::WorldVideo video(seed, moving_world());
    const world::Scene first = video.frame(0), later = video.frame(10);
    double stale = 0;
    for (size_t i = 0; i < first.objects.size(); i++)
      stale += mask_iou(world::region_mask(first.objects[i]), world::region_mask(later.objects[i]));
    stale /= first.objects.size();
    const double carried = carried_iou(seed, 0, 10, 0);
    EXPECT_GE(carried, 0.75) << "seed " << seed;
    EXPECT_GT(carried, stale + 0.1) << "seed " << seed;
  }
}

TEST(ResultTracker, ALateResultLandsWhereTheObjectIsNow) {
  // Analysed on frame 0, handed over on frame 30: moved through 30 frames
  // of recorded motion, as if it had been carried all along.
  const double late = carried_iou(5, 0, 30, 30), on_time = carried_iou(5, 0, 30, 0);
  EXPECT_GE(late, 0.6);
  EXPECT_NEAR(late, on_time, 0.02);
}

TEST(ResultTracker, AStillSceneKeepsItsTrackIds) {
  world::WorldOptions o = moving_world();
  o.max_speed = 0.0;
  o.background_sway = 0;
  const world::WorldVideo video(9, o);
  ResultTracker tracker;
  std::vector<int> first_ids;
  for (int t = 0; t < 100; t++) {
    const world::Scene s = video.frame(t);
    tracker.advance(view_of(s.image), t);
    if (t % 10 == 0) {
      Analysis a = truth_analysis(s, t);
      std::reverse(a.proposals.begin(), a.proposals.end());  // order is no identity
      ASSERT_TRUE(tracker.apply(a));
      std::vector<int> ids = tracker.current().track_ids;
      std::reverse(ids.begin(), ids.end());
      if (first_ids.empty()) first_ids = ids;
      EXPECT_EQ(ids, first_ids) << "frame " << t;
    }
  }
  std::set<int> unique(first_ids.begin(), first_ids.end());
  EXPECT_EQ(unique.size(), first_ids.size()) << "one id per object";
}

TEST(ResultTracker, SelectionsFollowTheirTrack) {
  const world::WorldVideo video(3, moving_world());
  ResultTracker tracker;
  const world::Scene s0 = video.frame(0);
  tracker.advance(view_of(s0.image), 0);
  Analysis a = truth_analysis(s0, 0);
  AnalysedExpression e;
  e.expression = "the thing";
  e.scores.assign(a.proposals.size(), 10.f);
  e.scores[1] = 30.f;
  e.index = 1;
  e.score = 30.f;
  a.expressions.push_back(e);
  ASSERT_TRUE(tracker.apply(a));
  const int id = tracker.current().selections[0].track_id;
  EXPECT_GT(id, 0);
  for (int t = 1; t <= 10; t++) tracker.advance(view_of(video.frame(t).image), t);
  const TrackedFrame f = tracker.current();
  ASSERT_EQ(f.selections.size(), 1u);
  EXPECT_EQ(f.selections[0].track_id, id);
  EXPECT_EQ(f.selections[0].box.x, f.proposals[f.selections[0].index].box.x);
  EXPECT_GE(
      mask_iou(f.proposals[f.selections[0].index], world::region_mask(video.frame(10).objects[1])),
      0.7);
}

TEST(ResultTracker, RefusesResultsThatCannotApply) {
  const world::WorldVideo video(3, moving_world());
  ResultTracker tracker;
  const world::Scene s = video.frame(0);
  Analysis a = truth_analysis(s, 0);
  EXPECT_FALSE(tracker.apply(a)) << "no frame seen yet";
  tracker.advance(view_of(s.image), 0);
  a.timestamp = 5;
  EXPECT_FALSE(tracker.apply(a)) << "from a frame the video has not shown";
  a.timestamp = 0;
  a.width = 640;
  EXPECT_FALSE(tracker.apply(a)) << "another frame size";
  EXPECT_FALSE(tracker.has_results());
  a.width = s.image.cols;
  EXPECT_TRUE(tracker.apply(a));
  tracker.reset();
  EXPECT_FALSE(tracker.has_results());
  EXPECT_TRUE(tracker.current().proposals.empty());
}

}  // namespace
}  // namespace refseg::tracking

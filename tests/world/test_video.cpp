// Video: reproducible frames, smooth bounded motion, true expressions.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "expression_checker.h"
#include "world/referring_world.h"

namespace refseg::world {
namespace {

bool same(const cv::Mat &a, const cv::Mat &b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(WorldVideo, FramesAreReproducibleInAnyOrder) {
  const WorldVideo video(99), again(99);
  const Scene late = video.frame(40);
  for (int64_t t : {0, 17, 39}) video.frame(t);
  const Scene late_again = again.frame(40);
  EXPECT_TRUE(same(late.image, late_again.image));
  EXPECT_TRUE(same(late.image, video.frame(40).image));
  ASSERT_EQ(late.expressions.size(), late_again.expressions.size());
  for (size_t i = 0; i < late.expressions.size(); ++i)
    EXPECT_EQ(late.expressions[i].text, late_again.expressions[i].text);
  EXPECT_FALSE(same(WorldVideo(100).frame(40).image, late.image));
}

TEST(WorldVideo, ObjectsMoveSmoothlyAndStayInFrame) {
  WorldOptions options;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const WorldVideo video(seed, options);
    Scene previous = video.frame(0);
    ASSERT_EQ(static_cast<int>(previous.objects.size()), video.object_count());
    double travelled = 0;
    for (int64_t t = 1; t <= 120; ++t) {
      const Scene s = video.frame(t);
      ASSERT_EQ(s.objects.size(), previous.objects.size());
      for (size_t i = 0; i < s.objects.size(); ++i) {
        const Object &o = s.objects[i], &p = previous.objects[i];
        EXPECT_EQ(o.shape, p.shape);
        EXPECT_EQ(o.colour, p.colour);
        const double step = cv::norm(o.centre - p.centre);
        EXPECT_LE(step, options.max_speed + 1e-3) << "seed " << seed << " frame " << t;
        travelled += step;
        EXPECT_GE(o.centre.x - o.radius, 0.f);
        EXPECT_GE(o.centre.y - o.radius, 0.f);
        EXPECT_LE(o.centre.x + o.radius, s.image.cols - 1.f);
        EXPECT_LE(o.centre.y + o.radius, s.image.rows - 1.f);
        EXPECT_EQ(o.full_area > 0, true);
      }
      previous = s;
    }
    EXPECT_GT(travelled, 30.0 * previous.objects.size()) << "objects should move";
  }
}

TEST(WorldVideo, FramesHaveExactMasksAndTrueExpressions) {
  const WorldOptions options;
  int expressions = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const WorldVideo video(seed, options);
    for (int64_t t = 0; t < 200; t += 7) {
      const Scene s = video.frame(t);
      cv::Mat seen = cv::Mat::zeros(s.image.size(), CV_8U);
      for (const Object &o : s.objects) {
        EXPECT_EQ(cv::countNonZero(o.mask & seen), 0);
        seen |= o.mask;
        cv::Mat painted;
        cv::inRange(s.image, cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]),
                    cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]), painted);
        EXPECT_EQ(cv::countNonZero(o.mask & ~painted), 0);
      }
      for (const Expression &e : s.expressions) {
        ++expressions;
        EXPECT_EQ(testing::check_expression(s.objects, e), "") << "seed " << seed << " t " << t;
        const Object &target = s.objects[static_cast<size_t>(e.target)];
        EXPECT_GE(target.visible_area, options.min_visible_fraction * target.full_area);
      }
    }
  }
  EXPECT_GT(expressions, 100);
}

TEST(WorldVideo, BackgroundSways) {
  WorldOptions options;
  options.min_objects = options.max_objects = 1;
  for (uint64_t seed = 0;; ++seed) {
    const WorldVideo video(seed, options);
    const Scene a = video.frame(0), b = video.frame(60);
    if (a.background == Background::Plain) continue;  // a plain background shows no sway
    // Pixels away from the single object change between distant frames.
    const cv::Mat outside = ~(a.objects[0].mask | b.objects[0].mask);
    cv::Mat diff, grey;
    cv::absdiff(a.image, b.image, diff);
    cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
    EXPECT_GT(cv::countNonZero(grey & outside), 1000) << "seed " << seed;
    break;
  }
}

}  // namespace
}  // namespace refseg::world

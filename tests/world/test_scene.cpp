// Still scenes: determinism, counts, exact masks, options.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <set>

#include "common/model_error.h"
#include "world/referring_world.h"
#include "world/seeded_random.h"

namespace refseg::world {
namespace {

bool same(const cv::Mat &a, const cv::Mat &b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(WorldScene, SameSeedGivesIdenticalScene) {
  for (uint64_t seed : {0ull, 7ull, 123456789ull}) {
    const Scene a = make_scene(seed), b = make_scene(seed);
    EXPECT_TRUE(same(a.image, b.image));
    ASSERT_EQ(a.objects.size(), b.objects.size());
    for (size_t i = 0; i < a.objects.size(); ++i) {
      EXPECT_TRUE(same(a.objects[i].mask, b.objects[i].mask));
      EXPECT_EQ(a.objects[i].centre, b.objects[i].centre);
      EXPECT_EQ(a.objects[i].rgb, b.objects[i].rgb);
    }
    ASSERT_EQ(a.expressions.size(), b.expressions.size());
    for (size_t i = 0; i < a.expressions.size(); ++i) {
      EXPECT_EQ(a.expressions[i].text, b.expressions[i].text);
      EXPECT_EQ(a.expressions[i].target, b.expressions[i].target);
    }
  }
}

TEST(WorldScene, DifferentSeedsGiveDifferentScenes) {
  std::vector<cv::Mat> images;
  for (uint64_t seed = 0; seed < 30; ++seed) images.push_back(make_scene(seed).image);
  for (size_t i = 0; i < images.size(); ++i)
    for (size_t j = i + 1; j < images.size(); ++j)
      EXPECT_FALSE(same(images[i], images[j])) << "seeds " << i << " and " << j;
}

TEST(WorldScene, ImageIsRgbOfTheRequestedSize) {
  WorldOptions options;
  options.width = 200;
  options.height = 150;
  const Scene scene = make_scene(3, options);
  EXPECT_EQ(scene.image.type(), CV_8UC3);
  EXPECT_EQ(scene.image.size(), cv::Size(200, 150));
  // A red object's pixels have red as the first channel.
  WorldOptions plain;
  plain.colour_jitter = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const Scene s = make_scene(seed, plain);
    for (const Object &o : s.objects)
      if (o.colour == Colour::Red) {
        std::vector<cv::Point> pixels;
        cv::findNonZero(o.mask, pixels);
        const cv::Point p = pixels.front();
        EXPECT_EQ(s.image.at<cv::Vec3b>(p), cv::Vec3b(215, 35, 35));
        return;
      }
  }
  FAIL() << "no red object in 50 scenes";
}

TEST(WorldScene, ObjectCountsStayInRange) {
  WorldOptions options;
  std::set<size_t> counts;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const size_t n = make_scene(seed, options).objects.size();
    EXPECT_GE(n, 2u);
    EXPECT_LE(n, 7u);
    counts.insert(n);
  }
  EXPECT_GE(counts.size(), 5u) << "counts should vary";
  options.min_objects = options.max_objects = 4;
  for (uint64_t seed = 0; seed < 20; ++seed)
    EXPECT_EQ(make_scene(seed, options).objects.size(), 4u);
}

TEST(WorldScene, MasksAreDisjointExactAndPainted) {
  const WorldOptions options;
  for (uint64_t seed = 0; seed < 150; ++seed) {
    const Scene s = make_scene(seed, options);
    cv::Mat seen = cv::Mat::zeros(s.image.size(), CV_8U);
    for (size_t i = 0; i < s.objects.size(); ++i) {
      const Object &o = s.objects[i];
      ASSERT_EQ(o.mask.type(), CV_8U);
      ASSERT_EQ(o.mask.size(), s.image.size());
      // Only 0 and 255.
      EXPECT_EQ(cv::countNonZero(o.mask), cv::countNonZero(o.mask == 255));
      EXPECT_EQ(cv::countNonZero(o.mask & seen), 0) << "seed " << seed << " object " << i;
      seen |= o.mask;
      EXPECT_EQ(o.visible_area, cv::countNonZero(o.mask));
      EXPECT_GE(o.visible_area, options.min_visible_fraction * o.full_area) << "seed " << seed;
      EXPECT_GT(o.visible_area, 100);
      EXPECT_EQ(o.box, cv::boundingRect(o.mask));
      // The whole shape lies in the frame.
      EXPECT_GE(o.centre.x - o.radius, 0.f);
      EXPECT_GE(o.centre.y - o.radius, 0.f);
      EXPECT_LE(o.centre.x + o.radius, s.image.cols - 1.f);
      EXPECT_LE(o.centre.y + o.radius, s.image.rows - 1.f);
      // Its painted colour is the named colour within the jitter.
      const cv::Vec3b named = colour_rgb(o.colour);
      for (int c = 0; c < 3; ++c) EXPECT_LE(std::abs(o.rgb[c] - named[c]), options.colour_jitter);
      // Every visible pixel shows exactly that colour (no noise, no blur).
      cv::Mat painted;
      cv::inRange(s.image, cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]),
                  cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]), painted);
      EXPECT_EQ(cv::countNonZero(o.mask & ~painted), 0) << "seed " << seed << " object " << i;
    }
  }
}

TEST(WorldScene, SizeClassesAreSeparated) {
  float largest_small = 0.f, smallest_big = 1e9f;
  for (uint64_t seed = 0; seed < 100; ++seed)
    for (const Object &o : make_scene(seed).objects)
      if (o.big)
        smallest_big = std::min(smallest_big, o.radius);
      else
        largest_small = std::max(largest_small, o.radius);
  EXPECT_GT(smallest_big, 1.3f * largest_small);
}

TEST(WorldScene, NoiseAndBlurChangePixelsButNotObjects) {
  WorldOptions noisy;
  noisy.noise = 20;
  noisy.blur = 1.5;
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    const Scene clean = make_scene(seed), dirty = make_scene(seed, noisy);
    EXPECT_FALSE(same(clean.image, dirty.image));
    ASSERT_EQ(clean.objects.size(), dirty.objects.size());
    for (size_t i = 0; i < clean.objects.size(); ++i)
      EXPECT_TRUE(same(clean.objects[i].mask, dirty.objects[i].mask));
    ASSERT_EQ(clean.expressions.size(), dirty.expressions.size());
  }
}

TEST(WorldScene, BackgroundsVaryUnlessPlainIsAsked) {
  std::set<Background> kinds;
  for (uint64_t seed = 0; seed < 100; ++seed) kinds.insert(make_scene(seed).background);
  EXPECT_EQ(kinds.size(), 5u);
  WorldOptions plain;
  plain.textured = false;
  const Scene s = make_scene(5, plain);
  EXPECT_EQ(s.background, Background::Plain);
}

TEST(WorldScene, InvalidOptionsAreRejectedWithAMessage) {
  WorldOptions tiny;
  tiny.width = 10;
  EXPECT_THROW(make_scene(1, tiny), ModelError);
  WorldOptions reversed;
  reversed.min_objects = 5;
  reversed.max_objects = 3;
  try {
    make_scene(1, reversed);
    FAIL() << "no exception";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("min_objects"), std::string::npos) << e.what();
  }
  WorldOptions crowded;  // 16 objects that must stay fully visible in a small frame
  crowded.width = crowded.height = 64;
  crowded.min_objects = crowded.max_objects = 16;
  crowded.min_visible_fraction = 1.0;
  EXPECT_THROW(make_scene(1, crowded), ModelError);
}

TEST(WorldScene, DescriptionsNameTheAttributes) {
  const Scene s = make_scene(11);
  for (const Object &o : s.objects) {
    const std::string plain = colour_name(o.colour) + " " + shape_name(o.shape);
    EXPECT_EQ(describe(o, false), plain);
    EXPECT_EQ(describe(o, true), (o.big ? "big " : "small ") + plain);
    EXPECT_NE(caption(s).find(describe(o, true)), std::string::npos) << caption(s);
  }
  EXPECT_NE(caption(s).find(background_name(s.background) + " background"), std::string::npos);
}

TEST(WorldScene, RegionMaskIsTheVisibleMask) {
  const Scene s = make_scene(12);
  for (const Object &o : s.objects) {
    const RegionMask r = region_mask(o);
    EXPECT_EQ(r.area(), static_cast<size_t>(o.visible_area));
    for (int y = 0; y < s.image.rows; y += 3)
      for (int x = 0; x < s.image.cols; x += 3)
        EXPECT_EQ(r.contains(x, y), o.mask.at<uchar>(y, x) != 0);
  }
}

// The hard level: same seed, same scene; objects of two colours, textured
// or shaded; the truth masks still the whole objects (their pixels are the
// object's, whatever the paint).
TEST(WorldScene, HardLevelPaintsWholeObjectsInParts) {
  WorldOptions options;
  options.level = WorldLevel::Hard;
  EXPECT_TRUE(same(make_scene(11, options).image, make_scene(11, options).image));
  EXPECT_FALSE(same(make_scene(11, options).image, make_scene(11).image));
  int two_coloured = 0, objects = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Scene scene = make_scene(seed, options);
    for (const Object &o : scene.objects) {
      ++objects;
      EXPECT_EQ(cv::countNonZero(o.mask), o.visible_area);
      // The named colour still covers part of the object...
      int near_named = 0, far = 0;
      for (int y = o.box.y; y < o.box.y + o.box.height; ++y)
        for (int x = o.box.x; x < o.box.x + o.box.width; ++x) {
          if (!o.mask.at<uint8_t>(y, x)) continue;
          const cv::Vec3b p = scene.image.at<cv::Vec3b>(y, x);
          const double d =
              cv::norm(cv::Vec3d(p[0], p[1], p[2]) - cv::Vec3d(o.rgb[0], o.rgb[1], o.rgb[2]));
          (d < 90 ? near_named : far)++;
        }
      if (o.visible_area > 200) EXPECT_GT(near_named, 0) << "seed " << seed;
      // ...and a second part, where there is one, is painted another colour.
      if (o.look.lower_part != 0.f && far > o.visible_area / 5) ++two_coloured;
    }
  }
  EXPECT_GT(two_coloured, objects / 5) << "of " << objects;
}

TEST(WorldScene, PlainLevelObjectsAreFlat) {
  const Scene scene = make_scene(11);
  for (const Object &o : scene.objects) {
    EXPECT_EQ(o.look.lower_part, 0.f);
    EXPECT_EQ(o.look.texture, 0);
    cv::Mat painted;
    cv::inRange(scene.image, cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]),
                cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]), painted);
    EXPECT_EQ(cv::countNonZero(painted & o.mask), o.visible_area);
  }
}

TEST(WorldRandom, UniformIntCoversItsRangeOnly) {
  SeededRandom random(5, 1);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const int64_t v = random.uniform_int(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    ++hits[static_cast<size_t>(v + 3)];
  }
  for (int h : hits) EXPECT_GT(h, 800);
  EXPECT_EQ(random.uniform_int(4, 4), 4);
  for (int i = 0; i < 1000; ++i) {
    const double u = random.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(WorldRandom, StreamsAreIndependentAndReproducible) {
  SeededRandom a(1, 1), b(1, 1), c(1, 2);
  const uint64_t first = a.bits();
  EXPECT_EQ(first, b.bits());
  EXPECT_NE(first, c.bits());
}

}  // namespace
}  // namespace refseg::world

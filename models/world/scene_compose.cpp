#include "world/scene_compose.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/model_error.h"
#include "world/shape_geometry.h"

namespace refseg::world {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr int kPlacementTries = 100, kLayoutAttempts = 50;

// A hard-level look. The upper part keeps the named colour (as "the man in
// the red shirt" names the shirt); the lower part may be as large.
Appearance random_look(SeededRandom &random, Colour named) {
  Appearance a;
  if (random.bernoulli(0.6)) {
    a.lower_part = static_cast<float>(random.uniform(-0.3, 0.3));
    Colour other = named;
    while (other == named) other = random.pick(all_colours());
    const cv::Vec3b rgb = colour_rgb(other);
    const double dim = random.uniform(0.45, 0.9);
    for (int c = 0; c < 3; ++c) a.lower_rgb[c] = cv::saturate_cast<uchar>(rgb[c] * dim);
  }
  a.texture = static_cast<int>(random.uniform_int(0, 2));
  a.texture_strength = static_cast<float>(random.uniform(0.15, 0.4));
  a.texture_period = static_cast<float>(random.uniform(4, 12));
  a.shading = static_cast<float>(random.uniform(0.1, 0.45));
  a.shading_angle = static_cast<float>(random.uniform(0, 2 * kPi));
  return a;
}

// Paints one object's visible pixels as its look says.
void paint(const Object &o, cv::Mat &image) {
  const Appearance &a = o.look;
  if (a.lower_part == 0.f && a.texture == 0 && a.shading == 0.f) {
    image.setTo(cv::Scalar(o.rgb[0], o.rgb[1], o.rgb[2]), o.mask);
    return;
  }
  const float split_y = o.centre.y + a.lower_part * o.radius;
  const float dx = std::cos(a.shading_angle), dy = std::sin(a.shading_angle);
  for (int y = o.box.y; y < o.box.y + o.box.height; ++y) {
    const uint8_t *m = o.mask.ptr<uint8_t>(y);
    cv::Vec3b *px = image.ptr<cv::Vec3b>(y);
    for (int x = o.box.x; x < o.box.x + o.box.width; ++x) {
      if (!m[x]) continue;
      const bool lower = a.lower_part != 0.f && y >= split_y;
      const cv::Vec3b base = lower ? a.lower_rgb : o.rgb;
      const float u = ((x - o.centre.x) * dx + (y - o.centre.y) * dy) / o.radius;  // -1 .. 1
      float gain = 1.f + 0.5f * a.shading * u;
      if (a.texture == 1)
        gain += a.texture_strength *
                std::sin(2 * static_cast<float>(kPi) * (x * 0.7f + y * 0.7f) / a.texture_period);
      else if (a.texture == 2)
        gain += a.texture_strength * std::sin(x * 6.28f / a.texture_period) *
                std::cos(y * 6.28f / (a.texture_period * 1.3f));
      for (int c = 0; c < 3; ++c) px[x][c] = cv::saturate_cast<uchar>(base[c] * gain);
    }
  }
}

// Attributes of object i. Shapes and colours of earlier objects are reused
// often, so that scenes hold look-alikes that only position can tell apart.
Object random_attributes(SeededRandom &random, const WorldOptions &options,
                         const std::vector<Object> &earlier) {
  Object o;
  o.shape = !earlier.empty() && random.bernoulli(0.45) ? random.pick(earlier).shape
                                                       : random.pick(all_shapes());
  o.colour = !earlier.empty() && random.bernoulli(0.35) ? random.pick(earlier).colour
                                                        : random.pick(all_colours());
  o.big = random.bernoulli(0.4);
  const double side = std::min(options.width, options.height);
  o.radius =
      static_cast<float>(side * (o.big ? random.uniform(0.13, 0.17) : random.uniform(0.065, 0.09)));
  const cv::Vec3b base = colour_rgb(o.colour);
  for (int c = 0; c < 3; ++c)
    o.rgb[c] = cv::saturate_cast<uchar>(
        base[c] + random.uniform_int(-options.colour_jitter, options.colour_jitter));
  if (options.level == WorldLevel::Hard) o.look = random_look(random, o.colour);
  return o;
}

}  // namespace

std::vector<Object> place_objects(SeededRandom &random, const WorldOptions &options) {
  const cv::Size size(options.width, options.height);
  const double max_rotation = options.max_rotation_deg * kPi / 180.0;
  for (int attempt = 0; attempt < kLayoutAttempts; ++attempt) {
    const int count =
        static_cast<int>(random.uniform_int(options.min_objects, options.max_objects));
    std::vector<Object> objects;
    std::vector<cv::Mat> visible;  // of the objects placed so far
    for (int i = 0; i < count; ++i) {
      Object o = random_attributes(random, options, objects);
      const bool may_overlap = random.bernoulli(options.overlap_probability);
      for (int tries = 0; tries < kPlacementTries; ++tries) {
        o.rotation = static_cast<float>(random.uniform(-max_rotation, max_rotation));
        // One pixel of slack keeps the rounded outline off the border.
        o.centre = cv::Point2f(
            static_cast<float>(random.uniform(o.radius + 1, options.width - 2 - o.radius)),
            static_cast<float>(random.uniform(o.radius + 1, options.height - 2 - o.radius)));
        if (may_overlap && !objects.empty() && tries % 2 == 0) {
          // Half the tries put it against an earlier object, so that
          // occlusion actually happens rather than by chance.
          const Object &e = random.pick(objects);
          const double heading = random.uniform(0, 2 * kPi);
          const double distance = random.uniform(0.55, 1.0) * (o.radius + e.radius);
          o.centre.x =
              static_cast<float>(std::clamp(e.centre.x + distance * std::cos(heading),
                                            o.radius + 1.0, options.width - 2.0 - o.radius));
          o.centre.y =
              static_cast<float>(std::clamp(e.centre.y + distance * std::sin(heading),
                                            o.radius + 1.0, options.height - 2.0 - o.radius));
        }
        bool fits = true;
        if (!may_overlap) {
          for (const Object &e : objects)
            fits = fits && cv::norm(o.centre - e.centre) > o.radius + e.radius + 2;
          if (!fits) continue;
        }
        const cv::Mat mask = shape_mask(o.shape, o.centre, o.radius, o.rotation, size);
        for (size_t j = 0; j < objects.size() && fits; ++j) {
          const int left = cv::countNonZero(visible[j] & ~mask);
          fits = left >= options.min_visible_fraction * objects[j].full_area;
        }
        if (!fits) continue;
        for (cv::Mat &v : visible) v &= ~mask;
        o.full_area = cv::countNonZero(mask);
        visible.push_back(mask);
        objects.push_back(o);
        break;
      }
    }
    if (static_cast<int>(objects.size()) >= options.min_objects) {
      for (Object &o : objects) o.full_area = 0;  // compose() recomputes
      return objects;
    }
  }
  throw ModelError("world: could not place " + std::to_string(options.min_objects) +
                   " objects in a " + std::to_string(options.width) + "x" +
                   std::to_string(options.height) +
                   " frame; lower min_objects or min_visible_fraction, or enlarge the frame");
}

cv::Mat compose(const cv::Mat &background, std::vector<Object> &objects) {
  cv::Mat image = background.clone();
  cv::Mat covered = cv::Mat::zeros(background.size(), CV_8U);  // by later objects
  for (auto it = objects.rbegin(); it != objects.rend(); ++it) {
    const cv::Mat full = shape_mask(it->shape, it->centre, it->radius, it->rotation, image.size());
    it->full_area = cv::countNonZero(full);
    it->mask = full & ~covered;
    it->visible_area = cv::countNonZero(it->mask);
    it->box = cv::boundingRect(it->mask);
    covered |= full;
  }
  for (const Object &o : objects) paint(o, image);
  return image;
}

void add_clutter(SeededRandom &random, cv::Mat &background) {
  // Small things in random colours, as a real background has: leaves,
  // stones, signs. Kept under a third of an object's size so that they stay
  // stuff and not candidates for the referent.
  const int count = static_cast<int>(random.uniform_int(8, 20));
  const double side = std::min(background.cols, background.rows);
  for (int i = 0; i < count; ++i) {
    const cv::Point centre(static_cast<int>(random.uniform(0, background.cols)),
                           static_cast<int>(random.uniform(0, background.rows)));
    const cv::Size axes(static_cast<int>(side * random.uniform(0.01, 0.035)),
                        static_cast<int>(side * random.uniform(0.01, 0.035)));
    const cv::Scalar colour(random.uniform(0, 255), random.uniform(0, 255), random.uniform(0, 255));
    cv::ellipse(background, centre, axes, random.uniform(0, 180), 0, 360, colour, cv::FILLED,
                cv::LINE_8);
  }
}

void add_lighting(SeededRandom &random, cv::Mat &image) {
  const double strength = random.uniform(0.15, 0.4), angle = random.uniform(0, 2 * kPi);
  const double dx = std::cos(angle), dy = std::sin(angle);
  const double half = 0.5 * std::hypot(image.cols, image.rows);
  for (int y = 0; y < image.rows; ++y) {
    cv::Vec3b *px = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const double u = ((x - image.cols / 2.0) * dx + (y - image.rows / 2.0) * dy) / half;
      const double gain = 1.0 + strength * u;
      for (int c = 0; c < 3; ++c) px[x][c] = cv::saturate_cast<uchar>(px[x][c] * gain);
    }
  }
}

std::vector<bool> referable_objects(const std::vector<Object> &objects,
                                    double min_visible_fraction) {
  std::vector<bool> referable;
  for (const Object &o : objects)
    referable.push_back(o.visible_area > 0 && o.visible_area >= min_visible_fraction * o.full_area);
  return referable;
}

}  // namespace refseg::world

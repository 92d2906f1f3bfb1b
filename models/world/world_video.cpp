#include <cmath>

#include "world/background.h"
#include "world/referring_expressions.h"
#include "world/referring_world.h"
#include "world/scene_compose.h"

namespace refseg::world {
namespace {

enum Stream : uint64_t {
  kLayout = 11,
  kMotion = 12,
  kBackground = 13,
  kWording = 14,
  kDegrade = 15,
  kClutter = 16,
  kLighting = 17
};

// Position after travelling from p along a line with elastic bounces at lo
// and hi: a triangle wave, so any frame is computed directly.
float bounce(double p, double lo, double hi) {
  const double span = hi - lo;
  if (span <= 0) return static_cast<float>(lo);
  double u = std::fmod(p - lo, 2 * span);
  if (u < 0) u += 2 * span;
  return static_cast<float>(lo + (u > span ? 2 * span - u : u));
}

}  // namespace

WorldVideo::WorldVideo(uint64_t seed, const WorldOptions &options)
    : seed_(seed), options_(options) {
  validate(options_);
  SeededRandom layout(seed, kLayout), motion(seed, kMotion), backdrop(seed, kBackground);
  const double max_rotation = options_.max_rotation_deg * 3.141592653589793 / 180.0;
  for (Object &o : place_objects(layout, options_)) {
    Track track;
    track.object = std::move(o);
    const double speed = motion.uniform(0.25, 1.0) * options_.max_speed;
    const double heading = motion.uniform(0, 2 * 3.141592653589793);
    track.velocity = cv::Point2f(static_cast<float>(speed * std::cos(heading)),
                                 static_cast<float>(speed * std::sin(heading)));
    track.spin_amplitude = static_cast<float>(motion.uniform(0, max_rotation / 2));
    track.spin_rate = static_cast<float>(motion.uniform(0.02, 0.08));
    track.spin_phase = static_cast<float>(motion.uniform(0, 2 * 3.141592653589793));
    tracks_.push_back(std::move(track));
  }
  const int sway = options_.background_sway;
  canvas_ =
      render_background(backdrop, cv::Size(options_.width + 2 * sway, options_.height + 2 * sway),
                        options_.textured, &background_);
  if (options_.level == WorldLevel::Hard) {
    SeededRandom clutter(seed, kClutter);
    add_clutter(clutter, canvas_);
  }
  sway_rate_x_ = static_cast<float>(motion.uniform(0.01, 0.03));
  sway_rate_y_ = static_cast<float>(motion.uniform(0.01, 0.03));
}

Scene WorldVideo::frame(int64_t index) const {
  const double t = static_cast<double>(index);
  const int sway = options_.background_sway;
  // The background pans back and forth around the canvas centre.
  const int ox = sway + static_cast<int>(std::lround(sway * std::sin(sway_rate_x_ * t)));
  const int oy = sway + static_cast<int>(std::lround(sway * std::sin(sway_rate_y_ * t)));
  Scene scene;
  scene.background = background_;
  for (const Track &track : tracks_) {
    Object o = track.object;
    o.centre.x =
        bounce(o.centre.x + track.velocity.x * t, o.radius + 1, options_.width - 2 - o.radius);
    o.centre.y =
        bounce(o.centre.y + track.velocity.y * t, o.radius + 1, options_.height - 2 - o.radius);
    o.rotation += track.spin_amplitude *
                  (std::sin(track.spin_rate * t + track.spin_phase) - std::sin(track.spin_phase));
    scene.objects.push_back(std::move(o));
  }
  scene.image = compose(canvas_(cv::Rect(ox, oy, options_.width, options_.height)), scene.objects);
  const uint64_t frame_seed = mix_seed(seed_, static_cast<uint64_t>(index));
  SeededRandom degrading(frame_seed, kDegrade), wording(frame_seed, kWording);
  if (options_.level == WorldLevel::Hard) {
    // The light is the same in every frame: it belongs to the scene.
    SeededRandom lighting(seed_, kLighting);
    add_lighting(lighting, scene.image);
  }
  degrade(degrading, options_.noise, options_.blur, scene.image);
  scene.expressions = referring_expressions(
      scene.objects, referable_objects(scene.objects, options_.min_visible_fraction),
      options_.expressions_per_type, wording);
  return scene;
}

}  // namespace refseg::world

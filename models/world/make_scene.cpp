#include <cmath>
#include <string>

#include "common/model_error.h"
#include "world/background.h"
#include "world/referring_expressions.h"
#include "world/referring_world.h"
#include "world/scene_compose.h"

namespace refseg::world {
namespace {

// Independent random streams per part, so that e.g. rewording expressions
// leaves the images of every seed unchanged.
enum Stream : uint64_t {
  kLayout = 1,
  kBackground = 2,
  kWording = 3,
  kDegrade = 4,
  kClutter = 5,
  kLighting = 6
};

void require(bool ok, const std::string &what) {
  if (!ok) throw ModelError("world: invalid WorldOptions: " + what);
}

}  // namespace

void validate(const WorldOptions &o) {
  require(o.width >= 64 && o.height >= 64 && o.width <= 8192 && o.height <= 8192,
          "width and height must be in [64, 8192], found " + std::to_string(o.width) + "x" +
              std::to_string(o.height));
  require(o.min_objects >= 1 && o.max_objects >= o.min_objects && o.max_objects <= 16,
          "need 1 <= min_objects <= max_objects <= 16, found " + std::to_string(o.min_objects) +
              ".." + std::to_string(o.max_objects));
  require(o.noise >= 0 && o.noise <= 128, "noise must be in [0, 128]");
  require(o.blur >= 0 && o.blur <= 20, "blur must be in [0, 20]");
  require(o.overlap_probability >= 0 && o.overlap_probability <= 1,
          "overlap_probability must be in [0, 1]");
  require(o.min_visible_fraction > 0 && o.min_visible_fraction <= 1,
          "min_visible_fraction must be in (0, 1]");
  require(o.max_rotation_deg >= 0 && o.max_rotation_deg <= 45,
          "max_rotation_deg must be in [0, 45]");
  require(o.colour_jitter >= 0 && o.colour_jitter <= 40, "colour_jitter must be in [0, 40]");
  require(o.expressions_per_type >= 0, "expressions_per_type must be >= 0");
  require(o.max_speed >= 0 && o.max_speed <= 50, "max_speed must be in [0, 50]");
  require(o.background_sway >= 0 && o.background_sway <= 200,
          "background_sway must be in [0, 200]");
}

Scene make_scene(uint64_t seed, const WorldOptions &options) {
  validate(options);
  SeededRandom layout(seed, kLayout), backdrop(seed, kBackground), wording(seed, kWording),
      degrading(seed, kDegrade);
  Scene scene;
  scene.objects = place_objects(layout, options);
  cv::Mat background = render_background(backdrop, cv::Size(options.width, options.height),
                                         options.textured, &scene.background);
  if (options.level == WorldLevel::Hard) {
    SeededRandom clutter(seed, kClutter), lighting(seed, kLighting);
    add_clutter(clutter, background);
    scene.image = compose(background, scene.objects);
    add_lighting(lighting, scene.image);
  } else {
    scene.image = compose(background, scene.objects);
  }
  degrade(degrading, options.noise, options.blur, scene.image);
  scene.expressions = referring_expressions(
      scene.objects, referable_objects(scene.objects, options.min_visible_fraction),
      options.expressions_per_type, wording);
  return scene;
}

}  // namespace refseg::world

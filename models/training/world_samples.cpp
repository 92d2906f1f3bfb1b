#include "training/world_samples.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "clip/image_preprocess.h"
#include "common/image_view.h"
#include "language/noun_phrase.h"
#include "world/referring_expressions.h"
#include "world/scene_compose.h"
#include "world/seeded_random.h"

namespace refseg::training {
namespace {

// Streams of the sampler's own randomness, apart from the world's.
constexpr uint64_t kExpressionStream = 0x7261696e31ull;
constexpr uint64_t kDistractorStream = 0x7261696e32ull;
constexpr uint64_t kAttributeStream = 0x7261696e33ull;

// Up to `count` expressions, taking the types in turn so that rarer types
// (ordinal, relation) are not crowded out by attribute ones.
std::vector<const world::Expression *> balanced_subset(const world::Scene &scene, int count,
                                                       world::SeededRandom &random) {
  std::vector<std::vector<const world::Expression *>> by_type(world::all_expression_types().size());
  for (const auto &e : scene.expressions) by_type[static_cast<size_t>(e.type)].push_back(&e);
  for (auto &list : by_type)  // Fisher-Yates with the portable generator
    for (int i = static_cast<int>(list.size()) - 1; i > 0; --i)
      std::swap(list[i], list[random.uniform_int(0, i)]);
  std::vector<const world::Expression *> chosen;
  for (size_t round = 0; static_cast<int>(chosen.size()) < count; ++round) {
    bool any = false;
    for (auto &list : by_type)
      if (round < list.size() && static_cast<int>(chosen.size()) < count) {
        chosen.push_back(list[round]);
        any = true;
      }
    if (!any) break;
  }
  return chosen;
}

// A rectangle of background (object pixels removed), or empty when the
// rectangle holds too little background.
cv::Mat background_piece(const world::Scene &scene, world::SeededRandom &random) {
  const cv::Size size = scene.image.size();
  const int w = static_cast<int>(size.width * random.uniform(0.12, 0.4));
  const int h = static_cast<int>(size.height * random.uniform(0.12, 0.4));
  const int x = static_cast<int>(random.uniform_int(0, size.width - w));
  const int y = static_cast<int>(random.uniform_int(0, size.height - h));
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  mask(cv::Rect(x, y, w, h)).setTo(255);
  for (const auto &o : scene.objects) mask.setTo(0, o.mask);
  if (cv::countNonZero(mask) < 0.5 * w * h) return {};
  return mask;
}

// Two objects as one mask: what an under-segmenting generator proposes.
cv::Mat merged_pair(const world::Scene &scene, world::SeededRandom &random) {
  const int n = static_cast<int>(scene.objects.size());
  if (n < 2) return {};
  const int a = static_cast<int>(random.uniform_int(0, n - 1));
  int b = static_cast<int>(random.uniform_int(0, n - 2));
  if (b >= a) ++b;
  cv::Mat mask;
  cv::bitwise_or(scene.objects[a].mask, scene.objects[b].mask, mask);
  return mask;
}

// Part of one object, cut off by a random line through it: what an
// over-segmenting generator proposes (one half of a two-coloured star, the
// lit side of a heart). Empty when the cut keeps too little or too much.
cv::Mat object_fragment(const world::Scene &scene, world::SeededRandom &random) {
  if (scene.objects.empty()) return {};
  const auto &object = scene.objects[static_cast<size_t>(
      random.uniform_int(0, static_cast<int64_t>(scene.objects.size()) - 1))];
  const double angle = random.uniform(0.0, 2.0 * M_PI);
  const double offset = random.uniform(-0.3, 0.5) * object.radius;
  const double nx = std::cos(angle), ny = std::sin(angle);
  cv::Mat mask = cv::Mat::zeros(object.mask.size(), CV_8U);
  int kept = 0, total = 0;
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) {
      if (!object.mask.at<uint8_t>(y, x)) continue;
      ++total;
      if ((x - object.centre.x) * nx + (y - object.centre.y) * ny > offset) continue;
      mask.at<uint8_t>(y, x) = 255;
      ++kept;
    }
  if (kept < 0.25 * total || kept > 0.6 * total) return {};
  return mask;
}

// Whether the colour and shape words of `text` single out `target` among the
// scene's objects, so that its crop (which shows no size) decides.
bool crop_decides(const std::string &text, const std::vector<world::Object> &objects, int target) {
  auto names = [&](const std::string &word) {
    const std::string padded = " " + text + " ";
    return padded.find(" " + word + " ") != std::string::npos;
  };
  std::optional<world::Colour> colour;
  std::optional<world::Shape> shape;
  for (const auto c : world::all_colours())
    if (names(world::colour_name(c))) colour = c;
  for (const auto h : world::all_shapes())
    if (names(world::shape_name(h))) shape = h;
  if (!colour && !shape) return false;
  for (int i = 0; i < static_cast<int>(objects.size()); ++i)
    if (i != target && (!colour || objects[i].colour == *colour) &&
        (!shape || objects[i].shape == *shape))
      return false;
  return true;
}

// A frame-sized CV_8U mask as the box-cropped RegionMask the encoder reads.
RegionMask to_region_mask(const cv::Mat &mask) {
  RegionMask r;
  const cv::Rect box = cv::boundingRect(mask);
  r.box = {box.x, box.y, box.width, box.height};
  r.pixels.resize(static_cast<size_t>(box.area()));
  for (int y = 0; y < box.height; ++y)
    for (int x = 0; x < box.width; ++x)
      r.pixels[static_cast<size_t>(y) * box.width + x] =
          mask.at<uint8_t>(box.y + y, box.x + x) ? 255 : 0;
  return r;
}

}  // namespace

uint64_t training_scene_seed(uint64_t run_seed, uint64_t index) {
  return kFirstTrainingSceneSeed +
         world::mix_seed(run_seed, index) %
             (std::numeric_limits<uint64_t>::max() - kFirstTrainingSceneSeed);
}

WorldSampler::WorldSampler(const SamplerOptions &options, const NounPhraseExtractor &phrases)
    : options_(options), phrases_(phrases) {
  world::validate(options.world);
}

SceneSample WorldSampler::sample(uint64_t scene_seed) const {
  const world::Scene scene = world::make_scene(scene_seed, options_.world);
  const int R = options_.image_resolution, G = R / options_.patch_size;

  std::vector<cv::Mat> masks;
  SceneSample out;
  for (const auto &o : scene.objects) {
    masks.push_back(o.mask);
    out.descriptions.push_back(world::describe(o, false));
    out.sized_descriptions.push_back(world::describe(o, true));
  }
  out.object_count = static_cast<int>(masks.size());
  world::SeededRandom distractor_random(scene_seed, kDistractorStream);
  for (int i = 0; i < options_.distractors_per_scene; ++i) {
    cv::Mat d;
    switch (distractor_random.uniform_int(0, 2)) {
      case 0:
        d = background_piece(scene, distractor_random);
        break;
      case 1:
        d = merged_pair(scene, distractor_random);
        break;
      default:
        d = object_fragment(scene, distractor_random);
        break;
    }
    if (!d.empty()) masks.push_back(d);
  }

  // The encoder's own preprocessing (clip/image_preprocess.h), so training
  // sees exactly the inputs inference makes.
  const ImageView view{scene.image.data, scene.image.cols, scene.image.rows,
                       static_cast<int>(scene.image.step[0]), PixelLayout::RGB};
  const at::Tensor frame = clip::normalized_frame(view);  // [1, 3, H, W]
  std::vector<at::Tensor> grids, crops;
  for (const auto &m : masks) {
    const RegionMask region = to_region_mask(m);
    grids.push_back(at::tensor(clip::mask_on_grid(region, view.width, view.height, G)));
    crops.push_back(clip::local_context_image(frame, region, R)[0]);
  }
  out.image = clip::resize_square(frame, R)[0];
  out.grid_masks = at::stack(grids);
  out.crops = at::stack(crops);

  auto add_expression = [&](const world::Expression &e) {
    std::string phrase = phrases_.target_phrase(e.text);
    if (phrase.empty()) phrase = e.text;
    out.expressions.push_back({e.text, phrase, e.target, e.type,
                               e.type == world::ExpressionType::Attribute &&
                                   crop_decides(e.text, scene.objects, e.target)});
  };
  world::SeededRandom expression_random(scene_seed, kExpressionStream);
  for (const auto *e : balanced_subset(scene, options_.expressions_per_scene, expression_random))
    add_expression(*e);
  if (options_.all_attribute_expressions) {
    world::SeededRandom wording(scene_seed, kAttributeStream);
    constexpr int kEveryOne = 16;  // more than the 7 attribute combinations
    const auto every = world::referring_expressions(
        scene.objects, world::referable_objects(scene.objects, options_.world.min_visible_fraction),
        kEveryOne, wording);
    for (const auto &e : every)
      if (e.type == world::ExpressionType::Attribute) add_expression(e);
  }
  return out;
}

std::vector<std::string> world_text_corpus(uint64_t run_seed, int scenes,
                                           const world::WorldOptions &options,
                                           const NounPhraseExtractor &phrases) {
  std::vector<std::string> texts;
  for (int i = 0; i < scenes; ++i) {
    const world::Scene scene = world::make_scene(training_scene_seed(run_seed, i), options);
    for (const auto &e : scene.expressions) {
      texts.push_back(e.text);
      texts.push_back(phrases.target_phrase(e.text));
    }
    for (const auto &o : scene.objects) {
      texts.push_back(world::describe(o, false));
      texts.push_back(world::describe(o, true));
    }
  }
  return texts;
}

}  // namespace refseg::training

// world_sample --seed S --out DIR [--count N] [--video FRAMES] [--width W]
//              [--height H] [--noise SIGMA] [--blur SIGMA] [--plain] (--help)
//
// Writes scenes of the synthetic referring world for inspection: for each
// scene (seeds S..S+N-1) or video frame, NAME.png (the image), NAME_masks.png
// (every visible mask tinted, outlined and numbered with its object index)
// and NAME.json (objects, caption and referring expressions).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "common/model_error.h"
#include "json_output.h"
#include "tool_options.h"
#include "world/referring_world.h"

namespace {

using namespace refseg::world;

std::string scene_json(const Scene &scene, const std::string &id) {
  using refseg::tools::Json;
  Json doc;
  doc["id"] = id;
  doc["width"] = scene.image.cols;
  doc["height"] = scene.image.rows;
  doc["background"] = background_name(scene.background);
  doc["caption"] = caption(scene);
  doc["objects"] = Json::array();
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const Object &o = scene.objects[i];
    Json j;
    j["index"] = i;
    j["shape"] = shape_name(o.shape);
    j["colour"] = colour_name(o.colour);
    j["big"] = o.big;
    j["centre"] = {o.centre.x, o.centre.y};
    j["radius"] = o.radius;
    j["rotation"] = o.rotation;
    j["rgb"] = {int(o.rgb[0]), int(o.rgb[1]), int(o.rgb[2])};
    j["box"] = {o.box.x, o.box.y, o.box.width, o.box.height};
    j["visible_area"] = o.visible_area;
    j["full_area"] = o.full_area;
    j["description"] = describe(o, true);
    doc["objects"].push_back(std::move(j));
  }
  doc["expressions"] = Json::array();
  for (const Expression &e : scene.expressions)
    doc["expressions"].push_back({{"text", e.text},
                                  {"target", e.target},
                                  {"type", expression_type_name(e.type)},
                                  {"anchor", e.anchor}});
  return refseg::tools::dump_json(doc, 2) + "\n";
}

// The image with each visible mask tinted in a distinct hue, outlined, and
// labelled with its index at the mask's centroid (BGR, for imwrite).
cv::Mat mask_overlay(const Scene &scene) {
  cv::Mat bgr;
  cv::cvtColor(scene.image, bgr, cv::COLOR_RGB2BGR);
  cv::Mat overlay = bgr.clone();
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const Object &o = scene.objects[i];
    cv::Mat hue(1, 1, CV_8UC3, cv::Scalar(static_cast<double>((i * 47) % 180), 255, 255));
    cv::cvtColor(hue, hue, cv::COLOR_HSV2BGR);
    const cv::Vec3b c = hue.at<cv::Vec3b>(0, 0);
    overlay.setTo(cv::Scalar(c[0], c[1], c[2]), o.mask);
  }
  cv::addWeighted(bgr, 0.45, overlay, 0.55, 0, overlay);
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const Object &o = scene.objects[i];
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(o.mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(overlay, contours, -1, cv::Scalar(255, 255, 255), 1);
    const cv::Moments m = cv::moments(o.mask, true);
    if (m.m00 <= 0) continue;
    const cv::Point at(static_cast<int>(m.m10 / m.m00) - 5, static_cast<int>(m.m01 / m.m00) + 5);
    cv::putText(overlay, std::to_string(i), at, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0),
                3, cv::LINE_AA);
    cv::putText(overlay, std::to_string(i), at, cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  return overlay;
}

void write_scene(const Scene &scene, const std::filesystem::path &dir, const std::string &name) {
  cv::Mat bgr;
  cv::cvtColor(scene.image, bgr, cv::COLOR_RGB2BGR);
  const std::filesystem::path image = dir / (name + ".png"), masks = dir / (name + "_masks.png"),
                              json = dir / (name + ".json");
  if (!cv::imwrite(image.string(), bgr) || !cv::imwrite(masks.string(), mask_overlay(scene)))
    throw std::runtime_error("cannot write " + image.string());
  std::ofstream out(json);
  out << scene_json(scene, name);
  if (!out) throw std::runtime_error("cannot write " + json.string());
}

}  // namespace

int main(int argc, char **argv) {
  constexpr const char *kTool = "world_sample";
  gint64 seed = -1;
  gchar *out_dir = nullptr;
  gint count = 1, video = 0;
  WorldOptions options;
  gint width = options.width, height = options.height;
  gboolean plain = FALSE;
  const GOptionEntry entries[] = {
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "First scene's (or the video's) seed (required)",
       "S"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, "Directory to write into (required)", "DIR"},
      {"count", 0, 0, G_OPTION_ARG_INT, &count, "Scenes with seeds S..S+N-1, 1-100000 (default 1)",
       "N"},
      {"video", 0, 0, G_OPTION_ARG_INT, &video,
       "Instead of scenes, the first FRAMES frames of the world video of seed S, 0-100000",
       "FRAMES"},
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Image width, 64-8192 (default 320)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Image height, 64-8192 (default 240)", "H"},
      {"noise", 0, 0, G_OPTION_ARG_DOUBLE, &options.noise,
       "Max standard deviation of per-pixel noise, 0-255 (default 0)", "SIGMA"},
      {"blur", 0, 0, G_OPTION_ARG_DOUBLE, &options.blur,
       "Max Gaussian blur sigma in pixels, 0-64 (default 0)", "SIGMA"},
      {"plain", 0, 0, G_OPTION_ARG_NONE, &plain, "Plain backgrounds instead of textured ones",
       nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      kTool, "- scenes of the synthetic referring world, for inspection",
      "For each scene or video frame: NAME.png (the image), NAME_masks.png (every visible mask "
      "tinted, outlined and numbered) and NAME.json (objects, caption, expressions).",
      "Exit status: 0 done, 1 writing failed, 2 bad arguments.\n", entries, nullptr, &argc, &argv);
  const std::string out = out_dir ? out_dir : "";
  g_free(out_dir);
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  if (seed < 0 || out.empty())
    refseg::tools::usage_error(kTool, "--seed (0 or more) and --out are required");
  using refseg::tools::int_in_range;
  count = int_in_range(kTool, "--count", count, 1, 100000);
  video = int_in_range(kTool, "--video", video, 0, 100000);
  options.width = int_in_range(kTool, "--width", width, 64, 8192);
  options.height = int_in_range(kTool, "--height", height, 64, 8192);
  options.noise = refseg::tools::real_in_range(kTool, "--noise", options.noise, 0, 255);
  options.blur = refseg::tools::real_in_range(kTool, "--blur", options.blur, 0, 64);
  if (plain) options.textured = false;
  try {
    std::filesystem::create_directories(out);
    if (video > 0) {
      const WorldVideo world(static_cast<uint64_t>(seed), options);
      for (long t = 0; t < video; ++t) {
        char name[64];
        std::snprintf(name, sizeof name, "video_%llu_frame_%04ld",
                      static_cast<unsigned long long>(seed), t);
        write_scene(world.frame(t), out, name);
      }
    } else {
      for (long k = 0; k < count; ++k) {
        const uint64_t s = static_cast<uint64_t>(seed) + static_cast<uint64_t>(k);
        write_scene(make_scene(s, options), out,
                    "scene_" + std::to_string(static_cast<unsigned long long>(s)));
      }
    }
  } catch (const std::exception &e) {
    refseg::tools::exit_with(kTool, e.what(), refseg::tools::kFailure);
  }
  return 0;
}

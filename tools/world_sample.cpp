// world_sample --seed S --out DIR [--count N] [--video FRAMES] [--width W]
//              [--height H] [--noise SIGMA] [--blur SIGMA] [--plain]
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
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/model_error.h"
#include "world/referring_world.h"

namespace {

using namespace refseg::world;

std::string json_string(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string scene_json(const Scene &scene, const std::string &id) {
  std::ostringstream j;
  j << "{\n  \"id\": " << json_string(id) << ",\n  \"width\": " << scene.image.cols
    << ", \"height\": " << scene.image.rows
    << ",\n  \"background\": " << json_string(background_name(scene.background))
    << ",\n  \"caption\": " << json_string(caption(scene)) << ",\n  \"objects\": [";
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const Object &o = scene.objects[i];
    j << (i ? "," : "") << "\n    {\"index\": " << i
      << ", \"shape\": " << json_string(shape_name(o.shape))
      << ", \"colour\": " << json_string(colour_name(o.colour))
      << ", \"big\": " << (o.big ? "true" : "false") << ", \"centre\": [" << o.centre.x << ", "
      << o.centre.y << "], \"radius\": " << o.radius << ", \"rotation\": " << o.rotation
      << ", \"rgb\": [" << int(o.rgb[0]) << ", " << int(o.rgb[1]) << ", " << int(o.rgb[2])
      << "], \"box\": [" << o.box.x << ", " << o.box.y << ", " << o.box.width << ", "
      << o.box.height << "], \"visible_area\": " << o.visible_area
      << ", \"full_area\": " << o.full_area
      << ", \"description\": " << json_string(describe(o, true)) << "}";
  }
  j << "\n  ],\n  \"expressions\": [";
  for (size_t i = 0; i < scene.expressions.size(); ++i) {
    const Expression &e = scene.expressions[i];
    j << (i ? "," : "") << "\n    {\"text\": " << json_string(e.text)
      << ", \"target\": " << e.target << ", \"type\": " << json_string(expression_type_name(e.type))
      << ", \"anchor\": " << e.anchor << "}";
  }
  j << "\n  ]\n}\n";
  return j.str();
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

int usage(const char *why) {
  std::fprintf(stderr,
               "world_sample: %s\nusage: world_sample --seed S --out DIR [--count N] "
               "[--video FRAMES] [--width W] [--height H] [--noise SIGMA] [--blur SIGMA] "
               "[--plain]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  uint64_t seed = 0;
  bool have_seed = false;
  std::string out;
  long count = 1, video = 0;
  WorldOptions options;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--plain") {
        options.textured = false;
        continue;
      }
      if (i + 1 >= argc) return usage(("missing value after " + arg).c_str());
      const std::string value = argv[++i];
      if (arg == "--seed")
        seed = std::stoull(value), have_seed = true;
      else if (arg == "--out")
        out = value;
      else if (arg == "--count")
        count = std::stol(value);
      else if (arg == "--video")
        video = std::stol(value);
      else if (arg == "--width")
        options.width = std::stoi(value);
      else if (arg == "--height")
        options.height = std::stoi(value);
      else if (arg == "--noise")
        options.noise = std::stod(value);
      else if (arg == "--blur")
        options.blur = std::stod(value);
      else
        return usage(("unknown option " + arg).c_str());
    }
  } catch (const std::logic_error &) {  // stoul & co: not a number or out of range
    return usage("option values must be numbers");
  }
  if (!have_seed || out.empty()) return usage("--seed and --out are required");
  if (count < 1 || video < 0) return usage("--count must be >= 1 and --video >= 0");
  try {
    std::filesystem::create_directories(out);
    if (video > 0) {
      const WorldVideo world(seed, options);
      for (long t = 0; t < video; ++t) {
        char name[64];
        std::snprintf(name, sizeof name, "video_%llu_frame_%04ld",
                      static_cast<unsigned long long>(seed), t);
        write_scene(world.frame(t), out, name);
      }
    } else {
      for (long k = 0; k < count; ++k) {
        const uint64_t s = seed + static_cast<uint64_t>(k);
        write_scene(make_scene(s, options), out,
                    "scene_" + std::to_string(static_cast<unsigned long long>(s)));
      }
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "world_sample: %s\n", e.what());
    return 1;
  }
  return 0;
}

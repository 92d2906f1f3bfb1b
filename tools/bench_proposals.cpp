// bench_proposals: speed and quality of the weightless proposal generator.
//
//  - speed: median wall and CPU milliseconds per frame at each --sizes size
//    (the drawn scenes of the tests), and of the refsegproposals element in
//    a pipeline when the plugin is found;
//  - the synthetic world: recall of its objects at each world level;
//  - real photos (--photos, COCO panoptic or instance JSON): per generator
//    setting, recall at mask IoU 0.5 and 0.7 of the first 10, 20, 50 and 100
//    proposals, mean best mask IoU and CPU ms per photo; beside it OpenCV's
//    selective search (fast mode), whose boxes are scored by box IoU, with
//    our masks' boxes scored the same way. --draw writes, per photo and
//    setting, each object beside its best proposal among the first 20.
//
// Prints the CPU model and its SIMD flags, the OpenCV thread count and the
// BLAS library loaded. The photos are read from where they are: nothing of
// them is copied.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/segmentation.hpp>

#include "annotated_photos.h"
#include "bench_report.h"
#include "proposals/grouping_generator.h"
#include "proposals/proposal_filter.h"
#include "proposals/proposal_recall.h"
#include "synthetic_scene.h"
#include "tool_options.h"
#include "world/referring_world.h"

#ifdef REFSEG_BENCH_GST
#include <gst/gst.h>
#endif

namespace {

constexpr const char *kTool = "bench_proposals";
using refseg::bench::median;

refseg::ImageView view_of(const cv::Mat &rgb) {
  return {rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), refseg::PixelLayout::RGB};
}

// A generator setting the benchmark compares: the default, or `quality`.
struct Setting {
  std::string name;
  refseg::GroupingOptions options;
  refseg::ProposalFilter filter;  // max_proposals is raised to 100 for the recall
};

// For comparison: two strategies (CIELAB and HSV, k = 300) on a 384-pixel
// grid ranked by how distinct a region looks from its neighbours: the
// generator's default before contour ranking, except that the two
// strategies are now pooled by rank, not by their raw scores (the old
// pooling found 0.06 of the photo's objects in the first 20 and 0.11 in the
// first 100; this one 0.06 and 0.06).
refseg::GroupingOptions appearance_ranked() {
  refseg::GroupingOptions o;
  o.processing_size = 384;
  o.scale = 300;
  o.strategies = {{refseg::ColourSpace::Lab, 1.0, {}, refseg::Ranking::Isolation},
                  {refseg::ColourSpace::HSV, 1.0, {}, refseg::Ranking::Isolation}};
  return o;
}

// For comparison: the quality setting with every proposal ranked by its
// head's merit, no tail ranking (GroupingOptions::tail_after 0).
refseg::GroupingOptions quality_one_ranking() {
  refseg::GroupingOptions o = refseg::GroupingOptions::quality();
  o.tail_after = 0;
  return o;
}

std::vector<Setting> settings_named(const std::vector<std::string> &names) {
  std::vector<Setting> out;
  for (const std::string &n : names) {
    if (n == "default")
      out.push_back({n, refseg::GroupingOptions{}, {}});
    else if (n == "quality")
      out.push_back({n, refseg::GroupingOptions::quality(), refseg::quality_proposal_filter()});
    else if (n == "quality-one-ranking")  // quality without its tail ranking
      out.push_back({n, quality_one_ranking(), refseg::quality_proposal_filter()});
    else if (n == "appearance")  // ranked by appearance alone (the former default's strategies)
      out.push_back({n, appearance_ranked(), {}});
    else if (n != "selective-search")
      refseg::tools::usage_error(
          kTool, "--generators: '" + n +
                     "' is not one of default, quality, quality-one-ranking, appearance, "
                     "selective-search");
  }
  return out;
}

double bench_generator(int width, int height, int runs, const Setting &setting, size_t *n_proposals,
                       double *cpu_median) {
  // A few different frames, cycled: 3-6 objects, plain and textured.
  std::vector<refseg_test::Scene> scenes;
  for (int i = 0; i < 4; ++i)
    scenes.push_back(refseg_test::make_scene(width, height, 3 + i, i % 2 == 1, 11 + i));
  refseg::GroupingProposalGenerator gen(setting.options, setting.filter);
  std::vector<double> ms, cpu;
  size_t total = 0;
  for (int r = 0; r < runs + 1; ++r) {
    const cv::Mat &rgb = scenes[r % scenes.size()].rgb;
    size_t count = 0;
    // CPU time too: on a loaded machine wall time says more about the
    // neighbours than about us; CPU time per frame stays comparable.
    const refseg::bench::Timing t =
        refseg::bench::time_once([&] { count = gen.propose(view_of(rgb)).size(); });
    if (r == 0) continue;  // warm-up
    total += count;
    cpu.push_back(t.cpu_ms);
    ms.push_back(t.wall_ms);
  }
  *n_proposals = runs > 0 ? total / runs : 0;
  *cpu_median = median(cpu);
  return median(ms);
}

void print_tally(const char *what, const refseg::RecallTally &tally, double cpu_ms) {
  std::printf(
      "  %-26s %3d objects  IoU>=0.5 @10 %.2f @20 %.2f @50 %.2f @100 %.2f   "
      "IoU>=0.7 @10 %.2f @20 %.2f @50 %.2f @100 %.2f   mean best @20 %.3f @100 %.3f",
      what, tally.objects(), tally.recall(10, 0.5), tally.recall(20, 0.5), tally.recall(50, 0.5),
      tally.recall(100, 0.5), tally.recall(10, 0.7), tally.recall(20, 0.7), tally.recall(50, 0.7),
      tally.recall(100, 0.7), tally.mean_best_iou(20), tally.mean_best_iou(100));
  if (cpu_ms >= 0) std::printf("   %.1f ms CPU/frame", cpu_ms);
  std::printf("\n");
}

// Recall of the world's objects on `scenes` held-out scenes of one level.
void world_recall(int scenes, int width, int height, refseg::world::WorldLevel level,
                  const Setting &setting) {
  refseg::ProposalFilter filter = setting.filter;
  filter.max_proposals = 100;
  refseg::GroupingProposalGenerator gen(setting.options, filter);
  refseg::world::WorldOptions world;
  world.width = width;
  world.height = height;
  world.level = level;
  refseg::RecallTally tally;
  std::vector<double> cpu;
  for (int s = 0; s < scenes; ++s) {
    const auto scene = refseg::world::make_scene(5000 + s, world);
    std::vector<refseg::RegionMask> masks;
    cpu.push_back(
        refseg::bench::time_once([&] { masks = gen.propose(view_of(scene.image)); }).cpu_ms);
    for (const auto &object : scene.objects)
      tally.add_object(refseg::mask_ious(masks, refseg::world::region_mask(object)));
  }
  char what[96];
  std::snprintf(what, sizeof what, "%s, %s world %dx%d", setting.name.c_str(),
                refseg::world::level_name(level), width, height);
  print_tally(what, tally, median(cpu));
}

// One tile per object: the photo around it with the object's outline (green)
// and its best proposal of the first 20 (filled red), labelled with the IoU.
void draw_objects(const cv::Mat &rgb, const std::vector<refseg::RegionMask> &truths,
                  const std::vector<refseg::RegionMask> &proposals, const std::string &path) {
  const int tile = 160, columns = 6;
  const int rows = (static_cast<int>(truths.size()) + columns - 1) / columns;
  cv::Mat sheet(std::max(1, rows) * tile, columns * tile, CV_8UC3, cv::Scalar(40, 40, 40));
  for (size_t i = 0; i < truths.size(); ++i) {
    const refseg::RegionMask &t = truths[i];
    const std::vector<double> ious = refseg::mask_ious(proposals, t);
    const int best = refseg::best_index(ious, 20);
    cv::Mat canvas = rgb.clone();
    if (best >= 0) {
      const refseg::RegionMask &p = proposals[best];
      for (int y = 0; y < p.box.height; ++y)
        for (int x = 0; x < p.box.width; ++x)
          if (p.pixels[static_cast<size_t>(y) * p.box.width + x]) {
            cv::Vec3b &px = canvas.at<cv::Vec3b>(p.box.y + y, p.box.x + x);
            px = cv::Vec3b(static_cast<uint8_t>(px[0] / 2 + 127), px[1] / 2, px[2] / 2);
          }
    }
    cv::Mat truth(rgb.size(), CV_8U, cv::Scalar(0));
    for (int y = 0; y < t.box.height; ++y)
      for (int x = 0; x < t.box.width; ++x)
        truth.at<uint8_t>(t.box.y + y, t.box.x + x) =
            t.pixels[static_cast<size_t>(y) * t.box.width + x];
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(truth, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(canvas, contours, -1, cv::Scalar(0, 255, 0), 1);
    // The crop: the object's box grown by half, squared, inside the photo.
    const int side =
        std::min(std::max(t.box.width, t.box.height) * 3 / 2 + 8, std::min(rgb.cols, rgb.rows));
    const int cx = t.box.x + t.box.width / 2, cy = t.box.y + t.box.height / 2;
    const cv::Rect crop(std::clamp(cx - side / 2, 0, rgb.cols - side),
                        std::clamp(cy - side / 2, 0, rgb.rows - side), side, side);
    cv::Mat cell;
    cv::resize(canvas(crop), cell, cv::Size(tile, tile), 0, 0, cv::INTER_AREA);
    char label[32];
    std::snprintf(label, sizeof label, "IoU %.2f", best >= 0 ? ious[best] : 0.0);
    cv::putText(cell, label, {4, tile - 6}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {255, 255, 255}, 1,
                cv::LINE_AA);
    cell.copyTo(sheet(cv::Rect(static_cast<int>(i % columns) * tile,
                               static_cast<int>(i / columns) * tile, tile, tile)));
  }
  cv::Mat bgr;
  cv::cvtColor(sheet, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) refseg::tools::exit_with(kTool, "cannot write " + path, 1);
  std::printf("    drew %s\n", path.c_str());
}

using Photo = refseg::tools::AnnotatedPhoto;

std::vector<refseg::Box> boxes_of(const std::vector<refseg::RegionMask> &masks) {
  std::vector<refseg::Box> out;
  for (const auto &m : masks) out.push_back(m.box);
  return out;
}

void photo_recall(const std::vector<Photo> &photos, const Setting &setting,
                  const std::string &draw_dir) {
  refseg::ProposalFilter filter = setting.filter;
  filter.max_proposals = 100;
  refseg::GroupingProposalGenerator gen(setting.options, filter);
  refseg::RecallTally masks, boxes;
  std::vector<double> cpu;
  for (const Photo &p : photos) {
    std::vector<refseg::RegionMask> proposals;
    gen.propose(view_of(p.rgb));  // warm-up: first-touch allocations
    cpu.push_back(
        refseg::bench::time_once([&] { proposals = gen.propose(view_of(p.rgb)); }).cpu_ms);
    for (const auto &t : p.objects) {
      masks.add_object(refseg::mask_ious(proposals, t));
      boxes.add_object(refseg::box_ious(boxes_of(proposals), t.box));
    }
    if (!draw_dir.empty())
      draw_objects(p.rgb, p.objects, proposals,
                   draw_dir + "/" + p.name.substr(0, p.name.find_last_of('.')) + "-" +
                       setting.name + ".png");
  }
  print_tally((setting.name + ", masks").c_str(), masks, median(cpu));
  print_tally((setting.name + ", their boxes").c_str(), boxes, -1);

  // What a better ranking could reach: the objects any kept proposal finds,
  // however far down (duplicates suppressed as the setting suppresses them).
  refseg::ProposalFilter unlimited = setting.filter;
  unlimited.max_proposals = std::numeric_limits<int>::max();
  refseg::GroupingProposalGenerator every(setting.options, unlimited);
  int reached = 0, objects = 0;
  size_t kept = 0;
  for (const Photo &p : photos) {
    const std::vector<refseg::RegionMask> all = every.propose(view_of(p.rgb));
    kept += all.size();
    for (const auto &t : p.objects) {
      const std::vector<double> ious = refseg::mask_ious(all, t);
      ++objects;
      reached += !ious.empty() && *std::max_element(ious.begin(), ious.end()) >= 0.5;
    }
  }
  std::printf("  %-26s %3d objects  IoU>=0.5 by any of its %zu kept proposals %.2f\n",
              (setting.name + ", every kept").c_str(), objects, kept,
              objects ? static_cast<double>(reached) / objects : 0.0);
}

void selective_search_recall(const std::vector<Photo> &photos) {
  refseg::RecallTally boxes;
  std::vector<double> cpu;
  for (const Photo &p : photos) {
    cv::Mat bgr;
    cv::cvtColor(p.rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<cv::Rect> rects;
    cpu.push_back(refseg::bench::time_once([&] {
                    auto ss = cv::ximgproc::segmentation::createSelectiveSearchSegmentation();
                    ss->setBaseImage(bgr);
                    ss->switchToSelectiveSearchFast();
                    ss->process(rects);
                  }).cpu_ms);
    std::vector<refseg::Box> ranked;
    for (const cv::Rect &r : rects) ranked.push_back({r.x, r.y, r.width, r.height});
    for (const auto &t : p.objects) boxes.add_object(refseg::box_ious(ranked, t.box));
  }
  print_tally("OpenCV selective search, boxes", boxes, median(cpu));
}

// The SIMD flags of /proc/cpuinfo that decide which kernels OpenCV runs.
std::string simd_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string flags;
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("flags", 0) == 0 && line.find(':') != std::string::npos) {
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string w; words >> w;)
        if (w.rfind("sse", 0) == 0 || w.rfind("ssse", 0) == 0 || w.rfind("avx", 0) == 0 ||
            w.rfind("amx", 0) == 0 || w == "fma" || w == "f16c" || w == "popcnt" || w == "bmi2")
          flags += (flags.empty() ? "" : " ") + w;
      break;
    }
  return flags.empty() ? "unknown" : flags;
}

std::vector<cv::Size> parse_sizes(const std::string &text) {
  std::vector<cv::Size> sizes;
  if (text == "none") return sizes;
  for (const std::string &item : refseg::tools::list_items(text)) {
    int w = 0, h = 0;
    char end = 0;
    if (std::sscanf(item.c_str(), "%dx%d%c", &w, &h, &end) != 2 || w <= 0 || h <= 0)
      refseg::tools::usage_error(kTool, "--sizes: '" + item + "' is not WIDTHxHEIGHT");
    sizes.emplace_back(w, h);
  }
  return sizes;
}

#ifdef REFSEG_BENCH_GST
// Wall time per frame of videotestsrc ! refsegproposals ! fakesink, minus
// nothing: it includes the source's pattern drawing (small beside proposals).
double bench_element(int width, int height, int frames) {
  const std::string desc = "videotestsrc pattern=ball num-buffers=" + std::to_string(frames) +
                           " ! video/x-raw,format=RGB,width=" + std::to_string(width) +
                           ",height=" + std::to_string(height) +
                           " ! refsegproposals ! fakesink sync=false";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!pipeline) {
    std::printf("  element: not run (%s)\n", err ? err->message : "parse failed");
    g_clear_error(&err);
    return -1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const auto t1 = std::chrono::steady_clock::now();
  const bool ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return ok ? std::chrono::duration<double, std::milli>(t1 - t0).count() / frames : -1;
}
#endif

struct Options {
  int runs = 15, scenes = 80, threads = 0, min_area = 1500;
  bool views = false;
  std::vector<cv::Size> sizes;
  std::vector<std::string> photos, generators;
  std::string draw;
};

Options parse(int argc, char **argv) {
  Options o;
  gint runs = o.runs, scenes = o.scenes, threads = 0, min_area = o.min_area;
  gchar *sizes = nullptr, *generators = nullptr, *draw = nullptr;
  gchar **photos = nullptr;
  gboolean views = FALSE;
  const GOptionEntry entries[] = {
      {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "Timed frames per size, 1-10000 (default 15)", "N"},
      {"sizes", 0, 0, G_OPTION_ARG_STRING, &sizes,
       "Frame sizes to time, WxH,WxH,... or none (default 640x480,1280x720,1920x1080,3840x2160)",
       "L"},
      {"scenes", 0, 0, G_OPTION_ARG_INT, &scenes,
       "Synthetic world scenes per level for the recall, 0-100000 (default 80; 0 skips it)", "N"},
      {"photos", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &photos,
       "COCO panoptic or instance annotations (JSON; images and PNGs beside it), e.g. "
       "../shared/real-photos/000000439180.json; repeatable",
       "F"},
      {"min-area", 0, 0, G_OPTION_ARG_INT, &min_area,
       "Photo objects smaller than N pixels are not counted, 0-100000000 (default 1500)", "N"},
      {"generators", 0, 0, G_OPTION_ARG_STRING, &generators,
       "Which to compare: default, quality, quality-one-ranking (quality without its tail "
       "ranking), appearance (ranked by appearance alone, as the generator once was), "
       "selective-search (OpenCV's, photos only), comma-separated (default "
       "default,quality,appearance,selective-search)",
       "L"},
      {"views", 0, 0, G_OPTION_ARG_NONE, &views,
       "Also measure each photo mirrored, at 0.75x and 1.5x, and its left and right three fifths",
       nullptr},
      {"draw", 0, 0, G_OPTION_ARG_FILENAME, &draw,
       "Write, per photo and setting, each object beside its best proposal of the first 20 to "
       "DIR/<photo>-<setting>.png (DIR is made if absent)",
       "DIR"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "OpenCV threads (the strategies run in parallel on them), 0-1024 (default 0: OpenCV's)",
       "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(kTool, "- speed and recall of the weightless proposals", nullptr,
                               nullptr, entries, nullptr, &argc, &argv);
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  using refseg::tools::int_in_range;
  o.runs = int_in_range(kTool, "--runs", runs, 1, 10000);
  o.scenes = int_in_range(kTool, "--scenes", scenes, 0, 100000);
  o.threads = int_in_range(kTool, "--threads", threads, 0, 1024);
  o.min_area = int_in_range(kTool, "--min-area", min_area, 0, 100000000);
  o.sizes = parse_sizes(sizes ? sizes : "640x480,1280x720,1920x1080,3840x2160");
  o.generators = refseg::tools::list_items(
      generators ? generators : "default,quality,appearance,selective-search");
  o.photos = refseg::tools::take_strings(photos);
  o.draw = draw ? draw : "";
  if (!o.draw.empty() && g_mkdir_with_parents(o.draw.c_str(), 0755) != 0)
    refseg::tools::exit_with(kTool, "--draw: cannot make " + o.draw + ": " + g_strerror(errno), 1);
  o.views = views;
  g_free(sizes);
  g_free(generators);
  g_free(draw);
  return o;
}

}  // namespace

int main(int argc, char **argv) {
#ifdef REFSEG_BENCH_GST
  gst_init(nullptr, nullptr);
#endif
  const Options o = parse(argc, argv);
  const std::vector<Setting> settings = settings_named(o.generators);
  const bool selective =
      std::find(o.generators.begin(), o.generators.end(), "selective-search") != o.generators.end();
  std::vector<Photo> photos;
  try {
    photos = refseg::tools::load_annotated_photos(o.photos, o.min_area);
    if (o.views) photos = refseg::tools::with_views(std::move(photos), o.min_area);
  } catch (const std::exception &e) {
    refseg::tools::exit_with(kTool, e.what(), 1);
  }
  if (o.threads > 0) cv::setNumThreads(o.threads);
  refseg::bench::print_environment(stdout);
  std::printf("CPU flags (SIMD): %s\n", simd_flags().c_str());
  std::printf("OpenCV %s, cv::getNumThreads() %d, hardware threads %u\n", CV_VERSION,
              cv::getNumThreads(), std::thread::hardware_concurrency());
  for (const Setting &s : settings) {
    std::printf("%s: processing size %d, %zu strategies, k %.0f\n", s.name.c_str(),
                s.options.processing_size, s.options.strategies.size(), s.options.scale);
    for (const cv::Size size : o.sizes) {
      size_t n = 0;
      double cpu = 0;
      const double ms = bench_generator(size.width, size.height, o.runs, s, &n, &cpu);
      std::printf("  %4dx%-4d  median %7.1f ms/frame wall, %7.1f ms CPU  (%zu proposals/frame)\n",
                  size.width, size.height, ms, cpu, n);
#ifdef REFSEG_BENCH_GST
      if (s.name == "default") {
        const double element_ms = bench_element(size.width, size.height, o.runs);
        if (element_ms >= 0) std::printf("             element mean %7.1f ms/frame\n", element_ms);
      }
#endif
    }
  }
  if (o.scenes > 0) {
    std::printf("synthetic world, %d scenes per level (seeds 5000...):\n", o.scenes);
    for (const Setting &s : settings)
      for (const auto level : {refseg::world::WorldLevel::Plain, refseg::world::WorldLevel::Hard})
        world_recall(o.scenes, 320, 240, level, s);
  }
  if (!photos.empty()) {
    int objects = 0;
    for (const Photo &p : photos) objects += static_cast<int>(p.objects.size());
    std::printf("real photos: %zu, %d objects of at least %d pixels\n", photos.size(), objects,
                o.min_area);
    for (const Setting &s : settings) photo_recall(photos, s, o.draw);
    if (selective) selective_search_recall(photos);
  }
  return 0;
}

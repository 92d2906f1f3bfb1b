// bench_proposals: median milliseconds per frame of the grouping proposal
// generator on synthetic frames (the drawn scenes of the tests), per frame
// size, and of the refsegproposals element in a pipeline when the plugin is
// found. Prints the CPU model and its SIMD flags, the OpenCV thread count and
// the BLAS library loaded. Also measures quality: top-N recall of the
// synthetic referring world's objects (models/world: textured backgrounds,
// occlusion), the fraction of objects with a proposal of IoU >= 0.5 / 0.8,
// at the world's own 320x240 and rendered at 640x480 (where the generator
// works on a downscaled grid), with the median time per world frame.
//
//   bench_proposals [--runs N] [--strategies 1|2] [--scenes N]
//                   [--sizes WxH,WxH,...|none] [--processing-size N] [--threads N]
//
// --threads sets OpenCV's thread count (the strategies run in parallel on
// it); --scenes 0 skips the recall.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>

#include <stdexcept>

#include "bench_report.h"
#include "proposals/grouping_generator.h"
#include "proposals/proposal_filter.h"
#include "synthetic_scene.h"
#include "world/referring_world.h"

#ifdef REFSEG_BENCH_GST
#include <gst/gst.h>
#endif

namespace {

using refseg::bench::median;

double bench_generator(int width, int height, int runs, const refseg::GroupingOptions &options,
                       size_t *n_proposals, double *cpu_median) {
  // A few different frames, cycled: 3-6 objects, plain and textured.
  std::vector<refseg_test::Scene> scenes;
  for (int i = 0; i < 4; ++i)
    scenes.push_back(refseg_test::make_scene(width, height, 3 + i, i % 2 == 1, 11 + i));
  refseg::GroupingProposalGenerator gen(options);
  std::vector<double> ms, cpu;
  size_t total = 0;
  for (int r = 0; r < runs + 1; ++r) {
    const cv::Mat &rgb = scenes[r % scenes.size()].rgb;
    size_t count = 0;
    // CPU time too: on a loaded machine wall time says more about the
    // neighbours than about us; CPU time per frame stays comparable.
    const refseg::bench::Timing t = refseg::bench::time_once([&] {
      count = gen.propose({rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step),
                           refseg::PixelLayout::RGB})
                  .size();
    });
    if (r == 0) continue;  // warm-up
    total += count;
    cpu.push_back(t.cpu_ms);
    ms.push_back(t.wall_ms);
  }
  *n_proposals = runs > 0 ? total / runs : 0;
  *cpu_median = median(cpu);
  return median(ms);
}

// Top-N recall of the world's objects on `scenes` held-out scenes rendered
// at width x height, and the median wall time per world frame.
void world_recall(int scenes, int width, int height, const refseg::GroupingOptions &options) {
  refseg::GroupingProposalGenerator gen(options);
  refseg::world::WorldOptions world;
  world.width = width;
  world.height = height;
  int objects = 0, hit5 = 0, hit8 = 0;
  double sum = 0;
  std::vector<double> ms;
  for (int s = 0; s < scenes; ++s) {
    const auto scene = refseg::world::make_scene(5000 + s, world);
    const cv::Mat &img = scene.image;
    std::vector<refseg::RegionMask> masks;
    ms.push_back(refseg::bench::time_once([&] {
                   masks = gen.propose({img.data, img.cols, img.rows, static_cast<int>(img.step),
                                        refseg::PixelLayout::RGB});
                 }).wall_ms);
    for (const auto &object : scene.objects) {
      const refseg::RegionMask truth = refseg::world::region_mask(object);
      double best = 0;
      for (const auto &m : masks) best = std::max(best, refseg::mask_iou(m, truth));
      ++objects;
      sum += best;
      hit5 += best >= 0.5;
      hit8 += best >= 0.8;
    }
  }
  std::printf(
      "world recall (%d scenes %dx%d, %d objects, top %d): IoU>=0.5 %.3f, IoU>=0.8 %.3f, "
      "mean best IoU %.3f  (median %.1f ms/frame wall)\n",
      scenes, width, height, objects, gen.filter().max_proposals,
      hit5 / std::max(1.0, double(objects)), hit8 / std::max(1.0, double(objects)),
      sum / std::max(1, objects), median(ms));
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

// "640x480,1280x720" -> sizes; malformed entries are skipped.
std::vector<cv::Size> parse_sizes(const char *text) {
  std::vector<cv::Size> sizes;
  std::istringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    int w = 0, h = 0;
    if (std::sscanf(item.c_str(), "%dx%d", &w, &h) == 2 && w > 0 && h > 0) sizes.emplace_back(w, h);
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

}  // namespace

int main(int argc, char **argv) {
  int runs = 15, strategies = 2, scenes = 80, processing_size = -1, threads = -1;
  std::vector<cv::Size> sizes = {{640, 480}, {1280, 720}, {1920, 1080}, {3840, 2160}};
  try {
    using refseg::bench::parse_count;
    for (int i = 1; i < argc; i += 2) {
      const char *value = i + 1 < argc ? argv[i + 1] : "";
      if (!std::strcmp(argv[i], "--runs"))
        runs = parse_count(value, "--runs", 1);
      else if (!std::strcmp(argv[i], "--strategies"))
        strategies = std::min(parse_count(value, "--strategies", 1), 2);
      else if (!std::strcmp(argv[i], "--scenes"))
        scenes = parse_count(value, "--scenes", 0);
      else if (!std::strcmp(argv[i], "--sizes"))
        sizes = parse_sizes(value);
      else if (!std::strcmp(argv[i], "--processing-size"))
        processing_size = parse_count(value, "--processing-size", 16);
      else if (!std::strcmp(argv[i], "--threads"))
        threads = parse_count(value, "--threads", 1);
      else
        throw std::invalid_argument(std::string("unknown argument '") + argv[i] + "'");
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_proposals: %s\n", e.what());
    return 2;
  }
#ifdef REFSEG_BENCH_GST
  gst_init(&argc, &argv);
#endif
  if (threads > 0) cv::setNumThreads(threads);
  refseg::GroupingOptions options;
  options.strategies.resize(strategies);
  if (processing_size >= 0) options.processing_size = processing_size;
  refseg::bench::print_environment(stdout);
  std::printf("CPU flags (SIMD): %s\n", simd_flags().c_str());
  std::printf("OpenCV %s, cv::getNumThreads() %d, hardware threads %u\n", CV_VERSION,
              cv::getNumThreads(), std::thread::hardware_concurrency());
  std::printf("grouping generator: processing size %d, %d strateg%s, k %.0f, %d runs per size\n",
              options.processing_size, strategies, strategies == 1 ? "y" : "ies", options.scale,
              runs);
  for (const cv::Size size : sizes) {
    size_t n = 0;
    double cpu = 0;
    const double ms = bench_generator(size.width, size.height, runs, options, &n, &cpu);
    std::printf(
        "  %4dx%-4d  generator median %7.1f ms/frame wall, %7.1f ms CPU  (%zu proposals/frame)\n",
        size.width, size.height, ms, cpu, n);
#ifdef REFSEG_BENCH_GST
    const double element_ms = bench_element(size.width, size.height, runs);
    if (element_ms >= 0) std::printf("             element mean   %7.1f ms/frame\n", element_ms);
#endif
  }
  if (scenes > 0) {
    world_recall(scenes, 320, 240, options);
    world_recall(scenes, 640, 480, options);
  }
  return 0;
}

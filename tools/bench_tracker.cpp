// bench_tracker: what carrying results between analyses costs and how well
// the carried masks stay on their objects, on the synthetic world's moving
// video (whose true mask of every object is known in every frame).
//
//  - cost: milliseconds per frame of ResultTracker::advance() at the given
//    frame size with --tracks carried masks (the world's objects, padded
//    with background patches), on one OpenCV thread;
//  - accuracy: mean IoU with the truth of masks analysed on frame 0 (the
//    true masks, so only the carrying is measured) after 5, 10, 30 and 60
//    frames, over --videos seeds; "stale" is the IoU had they not moved.
//
//   bench_tracker [--width 640] [--height 480] [--tracks 20] [--videos 20] [--frames 200]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>

#include "bench_report.h"
#include "tool_options.h"
#include "tracking/result_tracker.h"
#include "world/referring_world.h"

namespace {

using namespace refseg;

ImageView view_of(const cv::Mat &rgb) {
  return {rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), PixelLayout::RGB};
}

tracking::Analysis truth_analysis(const world::Scene &scene, int64_t t, int tracks) {
  tracking::Analysis a;
  a.timestamp = t;
  a.width = scene.image.cols;
  a.height = scene.image.rows;
  for (const world::Object &o : scene.objects) a.proposals.push_back(world::region_mask(o));
  // Background patches on a grid up to the wanted count, each 1/8 of the frame wide.
  const int w = a.width / 8, h = a.height / 8;
  for (int k = 0; static_cast<int>(a.proposals.size()) < tracks; k++) {
    RegionMask m;
    m.box = {(k * 3 * w) % (a.width - w), ((k * 3 * w) / (a.width - w) * h) % (a.height - h), w, h};
    m.pixels.assign(static_cast<size_t>(w) * h, 255);
    a.proposals.push_back(std::move(m));
  }
  return a;
}

}  // namespace

int main(int argc, char **argv) {
  int width = 640, height = 480, tracks = 20, videos = 20, frames = 200;
  const GOptionEntry entries[] = {
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width, 1-100000 (default 640)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height, 1-100000 (default 480)", "H"},
      {"tracks", 0, 0, G_OPTION_ARG_INT, &tracks,
       "Carried masks in the cost part, 1-100000 (default 20)", "N"},
      {"videos", 0, 0, G_OPTION_ARG_INT, &videos,
       "World videos (seeds) in the accuracy part, 1-100000 (default 20)", "N"},
      {"frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames per video, 1-100000 (default 200)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  const char *tool = "bench_tracker";
  refseg::tools::parse_options(
      tool, "- what carrying results between analyses costs, and how well it carries them",
      "Cost: milliseconds per frame of ResultTracker::advance() with --tracks carried masks on "
      "one OpenCV thread. Accuracy: mean IoU with the truth of masks analysed on frame 0 after "
      "5, 10, 30 and 60 frames of the world's moving video, over --videos seeds.",
      nullptr, entries, nullptr, &argc, &argv);
  if (argc > 1)
    refseg::tools::usage_error(tool, std::string("unexpected argument '") + argv[1] + "'");
  using refseg::tools::int_in_range;
  width = int_in_range(tool, "--width", width, 1, 100000);
  height = int_in_range(tool, "--height", height, 1, 100000);
  tracks = int_in_range(tool, "--tracks", tracks, 1, 100000);
  videos = int_in_range(tool, "--videos", videos, 1, 100000);
  frames = int_in_range(tool, "--frames", frames, 1, 100000);
  cv::setNumThreads(1);
  bench::print_environment(stdout);
  std::printf("OpenCV threads: %d (one core)\n", cv::getNumThreads());

  world::WorldOptions options;
  options.width = width;
  options.height = height;
  options.max_speed = 2.0 * width / 320;  // the world's speed, scaled to the frame

  // Cost per frame with `tracks` masks carried.
  {
    const world::WorldVideo video(1, options);
    std::vector<cv::Mat> images;
    for (int t = 0; t < 30; t++) images.push_back(video.frame(t).image);
    tracking::ResultTracker tracker;
    tracker.advance(view_of(images[0]), 0);
    tracker.apply(truth_analysis(video.frame(0), 0, tracks));
    std::vector<double> wall, cpu;
    for (int t = 1; t < frames; t++) {
      const cv::Mat &img = images[t % images.size()];
      const bench::Timing timing = bench::time_once([&] { tracker.advance(view_of(img), t); });
      wall.push_back(timing.wall_ms);
      cpu.push_back(timing.cpu_ms);
    }
    const tracking::TrackedFrame f = tracker.current();
    std::printf(
        "advance() at %dx%d, %zu tracks: %.2f ms per frame (median wall), %.2f ms CPU, "
        "%d frames\n",
        width, height, f.proposals.size(), bench::median(wall), bench::median(cpu), frames - 1);
  }

  // Carried-mask IoU with the truth.
  const int horizons[] = {5, 10, 30, 60};
  double carried[4] = {0, 0, 0, 0}, stale[4] = {0, 0, 0, 0};
  int objects = 0;
  for (int v = 0; v < videos; v++) {
    const world::WorldVideo video(1000 + v, options);
    const world::Scene first = video.frame(0);
    tracking::ResultTracker tracker;
    tracker.advance(view_of(first.image), 0);
    tracker.apply(truth_analysis(first, 0, 0));
    int h = 0;
    for (int t = 1; t <= 60; t++) {
      const world::Scene s = video.frame(t);
      tracker.advance(view_of(s.image), t);
      if (t != horizons[h]) continue;
      const tracking::TrackedFrame f = tracker.current();
      for (size_t i = 0; i < s.objects.size(); i++) {
        const RegionMask truth = world::region_mask(s.objects[i]);
        // Proposals keep their order; one that left the frame is dropped,
        // so look it up by track id (ids start at 1 in proposal order).
        double iou = 0;
        for (size_t k = 0; k < f.track_ids.size(); k++)
          if (f.track_ids[k] == static_cast<int>(i) + 1) iou = mask_iou(f.proposals[k], truth);
        carried[h] += iou;
        stale[h] += mask_iou(world::region_mask(first.objects[i]), truth);
      }
      h++;
    }
    objects += static_cast<int>(first.objects.size());
  }
  std::printf(
      "carried-mask IoU with the truth over %d videos (%d objects, max speed %.1f px/frame, "
      "analysed on frame 0):\n",
      videos, objects, options.max_speed);
  for (int h = 0; h < 4; h++)
    std::printf("  %2d frames later: carried %.3f   not moved %.3f\n", horizons[h],
                carried[h] / objects, stale[h] / objects);
  return 0;
}

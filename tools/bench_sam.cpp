// bench_sam: the Segment Anything family's whole analysis on one 640x480
// frame, stage by stage, fp32 and bf16, and beside it the reference Python
// implementation's time for the same work in the same run.
//
// Per checkpoint (real-size random ones: scripts/make_sam_fixtures.py
// --real-size DIR) and precision: the image encoder (SamModel::set_image:
// preprocessing, encoder, the decoder's per-frame work), the mask decoder
// per 64 prompts (transformer and heads, then the upscaling), and the whole
// analysis (set_image + automatic masks) for a --points-per-side grid with
// the reference's thresholds (0.88 / 0.95) and with both at 0 (every mask
// upscaled, measured and kept: random weights predict low IoUs, so with the
// reference's thresholds nearly nothing is upscaled and that figure is a
// best case), masks out; then the cheaper prompt source (--regions points
// of the weightless generator's ranked regions, as refsegproposals
// prompts=regions takes them: refseg::region_prompt_points) against the
// grid: its time and how many of the grid's masks it recovers at mask IoU
// 0.5 (with random weights: agreement with the grid, not recall of real
// objects). bf16's masks are compared with fp32's.
//
// --segment-anything and --mobilesam (fetched checkouts, never committed)
// run scripts/bench_sam_reference.py on the same frame and checkpoints.
// No timed assertions: it prints figures.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "annotated_photos.h"
#include "bench_report.h"
#include "clip/inference_threads.h"
#include "clip/precision.h"
#include "common/model_error.h"
#include "list_items.h"
#include "proposals/grouping_generator.h"
#include "proposals/sam_proposal_generator.h"
#include "sam/automatic_mask_generator.h"
#include "sam/sam_checkpoint.h"
#include "sam/sam_model.h"
#include "tool_options.h"

namespace {

constexpr const char *kTool = "bench_sam";
constexpr int kW = 640, kH = 480;

// scripts/make_sam_fixtures.py's frame_pixels (a textured ramp).
cv::Mat synthetic_frame() {
  cv::Mat rgb(kH, kW, CV_8UC3);
  for (int64_t y = 0; y < kH; ++y)
    for (int64_t x = 0; x < kW; ++x)
      for (int64_t c = 0; c < 3; ++c) {
        const int64_t k = x * 131 + y * 197 + c * 61;
        rgb.at<cv::Vec3b>(static_cast<int>(y), static_cast<int>(x))[c] =
            static_cast<uint8_t>((x * 5 + y * 3 + c * 70 + (k * k) % 61) % 256);
      }
  return rgb;
}

refseg::ImageView view_of(const cv::Mat &rgb) {
  return {rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), refseg::PixelLayout::RGB};
}

std::vector<refseg::RegionMask> masks_of(const std::vector<refseg::sam::AutomaticMask> &a) {
  std::vector<refseg::RegionMask> out;
  for (const auto &m : a)
    if (!m.mask.box.empty()) out.push_back(m.mask);
  return out;
}

// How many of `want` have a mask in `have` at mask IoU >= t.
int recovered(const std::vector<refseg::RegionMask> &want,
              const std::vector<refseg::RegionMask> &have, double t) {
  int n = 0;
  for (const auto &w : want) {
    double best = 0;
    for (const auto &h : have) best = std::max(best, refseg::mask_iou(w, h));
    n += best >= t;
  }
  return n;
}

struct Settings {
  int threads = 2, runs = 3, side = 16, regions = 64, reference_runs = 1;
  std::vector<refseg::clip::Precision> precisions;
  std::string policy = "torch";
  gboolean decoder_only = FALSE;
  std::string profile;  // a chrome trace of one 64-prompt decode
};

refseg::sam::AutomaticMaskOptions grid(int side, bool open) {
  refseg::sam::AutomaticMaskOptions o;
  o.points_per_side = side;
  if (open) {  // every mask through every step, none dropped
    o.pred_iou_thresh = o.stability_score_thresh = 0.0;
    o.box_nms_thresh = 1.0;
  }
  return o;
}

void bench_checkpoint(const std::string &file, const cv::Mat &frame, const Settings &s) {
  const refseg::ImageView view = view_of(frame);
  std::unique_ptr<refseg::sam::SamModel> model;
  const auto load =
      refseg::bench::time_once([&] { model = std::make_unique<refseg::sam::SamModel>(file); });
  const auto arch = refseg::sam::tell_architecture(refseg::sam::read_sam_checkpoint(file));
  std::printf("%s: %s, load %.0f ms\n", file.c_str(), arch.name.c_str(), load.wall_ms);

  // The cheaper prompt source: points of the weightless generator's ranked
  // regions (computed once; its time is reported).
  refseg::GroupingProposalGenerator grouping;
  std::vector<std::array<double, 2>> region_points;
  const double grouping_ms = refseg::bench::median_ms(s.runs, [&] {
    region_points = refseg::region_prompt_points(grouping, view, static_cast<size_t>(s.regions));
  });

  std::vector<refseg::RegionMask> fp32_open;
  for (const auto precision : s.precisions) {
    model->set_precision(precision);
    const auto threads = refseg::clip::configure_inference_threads(
        s.threads, refseg::clip::parse_thread_policy(s.policy));
    std::printf("  %s (%s):\n", refseg::clip::precision_name(precision),
                refseg::clip::describe(threads).c_str());
    const double enc_ms = refseg::bench::median_ms(s.runs, [&] { model->set_image(view); });
    std::printf("    image encoder (set_image) %.0f ms\n", enc_ms);

    // 64 grid prompts, multimask, as the generator decodes a batch.
    const auto pts = refseg::sam::build_point_grid(8);
    at::Tensor xy = at::empty({64, 1, 2}, at::kDouble);
    for (int i = 0; i < 64; ++i) {
      xy[i][0][0] = pts[i][0] * kW;
      xy[i][0][1] = pts[i][1] * kH;
    }
    const at::Tensor coords = model->to_input_coords(xy), labels = at::ones({64, 1}, at::kInt);
    refseg::sam::DecodedTokens tokens;
    const double tok_ms = refseg::bench::median_ms(
        s.runs, [&] { tokens = model->decode_tokens(coords, labels, at::Tensor(), true); });
    const double up_ms =
        refseg::bench::median_ms(s.runs, [&] { model->upscale_masks(tokens, at::Tensor()); });
    if (!s.profile.empty()) {
      const std::string trace = s.profile + "." + refseg::clip::precision_name(precision) + ".json";
      torch::autograd::profiler::RecordProfile guard(trace);
      model->upscale_masks(model->decode_tokens(coords, labels, at::Tensor(), true), at::Tensor());
    }
    std::printf(
        "    mask decoder, 64 prompts: transformer + heads %.0f ms, upscaling %.0f ms, "
        "together %.0f ms\n",
        tok_ms, up_ms, tok_ms + up_ms);

    for (const bool open : {false, true}) {
      if (s.decoder_only) break;
      const auto o = grid(s.side, open);
      std::vector<refseg::sam::AutomaticMask> out;
      const double ms = refseg::bench::median_ms(
          s.runs, [&] { out = refseg::sam::generate_masks(*model, view, o); });
      std::printf(
          "    analysis, %dx%d grid, thresholds %s: %zu masks, %.0f ms\n", s.side, s.side,
          open ? "0 / 0, box NMS 1 (every mask upscaled and kept)" : "0.88 / 0.95, box NMS 0.7",
          out.size(), ms);
      if (!open) continue;
      const auto grid_masks = masks_of(out);
      if (precision == refseg::clip::Precision::kFp32) {
        fp32_open = grid_masks;
      } else if (!fp32_open.empty()) {
        std::printf("    %s masks against fp32's (0/0 grid): %d of %zu fp32 masks at IoU 0.9\n",
                    refseg::clip::precision_name(precision), recovered(fp32_open, grid_masks, 0.9),
                    fp32_open.size());
      }
      auto ro = grid(s.side, false);
      ro.points = region_points;
      std::vector<refseg::sam::AutomaticMask> rout;
      const double closed_ms = refseg::bench::median_ms(
          s.runs, [&] { rout = refseg::sam::generate_masks(*model, view, ro); });
      std::printf(
          "    analysis, %zu region points, thresholds 0.88 / 0.95, box NMS 0.7: %zu masks, %.0f "
          "ms + %.0f ms\n",
          region_points.size(), rout.size(), closed_ms, grouping_ms);
      ro = grid(s.side, true);
      ro.points = region_points;
      const double rms = refseg::bench::median_ms(
          s.runs, [&] { rout = refseg::sam::generate_masks(*model, view, ro); });
      std::printf(
          "    analysis, %zu region points (of the first %d regions, grouping %.0f ms more), "
          "thresholds "
          "0 / 0, box NMS 1: %zu masks, %.0f ms + %.0f ms; recovers %d of the grid's %zu masks at "
          "mask "
          "IoU 0.5 (random weights: agreement with the grid, not recall of objects)\n",
          region_points.size(), s.regions * refseg::kRegionPromptPool, grouping_ms, rout.size(),
          rms, grouping_ms, recovered(grid_masks, masks_of(rout), 0.5), grid_masks.size());
    }
    std::printf("    peak RSS %.0f MB\n", refseg::bench::peak_rss_mb());
  }
}

constexpr int kCoverageMinArea = 1500;

// What a prompt source can find at best, on photos with every object
// annotated (real weights are not here to measure recall): of the things of
// at least kCoverageMinArea pixels, how many hold one prompt point, and three or more
// (SAM decodes each point to a part, the object holding it and a larger
// whole; more points are more chances). Sources: the reference's grids, the
// interior points of the weightless generator's first regions, and the
// region source as refsegproposals prompts=regions runs it (points spread
// apart over twice as many regions).
void prompt_coverage(const std::vector<refseg::tools::AnnotatedPhoto> &photos) {
  struct Source {
    std::string name;
    size_t points = 0;
    int photos = 0, objects = 0, one = 0, three = 0;
  };
  std::vector<Source> sources;
  auto tally = [&](const std::string &name, const std::vector<std::array<double, 2>> &points,
                   const std::vector<refseg::RegionMask> &objects) {
    auto it = std::find_if(sources.begin(), sources.end(),
                           [&](const Source &x) { return x.name == name; });
    if (it == sources.end()) it = sources.insert(sources.end(), Source{name});
    it->points += points.size();
    ++it->photos;
    for (const auto &o : objects) {
      int inside = 0;
      for (const auto &p : points)
        inside += o.contains(static_cast<int>(p[0]), static_cast<int>(p[1]));
      ++it->objects;
      it->one += inside >= 1;
      it->three += inside >= 3;
    }
  };
  std::printf("prompt coverage (things of at least %d pixels holding a prompt point, %zu %s):\n",
              kCoverageMinArea, photos.size(), photos.size() == 1 ? "photo" : "photos or views");
  for (const auto &photo : photos) {
    const cv::Mat &rgb = photo.rgb;
    for (const int side : {16, 8, 6}) {
      auto grid = refseg::sam::build_point_grid(side);
      for (auto &p : grid) p = {p[0] * rgb.cols, p[1] * rgb.rows};
      tally(std::to_string(side) + "x" + std::to_string(side) + " grid", grid, photo.objects);
    }
    for (const int regions : {16, 32, 48, 64}) {
      refseg::ProposalFilter rf;
      rf.max_proposals = regions;
      refseg::GroupingProposalGenerator grouping({}, rf);
      std::vector<std::array<double, 2>> points;
      for (const auto &m : grouping.propose(view_of(rgb)))
        if (auto p = refseg::prompt_point(m)) points.push_back(*p);
      tally("first " + std::to_string(regions) + " regions", points, photo.objects);
      refseg::GroupingProposalGenerator spread_source;
      tally(std::to_string(regions) + " region points",
            refseg::region_prompt_points(spread_source, view_of(rgb), static_cast<size_t>(regions)),
            photo.objects);
    }
  }
  for (const auto &x : sources)
    std::printf(
        "  %-18s %6.1f points per photo: %d of %d objects hold one (%.2f), %d hold three "
        "or more (%.2f)\n",
        x.name.c_str(), static_cast<double>(x.points) / x.photos, x.one, x.objects,
        x.objects ? static_cast<double>(x.one) / x.objects : 0.0, x.three,
        x.objects ? static_cast<double>(x.three) / x.objects : 0.0);
}
}  // namespace

int main(int argc, char **argv) {
  Settings s;
  gchar *precisions = nullptr, *image = nullptr, *sa = nullptr, *ms = nullptr, *policy = nullptr,
        *profile = nullptr, **photos = nullptr;
  gboolean views = FALSE;
  const GOptionEntry entries[] = {
      {"threads", 0, 0, G_OPTION_ARG_INT, &s.threads, "LibTorch threads (default 2)", "N"},
      {"runs", 0, 0, G_OPTION_ARG_INT, &s.runs, "timed runs after one warm-up (default 3)", "R"},
      {"points-per-side", 0, 0, G_OPTION_ARG_INT, &s.side,
       "the prompt grid's side (default 16, the CPU default)", "N"},
      {"regions", 0, 0, G_OPTION_ARG_INT, &s.regions,
       "regions of the weightless generator used as prompts (default 64)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precisions,
       "comma-separated precisions (default fp32,bf16)", "LIST"},
      {"thread-policy", 0, 0, G_OPTION_ARG_STRING, &policy,
       "blas, torch or both: which pools get the threads (default torch)", "P"},
      {"image", 0, 0, G_OPTION_ARG_FILENAME, &image,
       "a photo (resized to 640x480) instead of the synthetic frame", "PATH"},
      {"segment-anything", 0, 0, G_OPTION_ARG_FILENAME, &sa,
       "a checkout of facebookresearch/segment-anything: time the reference too", "DIR"},
      {"mobilesam", 0, 0, G_OPTION_ARG_FILENAME, &ms,
       "a checkout of ChaoningZhang/MobileSAM (with --segment-anything)", "DIR"},
      {"decoder-only", 0, 0, G_OPTION_ARG_NONE, &s.decoder_only,
       "time the image encoder and the mask decoder only, not the analyses", nullptr},
      {"profile", 0, 0, G_OPTION_ARG_FILENAME, &profile,
       "write LibTorch's trace of one 64-prompt decode to PREFIX.<precision>.json", "PREFIX"},
      {"reference-runs", 0, 0, G_OPTION_ARG_INT, &s.reference_runs,
       "the reference's timed runs of each stage (default 1)", "R"},
      {"photos", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &photos,
       "COCO panoptic or instance JSON (repeatable): how many annotated objects each prompt "
       "source reaches (checkpoints optional)",
       "JSON"},
      {"views", 0, 0, G_OPTION_ARG_NONE, &views,
       "with --photos: each photo mirrored, at 0.75x and 1.5x and its left and right three "
       "fifths too",
       nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      kTool, "CHECKPOINT... - SAM and MobileSAM analysis times on a 640x480 frame",
      "Image encoder, mask decoder per 64 prompts and the whole automatic-mask analysis of "
      "SAM-family checkpoints (real-size random ones: scripts/make_sam_fixtures.py --real-size "
      "DIR), fp32 and bf16, the region-point prompt source against the grid, and with "
      "--segment-anything/--mobilesam the reference implementation's times for the same work.",
      nullptr, entries, nullptr, &argc, &argv);
  std::vector<std::string> files(argv + 1, argv + argc);
  const std::vector<std::string> photo_files = refseg::tools::take_strings(photos);
  if (files.empty() && photo_files.empty())
    refseg::tools::usage_error(kTool, "no checkpoint given");
  s.threads = refseg::tools::int_in_range(kTool, "--threads", s.threads, 1, 1024);
  s.runs = refseg::tools::int_in_range(kTool, "--runs", s.runs, 1, 1000);
  s.side = refseg::tools::int_in_range(kTool, "--points-per-side", s.side, 1, 64);
  s.regions = refseg::tools::int_in_range(kTool, "--regions", s.regions, 1, 4096);
  s.reference_runs =
      refseg::tools::int_in_range(kTool, "--reference-runs", s.reference_runs, 1, 100);
  if (policy) s.policy = refseg::tools::take_string(policy);
  if (profile) s.profile = refseg::tools::take_string(profile);
  const std::string sa_dir = sa ? refseg::tools::take_string(sa) : "";
  const std::string ms_dir = ms ? refseg::tools::take_string(ms) : "";
  if (sa_dir.empty() != ms_dir.empty())
    refseg::tools::usage_error(kTool, "--segment-anything and --mobilesam go together");
  try {
    for (const auto &p : refseg::tools::list_items(
             precisions ? refseg::tools::take_string(precisions) : std::string("fp32,bf16")))
      s.precisions.push_back(refseg::clip::parse_precision(p));
    refseg::clip::parse_thread_policy(s.policy);
  } catch (const refseg::ModelError &e) {
    refseg::tools::usage_error(kTool, e.what());
  }

  cv::Mat frame;
  if (image) {
    const std::string path = refseg::tools::take_string(image);
    cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
    if (bgr.empty()) refseg::tools::exit_with(kTool, "cannot read " + path, 1);
    if (bgr.cols != kW || bgr.rows != kH) cv::resize(bgr, bgr, {kW, kH}, 0, 0, cv::INTER_AREA);
    cv::cvtColor(bgr, frame, cv::COLOR_BGR2RGB);
  } else {
    frame = synthetic_frame();
  }

  refseg::bench::print_environment(stdout);
  std::printf("cpu: %s\n", refseg::clip::describe(refseg::clip::detect_cpu_features()).c_str());
  std::printf("frame %dx%d (%s), runs %d (median after one warm-up), threads %d\n", kW, kH,
              image ? "photo" : "synthetic", s.runs, s.threads);
  try {
    if (!photo_files.empty()) {
      std::vector<refseg::tools::AnnotatedPhoto> annotated =
          refseg::tools::load_annotated_photos(photo_files, kCoverageMinArea);
      if (views) annotated = refseg::tools::with_views(std::move(annotated), kCoverageMinArea);
      prompt_coverage(annotated);
    }
    for (const auto &f : files) bench_checkpoint(f, frame, s);
  } catch (const std::exception &e) {  // a model, an annotation file or a photo
    refseg::tools::exit_with(kTool, e.what(), 1);
  }

  if (!sa_dir.empty()) {
    // The same frame, as raw RGB, for the reference.
    const std::string raw = "/tmp/bench_sam_frame_" + std::to_string(getpid()) + ".rgb";
    {
      std::ofstream out(raw, std::ios::binary);
      for (int y = 0; y < kH; ++y) out.write(reinterpret_cast<const char *>(frame.ptr(y)), kW * 3);
    }
    std::ostringstream cmd;
    cmd << "/usr/bin/python3 '" << REFSEG_SOURCE_DIR << "/scripts/bench_sam_reference.py'"
        << " --segment-anything '" << sa_dir << "' --mobilesam '" << ms_dir << "' --frame '" << raw
        << "' --size " << kW << "x" << kH << " --threads " << s.threads << " --runs "
        << s.reference_runs << " --points-per-side " << s.side;
    if (s.decoder_only) cmd << " --no-analysis";
    for (const auto &f : files) cmd << " '" << f << "'";
    std::fflush(stdout);
    const int rc = std::system(cmd.str().c_str());
    std::remove(raw.c_str());
    if (rc != 0) refseg::tools::exit_with(kTool, "the reference run failed", 1);
  }
  return 0;
}

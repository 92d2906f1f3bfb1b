// refsegproposals on a harness: drawn objects are found in every supported
// format, the properties hold, proposal models load or fail with a message
// naming the file and the problem, and odd frame sizes do not crash.
// C++, LibTorch and OpenCV headers come first: gstcheck.h defines a fail()
// macro that breaks std::ios::fail() in headers included after it.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <torch/script.h>

#include "../proposals/synthetic_scene.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"
#include "proposals_start_error.h"

namespace {

struct Format {
  const char *name;
  int bpp, red;
};
const Format kFormats[] = {{"RGB", 3, 0},  {"BGR", 3, 2},  {"RGBA", 4, 0},
                           {"BGRA", 4, 2}, {"RGBx", 4, 0}, {"BGRx", 4, 2}};

std::string caps_string(const Format &f, int width, int height) {
  return std::string("video/x-raw,format=") + f.name + ",width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + ",framerate=30/1";
}

// The scene packed as a buffer of the format, with GStreamer's default strides.
GstBuffer *frame_buffer(const cv::Mat &rgb, const Format &f) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(f.name), rgb.cols, rgb.rows);
  const int pad = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0) - rgb.cols * f.bpp;
  int stride = 0;
  const std::vector<uint8_t> bytes = refseg_test::pack(rgb, f.bpp, f.red, pad, &stride);
  fail_unless_equals_int(stride, GST_VIDEO_INFO_PLANE_STRIDE(&info, 0));
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_fill(buf, 0, bytes.data(), bytes.size());
  return buf;
}

struct Proposal {
  GstRefSegBox box;
  float score;
  std::vector<uint8_t> mask;
};

// Runs one frame through a harness and returns the proposals in its meta.
std::vector<Proposal> read_meta(GstBuffer *out, int width, int height) {
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  fail_unless(meta != nullptr, "no refseg meta on the output frame");
  fail_unless_equals_int(gst_refseg_meta_get_width(meta), width);
  fail_unless_equals_int(gst_refseg_meta_get_height(meta), height);
  std::vector<Proposal> result;
  for (guint i = 0; i < gst_refseg_meta_get_n_proposals(meta); ++i) {
    GstRefSegProposal p;
    fail_unless(gst_refseg_meta_get_proposal(meta, i, &p));
    fail_unless(p.box.x >= 0 && p.box.y >= 0 && p.box.width > 0 && p.box.height > 0);
    fail_unless(p.box.x + p.box.width <= width && p.box.y + p.box.height <= height);
    result.push_back(
        {p.box, p.score, std::vector<uint8_t>(p.mask, p.mask + p.box.width * p.box.height)});
  }
  return result;
}

std::vector<Proposal> run_frame(GstHarness *h, const cv::Mat &rgb, const Format &f) {
  gst_harness_set_src_caps_str(h, caps_string(f, rgb.cols, rgb.rows).c_str());
  GstBuffer *out = gst_harness_push_and_pull(h, frame_buffer(rgb, f));
  fail_unless(out != nullptr);
  auto proposals = read_meta(out, rgb.cols, rgb.rows);
  gst_buffer_unref(out);
  return proposals;
}

double best_iou(const cv::Mat &object, const std::vector<Proposal> &proposals) {
  double best = 0;
  for (const Proposal &p : proposals)
    best = std::max(best, refseg_test::iou_with(object, p.box.x, p.box.y, p.box.width, p.box.height,
                                                p.mask.data()));
  return best;
}

void check_ranked(const std::vector<Proposal> &proposals) {
  for (size_t i = 1; i < proposals.size(); ++i)
    fail_unless(proposals[i - 1].score >= proposals[i].score, "scores increase at %zu", i);
}

std::filesystem::path temp_path(const std::string &name) {
  return std::filesystem::temp_directory_path() /
         ("refseg_proposals_element_" + std::to_string(::getpid()) + "_" + name + ".pt");
}

std::filesystem::path save_module(const std::string &name, const std::string &source) {
  torch::jit::Module m("ProposalModel");
  m.define(source);
  const auto path = temp_path(name);
  m.save(path.string());
  return path;
}

}  // namespace

GST_START_TEST(test_objects_found_in_every_format) {
  for (const bool textured : {false, true})
    for (int n : {3, 6}) {
      const auto scene = refseg_test::make_scene(640, 480, n, textured);
      for (const Format &f : kFormats) {
        GstHarness *h = gst_harness_new("refsegproposals");
        const auto proposals = run_frame(h, scene.rgb, f);
        fail_unless(proposals.size() <= 20);
        check_ranked(proposals);
        for (size_t i = 0; i < scene.objects.size(); ++i)
          fail_unless(best_iou(scene.objects[i], proposals) >= 0.8,
                      "%s, %s background, %d objects: object %zu best IoU %.3f", f.name,
                      textured ? "textured" : "plain", n, i, best_iou(scene.objects[i], proposals));
        gst_harness_teardown(h);
      }
    }
}
GST_END_TEST;

GST_START_TEST(test_pixels_pass_unchanged) {
  const auto scene = refseg_test::make_scene(320, 240, 4, true);
  GstHarness *h = gst_harness_new("refsegproposals");
  gst_harness_set_src_caps_str(h, caps_string(kFormats[0], 320, 240).c_str());
  GstBuffer *in = frame_buffer(scene.rgb, kFormats[0]);
  GstBuffer *copy = gst_buffer_copy_deep(in);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  GstMapInfo a, b;
  gst_buffer_map(out, &a, GST_MAP_READ);
  gst_buffer_map(copy, &b, GST_MAP_READ);
  fail_unless_equals_int(a.size, b.size);
  fail_unless(memcmp(a.data, b.data, a.size) == 0);
  gst_buffer_unmap(out, &a);
  gst_buffer_unmap(copy, &b);
  gst_buffer_unref(out);
  gst_buffer_unref(copy);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_max_proposals_min_area_ranking_determinism) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  GstHarness *h = gst_harness_new("refsegproposals");
  const auto run1 = run_frame(h, scene.rgb, kFormats[0]);
  const auto run2 = run_frame(h, scene.rgb, kFormats[0]);
  fail_unless(run1.size() > 3);
  fail_unless_equals_int(run1.size(), run2.size());
  for (size_t i = 0; i < run1.size(); ++i) {
    fail_unless(memcmp(&run1[i].box, &run2[i].box, sizeof(GstRefSegBox)) == 0);
    fail_unless_equals_float(run1[i].score, run2[i].score);
    fail_unless(run1[i].mask == run2[i].mask);
  }
  check_ranked(run1);

  // Changed while playing: applies to the next frame.
  g_object_set(h->element, "max-proposals", 3u, nullptr);
  fail_unless_equals_int(run_frame(h, scene.rgb, kFormats[0]).size(), 3);

  // Full-resolution processing keeps areas exact.
  g_object_set(h->element, "max-proposals", 100u, "min-area", 0.05, "processing-size", 640u,
               nullptr);
  const auto large = run_frame(h, scene.rgb, kFormats[0]);
  fail_unless(!large.empty());
  for (const Proposal &p : large) {
    long area = 0;
    for (uint8_t v : p.mask) area += v != 0;
    fail_unless(area >= 0.05 * 640 * 480, "area %ld below min-area", area);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_odd_and_extreme_sizes) {
  const Format &rgb = kFormats[0], &bgrx = kFormats[5];
  for (const cv::Size size :
       {cv::Size(1, 1), cv::Size(2, 3), cv::Size(321, 241), cv::Size(3840, 2160)})
    for (const Format *f : {&rgb, &bgrx}) {
      const bool big = size.width > 100;
      const auto scene = refseg_test::make_scene(size.width, size.height, 6, false);
      const cv::Mat frame = big ? scene.rgb : cv::Mat(size, CV_8UC3, cv::Scalar(200, 10, 10));
      GstHarness *h = gst_harness_new("refsegproposals");
      const auto proposals = run_frame(h, frame, *f);
      if (big)
        for (const auto &object : scene.objects) fail_unless(best_iou(object, proposals) >= 0.8);
      gst_harness_teardown(h);
    }
}
GST_END_TEST;

GST_START_TEST(test_other_formats_refused) {
  GstElement *e = gst_element_factory_make("refsegproposals", nullptr);
  GstPad *sink = gst_element_get_static_pad(e, "sink");
  // Packed 4:2:2 is not among them (I420, NV12 and GRAY8 are:
  // test_yuv_input.cpp).
  GstCaps *yuy2 = gst_caps_from_string("video/x-raw,format=YUY2,width=64,height=48,framerate=30/1");
  GstCaps *rgb = gst_caps_from_string("video/x-raw,format=RGB,width=64,height=48,framerate=30/1");
  fail_if(gst_pad_query_accept_caps(sink, yuy2));
  fail_unless(gst_pad_query_accept_caps(sink, rgb));
  gst_caps_unref(yuy2);
  gst_caps_unref(rgb);
  gst_object_unref(sink);
  gst_object_unref(e);
}
GST_END_TEST;

GST_START_TEST(test_torchscript_model_masks_reach_the_meta) {
  // Red-dominant pixels as one mask, at half resolution: the element has to
  // bring it back to frame size.
  const auto path = save_module("red", R"(
def forward(self, x):
    red = ((x[0, 0] > 0.6) & (x[0, 1] < 0.4) & (x[0, 2] < 0.4)).float()
    return (red.unsqueeze(0)[:, ::2, ::2], torch.tensor([0.7]))
)");
  const auto scene = refseg_test::make_scene(321, 241, 3, true);
  // The harness starts the element at once: the model goes in with the description.
  GstHarness *h =
      gst_harness_new_parse(("refsegproposals name=p model=\"" + path.string() + "\"").c_str());
  GstElement *element = gst_bin_get_by_name(GST_BIN(h->element), "p");
  for (const Format &f : {kFormats[1], kFormats[2]}) {
    const auto proposals = run_frame(h, scene.rgb, f);
    fail_unless_equals_int(proposals.size(), 1);
    fail_unless_equals_float(proposals[0].score, 0.7f);
    fail_unless(best_iou(scene.objects[0], proposals) >= 0.9);
  }
  // Refused while playing: the loaded model stays in use.
  g_object_set(element, "model", "", nullptr);
  gchar *model = nullptr;
  g_object_get(element, "model", &model, nullptr);
  fail_unless(model != nullptr && path.string() == model);
  g_free(model);
  gst_object_unref(element);
  gst_harness_teardown(h);
  std::filesystem::remove(path);
}
GST_END_TEST;

GST_START_TEST(test_bad_models_fail_the_state_change) {
  std::string msg = refseg_test::proposals_start_error("/nonexistent/proposals.pt");
  fail_unless(msg.find("/nonexistent/proposals.pt") != std::string::npos, "%s", msg.c_str());
  fail_unless(msg.find("cannot open") != std::string::npos, "%s", msg.c_str());

  const auto garbage = temp_path("garbage");
  std::ofstream(garbage) << "not a zip archive at all";
  msg = refseg_test::proposals_start_error(garbage.string());
  fail_unless(msg.find(garbage.string()) != std::string::npos, "%s", msg.c_str());
  fail_unless(msg.find("not a TorchScript module") != std::string::npos, "%s", msg.c_str());
  std::filesystem::remove(garbage);

  const auto tensor = save_module("tensor", "def forward(self, x):\n    return x[0]\n");
  msg = refseg_test::proposals_start_error(tensor.string());
  fail_unless(msg.find(tensor.string()) != std::string::npos, "%s", msg.c_str());
  fail_unless(
      msg.find("must be a tuple (masks [N,h,w], scores [N]); got a Tensor") != std::string::npos,
      "%s", msg.c_str());
  std::filesystem::remove(tensor);

  // No model: the grouping generator starts.
  fail_unless(refseg_test::proposals_start_error("").empty());
}
GST_END_TEST;

bool same_proposals(const std::vector<Proposal> &a, const std::vector<Proposal> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (memcmp(&a[i].box, &b[i].box, sizeof(GstRefSegBox)) != 0 || a[i].mask != b[i].mask)
      return false;
  return true;
}

// reuse: a frame that barely changed (sensor noise) gets the proposals of
// the frame they were made on; a moved object, or a changed setting, gets
// fresh ones.
GST_START_TEST(test_reuse_keeps_proposals_of_an_unchanged_frame) {
  const auto scene = refseg_test::make_scene(640, 480, 6, true);
  // The same picture with +-1 of noise: under reuse's threshold, but enough
  // for the grouping generator to draw its masks differently.
  cv::Mat noisy = scene.rgb.clone();
  cv::RNG rng(7);
  cv::Mat noise(noisy.size(), CV_16SC3);
  rng.fill(noise, cv::RNG::UNIFORM, -1, 2);
  noisy.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(noisy, CV_8UC3);
  GstHarness *h = gst_harness_new("refsegproposals");
  const auto fresh = run_frame(h, scene.rgb, kFormats[0]);
  const auto fresh_noisy = run_frame(h, noisy, kFormats[0]);
  fail_unless(!same_proposals(fresh, fresh_noisy),
              "the noise must change the generator's masks for this test to mean anything");

  g_object_set(h->element, "reuse", TRUE, nullptr);
  gboolean reuse = FALSE;
  g_object_get(h->element, "reuse", &reuse, nullptr);
  fail_unless(reuse);
  fail_unless(same_proposals(run_frame(h, scene.rgb, kFormats[0]), fresh));
  fail_unless(same_proposals(run_frame(h, noisy, kFormats[0]), fresh),
              "a frame within the noise of the last fresh one keeps its proposals");
  // Another picture: fresh proposals.
  const auto other = refseg_test::make_scene(640, 480, 5, true, 99);
  const auto moved = run_frame(h, other.rgb, kFormats[0]);
  fail_unless(!same_proposals(moved, fresh));
  // A changed setting applies at once, reuse or not.
  g_object_set(h->element, "max-proposals", 2u, nullptr);
  fail_unless_equals_int(run_frame(h, other.rgb, kFormats[0]).size(), 2);
  // Off again: every frame fresh.
  g_object_set(h->element, "reuse", FALSE, "max-proposals", 20u, nullptr);
  fail_unless(same_proposals(run_frame(h, noisy, kFormats[0]), fresh_noisy));
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *refseg_proposals_suite(void) {
  Suite *s = suite_create("refsegproposals");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_objects_found_in_every_format);
  tcase_add_test(tc, test_pixels_pass_unchanged);
  tcase_add_test(tc, test_max_proposals_min_area_ranking_determinism);
  tcase_add_test(tc, test_odd_and_extreme_sizes);
  tcase_add_test(tc, test_other_formats_refused);
  tcase_add_test(tc, test_torchscript_model_masks_reach_the_meta);
  tcase_add_test(tc, test_bad_models_fail_the_state_change);
  tcase_add_test(tc, test_reuse_keeps_proposals_of_an_unchanged_frame);
  return s;
}

GST_CHECK_MAIN(refseg_proposals);

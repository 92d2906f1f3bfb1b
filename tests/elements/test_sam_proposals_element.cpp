// refsegproposals with a Segment Anything checkpoint (the small random-weight
// fixtures in the released layouts): the file's kind is told from its
// content, names resolve in the models directories, frames get the
// automatic masks (thresholds 0, so random weights give masks), box
// refinement gives what SamProposalGenerator::refine gives, and a truncated
// checkpoint fails the state change with an error naming the file.
// C++, LibTorch and OpenCV headers come first: gstcheck.h defines a fail()
// macro that breaks std::ios::fail() in headers included after it.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../proposals/synthetic_scene.h"
#include "../sam/decoded_alike.h"
#include "proposals/sam_proposal_generator.h"
#include "sam/sam_model.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"
#include "proposals_start_error.h"

namespace {

constexpr int kWidth = 96, kHeight = 72;

std::string fixture(const char *name) {
  const char *src = g_getenv("REFSEG_SOURCE_DIR");
  fail_unless(src != nullptr, "REFSEG_SOURCE_DIR is not set");
  return std::string(src) + "/tests/fixtures/sam/" + name;
}

std::filesystem::path temp_dir() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("refseg_sam_element_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The frame as packed RGB (stride = 3 * width: no padding at this width).
const refseg_test::Scene &scene() {
  static const refseg_test::Scene s = refseg_test::make_scene(kWidth, kHeight, 3, true);
  return s;
}

// The same frame as the models library reads it.
refseg::ImageView scene_view() {
  refseg::ImageView view;
  view.data = scene().rgb.data;
  view.width = kWidth;
  view.height = kHeight;
  view.stride = kWidth * 3;
  return view;
}

struct Proposal {
  GstRefSegBox box;
  float score;
  std::vector<uint8_t> mask;
};

std::vector<Proposal> run_frame(GstHarness *h) {
  const cv::Mat &rgb = scene().rgb;
  fail_unless(rgb.isContinuous());
  gst_harness_set_src_caps_str(h, ("video/x-raw,format=RGB,width=" + std::to_string(kWidth) +
                                   ",height=" + std::to_string(kHeight) + ",framerate=30/1")
                                      .c_str());
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, rgb.total() * 3, nullptr);
  gst_buffer_fill(buf, 0, rgb.data, rgb.total() * 3);
  GstBuffer *out = gst_harness_push_and_pull(h, buf);
  fail_unless(out != nullptr);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  fail_unless(meta != nullptr, "no refseg meta on the output frame");
  std::vector<Proposal> result;
  for (guint i = 0; i < gst_refseg_meta_get_n_proposals(meta); ++i) {
    GstRefSegProposal p;
    fail_unless(gst_refseg_meta_get_proposal(meta, i, &p));
    fail_unless(p.box.x >= 0 && p.box.y >= 0 && p.box.width > 0 && p.box.height > 0);
    fail_unless(p.box.x + p.box.width <= kWidth && p.box.y + p.box.height <= kHeight);
    result.push_back(
        {p.box, p.score, std::vector<uint8_t>(p.mask, p.mask + p.box.width * p.box.height)});
  }
  gst_buffer_unref(out);
  return result;
}

// A small grid (the element defaults to region prompts), every mask kept
// (random weights), no box refinement unless asked, fp32 (the library's
// default; the element's is auto).
std::string pipeline(const std::string &model, bool refine, const std::string &extra = "") {
  return "refsegproposals name=p model=\"" + model +
         "\" prompts=grid points-per-side=4 pred-iou-threshold=0 stability-threshold=0 min-area=0 "
         "max-area=1 precision=fp32 refine=" +
         (refine ? "true" : "false") + " " + extra;
}

std::vector<Proposal> proposals_of(const std::string &model, bool refine,
                                   const std::string &extra = "") {
  GstHarness *h = gst_harness_new_parse(pipeline(model, refine, extra).c_str());
  auto p = run_frame(h);
  gst_harness_teardown(h);
  return p;
}

// What the models library gives for the same frame and settings.
std::vector<refseg::RegionMask> library_proposals(const std::string &path, bool refine,
                                                  int region_points = 0) {
  refseg::sam::AutomaticMaskOptions o;
  o.points_per_side = 4;
  o.max_points = region_points;
  o.pred_iou_thresh = 0;
  o.stability_score_thresh = 0;
  refseg::ProposalFilter f = refseg::sam_proposal_filter();
  f.min_area = 0;
  f.max_area = 1;
  refseg::SamProposalGenerator g(path, o, f);
  if (region_points > 0) g.set_prompts(refseg::SamPrompts::Regions);
  const refseg::ImageView view = scene_view();
  auto masks = g.propose(view);
  if (refine)
    for (auto &m : masks)
      if (auto r = g.refine(m)) m = std::move(*r);  // one by one: the element batches them
  return masks;
}

void expect_same(const std::vector<Proposal> &got, const std::vector<refseg::RegionMask> &want) {
  fail_unless_equals_int(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    fail_unless(got[i].box.x == want[i].box.x && got[i].box.y == want[i].box.y &&
                    got[i].box.width == want[i].box.width &&
                    got[i].box.height == want[i].box.height,
                "box %zu differs", i);
    // With refinement the element decodes its boxes in one batch, the
    // library one by one: alike to float rounding (decoded_alike.h).
    fail_unless(refseg::sam::fixture::masks_alike(got[i].mask, want[i].pixels),
                "mask %zu differs in %zu pixels", i,
                refseg::sam::fixture::pixels_differing(got[i].mask, want[i].pixels));
    fail_unless(refseg::sam::fixture::scores_alike(got[i].score, want[i].score),
                "score %zu: %f against %f", i, got[i].score, want[i].score);
  }
}

}  // namespace

GST_START_TEST(test_sam_checkpoints_load_and_give_masks) {
  for (const char *name : {"mobile_sam_small.pt", "sam_vit_small.pth"}) {
    const std::string path = fixture(name);
    const auto got = proposals_of(path, false);
    fail_unless(!got.empty(), "%s: no proposals", name);
    for (size_t i = 1; i < got.size(); ++i)
      fail_unless(got[i - 1].score >= got[i].score, "%s: scores increase at %zu", name, i);
    // Exactly the models library's automatic masks with the element's
    // defaults (box NMS 0.7 as iou-threshold was not set).
    expect_same(got, library_proposals(path, false));
  }
}
GST_END_TEST;

GST_START_TEST(test_sam_properties_defaults) {
  GstElement *e = gst_element_factory_make("refsegproposals", nullptr);
  guint side = 0, batch = 0;
  gdouble pred = 0, stability = 0;
  gboolean refine = FALSE;
  g_object_get(e, "points-per-side", &side, "points-per-batch", &batch, "pred-iou-threshold", &pred,
               "stability-threshold", &stability, "refine", &refine, nullptr);
  fail_unless_equals_int(side, 16);  // the CPU default (the reference: 32)
  fail_unless_equals_int(batch, 64);
  fail_unless_equals_float(pred, 0.88);
  fail_unless_equals_float(stability, 0.95);
  fail_unless(refine);
  gint prompts = -1, precision = -1, threads = -1;
  guint max_points = 1;
  g_object_get(e, "prompts", &prompts, "max-points", &max_points, "precision", &precision,
               "threads", &threads, nullptr);
  fail_unless_equals_int(prompts, static_cast<gint>(refseg::SamPrompts::Regions));
  fail_unless_equals_int(max_points, 0);
  fail_unless_equals_int(precision, static_cast<gint>(refseg::clip::Precision::kAuto));
  fail_unless_equals_int(threads, 0);
  gst_object_unref(e);
}
GST_END_TEST;

// prompts=regions: max-points points of the grouping generator's regions as
// the prompts, exactly as the library's SamProposalGenerator with that source.
GST_START_TEST(test_region_prompts) {
  const std::string path = fixture("mobile_sam_small.pt");
  const auto got = proposals_of(path, false, "prompts=regions max-points=5");
  fail_unless(!got.empty(), "no proposals from region prompts");
  expect_same(got, library_proposals(path, false, 5));
  // bf16 runs too (its masks are compared with fp32's by tools/bench_sam).
  fail_unless(!proposals_of(path, false, "precision=bf16 threads=1").empty());
}
GST_END_TEST;

GST_START_TEST(test_refine_decodes_each_proposal_with_its_box) {
  const std::string path = fixture("mobile_sam_small.pt");
  const auto plain = proposals_of(path, false);
  const auto refined = proposals_of(path, true);
  expect_same(refined, library_proposals(path, true));
  // Refinement changed something (its scores are the box prompt's predicted IoU).
  bool changed = plain.size() != refined.size();
  for (size_t i = 0; !changed && i < plain.size(); ++i)
    changed = plain[i].score != refined[i].score || plain[i].mask != refined[i].mask;
  fail_unless(changed, "refine=true gave the unrefined proposals");
}
GST_END_TEST;

// refine-model: the weightless generator's proposals refined by a SAM
// model, exactly as the models library refines them on that frame; a file
// that is not a SAM checkpoint fails the state change naming it.
GST_START_TEST(test_refine_model_refines_weightless_proposals) {
  const std::string path = fixture("mobile_sam_small.pt");
  const std::string grouping = "refsegproposals min-area=0 max-area=1 precision=fp32";
  GstHarness *h = gst_harness_new_parse(grouping.c_str());
  const auto plain = run_frame(h);
  gst_harness_teardown(h);
  fail_unless(!plain.empty(), "no weightless proposals");
  h = gst_harness_new_parse((grouping + " refine-model=\"" + path + "\"").c_str());
  const auto refined = run_frame(h);
  gst_harness_teardown(h);
  h = gst_harness_new_parse((grouping + " refine=false refine-model=\"" + path + "\"").c_str());
  const auto unrefined = run_frame(h);
  gst_harness_teardown(h);

  std::vector<refseg::RegionMask> masks;
  for (const Proposal &p : plain) {
    refseg::RegionMask m;
    m.box = {p.box.x, p.box.y, p.box.width, p.box.height};
    m.pixels = p.mask;
    m.score = p.score;
    masks.push_back(std::move(m));
  }
  expect_same(unrefined, masks);
  const refseg::ImageView view = scene_view();
  refseg::sam::SamModel model(path);
  expect_same(refined, refseg::refine_proposals_on(model, view, masks));
  bool changed = false;
  for (size_t i = 0; !changed && i < plain.size(); ++i)
    changed = plain[i].score != refined[i].score || plain[i].mask != refined[i].mask;
  fail_unless(changed, "refine-model gave the unrefined proposals");

  const std::string clip = std::string(g_getenv("REFSEG_SOURCE_DIR")) +
                           "/models/pretrained/refseg-tiny.pt";  // TorchScript, not SAM
  std::string msg = refseg_test::proposals_start_error(clip, "refine-model");
  fail_unless(msg.find("refseg-tiny.pt") != std::string::npos, "%s", msg.c_str());
  fail_unless(msg.find("Segment Anything checkpoint") != std::string::npos, "%s", msg.c_str());
  msg = refseg_test::proposals_start_error("/nonexistent/mobile_sam.pt", "refine-model");
  fail_unless(msg.find("/nonexistent/mobile_sam.pt") != std::string::npos, "%s", msg.c_str());
}
GST_END_TEST;

GST_START_TEST(test_names_resolve_in_models_directories) {
  const auto dir = temp_dir();
  std::filesystem::copy_file(fixture("mobile_sam_small.pt"), dir / "mobile_sam.pt",
                             std::filesystem::copy_options::overwrite_existing);
  g_setenv("REFSEG_MODELS_DIR", dir.c_str(), TRUE);
  fail_unless(refseg_test::proposals_start_error("MobileSAM").empty());
  const std::string msg = refseg_test::proposals_start_error("SAM-ViT-B");  // not installed there
  fail_unless(msg.find("sam_vit_b_01ec64.pth") != std::string::npos, "%s", msg.c_str());
  fail_unless(msg.find("gst-refseg-download SAM-ViT-B") != std::string::npos, "%s", msg.c_str());
  g_unsetenv("REFSEG_MODELS_DIR");
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

GST_START_TEST(test_truncated_and_other_files_fail_the_state_change) {
  const auto dir = temp_dir();
  const std::string good = fixture("mobile_sam_small.pt");
  std::ifstream in(good, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto truncated = dir / "truncated_sam.pt";
  std::ofstream(truncated, std::ios::binary).write(bytes.data(), bytes.size() / 2);
  std::string msg = refseg_test::proposals_start_error(truncated.string());
  fail_unless(msg.find(truncated.string()) != std::string::npos, "%s", msg.c_str());

  const auto text = dir / "notes.pth";
  std::ofstream(text) << "neither TorchScript nor a state dict";
  msg = refseg_test::proposals_start_error(text.string());
  fail_unless(msg.find(text.string()) != std::string::npos, "%s", msg.c_str());
  fail_unless(msg.find("not a zip archive") != std::string::npos, "%s", msg.c_str());
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

// refsegbin forwards proposal-model (as proposals-model), refine,
// refine-model and points-per-side to its refsegproposals.
GST_START_TEST(test_bin_forwards_sam_settings) {
  GstElement *bin = gst_element_factory_make("refsegbin", nullptr);
  fail_unless(bin != nullptr);
  const std::string path = fixture("mobile_sam_small.pt");
  g_object_set(bin, "proposal-model", path.c_str(), "refine", FALSE, "points-per-side", 8u,
               "refine-model", "MobileSAM", nullptr);
  GstElement *child = nullptr;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT(g_value_get_object(&item));
    if (g_str_has_prefix(GST_OBJECT_NAME(gst_element_get_factory(e)), "refsegproposals"))
      child = GST_ELEMENT(gst_object_ref(e));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  fail_unless(child != nullptr, "no refsegproposals in refsegbin");
  gchar *model = nullptr, *via_bin = nullptr;
  gboolean refine = TRUE;
  guint side = 0;
  g_object_get(child, "model", &model, "refine", &refine, "points-per-side", &side, nullptr);
  g_object_get(bin, "proposals-model", &via_bin, nullptr);
  fail_unless(model != nullptr && path == model, "child model '%s'", model);
  fail_unless(via_bin != nullptr && path == via_bin);
  fail_unless(!refine);
  fail_unless_equals_int(side, 8);
  gchar *refine_model = nullptr;
  g_object_get(child, "refine-model", &refine_model, nullptr);
  fail_unless(refine_model != nullptr && std::string(refine_model) == "MobileSAM");
  g_free(refine_model);
  g_free(model);
  g_free(via_bin);
  gst_object_unref(child);
  gst_object_unref(bin);
}
GST_END_TEST;

static Suite *refseg_sam_proposals_suite(void) {
  Suite *s = suite_create("refsegproposals-sam");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_sam_properties_defaults);
  tcase_add_test(tc, test_sam_checkpoints_load_and_give_masks);
  tcase_add_test(tc, test_region_prompts);
  tcase_add_test(tc, test_refine_decodes_each_proposal_with_its_box);
  tcase_add_test(tc, test_refine_model_refines_weightless_proposals);
  tcase_add_test(tc, test_names_resolve_in_models_directories);
  tcase_add_test(tc, test_truncated_and_other_files_fail_the_state_change);
  tcase_add_test(tc, test_bin_forwards_sam_settings);
  return s;
}

GST_CHECK_MAIN(refseg_sam_proposals);

// refsegencoder and refsegselector on a harness, with a small random-weight
// CLIP written by tools/make_test_clip through the real archive layout.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "busy_cores.h"
#include "gst/refseg/refsegmeta.h"

static std::string test_model() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  fail_unless(path != nullptr, "REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

static const int kWidth = 64, kHeight = 48;

// An RGB frame with a red square at the left and a blue one at the right,
// and proposals for both (plus the whole lower half) in its meta.
static GstBuffer *frame_with_proposals(guint n_proposals = 3) {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, kWidth * kHeight * 3, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (int y = 0; y < kHeight; y++)
    for (int x = 0; x < kWidth; x++) {
      guint8 *px = map.data + (y * kWidth + x) * 3;
      const bool left = x >= 4 && x < 20 && y >= 8 && y < 24;
      const bool right = x >= 40 && x < 56 && y >= 8 && y < 24;
      px[0] = left ? 230 : 40;
      px[1] = 40;
      px[2] = right ? 230 : 40;
    }
  gst_buffer_unmap(buf, &map);
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, kWidth, kHeight);
  const GstRefSegBox boxes[3] = {{4, 8, 16, 16}, {40, 8, 16, 16}, {0, 24, 64, 24}};
  const gfloat scores[3] = {3.f, 2.f, 1.f};
  std::vector<guint8> full(64 * 24, 255);
  const guint8 *masks[3] = {full.data(), full.data(), full.data()};
  fail_unless(gst_refseg_meta_set_proposals(meta, n_proposals, boxes, scores, masks));
  return buf;
}

static GstHarness *harness(const std::string &description) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  gst_harness_set_src_caps_str(h, "video/x-raw,format=RGB,width=64,height=48,framerate=10/1");
  return h;
}

// The first error a pipeline posts when set to PAUSED, or "" when it starts.
static std::string start_error(const std::string &description) {
  GstElement *pipeline = gst_parse_launch(description.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  const GstStateChangeReturn ret = gst_element_set_state(pipeline, GST_STATE_PAUSED);
  std::string text;
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(bus, GST_SECOND, GST_MESSAGE_ERROR);
  if (msg) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &error, &debug);
    text = std::string(error->message) + " | " + (debug ? debug : "");
    g_error_free(error);
    g_free(debug);
    gst_message_unref(msg);
    fail_unless(ret == GST_STATE_CHANGE_FAILURE, "an error was posted but the state change passed");
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return text;
}

GST_START_TEST(test_encoder_adds_features_for_every_proposal) {
  GstHarness *h = harness("refsegencoder model=" + test_model());
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  guint n = 0, dim = 0;
  const gfloat *global = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &n, &dim);
  const gfloat *local =
      gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, nullptr, nullptr);
  fail_unless(global && local);
  fail_unless_equals_int(n, 3);
  fail_unless_equals_int(dim, 32);
  // Different masks of different content give different features.
  fail_if(global[0] == global[dim] && global[1] == global[dim + 1]);
  fail_if(local[0] == local[dim] && local[1] == local[dim + 1]);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_encoder_passes_frames_without_proposals) {
  GstHarness *h = harness("refsegencoder model=" + test_model());
  // A frame with an empty proposal list: features of zero rows, no error.
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals(0));
  guint n = 1, dim = 0;
  fail_unless(gst_refseg_meta_get_features(gst_buffer_get_refseg_meta(out),
                                           GST_REFSEG_FEATURE_GLOBAL, &n, &dim) != nullptr);
  fail_unless_equals_int(n, 0);
  gst_buffer_unref(out);
  // A frame without any refseg meta passes untouched.
  out =
      gst_harness_push_and_pull(h, gst_buffer_new_allocate(nullptr, kWidth * kHeight * 3, nullptr));
  fail_unless(gst_buffer_get_refseg_meta(out) == nullptr);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_bad_models_fail_the_state_change_with_a_named_error) {
  const std::string src = "videotestsrc num-buffers=1 ! video/x-raw,format=RGB ! ";
  std::string error = start_error(src + "refsegencoder model=/nonexistent/clip.pt ! fakesink");
  fail_unless(error.find("/nonexistent/clip.pt") != std::string::npos, "%s", error.c_str());

  error = start_error(src + "refsegencoder model=no-such-model ! fakesink");
  fail_unless(error.find("no-such-model") != std::string::npos, "%s", error.c_str());
  fail_unless(error.find("not found") != std::string::npos, "%s", error.c_str());

  const std::string corrupt = std::string(g_get_tmp_dir()) + "/refseg-corrupt.pt";
  g_file_set_contents(corrupt.c_str(), "this is not a zip archive", -1, nullptr);
  std::string vocab = test_model();
  vocab = vocab.substr(0, vocab.size() - 3) + ".vocab.txt.gz";
  gchar *vocab_data = nullptr;
  gsize vocab_size = 0;
  fail_unless(g_file_get_contents(vocab.c_str(), &vocab_data, &vocab_size, nullptr));
  g_file_set_contents((std::string(g_get_tmp_dir()) + "/refseg-corrupt.vocab.txt.gz").c_str(),
                      vocab_data, vocab_size, nullptr);
  g_free(vocab_data);
  error = start_error(src + "refsegencoder model=" + corrupt + " ! fakesink");
  fail_unless(error.find("refseg-corrupt.pt") != std::string::npos, "%s", error.c_str());
  fail_unless(error.find("TorchScript") != std::string::npos, "%s", error.c_str());

  const char *not_clip = std::getenv("REFSEG_TEST_NOT_CLIP");
  fail_unless(not_clip != nullptr);
  error = start_error(src + "refsegselector model=" + not_clip + " ! fakesink");
  fail_unless(error.find("not a CLIP model") != std::string::npos, "%s", error.c_str());

  error = start_error(src + "refsegencoder device=cuda:7 model=" + test_model() + " ! fakesink");
  fail_unless(error.find("cuda:7") != std::string::npos, "%s", error.c_str());
}
GST_END_TEST;

// The selections of a frame, as (expression, index) pairs.
static std::vector<std::pair<std::string, int>> selections(GstBuffer *buf) {
  std::vector<std::pair<std::string, int>> out;
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  for (guint i = 0; meta && i < gst_refseg_meta_get_n_selections(meta); i++) {
    GstRefSegSelection sel;
    fail_unless(gst_refseg_meta_get_selection(meta, i, &sel));
    out.emplace_back(sel.expression, sel.index);
  }
  return out;
}

GST_START_TEST(test_selector_selects_the_best_scoring_proposal) {
  const std::string model = test_model();
  // threshold=-100: the best is selected whatever it scores (random weights).
  GstHarness *h = harness("refsegencoder model=" + model + " ! refsegselector model=" + model +
                          " threshold=-100 text=\"the red square\"");
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 1);
  GstRefSegSelection sel;
  fail_unless(gst_refseg_meta_get_selection(meta, 0, &sel));
  fail_unless_equals_string(sel.expression, "the red square");
  fail_unless_equals_int(sel.n_scores, 3);
  int best = 0;
  for (guint i = 1; i < sel.n_scores; i++)
    if (sel.scores[i] > sel.scores[best]) best = i;
  fail_unless_equals_int(sel.index, best);
  fail_unless_equals_float(sel.score, sel.scores[best]);
  fail_unless(sel.score >= -100.f && sel.score <= 100.f);
  // The chosen object is also a region of interest for generic consumers.
  GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta(out);
  fail_unless(roi != nullptr);
  GstRefSegProposal p;
  fail_unless(gst_refseg_meta_get_proposal(meta, sel.index, &p));
  fail_unless_equals_int(roi->x, p.box.x);
  fail_unless_equals_int(roi->w, p.box.width);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_selector_handles_every_expression_separately) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder model=" + model + " ! refsegselector name=s model=" + model +
              " threshold=-100 text=\"the red square\" expressions=\"<\\\"blue square\\\", "
              "\\\"the lower half\\\">\"");
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  const auto got = selections(out);
  fail_unless_equals_int(got.size(), 3);
  fail_unless_equals_string(got[0].first.c_str(), "the red square");
  fail_unless_equals_string(got[1].first.c_str(), "blue square");
  fail_unless_equals_string(got[2].first.c_str(), "the lower half");
  for (const auto &s : got) fail_unless(s.second >= 0 && s.second < 3);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_selector_odd_expressions) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder model=" + model + " ! refsegselector name=s model=" + model);
  GstElement *selector = gst_bin_get_by_name(GST_BIN(h->element), "s");
  struct Case {
    std::string text;
    bool selects;
  };
  const std::string invalid_utf8 = "the \xff\xfe red \xc3 square";
  const std::vector<Case> cases = {
      {"", false},
      {"   \t  ", false},
      {std::string(10240, 'a') + " red square", true},
      {"le carré rouge à gauche, 赤い四角 🟥", true},
      {invalid_utf8, true},
  };
  for (const Case &c : cases) {
    g_object_set(selector, "text", c.text.c_str(), nullptr);
    GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
    const auto got = selections(out);
    fail_unless_equals_int(got.size(), c.selects ? 1 : 0);
    if (c.selects) {
      fail_unless(g_utf8_validate(got[0].first.c_str(), -1, nullptr), "stored text is not UTF-8");
      fail_unless(got[0].second >= 0);
    }
    gst_buffer_unref(out);
  }
  gst_object_unref(selector);
  gst_harness_teardown(h);
}
GST_END_TEST;

// The bus holds messages that hold the element: detach it before the
// teardown, or the two keep each other alive.
static void teardown_with_bus(GstHarness *h, GstBus *bus) {
  gst_element_set_bus(h->element, nullptr);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

// The first expression's entry of the next refseg-selections element
// message on the harness's bus.
static GstStructure *next_selection_message(GstBus *bus) {
  for (;;) {
    GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
    if (!msg) return nullptr;
    const GstStructure *s = gst_message_get_structure(msg);
    const GValue *list = gst_structure_has_name(s, "refseg-selections")
                             ? gst_structure_get_value(s, "selections")
                             : nullptr;
    GstStructure *copy =
        list && gst_value_array_get_size(list) > 0
            ? gst_structure_copy(gst_value_get_structure(gst_value_array_get_value(list, 0)))
            : nullptr;
    gst_message_unref(msg);
    if (copy) return copy;
  }
}

GST_START_TEST(test_selector_says_when_there_is_nothing_to_choose_from) {
  const std::string model = test_model();
  GstHarness *h = harness("refsegencoder model=" + model + " ! refsegselector model=" + model +
                          " text=\"the red square\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals(0));
  const auto got = selections(out);
  fail_unless_equals_int(got.size(), 1);
  fail_unless_equals_int(got[0].second, -1);
  GstStructure *s = next_selection_message(bus);
  fail_unless(s != nullptr);
  fail_unless(g_str_has_prefix(gst_structure_get_string(s, "reason"), "no proposals"));
  gint index = 0;
  fail_unless(gst_structure_get_int(s, "index", &index) && index == -1);
  gst_structure_free(s);
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

GST_START_TEST(test_selector_without_encoder_explains) {
  const std::string model = test_model();
  GstHarness *h = harness("refsegselector model=" + model + " text=\"the red square\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  const auto got = selections(out);
  fail_unless_equals_int(got.size(), 1);
  fail_unless_equals_int(got[0].second, -1);
  GstStructure *s = next_selection_message(bus);
  fail_unless(s != nullptr);
  fail_unless(strstr(gst_structure_get_string(s, "reason"), "refsegencoder") != nullptr);
  gst_structure_free(s);
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

// Words of place pick by geometry: "the one on the right" is generic (any
// proposal may be it), so the random-weight model's scores cannot decide
// and the boxes must.
GST_START_TEST(test_selector_resolves_spatial_words_over_geometry) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder model=" + model + " ! refsegselector name=s model=" + model +
              " threshold=-100 text=\"the one on the right\" expressions=\"<\\\"the bottom "
              "one\\\", \\\"the leftmost one\\\">\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  const auto got = selections(out);
  fail_unless_equals_int(got.size(), 3);
  fail_unless_equals_int(got[0].second, 1);  // the right square
  fail_unless_equals_int(got[1].second, 2);  // the lower half
  fail_unless_equals_int(got[2].second, 0);  // the left square
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  GstRefSegSpatial spatial;
  fail_unless(gst_refseg_meta_get_selection_spatial(meta, 0, &spatial));
  fail_unless(spatial.resolved);
  fail_unless_equals_string(spatial.target, "");
  fail_unless(spatial.relation == nullptr);
  fail_unless(std::string(spatial.summary).find("right") != std::string::npos, spatial.summary);
  // The bus message says the same.
  GstStructure *msg = next_selection_message(bus);
  fail_unless(msg != nullptr);
  const gchar *summary = gst_structure_get_string(msg, "spatial");
  fail_unless(summary != nullptr);
  fail_unless_equals_string(summary, spatial.summary);
  gboolean resolved = FALSE;
  fail_unless(gst_structure_get_boolean(msg, "spatial-resolved", &resolved) && resolved);
  gst_structure_free(msg);
  gst_buffer_unref(out);

  // Switched off while playing: the paper's rule, the best score wins, and
  // nothing spatial is reported.
  GstElement *selector = gst_bin_get_by_name(GST_BIN(h->element), "s");
  g_object_set(selector, "spatial", FALSE, nullptr);
  gst_object_unref(selector);
  out = gst_harness_push_and_pull(h, frame_with_proposals());
  meta = gst_buffer_get_refseg_meta(out);
  GstRefSegSelection sel;
  fail_unless(gst_refseg_meta_get_selection(meta, 0, &sel));
  int best = 0;
  for (guint i = 1; i < sel.n_scores; i++)
    if (sel.scores[i] > sel.scores[best]) best = i;
  fail_unless_equals_int(sel.index, best);
  fail_unless(!gst_refseg_meta_get_selection_spatial(meta, 0, nullptr));
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

// Expressions without spatial words score exactly as with spatial off, and
// contradictory ones fall back to that scoring with a reason.
GST_START_TEST(test_selector_spatial_leaves_other_expressions_alone) {
  const std::string model = test_model();
  const std::string pipeline = "refsegencoder model=" + model +
                               " ! refsegselector name=s model=" + model +
                               " threshold=-100 text=\"the red square\" "
                               "expressions=\"<\\\"the leftmost one on the right\\\">\"";
  std::vector<std::vector<float>> scores[2];
  std::vector<int> index[2];
  for (int on = 0; on < 2; on++) {
    GstHarness *h = harness(pipeline + (on ? " spatial=true" : " spatial=false"));
    GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
    GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
    for (guint i = 0; i < 2; i++) {
      GstRefSegSelection sel;
      fail_unless(gst_refseg_meta_get_selection(meta, i, &sel));
      scores[on].emplace_back(sel.scores, sel.scores + sel.n_scores);
      index[on].push_back(sel.index);
    }
    fail_unless(!gst_refseg_meta_get_selection_spatial(meta, 0, nullptr));
    GstRefSegSpatial spatial;
    if (on) {
      fail_unless(gst_refseg_meta_get_selection_spatial(meta, 1, &spatial));
      fail_unless(!spatial.resolved);
      fail_unless(std::string(spatial.summary).find("contradictory") != std::string::npos,
                  spatial.summary);
    }
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
  for (int e = 0; e < 2; e++) {
    fail_unless(scores[0][e] == scores[1][e], "scores changed for expression %d", e);
    fail_unless_equals_int(index[0][e], index[1][e]);
  }
}
GST_END_TEST;

GST_START_TEST(test_text_changes_from_another_thread_while_frames_flow) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder model=" + model + " ! refsegselector name=s model=" + model);
  GstElement *selector = gst_bin_get_by_name(GST_BIN(h->element), "s");
  std::vector<std::string> texts;
  for (int i = 0; i < 8; i++) texts.push_back("expression number " + std::to_string(i));
  const std::set<std::string> allowed(texts.begin(), texts.end());
  std::atomic<bool> done{false};
  std::thread changer([&] {
    for (int i = 0; i < 1000; i++)
      g_object_set(selector, "text", texts[i % texts.size()].c_str(), nullptr);
    done = true;
  });
  int frames = 0;
  while (!done || frames < 20) {
    GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
    for (const auto &s : selections(out)) {
      fail_unless(allowed.count(s.first) == 1, "selection names an unknown text: %s",
                  s.first.c_str());
      fail_unless(s.second >= 0);
    }
    gst_buffer_unref(out);
    frames++;
  }
  changer.join();
  gst_object_unref(selector);
  gst_harness_teardown(h);
}
GST_END_TEST;

// How many warnings on `bus` name a fixed threads count (the encoder's
// note: scheduling/fixed_threads_watch.h); pops every message.
static int threads_warnings(GstBus *bus) {
  int found = 0;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
    GError *error = nullptr;
    gst_message_parse_warning(m, &error, nullptr);
    if (error && strstr(error->message, "threads=") && strstr(error->message, "busy")) found++;
    g_clear_error(&error);
    gst_message_unref(m);
  }
  return found;
}

// threads = every core while other processes keep every core busy: one
// warning on the bus, saying what to set, and only one.
GST_START_TEST(test_a_fixed_thread_count_on_busy_cores_posts_one_warning) {
  const int cores = refseg::test::machine_cores();
  if (cores < 2) return;  // one core: no count can exceed the idle ones
  GstHarness *h =
      harness("refsegencoder model=" + test_model() + " threads=" + std::to_string(cores));
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  int warnings = 0;
  {
    const refseg::test::BusyCores busy(cores);
    const gint64 until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (warnings == 0 && g_get_monotonic_time() < until) {
      gst_buffer_unref(gst_harness_push_and_pull(h, frame_with_proposals(1)));
      warnings += threads_warnings(bus);
    }
    fail_unless_equals_int(warnings, 1);
    const gint64 more = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < more) {
      gst_buffer_unref(gst_harness_push_and_pull(h, frame_with_proposals(1)));
      warnings += threads_warnings(bus);
    }
  }
  fail_unless_equals_int(warnings, 1);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

GST_START_TEST(test_non_finite_features_select_nothing_with_a_reason) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegselector model=" + model + " threshold=-100 text=\"the red square\"");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  GstBuffer *in = frame_with_proposals();
  // Features of the test model's width, all NaN (a corrupted model or a
  // broken element upstream).
  GstBuffer *probe = gst_harness_push_and_pull(h, frame_with_proposals(0));
  gst_buffer_unref(probe);
  const guint dim = 32;
  std::vector<gfloat> nan(3 * dim, std::numeric_limits<gfloat>::quiet_NaN());
  fail_unless(gst_refseg_meta_set_features(gst_buffer_get_refseg_meta(in), "broken", 3, dim,
                                           nan.data(), nan.data()));
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  const auto got = selections(out);
  fail_unless_equals_int(got.size(), 1);
  fail_unless_equals_int(got[0].second, -1);
  const gchar *reason = gst_refseg_meta_get_selection_reason(gst_buffer_get_refseg_meta(out), 0);
  fail_unless(reason && strstr(reason, "NaN"), "reason: %s", reason ? reason : "(none)");
  GstMessage *warning = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  fail_unless(warning != nullptr, "no warning for NaN features");
  gst_message_unref(warning);
  gst_buffer_unref(out);
  teardown_with_bus(h, bus);
}
GST_END_TEST;

GST_START_TEST(test_encoder_skips_a_meta_of_another_frame_size) {
  GstHarness *h = harness("refsegencoder model=" + test_model());
  GstBuffer *in = frame_with_proposals();
  // A meta for 640x480 on a 64x48 frame: its masks do not fit.
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(in, 640, 480);
  const GstRefSegBox box = {300, 200, 16, 16};
  const gfloat score = 1.f;
  std::vector<guint8> mask(16 * 16, 255);
  const guint8 *masks[1] = {mask.data()};
  fail_unless(gst_refseg_meta_set_proposals(meta, 1, &box, &score, masks));
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(gst_refseg_meta_get_features(gst_buffer_get_refseg_meta(out),
                                           GST_REFSEG_FEATURE_GLOBAL, nullptr, nullptr) == nullptr);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_model_changes_while_playing_are_refused) {
  const std::string model = test_model();
  GstHarness *h =
      harness("refsegencoder name=e model=" + model + " ! refsegselector name=s model=" + model);
  gst_buffer_unref(gst_harness_push_and_pull(h, frame_with_proposals()));
  for (const char *name : {"e", "s"}) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(h->element), name);
    g_object_set(e, "model", "other.pt", "threads", 3, nullptr);
    gchar *now = nullptr;
    gint threads = -1;
    g_object_get(e, "model", &now, "threads", &threads, nullptr);
    fail_unless_equals_string(now, model.c_str());
    fail_unless_equals_int(threads, 0);
    g_free(now);
    gst_object_unref(e);
  }
  // Still the loaded model: frames keep flowing.
  gst_buffer_unref(gst_harness_push_and_pull(h, frame_with_proposals()));
  gst_harness_teardown(h);
}
GST_END_TEST;

// The global features of frame_with_proposals() from an encoder in
// `precision` (fp32, bf16, int8).
static std::vector<float> global_features(const char *precision) {
  GstHarness *h =
      harness(std::string("refsegencoder precision=") + precision + " model=" + test_model());
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  guint n = 0, dim = 0;
  const gfloat *global = gst_refseg_meta_get_features(gst_buffer_get_refseg_meta(out),
                                                      GST_REFSEG_FEATURE_GLOBAL, &n, &dim);
  fail_unless(global != nullptr);
  std::vector<float> features(global, global + n * dim);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  return features;
}

GST_START_TEST(test_low_precisions_stay_close_to_fp32) {
  const std::vector<float> fp32 = global_features("fp32");
  for (const char *precision : {"bf16", "int8"}) {
    const std::vector<float> low = global_features(precision);
    fail_unless_equals_int(low.size(), fp32.size());
    double dot = 0, a = 0, b = 0;
    for (size_t i = 0; i < low.size(); ++i) {
      dot += double(low[i]) * fp32[i];
      a += double(low[i]) * low[i];
      b += double(fp32[i]) * fp32[i];
    }
    const double cosine = dot / std::sqrt(a * b);
    // int8's kernels depend on the CPU: with AVX-512 VNNI this model gives
    // about 0.9999, on AVX2 (valgrind exposes no AVX-512) 0.99813.
    const double tolerance = std::string(precision) == "int8" ? 0.997 : 0.999;
    fail_unless(cosine > tolerance, "%s: cosine to fp32 %f", precision, cosine);
    fail_if(low == fp32, "%s features equal fp32's: the precision was not applied", precision);
  }
}
GST_END_TEST;

GST_START_TEST(test_a_precision_the_device_cannot_run_is_a_named_error) {
  const std::string src =
      "videotestsrc num-buffers=1 ! video/x-raw,format=RGB,width=64,height=48 ! ";
  const std::string error =
      start_error(src + "refsegencoder precision=fp16 model=" + test_model() + " ! fakesink");
  fail_unless(error.find("fp16 needs a CUDA device") != std::string::npos, "%s", error.c_str());

  // refsegbin forwards the property to the encoder and the selector.
  GstElement *bin = gst_element_factory_make("refsegbin", nullptr);
  fail_unless(bin != nullptr);
  gst_util_set_object_arg(G_OBJECT(bin), "precision", "int8");
  gint value = -1;
  g_object_get(bin, "precision", &value, nullptr);
  GEnumValue *nick =
      g_enum_get_value(G_ENUM_CLASS(g_type_class_peek(G_PARAM_SPEC_VALUE_TYPE(
                           g_object_class_find_property(G_OBJECT_GET_CLASS(bin), "precision")))),
                       value);
  fail_unless(nick && std::string(nick->value_nick) == "int8");
  gst_object_unref(bin);
}
GST_END_TEST;

// Both feature planes of frame_with_proposals() from an encoder with
// `properties` (global rows, then local rows).
static std::vector<float> encoder_features(const std::string &properties) {
  GstHarness *h = harness("refsegencoder " + properties + " model=" + test_model());
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  guint n = 0, dim = 0;
  const gfloat *global = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &n, &dim);
  const gfloat *local =
      gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, nullptr, nullptr);
  fail_unless(global != nullptr && local != nullptr);
  std::vector<float> features(global, global + n * dim);
  features.insert(features.end(), local, local + n * dim);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  return features;
}

// The nick of an enum property's value.
static std::string enum_nick(GObject *object, const char *property) {
  gint value = -1;
  g_object_get(object, property, &value, nullptr);
  GEnumValue *nick =
      g_enum_get_value(G_ENUM_CLASS(g_type_class_peek(G_PARAM_SPEC_VALUE_TYPE(
                           g_object_class_find_property(G_OBJECT_GET_CLASS(object), property)))),
                       value);
  return nick ? nick->value_nick : "";
}

GST_START_TEST(test_preprocess_reference_is_its_own_input_chain) {
  const std::vector<float> by_default = encoder_features("");
  fail_unless(encoder_features("preprocess=clip") == by_default, "clip is the default");
  const std::vector<float> reference = encoder_features("preprocess=reference");
  fail_unless_equals_int(reference.size(), by_default.size());
  fail_if(reference == by_default, "preprocess=reference changed nothing");

  // refsegbin forwards it to the encoder and the selector.
  GstElement *bin = gst_element_factory_make("refsegbin", nullptr);
  fail_unless(bin != nullptr);
  fail_unless(enum_nick(G_OBJECT(bin), "preprocess") == "clip");
  gst_util_set_object_arg(G_OBJECT(bin), "preprocess", "reference");
  fail_unless(enum_nick(G_OBJECT(bin), "preprocess") == "reference");
  int children_set = 0;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement *child = GST_ELEMENT(g_value_get_object(&item));
    // By type: refsegbin makes its children with g_object_new, so their
    // class has a factory only once one was made by name in this process
    // (and under CK_FORK=no that depends on which tests ran before).
    const std::string type = G_OBJECT_TYPE_NAME(child);
    if (type == "GstRefSegEncoder" || type == "GstRefSegSelector") {
      fail_unless(enum_nick(G_OBJECT(child), "preprocess") == "reference", "%s", type.c_str());
      ++children_set;
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  fail_unless_equals_int(children_set, 2);
  gst_object_unref(bin);

  // An unknown name is refused, naming it.
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch("refsegencoder preprocess=imagenet ! fakesink", &error);
  fail_unless(error != nullptr, "preprocess=imagenet was accepted");
  fail_unless(std::string(error->message).find("imagenet") != std::string::npos, "%s",
              error->message);
  g_error_free(error);
  if (pipeline) gst_object_unref(pipeline);
}
GST_END_TEST;

// The expression and scores of the first selection made by a selector with
// `properties` after a plain encoder.
static std::pair<std::string, std::vector<float>> first_selection(const std::string &properties) {
  const std::string model = test_model();
  GstHarness *h = harness("refsegencoder model=" + model + " ! refsegselector model=" + model +
                          " threshold=-100 " + properties);
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_proposals());
  GstRefSegSelection sel;
  fail_unless(gst_refseg_meta_get_selection(gst_buffer_get_refseg_meta(out), 0, &sel));
  std::pair<std::string, std::vector<float>> got(sel.expression,
                                                 {sel.scores, sel.scores + sel.n_scores});
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  return got;
}

GST_START_TEST(test_selector_preprocess_reference_rejoins_the_expression) {
  // sentence-weight=1: the sentence feature alone, so that when the phrase
  // is resolved does not matter.
  const auto reference =
      first_selection("sentence-weight=1 preprocess=reference text=\"Don't take the RED square\"");
  const auto rejoined = first_selection("sentence-weight=1 text=\"do n't take the red square\"");
  const auto as_typed = first_selection("sentence-weight=1 text=\"Don't take the RED square\"");
  fail_unless(reference.first == "Don't take the RED square", "%s", reference.first.c_str());
  fail_unless(reference.second == rejoined.second,
              "reference should score the lower-cased, re-joined sentence");
  fail_if(reference.second == as_typed.second, "clip should score the sentence as typed");
}
GST_END_TEST;

// The local rows of a buffer's features that differ from its global rows
// (proposals that had a crop pass), with their values.
static std::vector<std::vector<float>> cropped_local_rows(GstBuffer *buffer,
                                                          std::vector<guint> *which) {
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  guint n = 0, dim = 0;
  const gfloat *global = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &n, &dim);
  const gfloat *local =
      gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, nullptr, nullptr);
  fail_unless(global && local);
  std::vector<std::vector<float>> rows;
  for (guint i = 0; i < n; ++i)
    if (!std::equal(global + i * dim, global + (i + 1) * dim, local + i * dim)) {
      rows.emplace_back(local + i * dim, local + (i + 1) * dim);
      which->push_back(i);
    }
  return rows;
}

GST_START_TEST(test_local_crops_follow_the_selectors_expression) {
  GstHarness *h = harness("refsegencoder local-crops=1 model=" + test_model() +
                          " ! refsegselector text=\"the red square\" model=" + test_model());
  // The first frame: the encoder has no text features yet, every proposal
  // is cropped (the paper's method); the selector then sends its own.
  GstBuffer *first = gst_harness_push_and_pull(h, frame_with_proposals());
  std::vector<guint> all, one;
  const auto all_rows = cropped_local_rows(first, &all);
  fail_unless_equals_int(all.size(), 3);
  // The next frame: one crop pass, for the expression's best proposal by
  // global score, equal to the full computation's local feature.
  GstBuffer *second = gst_harness_push_and_pull(h, frame_with_proposals());
  const auto one_rows = cropped_local_rows(second, &one);
  fail_unless_equals_int(one.size(), 1);
  for (size_t d = 0; d < one_rows[0].size(); ++d)
    fail_unless(std::fabs(one_rows[0][d] - all_rows[one[0]][d]) < 1e-4, "dimension %zu", d);
  gst_buffer_unref(first);
  gst_buffer_unref(second);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *encoder_selector_suite() {
  Suite *s = suite_create("refsegencoder-selector");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_encoder_adds_features_for_every_proposal);
  tcase_add_test(tc, test_encoder_passes_frames_without_proposals);
  tcase_add_test(tc, test_bad_models_fail_the_state_change_with_a_named_error);
  tcase_add_test(tc, test_selector_selects_the_best_scoring_proposal);
  tcase_add_test(tc, test_selector_handles_every_expression_separately);
  tcase_add_test(tc, test_selector_odd_expressions);
  tcase_add_test(tc, test_selector_says_when_there_is_nothing_to_choose_from);
  tcase_add_test(tc, test_selector_without_encoder_explains);
  tcase_add_test(tc, test_text_changes_from_another_thread_while_frames_flow);
  tcase_add_test(tc, test_non_finite_features_select_nothing_with_a_reason);
  tcase_add_test(tc, test_selector_resolves_spatial_words_over_geometry);
  tcase_add_test(tc, test_selector_spatial_leaves_other_expressions_alone);
  tcase_add_test(tc, test_encoder_skips_a_meta_of_another_frame_size);
  tcase_add_test(tc, test_model_changes_while_playing_are_refused);
  tcase_add_test(tc, test_low_precisions_stay_close_to_fp32);
  tcase_add_test(tc, test_local_crops_follow_the_selectors_expression);
  tcase_add_test(tc, test_a_precision_the_device_cannot_run_is_a_named_error);
  tcase_add_test(tc, test_preprocess_reference_is_its_own_input_chain);
  tcase_add_test(tc, test_selector_preprocess_reference_rejoins_the_expression);
  tcase_add_test(tc, test_a_fixed_thread_count_on_busy_cores_posts_one_warning);
  return s;
}

GST_CHECK_MAIN(encoder_selector);

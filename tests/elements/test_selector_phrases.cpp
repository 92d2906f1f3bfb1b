// refsegselector's target noun phrases come from a worker thread: a text
// that keeps the parser busy for seconds, set while playing, must not stop
// the frames, and its selection must arrive. No assertion here is about
// time; loops that wait for an answer have a generous bound and fail when
// it runs out.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gst/refseg/refsegmeta.h"
#include "world_harness.h"

// Six runs of 16 dots and "the zebra" (issue 13: ~35 s on the streaming
// thread when the selector parsed it there).
static std::string dots_text() {
  std::string text;
  for (int i = 0; i < 6; ++i) text += "................ ";
  return text + "the zebra";
}

static std::string test_model() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  fail_unless(path != nullptr, "REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

static std::string tiny_model() {
  return std::string(std::getenv("REFSEG_SOURCE_DIR")) + "/models/pretrained/refseg-tiny.pt";
}

static const int kWidth = 64, kHeight = 48;

// A 64x48 RGB frame with three proposals in its meta.
static GstBuffer *frame_with_proposals() {
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, kWidth * kHeight * 3, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++) map.data[i] = static_cast<guint8>((i * 37) % 251);
  gst_buffer_unmap(buf, &map);
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, kWidth, kHeight);
  const GstRefSegBox boxes[3] = {{4, 8, 16, 16}, {40, 8, 16, 16}, {0, 24, 64, 24}};
  const gfloat scores[3] = {3.f, 2.f, 1.f};
  std::vector<guint8> full(64 * 24, 255);
  const guint8 *masks[3] = {full.data(), full.data(), full.data()};
  fail_unless(gst_refseg_meta_set_proposals(meta, 3, boxes, scores, masks));
  return buf;
}

struct Selection {
  std::string expression, phrase;
  int index = -2;
};

static std::vector<Selection> selections(GstBuffer *buf) {
  std::vector<Selection> out;
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  for (guint i = 0; meta && i < gst_refseg_meta_get_n_selections(meta); i++) {
    GstRefSegSelection sel;
    fail_unless(gst_refseg_meta_get_selection(meta, i, &sel));
    out.push_back({sel.expression, sel.phrase ? sel.phrase : "", sel.index});
  }
  return out;
}

GST_START_TEST(test_slow_text_set_while_playing_keeps_frames_flowing) {
  const std::string model = test_model();
  GstHarness *h = gst_harness_new_parse(("refsegencoder model=" + model +
                                         " ! refsegselector name=s threshold=-100 model=" + model +
                                         " text=\"the red square\"")
                                            .c_str());
  gst_harness_set_src_caps_str(h, "video/x-raw,format=RGB,width=64,height=48,framerate=10/1");
  GstElement *selector = gst_bin_get_by_name(GST_BIN(h->element), "s");
  gst_buffer_unref(refseg_test::push_and_pull(h, frame_with_proposals()));

  // The dots text while playing: every frame comes out with its selection.
  const std::string dots = dots_text();
  g_object_set(selector, "text", dots.c_str(), nullptr);
  for (int i = 0; i < 10; i++) {
    GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals());
    const auto got = selections(out);
    fail_unless_equals_int(got.size(), 1);
    fail_unless_equals_string(got[0].expression.c_str(), dots.c_str());
    fail_unless(got[0].index >= 0 && got[0].index < 3);
    fail_unless(!got[0].phrase.empty());
    gst_buffer_unref(out);
  }

  // Its phrase arrives while frames flow: with a post-modifier, the resolved
  // phrase is shorter than the whole expression (which is what the frames
  // use until then).
  const std::string text = dots + " on the left";
  g_object_set(selector, "text", text.c_str(), nullptr);
  std::string phrase = text;
  for (int frames = 0; phrase == text; frames++) {
    fail_unless(frames < 3000, "no phrase for the text after %d frames", frames);
    GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals());
    const auto got = selections(out);
    fail_unless_equals_int(got.size(), 1);
    fail_unless_equals_string(got[0].expression.c_str(), text.c_str());
    fail_unless(got[0].index >= 0);
    phrase = got[0].phrase;
    gst_buffer_unref(out);
    if (phrase == text) g_usleep(10 * 1000);
  }
  fail_unless(g_str_has_suffix(phrase.c_str(), "the zebra"), "phrase: %s", phrase.c_str());

  // An ordinary text after it gets its parsed phrase.
  g_object_set(selector, "text", "man in the red shirt on the left", nullptr);
  phrase.clear();
  for (int frames = 0; phrase != "man"; frames++) {
    fail_unless(frames < 3000, "no phrase after %d frames (last: %s)", frames, phrase.c_str());
    GstBuffer *out = refseg_test::push_and_pull(h, frame_with_proposals());
    const auto got = selections(out);
    fail_unless_equals_int(got.size(), 1);
    phrase = got[0].phrase;
    gst_buffer_unref(out);
    if (phrase != "man") g_usleep(10 * 1000);
  }
  gst_object_unref(selector);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_slow_text_through_refsegbin_while_playing) {
  // The whole chain on the world, every frame analysed (the harness counts
  // as live: the mode is explicit).
  GstHarness *h =
      gst_harness_new_parse(("refsegbin name=bin mode=every-frame threads=1 model=" + tiny_model() +
                             " text=\"the red circle\"")
                                .c_str());
  refseg_test::add_world_source(h, 4, 160, 120, 2 + 8 + 4);
  GstElement *bin = gst_bin_get_by_name(GST_BIN(h->element), "bin");
  for (int i = 0; i < 2; i++) {
    fail_unless_equals_int(gst_harness_push_from_src(h), GST_FLOW_OK);
    GstBuffer *out = refseg_test::pull(h);
    gst_buffer_unref(out);
  }
  const std::string dots = dots_text();
  g_object_set(bin, "text", dots.c_str(), nullptr);
  int with_dots = 0;
  for (int i = 0; i < 8; i++) {
    fail_unless_equals_int(gst_harness_push_from_src(h), GST_FLOW_OK);
    GstBuffer *out = refseg_test::pull(h);
    for (const Selection &s : selections(out)) with_dots += s.expression == dots;
    gst_buffer_unref(out);
  }
  fail_unless(with_dots > 0, "no selection for the dots text in 8 analysed frames");
  // And back to an ordinary text.
  g_object_set(bin, "text", "the red circle", nullptr);
  int with_circle = 0;
  for (int i = 0; i < 4; i++) {
    fail_unless_equals_int(gst_harness_push_from_src(h), GST_FLOW_OK);
    GstBuffer *out = refseg_test::pull(h);
    for (const Selection &s : selections(out)) with_circle += s.expression == "the red circle";
    gst_buffer_unref(out);
  }
  fail_unless(with_circle > 0);
  gst_object_unref(bin);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *selector_phrases_suite() {
  Suite *s = suite_create("refsegselector-phrases");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 240);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_slow_text_set_while_playing_keeps_frames_flowing);
  tcase_add_test(tc, test_slow_text_through_refsegbin_while_playing);
  return s;
}

GST_CHECK_MAIN(selector_phrases)

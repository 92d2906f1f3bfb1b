// The whole chain on a harness: refsegworldsrc -> refsegbin (proposals,
// encoder, selector) -> refsegoverlay, with the build's test CLIP.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <cstdlib>
#include <string>

#include "gst/refseg/refsegmeta.h"
#include "world_harness.h"

static const int kFrames = 4;

// `frames` frames of world 11 at 160x120 into the element(s) described.
static GstHarness *world_harness(const std::string &description, int frames) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  refseg_test::add_world_source(h, 11, 160, 120, frames);
  return h;
}

GST_START_TEST(test_every_frame_gets_a_selection_and_a_drawing) {
  const std::string model = std::getenv("REFSEG_TEST_CLIP");
  // A harness counts as a live source: every-frame makes each frame wait
  // for its own analysis, as a file would.
  GstHarness *drawn =
      world_harness("refsegbin model=" + model +
                        " mode=every-frame threshold=-100 text=\"the red circle\" ! "
                        "refsegoverlay mode=selections",
                    kFrames);
  GstHarness *plain = world_harness("identity", kFrames);
  for (int i = 0; i < kFrames; i++) {
    fail_unless_equals_int(gst_harness_push_from_src(drawn), GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_push_from_src(plain), GST_FLOW_OK);
    GstBuffer *out = refseg_test::pull(drawn);
    GstBuffer *in = refseg_test::pull(plain);
    GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
    fail_unless(meta != nullptr, "frame %d has no refseg meta", i);
    fail_unless(gst_refseg_meta_get_n_proposals(meta) > 0, "frame %d has no proposals", i);
    fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 1);
    GstRefSegSelection sel;
    fail_unless(gst_refseg_meta_get_selection(meta, 0, &sel));
    fail_unless_equals_string(sel.expression, "the red circle");
    fail_unless(sel.index >= 0);
    // The overlay changed the selected object's pixels, and only its box
    // and label (the frame is not repainted).
    GstMapInfo a, b;
    gst_buffer_map(out, &a, GST_MAP_READ);
    gst_buffer_map(in, &b, GST_MAP_READ);
    fail_unless_equals_int(a.size, b.size);
    gsize changed = 0;
    for (gsize k = 0; k < a.size; k++) changed += a.data[k] != b.data[k];
    fail_unless(changed > 0, "frame %d: nothing drawn", i);
    fail_unless(changed < a.size / 2, "frame %d: %zu of %zu bytes changed", i, changed, a.size);
    gst_buffer_unmap(out, &a);
    gst_buffer_unmap(in, &b);
    gst_buffer_unref(out);
    gst_buffer_unref(in);
  }
  gst_harness_teardown(drawn);
  gst_harness_teardown(plain);
}
GST_END_TEST;

static Suite *pipeline_suite() {
  Suite *s = suite_create("refseg-pipeline");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 240);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_frame_gets_a_selection_and_a_drawing);
  return s;
}

GST_CHECK_MAIN(pipeline);

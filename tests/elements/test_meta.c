/* The results metadata: what an application reading frames relies on. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"

static GstBuffer *frame_with_two_proposals(gint width, gint height) {
  GstBuffer *buf = gst_buffer_new_allocate(NULL, (gsize)width * height * 3, NULL);
  gst_buffer_add_video_meta(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_RGB, width, height);
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, width, height);
  const GstRefSegBox boxes[2] = {{1, 2, 3, 2}, {0, 0, 2, 2}};
  const gfloat scores[2] = {0.9f, 0.5f};
  const guint8 mask0[6] = {255, 0, 255, 0, 255, 0};
  const guint8 mask1[4] = {255, 255, 255, 0};
  const guint8 *masks[2] = {mask0, mask1};
  fail_unless(gst_refseg_meta_set_proposals(meta, 2, boxes, scores, masks));
  return buf;
}

GST_START_TEST(test_proposals_round_trip) {
  GstBuffer *buf = frame_with_two_proposals(8, 6);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  fail_unless(meta != NULL);
  fail_unless_equals_int(gst_refseg_meta_get_width(meta), 8);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 2);
  GstRefSegProposal p;
  fail_unless(gst_refseg_meta_get_proposal(meta, 1, &p));
  fail_unless_equals_int(p.box.width, 2);
  fail_unless_equals_float(p.score, 0.5f);
  fail_unless_equals_int(p.mask[3], 0);
  fail_unless_equals_int(p.mask[2], 255);
  fail_unless(gst_refseg_meta_get_proposal(meta, 0, &p));
  fail_unless_equals_int(p.box.x, 1);
  fail_unless_equals_int(p.mask[1], 0);
  fail_if(gst_refseg_meta_get_proposal(meta, 2, &p));
  gst_buffer_unref(buf);
}
GST_END_TEST;

GST_START_TEST(test_invalid_input_changes_nothing) {
  GstBuffer *buf = frame_with_two_proposals(8, 6);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  const GstRefSegBox outside = {6, 0, 3, 1}; /* reaches x = 9 in an 8-wide frame */
  const gfloat score = 1.f;
  const guint8 mask[3] = {255, 255, 255};
  const guint8 *masks[1] = {mask};
  fail_if(gst_refseg_meta_set_proposals(meta, 1, &outside, &score, masks));
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 2);
  const gfloat feats[2] = {1.f, 2.f};
  fail_if(gst_refseg_meta_set_features(meta, "m", 1, 2, feats, feats)); /* 1 row for 2 proposals */
  fail_if(gst_refseg_meta_add_selection(meta, "x", "x", 2, 0.f, 2, feats)); /* index out of range */
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 0);
  gst_buffer_unref(buf);
}
GST_END_TEST;

/* The structure is public, so anything may have written it: fields that
 * disagree read as no proposals and no features, never as data a reader
 * would run past (fuzz/fuzz_meta.cpp explores the rest). */
GST_START_TEST(test_inconsistent_fields_read_as_nothing) {
  GstBuffer *buf = frame_with_two_proposals(8, 6);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  GstStructure *s = gst_custom_meta_get_structure(meta);
  GstRefSegProposal p;
  /* A count that the boxes do not hold. */
  gst_structure_set(s, "n-proposals", G_TYPE_UINT, 0xffffffffu, NULL);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 0);
  fail_if(gst_refseg_meta_get_proposal(meta, 0, &p));
  gst_structure_set(s, "n-proposals", G_TYPE_UINT, 2u, NULL);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 2);
  /* A box that leaves the frame, or is empty. */
  const gint32 outside[8] = {7, 2, 3, 2, 0, 0, 2, 2};
  GBytes *b = g_bytes_new(outside, sizeof outside);
  gst_structure_set(s, "boxes", G_TYPE_BYTES, b, NULL);
  g_bytes_unref(b);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 0);
  const gint32 negative[8] = {1, 2, -3, -2, 0, 0, 2, 2};
  b = g_bytes_new(negative, sizeof negative);
  gst_structure_set(s, "boxes", G_TYPE_BYTES, b, NULL);
  g_bytes_unref(b);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 0);
  /* Masks shorter than the boxes' area. */
  const gint32 fine[8] = {1, 2, 3, 2, 0, 0, 2, 2};
  b = g_bytes_new(fine, sizeof fine);
  gst_structure_set(s, "boxes", G_TYPE_BYTES, b, NULL);
  g_bytes_unref(b);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 2);
  const guint8 short_masks[9] = {0};
  b = g_bytes_new(short_masks, sizeof short_masks);
  gst_structure_set(s, "masks", G_TYPE_BYTES, b, NULL);
  g_bytes_unref(b);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 0);
  /* A boxes field of another type. */
  gst_structure_set(s, "boxes", G_TYPE_STRING, "boxes", NULL);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 0);
  gst_buffer_unref(buf);

  /* A feature dimension whose byte size wraps around: 2^31 x 2^31 floats
   * is 2^64 bytes, 0 modulo 2^64, which an empty field would match. */
  buf = gst_buffer_new();
  meta = gst_buffer_add_refseg_meta(buf, 8, 6);
  s = gst_custom_meta_get_structure(meta);
  gst_structure_set(s, "feature-dim", G_TYPE_UINT, 0x80000000u, NULL);
  b = g_bytes_new(NULL, 0);
  gst_structure_set(s, "global-features", G_TYPE_BYTES, b, NULL);
  g_bytes_unref(b);
  guint rows = 1, dim = 1;
  const gfloat *f = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &rows, &dim);
  /* No proposals: zero rows, whatever the dimension. */
  fail_unless(f == NULL || rows == 0);
  gst_buffer_unref(buf);
}
GST_END_TEST;

GST_START_TEST(test_features_and_selections) {
  GstBuffer *buf = frame_with_two_proposals(8, 6);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buf);
  const gfloat global[6] = {1, 2, 3, 4, 5, 6}, local[6] = {6, 5, 4, 3, 2, 1};
  fail_unless(gst_refseg_meta_set_features(meta, "tiny", 2, 3, global, local));
  guint n = 0, dim = 0;
  const gfloat *g = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &n, &dim);
  const gfloat *l = gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, NULL, NULL);
  fail_unless(n == 2 && dim == 3);
  fail_unless_equals_float(g[4], 5.f);
  fail_unless_equals_float(l[4], 2.f);
  fail_unless_equals_string(gst_refseg_meta_get_feature_model(meta), "tiny");

  const gfloat scores[2] = {20.f, 30.f};
  fail_unless(gst_refseg_meta_add_selection(meta, "the dog", "dog", 1, 30.f, 2, scores));
  fail_unless(gst_refseg_meta_add_selection(meta, "a cat", "cat", -1, 0.f, 2, scores));
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 2);
  GstRefSegSelection sel;
  fail_unless(gst_refseg_meta_get_selection(meta, 0, &sel));
  fail_unless_equals_string(sel.expression, "the dog");
  fail_unless_equals_string(sel.phrase, "dog");
  fail_unless_equals_int(sel.index, 1);
  fail_unless_equals_int(sel.n_scores, 2);
  fail_unless_equals_float(sel.scores[1], 30.f);
  fail_unless(gst_refseg_meta_get_selection(meta, 1, &sel));
  fail_unless_equals_int(sel.index, -1);

  /* New features invalidate selections; new proposals invalidate both. */
  fail_unless(gst_refseg_meta_set_features(meta, "tiny", 2, 3, global, local));
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 0);
  const GstRefSegBox box = {0, 0, 1, 1};
  const gfloat score = 1.f;
  const guint8 px = 255, *masks[1] = {&px};
  fail_unless(gst_refseg_meta_set_proposals(meta, 1, &box, &score, masks));
  fail_unless(gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_GLOBAL, &n, &dim) == NULL);
  gst_buffer_unref(buf);
}
GST_END_TEST;

GST_START_TEST(test_zero_proposals_have_empty_features) {
  GstBuffer *buf = gst_buffer_new_allocate(NULL, 12, NULL);
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buf, 2, 2);
  fail_unless(gst_refseg_meta_set_proposals(meta, 0, NULL, NULL, NULL));
  fail_unless(gst_refseg_meta_set_features(meta, "m", 0, 512, NULL, NULL));
  guint n = 1, dim = 0;
  fail_unless(gst_refseg_meta_get_features(meta, GST_REFSEG_FEATURE_LOCAL, &n, &dim) != NULL);
  fail_unless(n == 0 && dim == 512);
  fail_unless(gst_refseg_meta_add_selection(meta, "x", "x", -1, 0.f, 0, NULL));
  gst_buffer_unref(buf);
}
GST_END_TEST;

GST_START_TEST(test_buffer_copy_keeps_meta) {
  GstBuffer *buf = frame_with_two_proposals(8, 6);
  const gfloat scores[2] = {1.f, 2.f};
  fail_unless(
      gst_refseg_meta_add_selection(gst_buffer_get_refseg_meta(buf), "e", "p", 0, 1.f, 2, scores));
  GstBuffer *copy = gst_buffer_copy(buf);
  gst_buffer_unref(buf);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(copy);
  fail_unless(meta != NULL);
  fail_unless_equals_int(gst_refseg_meta_get_n_proposals(meta), 2);
  GstRefSegProposal p;
  fail_unless(gst_refseg_meta_get_proposal(meta, 1, &p));
  fail_unless_equals_int(p.mask[0], 255);
  fail_unless_equals_int(gst_refseg_meta_get_n_selections(meta), 1);
  gst_buffer_unref(copy);
}
GST_END_TEST;

/* Pushes an 8x6 RGB frame with proposals through `pipeline` and returns
 * whether the output frame still carries them. */
static gboolean meta_survives(const gchar *pipeline, const gchar *out_caps) {
  GstHarness *h = gst_harness_new_parse(pipeline);
  gst_harness_set_src_caps_str(h, "video/x-raw,format=RGB,width=8,height=6,framerate=30/1");
  gst_harness_set_sink_caps_str(h, out_caps);
  GstBuffer *out = gst_harness_push_and_pull(h, frame_with_two_proposals(8, 6));
  fail_unless(out != NULL);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  const gboolean kept = meta != NULL && gst_refseg_meta_get_n_proposals(meta) == 2;
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  return kept;
}

GST_START_TEST(test_geometry_keeping_transforms) {
  /* Colour conversion keeps every pixel where it was. */
  fail_unless(meta_survives("videoconvert", "video/x-raw,format=BGRx,width=8,height=6"));
  /* Scaling moves pixels: the masks would lie, so the meta is dropped. */
  fail_if(meta_survives("videoscale", "video/x-raw,format=RGB,width=16,height=12"));
}
GST_END_TEST;

static Suite *refseg_meta_suite(void) {
  Suite *s = suite_create("refsegmeta");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_proposals_round_trip);
  tcase_add_test(tc, test_invalid_input_changes_nothing);
  tcase_add_test(tc, test_inconsistent_fields_read_as_nothing);
  tcase_add_test(tc, test_features_and_selections);
  tcase_add_test(tc, test_zero_proposals_have_empty_features);
  tcase_add_test(tc, test_buffer_copy_keeps_meta);
  tcase_add_test(tc, test_geometry_keeping_transforms);
  return s;
}

GST_CHECK_MAIN(refseg_meta);

// refsegtracker across a new stream (a camera's source rebuilt after an
// outage sends a new STREAM_START down both branches): an analysis of the
// old stream that arrives after the video has moved on to the new one is
// not applied to the new stream's frames, and the new stream's analyses
// are. Driven by hand on both pads, in latest mode (frames never wait),
// with running times that go on across the new stream, as a live source's
// do.
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <vector>

#include "gst/refseg/refsegmeta.h"
#include "world_harness.h"

namespace {

constexpr int kWidth = 64, kHeight = 48;

GstCaps *frame_caps() {
  return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
                             kWidth, "height", G_TYPE_INT, kHeight, "framerate", GST_TYPE_FRACTION,
                             10, 1, nullptr);
}

// A new stream on one harness: STREAM_START, then its caps and segment again.
void start_stream(GstHarness *h, const char *id) {
  fail_unless(gst_harness_push_event(h, gst_event_new_stream_start(id)));
  fail_unless(gst_harness_push_event(h, gst_event_new_caps(frame_caps())));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
}

GstBuffer *frame(int index) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, kWidth * kHeight * 3, nullptr);
  gst_buffer_memset(b, 0, 90, kWidth * kHeight * 3);
  GST_BUFFER_PTS(b) = index * GST_SECOND / 10;
  GST_BUFFER_DURATION(b) = GST_SECOND / 10;
  return b;
}

// An analysed frame as the selector leaves it: one proposal, selected.
GstBuffer *analysis(int index) {
  GstBuffer *b = frame(index);
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(b, kWidth, kHeight);
  const GstRefSegBox box = {8, 8, 16, 12};
  std::vector<guint8> mask(16 * 12, 255);
  const guint8 *masks[] = {mask.data()};
  const gfloat score = 1.f;
  fail_unless(gst_refseg_meta_set_proposals(meta, 1, &box, &score, masks));
  const gfloat scores[] = {50.f};
  fail_unless(gst_refseg_meta_add_selection(meta, "the box", "the box", 0, 50.f, 1, scores));
  return b;
}

// Pushes video frame `index` and says whether it leaves with a selection.
bool leaves_selected(GstHarness *video, int index) {
  fail_unless_equals_int(gst_harness_push(video, frame(index)), GST_FLOW_OK);
  GstBuffer *out = refseg_test::pull(video);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(out);
  GstRefSegSelection sel;
  const bool selected = meta && gst_refseg_meta_get_n_selections(meta) > 0 &&
                        gst_refseg_meta_get_selection(meta, 0, &sel) && sel.index >= 0;
  gst_buffer_unref(out);
  return selected;
}

}  // namespace

GST_START_TEST(test_old_stream_results_do_not_reach_the_new_stream) {
  GstHarness *video = gst_harness_new_with_padnames("refsegtracker", "sink", "src");
  gst_util_set_object_arg(G_OBJECT(video->element), "mode", "latest");
  GstHarness *results = gst_harness_new_with_element(video->element, "results", nullptr);
  gst_harness_play(video);
  start_stream(video, "camera-1");
  start_stream(results, "camera-1");

  // The first stream: its analysis reaches its later frames.
  fail_unless(!leaves_selected(video, 0));
  fail_unless_equals_int(gst_harness_push(results, analysis(0)), GST_FLOW_OK);
  fail_unless(leaves_selected(video, 1), "an analysis of the stream applies to its frames");

  // The camera comes back: the video is on the new stream while the
  // analysis of an old frame is still under way and arrives late.
  start_stream(video, "camera-2");
  fail_unless_equals_int(gst_harness_push(results, analysis(2)), GST_FLOW_OK);
  fail_unless(!leaves_selected(video, 40), "a result of the old stream reached the new one");
  fail_unless(!leaves_selected(video, 41), "a result of the old stream reached the new one");

  // The analysis branch on the new stream: its results apply.
  start_stream(results, "camera-2");
  fail_unless_equals_int(gst_harness_push(results, analysis(41)), GST_FLOW_OK);
  fail_unless(leaves_selected(video, 42), "the new stream's analysis applies to its frames");

  gst_harness_teardown(results);
  gst_harness_teardown(video);
}
GST_END_TEST;

// The other order: the analysis branch starts the new stream first (its
// queue was empty) and its first result arrives before the video's
// STREAM_START. The old stream's frames still in the video queue do not
// take it (they are older); the new stream's first frame does.
GST_START_TEST(test_new_stream_results_wait_for_the_new_stream) {
  GstHarness *video = gst_harness_new_with_padnames("refsegtracker", "sink", "src");
  gst_util_set_object_arg(G_OBJECT(video->element), "mode", "latest");
  GstHarness *results = gst_harness_new_with_element(video->element, "results", nullptr);
  gst_harness_play(video);
  start_stream(video, "camera-1");
  start_stream(results, "camera-1");
  fail_unless(!leaves_selected(video, 0));

  start_stream(results, "camera-2");
  fail_unless_equals_int(gst_harness_push(results, analysis(10)), GST_FLOW_OK);
  fail_unless(!leaves_selected(video, 5), "a result of the new stream reached the old one");
  start_stream(video, "camera-2");
  fail_unless(leaves_selected(video, 10), "the new stream's first analysis was lost");

  gst_harness_teardown(results);
  gst_harness_teardown(video);
}
GST_END_TEST;

static Suite *tracker_streams_suite() {
  Suite *s = suite_create("refsegtracker-streams");
  TCase *tc = tcase_create("general");
  tcase_add_test(tc, test_old_stream_results_do_not_reach_the_new_stream);
  tcase_add_test(tc, test_new_stream_results_wait_for_the_new_stream);
  suite_add_tcase(s, tc);
  return s;
}

GST_CHECK_MAIN(tracker_streams);

// A live pipeline's video does not wait for the model: refsegencoder and
// refsegselector start while the model is still being built on its worker
// thread, frames leave without results until it is ready, and results
// follow once it is. The load is held (REFSEG_TEST_HOLD_LOAD, read by
// models/runtime/clip_runtime.cpp) until the test has seen frames leave,
// so the order is certain, not a race won by a fast load.
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "gst/refseg/refsegmeta.h"

static std::string test_model() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  fail_unless(path != nullptr, "REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

struct Seen {
  std::atomic<int> frames{0}, with_results{0};
  std::atomic<guint64> last_pts{GST_CLOCK_TIME_NONE};
  // analysed-pts of the first frame with results: which frame was analysed first
  std::atomic<guint64> first_analysed{GST_CLOCK_TIME_NONE};
};

static GstPadProbeReturn at_sink(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *seen = static_cast<Seen *>(data);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  seen->frames++;
  seen->last_pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  if (meta && gst_refseg_meta_get_n_selections(meta) > 0) {
    if (seen->with_results++ == 0) seen->first_analysed = gst_refseg_meta_get_analysed_pts(meta);
  }
  return GST_PAD_PROBE_OK;
}

// Pops messages until `done` holds, noting in *ready a refseg-model-ready
// message; fails on an error, or when `done` has not come in a minute (a
// hang, not a measurement).
template <class Done>
static void pump_until(GstBus *bus, bool *ready, Done done) {
  const gint64 give_up = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
  while (!done()) {
    fail_unless(g_get_monotonic_time() < give_up, "nothing happened for a minute");
    GstMessage *msg = gst_bus_timed_pop(bus, 100 * GST_MSECOND);
    if (!msg) continue;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gst_message_parse_error(msg, &error, nullptr);
      fail("pipeline error: %s", error->message);
    }
    const GstStructure *s = gst_message_get_structure(msg);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && s &&
        gst_structure_has_name(s, "refseg-model-ready"))
      *ready = true;
    gst_message_unref(msg);
  }
}

// A live world source through refsegbin (with `bin_properties`) into a
// fakesink whose frames are counted in `seen`; set to NULL and freed when
// it goes out of scope.
struct LivePipeline {
  GstElement *pipeline = nullptr;
  GstBus *bus = nullptr;
  LivePipeline(const std::string &bin_properties, Seen *seen) {
    const std::string description =
        "refsegworldsrc is-live=true seed=4 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
        "refsegbin mode=latest text=\"the red circle\" " +
        bin_properties + " model=" + test_model() + " ! fakesink name=sink sync=false";
    pipeline = gst_parse_launch(description.c_str(), nullptr);
    fail_unless(pipeline != nullptr);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_sink, seen, nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
    bus = gst_element_get_bus(pipeline);
  }
  ~LivePipeline() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  LivePipeline(const LivePipeline &) = delete;
  LivePipeline &operator=(const LivePipeline &) = delete;
};

// Holds every model load (REFSEG_TEST_HOLD_LOAD) until release(), or for
// as long as it lives.
struct HeldLoad {
  std::string file;
  explicit HeldLoad(const char *name)
      : file(std::string(g_get_tmp_dir()) + "/" + name + "-" + std::to_string(::getpid())) {
    g_unlink(file.c_str());
    g_setenv("REFSEG_TEST_HOLD_LOAD", file.c_str(), TRUE);
  }
  void release() const { fail_unless(g_file_set_contents(file.c_str(), "", 0, nullptr)); }
  ~HeldLoad() {
    g_unlink(file.c_str());
    g_unsetenv("REFSEG_TEST_HOLD_LOAD");
  }
  HeldLoad(const HeldLoad &) = delete;
  HeldLoad &operator=(const HeldLoad &) = delete;
};

GST_START_TEST(test_live_frames_leave_before_the_model_is_ready) {
  const HeldLoad held("refseg-release-load");
  Seen seen;
  LivePipeline live("", &seen);
  GstElement *pipeline = live.pipeline;
  GstBus *bus = live.bus;

  // The state change returns with the load held: start() does not build
  // the model.
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  bool ready = false;
  pump_until(bus, &ready, [&] { return seen.frames >= 30; });
  fail_if(ready, "the model was ready while its load was held");
  fail_unless(seen.with_results == 0, "%d frames had results before the model was built",
              seen.with_results.load());

  // Released, the model is built, says so, and results follow: of a frame
  // at least as new as the last shown while it loaded, not of the first
  // frame, which
  // would have to be carried through every frame since.
  const guint64 shown_while_loading = seen.last_pts;
  held.release();
  pump_until(bus, &ready, [&] { return ready && seen.with_results > 0; });
  fail_unless(seen.first_analysed.load() != GST_CLOCK_TIME_NONE);
  fail_unless(seen.first_analysed >= shown_while_loading,
              "the first analysis was of %" GST_TIME_FORMAT ", older than %" GST_TIME_FORMAT
              " shown while the model loaded",
              GST_TIME_ARGS(seen.first_analysed.load()), GST_TIME_ARGS(shown_while_loading));
  gst_element_set_state(pipeline, GST_STATE_NULL);
}
GST_END_TEST;

// Stopped while its load is held, the pipeline goes back to NULL: the
// load gives up at its next step instead of building a model nobody uses.
GST_START_TEST(test_a_pipeline_stopped_during_the_load_stops) {
  const HeldLoad held("refseg-never-released");
  Seen seen;
  LivePipeline live("", &seen);
  GstElement *pipeline = live.pipeline;
  GstBus *bus = live.bus;
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  bool ready = false;
  pump_until(bus, &ready, [&] { return seen.frames >= 5; });
  fail_if(ready);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  fail_unless(seen.with_results == 0);
}
GST_END_TEST;

// precision=auto in a live pipeline starts in a mode that is quick to
// prepare and settles (measures, or takes the remembered int8) as the second
// analysis begins: the first results do not wait for it, and the encoder
// says on the bus what it settled on.
GST_START_TEST(test_auto_settles_after_the_first_results) {
  // Nothing remembered (the tests' own cache, $XDG_CACHE_HOME): auto measures.
  gchar *choices =
      g_build_filename(g_get_user_cache_dir(), "gst-refseg", "precision-choices.json", nullptr);
  g_unlink(choices);
  g_free(choices);
  Seen seen;
  LivePipeline live("precision=auto", &seen);
  GstElement *pipeline = live.pipeline;
  GstBus *bus = live.bus;
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string load, how, precision;
  int results_when_settled = -1;
  const gint64 give_up = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
  while (results_when_settled < 0) {
    fail_unless(g_get_monotonic_time() < give_up, "auto did not settle in a minute");
    GstMessage *msg = gst_bus_timed_pop(bus, 100 * GST_MSECOND);
    if (!msg) continue;
    fail_if(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR, "pipeline error");
    const GstStructure *st = gst_message_get_structure(msg);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && st) {
      if (gst_structure_has_name(st, "refseg-model-ready"))
        load = gst_structure_get_string(st, "load");
      if (gst_structure_has_name(st, "refseg-precision-settled")) {
        how = gst_structure_get_string(st, "how");
        precision = gst_structure_get_string(st, "precision");
        results_when_settled = seen.with_results;
      }
    }
    gst_message_unref(msg);
    // A CPU without fast bf16 or int8: auto is fp32 at once, nothing to settle.
    if (!load.empty() && load.find("auto settles") == std::string::npos) break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (results_when_settled < 0) {
    std::printf("auto chose at load, nothing settles on this CPU: %s\n", load.c_str());
    return;
  }
  std::printf("auto settled on %s with %d frames with results out: %s\n", precision.c_str(),
              results_when_settled, how.c_str());
  fail_unless(results_when_settled > 0, "auto settled before any frame had results");
  fail_unless(how.find("after the first analysis") != std::string::npos, "%s", how.c_str());
  fail_unless(precision == "fp32" || precision == "bf16" || precision == "int8", "%s",
              precision.c_str());
}
GST_END_TEST;

static Suite *first_frame_suite() {
  Suite *s = suite_create("first_frame");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_live_frames_leave_before_the_model_is_ready);
  tcase_add_test(tc, test_a_pipeline_stopped_during_the_load_stops);
  tcase_add_test(tc, test_auto_settles_after_the_first_results);
  return s;
}

GST_CHECK_MAIN(first_frame);

// A resolution change mid-stream: the world's frames pass a videoscale whose
// output size a capsfilter changes twice while the pipeline plays, through
// refsegbin, refsegpublish (every frame, to a file) and refsegoverlay. No
// frame may carry results of another size (the tracker starts again, the
// proposals are made again), and selections resume at each new size, in the
// meta and in the published documents' frame size and masks.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"
#include "world_harness.h"

using json = nlohmann::json;

namespace {

std::string tiny_model() {
  return std::string(std::getenv("REFSEG_SOURCE_DIR")) + "/models/pretrained/refseg-tiny.pt";
}

struct Size {
  int width, height;
  bool operator==(const Size &o) const { return width == o.width && height == o.height; }
};

// The sizes in turn, and the frame (counted at the sink) after which the
// next one is asked for.
const Size kSizes[] = {{320, 240}, {480, 360}, {240, 180}};
constexpr int kChangeEvery = 22;
constexpr int kFrames = 66;

struct Frame {
  Size caps;
  bool meta = false;
  Size meta_size{0, 0};
  bool boxes_inside = true;  // every proposal and selected box lies in the frame
  bool selected = false;     // the first expression selected a proposal
};

struct Log {
  std::mutex mutex;
  std::vector<Frame> frames;
  GstElement *size_filter = nullptr;
  int next_size = 1;
};

bool inside(const GstRefSegBox &b, const Size &s) {
  return b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0 && b.x + b.width <= s.width &&
         b.y + b.height <= s.height;
}

void ask_for(GstElement *filter, const Size &s) {
  GstCaps *caps = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, s.width, "height",
                                      G_TYPE_INT, s.height, nullptr);
  g_object_set(filter, "caps", caps, nullptr);
  gst_caps_unref(caps);
}

// At the sink: what each frame is and what it carries; every kChangeEvery
// frames the capsfilter asks for the next size.
GstPadProbeReturn log_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  Log *log = static_cast<Log *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  Frame f;
  // A frame without video caps is logged as 0x0, which fails the test.
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo vi;
  f.caps = {0, 0};
  if (caps && gst_video_info_from_caps(&vi, caps))
    f.caps = {GST_VIDEO_INFO_WIDTH(&vi), GST_VIDEO_INFO_HEIGHT(&vi)};
  if (caps) gst_caps_unref(caps);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  if (meta) {
    f.meta = true;
    f.meta_size = {gst_refseg_meta_get_width(meta), gst_refseg_meta_get_height(meta)};
    const guint n = gst_refseg_meta_get_n_proposals(meta);
    for (guint i = 0; i < n; i++) {
      GstRefSegProposal p;
      if (gst_refseg_meta_get_proposal(meta, i, &p) && !inside(p.box, f.caps))
        f.boxes_inside = false;
    }
    GstRefSegSelection sel;
    if (gst_refseg_meta_get_n_selections(meta) > 0 &&
        gst_refseg_meta_get_selection(meta, 0, &sel) && sel.index >= 0) {
      f.selected = static_cast<guint>(sel.index) < n;
      gint track = -1;
      GstRefSegBox box;
      if (gst_refseg_meta_get_selection_track(meta, 0, &track, &box) && !inside(box, f.caps))
        f.boxes_inside = false;
    }
  }
  std::lock_guard<std::mutex> lock(log->mutex);
  log->frames.push_back(f);
  const int count = static_cast<int>(log->frames.size());
  if (count % kChangeEvery == 0 && log->next_size < static_cast<int>(G_N_ELEMENTS(kSizes)))
    ask_for(log->size_filter, kSizes[log->next_size++]);
  return GST_PAD_PROBE_OK;
}

// The schema check of tests/publish/test_schema.py, which also checks that
// each mask's RLE size is its document's frame size; 77 (no
// python3-jsonschema) is reported, not failed.
void validate_with_schema(const std::string &path) {
  const char *script = std::getenv("REFSEG_SCHEMA_SCRIPT");
  const char *schema = std::getenv("REFSEG_SCHEMA");
  fail_unless(script && schema,
              "REFSEG_SCHEMA_SCRIPT / REFSEG_SCHEMA not set (meson test sets them)");
  const std::string cmd =
      std::string("/usr/bin/python3 '") + script + "' '" + schema + "' --jsonl '" + path + "'";
  const int status = std::system(cmd.c_str());
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 77)
    g_print("schema check skipped: python3-jsonschema is missing\n");
  else
    fail_unless(rc == 0, "documents do not validate against the schema (%s)", cmd.c_str());
}

// Runs the pipeline in `mode` (refsegbin's mode and any other properties;
// a live source for latest) to its end and checks the frames and documents.
// Where frames wait for the analysis (not latest) every frame carries a
// selection (threshold -100 always selects), the first of each size too.
void run_size_changes(const char *mode, bool live, const char *world = "") {
  gchar *path = nullptr;
  const int fd = g_file_open_tmp("refseg-resize-XXXXXX.jsonl", &path, nullptr);
  fail_unless(fd >= 0);
  close(fd);
  const std::string description =
      std::string("refsegworldsrc seed=4 num-buffers=") + std::to_string(kFrames) +
      (live ? " is-live=true " : " ") + world +
      " ! video/x-raw,width=320,height=240,framerate=10/1 ! videoscale"
      " ! capsfilter name=size caps=video/x-raw,width=320,height=240"
      " ! refsegbin name=bin model=" +
      tiny_model() + " text=\"the red circle\" threshold=-100 mode=" + mode +
      " ! refsegpublish method=file every-frame=true stream-name=cam file-path=" + path +
      " ! refsegoverlay ! fakesink name=sink sync=" + (live ? "true" : "false");
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr, "%s", error ? error->message : description.c_str());
  Log log;
  log.size_filter = gst_bin_get_by_name(GST_BIN(pipeline), "size");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, log_frame, &log, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);

  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  const GstClockTime wait =
      static_cast<GstClockTime>(300 * GST_SECOND * refseg_test::timeout_multiplier());
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, wait, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr, "no end of stream (%s)", mode);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &e, &debug);
    fail("%s: error from %s: %s (%s)", mode, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), e->message,
         debug ? debug : "");
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(log.size_filter);
  gst_object_unref(pipeline);

  // Every frame: its results are of its own size, boxes inside it.
  fail_unless_equals_int(static_cast<int>(log.frames.size()), kFrames);
  std::vector<int> frames_at(G_N_ELEMENTS(kSizes), 0), selected_at(G_N_ELEMENTS(kSizes), 0);
  size_t at = 0;  // the size in force: sizes come in order, never back
  for (size_t i = 0; i < log.frames.size(); i++) {
    const Frame &f = log.frames[i];
    while (at < G_N_ELEMENTS(kSizes) && !(kSizes[at] == f.caps)) at++;
    fail_unless(at < G_N_ELEMENTS(kSizes), "%s: frame %zu is %dx%d, out of turn", mode, i,
                f.caps.width, f.caps.height);
    if (f.meta)
      fail_unless(f.meta_size == f.caps, "%s: frame %zu is %dx%d, its results %dx%d", mode, i,
                  f.caps.width, f.caps.height, f.meta_size.width, f.meta_size.height);
    fail_unless(f.boxes_inside, "%s: frame %zu (%dx%d) has a box outside it", mode, i, f.caps.width,
                f.caps.height);
    frames_at[at]++;
    if (f.selected) selected_at[at]++;
  }
  // Each size was seen, and results came back at it.
  for (size_t s = 0; s < G_N_ELEMENTS(kSizes); s++)
    g_print("%s: %dx%d: %d frames, %d with a selection\n", mode, kSizes[s].width, kSizes[s].height,
            frames_at[s], selected_at[s]);
  for (size_t s = 0; s < G_N_ELEMENTS(kSizes); s++) {
    fail_unless(frames_at[s] > 0, "%s: no frame at %dx%d", mode, kSizes[s].width, kSizes[s].height);
    fail_unless(selected_at[s] > 0, "%s: %d frames at %dx%d, none with a selection", mode,
                frames_at[s], kSizes[s].width, kSizes[s].height);
    if (!live)
      fail_unless(selected_at[s] == frames_at[s], "%s: %d of %d frames at %dx%d with a selection",
                  mode, selected_at[s], frames_at[s], kSizes[s].width, kSizes[s].height);
  }

  // The documents: one per frame, each of its frame's size, with masks of
  // that size (the schema script checks RLE sizes and counts).
  std::ifstream in(path);
  std::vector<json> docs;
  for (std::string line; std::getline(in, line);) docs.push_back(json::parse(line));
  fail_unless_equals_int(static_cast<int>(docs.size()), kFrames);
  std::vector<int> masked_at(G_N_ELEMENTS(kSizes), 0);
  for (size_t i = 0; i < docs.size(); i++) {
    const json &d = docs[i];
    const Size frame{d["frame"]["width"].get<int>(), d["frame"]["height"].get<int>()};
    fail_unless(frame == log.frames[i].caps, "%s: document %zu says %dx%d, the frame is %dx%d",
                mode, i, frame.width, frame.height, log.frames[i].caps.width,
                log.frames[i].caps.height);
    fail_unless_equals_string(d["stream"].get<std::string>().c_str(), "cam");
    for (const json &r : d["results"]) {
      if (!r.contains("mask")) continue;
      fail_unless(r["mask"]["size"] == json::array({frame.height, frame.width}),
                  "%s: document %zu (%dx%d) has a mask of size %s", mode, i, frame.width,
                  frame.height, r["mask"]["size"].dump().c_str());
      for (size_t s = 0; s < G_N_ELEMENTS(kSizes); s++)
        if (kSizes[s] == frame) masked_at[s]++;
    }
  }
  for (size_t s = 0; s < G_N_ELEMENTS(kSizes); s++)
    fail_unless(masked_at[s] > 0, "%s: no published mask at %dx%d", mode, kSizes[s].width,
                kSizes[s].height);
  validate_with_schema(path);
  g_unlink(path);
  g_free(path);
}

}  // namespace

// Each frame waits for its analysis: the analysis of every frame is of its
// own size.
GST_START_TEST(test_size_changes_every_frame) {
  run_size_changes("every-frame", false);
}
GST_END_TEST;

// Live, the video never waits: analyses of the old size still under way
// when the size changes arrive late and must not be applied to new frames.
GST_START_TEST(test_size_changes_live_latest) {
  run_size_changes("latest", true);
}
GST_END_TEST;

// A still camera with reuse: proposals and features kept from an unchanged
// earlier frame must not outlive the size they were made at; results
// carried between analyses (interval) neither.
GST_START_TEST(test_size_changes_interval_reuse) {
  run_size_changes("interval inference-interval=5 reuse=true", false,
                   "max-speed=0 background-sway=0");
}
GST_END_TEST;

static Suite *resolution_suite() {
  Suite *s = suite_create("resolution_change");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_size_changes_every_frame);
  tcase_add_test(tc, test_size_changes_live_latest);
  tcase_add_test(tc, test_size_changes_interval_reuse);
  suite_add_tcase(s, tc);
  return s;
}

GST_CHECK_MAIN(resolution);

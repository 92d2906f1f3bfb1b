// Many live streams on one model (refsegbin's shared turns,
// models/scheduling/stream_turns.h): four live refsegworldsrc streams
// through four refsegbins naming the bundled refseg-tiny keep every frame
// (none lost between source and sink, timestamps without gaps), and their
// analyses are shared evenly; EOS on one of them, or a flush, leaves the
// others going.
// Counts, not times: the runs end when enough analyses were counted.
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include "gst/refseg/refsegmeta.h"

static std::string tiny_model() {
  return std::string(std::getenv("REFSEG_SOURCE_DIR")) + "/models/pretrained/refseg-tiny.pt";
}

constexpr int kStreams = 4;

// One stream's counts, written by its streaming threads.
struct Counts {
  std::mutex mutex;
  long produced = 0, out = 0, analyses = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, last_duration = 0;
  long gaps = 0;  // frames at the sink that do not follow the previous one
  bool eos = false;
  bool stopped = false;              // the source's frames are dropped from now on (drain)
  long analyses_at_others_eos = -1;  // analyses when stream 0 ended (EOS test)
};

static GstPadProbeReturn at_source(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *c = static_cast<Counts *>(data);
  std::lock_guard<std::mutex> lock(c->mutex);
  if (c->stopped) return GST_PAD_PROBE_DROP;
  c->produced++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn at_sink(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *c = static_cast<Counts *>(data);
  std::lock_guard<std::mutex> lock(c->mutex);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) c->eos = true;
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  // Frame times are rounded to the nanosecond: a gap is a frame missing
  // (or one out of order), not a rounding.
  if (GST_CLOCK_TIME_IS_VALID(c->last_pts) &&
      (GST_BUFFER_PTS(b) <= c->last_pts ||
       GST_BUFFER_PTS(b) > c->last_pts + c->last_duration + c->last_duration / 2))
    c->gaps++;
  c->last_pts = GST_BUFFER_PTS(b);
  c->last_duration = GST_BUFFER_DURATION(b);
  c->out++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn at_analysis(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *c = static_cast<Counts *>(data);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  if (meta && gst_refseg_meta_get_n_proposals(meta) > 0 &&
      gst_refseg_meta_get_feature_model(meta) != nullptr) {
    std::lock_guard<std::mutex> lock(c->mutex);
    c->analyses++;
  }
  return GST_PAD_PROBE_OK;
}

static void probe(GstElement *pipeline, const std::string &name, const char *pad_name,
                  GstPadProbeType type, GstPadProbeCallback callback, Counts *counts) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name.c_str());
  fail_unless(e != nullptr, "no element %s", name.c_str());
  GstPad *pad = gst_element_get_static_pad(e, pad_name);
  gst_pad_add_probe(pad, type, callback, counts, nullptr);
  gst_object_unref(pad);
  gst_object_unref(e);
}

// Four live 320x240@30 streams on one model; stream 0 ends after
// `stream0_frames` frames when that is > 0.
static GstElement *four_streams(std::vector<Counts> &counts, int stream0_frames) {
  std::string description;
  for (int i = 0; i < kStreams; ++i) {
    const std::string id = std::to_string(i);
    description += "refsegworldsrc name=src" + id + " is-live=true seed=" + std::to_string(i + 11) +
                   (i == 0 && stream0_frames > 0 ? " num-buffers=" + std::to_string(stream0_frames)
                                                 : std::string()) +
                   " ! video/x-raw,width=320,height=240,framerate=30/1 ! refsegbin name=bin" + id +
                   " mode=latest model=\"" + tiny_model() +
                   "\" text=\"the red circle\" ! fakesink name=sink" + id + " sync=false ";
  }
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "pipeline: %s",
              error ? error->message : "none");
  for (int i = 0; i < kStreams; ++i) {
    const std::string id = std::to_string(i);
    probe(pipeline, "src" + id, "src", GST_PAD_PROBE_TYPE_BUFFER, at_source, &counts[i]);
    probe(pipeline, "sink" + id, "sink",
          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                       GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
          at_sink, &counts[i]);
    GstElement *bin = gst_bin_get_by_name(GST_BIN(pipeline), ("bin" + id).c_str());
    GstElement *selector = gst_bin_get_by_name(GST_BIN(bin), "refsegselector");
    GstPad *pad = gst_element_get_static_pad(selector, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_analysis, &counts[i], nullptr);
    gst_object_unref(pad);
    gst_object_unref(selector);
    gst_object_unref(bin);
  }
  return pipeline;
}

// Runs until `done` says so (checked every 50 ms); an error on the bus or
// 50 s without it fail the test (a bound on a hang, not a speed).
static long analyses(Counts &c);

// What each stream has counted, for a failure's message.
static std::string tally(std::vector<Counts> &counts) {
  std::string s;
  for (Counts &c : counts) {
    std::lock_guard<std::mutex> lock(c.mutex);
    s += " [" + std::to_string(c.produced) + " made, " + std::to_string(c.out) + " out, " +
         std::to_string(c.analyses) + " analyses]";
  }
  return s;
}

template <class Done>
static void run_until(GstElement *pipeline, std::vector<Counts> &counts, Done done,
                      const char *what) {
  GstBus *bus = gst_element_get_bus(pipeline);
  const gint64 give_up = g_get_monotonic_time() + 50 * G_TIME_SPAN_SECOND;
  while (!done()) {
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 50 * GST_MSECOND, GST_MESSAGE_ERROR);
    if (m) {
      GError *err = nullptr;
      gst_message_parse_error(m, &err, nullptr);
      fail("pipeline error: %s", err->message);
    }
    fail_unless(g_get_monotonic_time() < give_up, "no %s after 50 s; streams:%s", what,
                tally(counts).c_str());
  }
  gst_object_unref(bus);
}

static long analyses(Counts &c) {
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.analyses;
}

// Stops feeding the chains and waits until the frames inside them have
// reached the sinks (at most 20 s: a bound on a hang), so that what was
// made and what came out can be compared on a loaded machine too.
static void drain(std::vector<Counts> &counts) {
  for (Counts &c : counts) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stopped = true;
  }
  const gint64 give_up = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
  auto inside = [&] {
    long n = 0;
    for (Counts &c : counts) {
      std::lock_guard<std::mutex> lock(c.mutex);
      if (!c.eos) n += c.produced - c.out;
    }
    return n;
  };
  while (inside() > 0 && g_get_monotonic_time() < give_up) g_usleep(20 * 1000);
}

// Every frame the source made reached the sink, in order, without gaps
// (up to the few still inside the chain when the pipeline stopped).
static void check_every_frame_kept(Counts &c, int i) {
  std::lock_guard<std::mutex> lock(c.mutex);
  fail_unless(c.out > 30, "stream %d: only %ld frames out", i, c.out);
  fail_unless(c.produced - c.out <= 3, "stream %d: %ld frames made, %ld out", i, c.produced, c.out);
  fail_unless(c.gaps == 0, "stream %d: %ld timestamp gaps at the sink", i, c.gaps);
}

GST_START_TEST(four_live_streams_share_the_analyses_evenly) {
  std::vector<Counts> counts(kStreams);
  GstElement *pipeline = four_streams(counts, 0);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  // Until the stream with the fewest analyses has 8.
  run_until(
      pipeline, counts,
      [&] {
        long least = analyses(counts[0]);
        for (auto &c : counts) least = std::min(least, analyses(c));
        return least >= 8;
      },
      "8 analyses on every stream");
  std::vector<long> seen;
  for (auto &c : counts) seen.push_back(analyses(c));
  drain(counts);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  const long least = *std::min_element(seen.begin(), seen.end());
  const long most = *std::max_element(seen.begin(), seen.end());
  g_print("analyses per stream: %ld %ld %ld %ld\n", seen[0], seen[1], seen[2], seen[3]);
  fail_unless(most * 2 <= least * 3, "analyses per stream %ld %ld %ld %ld: beyond a factor 1.5",
              seen[0], seen[1], seen[2], seen[3]);
  for (int i = 0; i < kStreams; ++i) check_every_frame_kept(counts[i], i);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(eos_on_one_stream_leaves_the_others_going) {
  std::vector<Counts> counts(kStreams);
  constexpr int kFrames = 45;  // 1.5 s of stream 0
  GstElement *pipeline = four_streams(counts, kFrames);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  run_until(
      pipeline, counts,
      [&] {
        std::lock_guard<std::mutex> lock(counts[0].mutex);
        return counts[0].eos;
      },
      "EOS at stream 0's sink");
  std::vector<long> at_eos;
  for (int i = 1; i < kStreams; ++i) at_eos.push_back(analyses(counts[i]));
  // The three others go on being analysed: 4 more analyses each, with
  // stream 0's turn never coming back.
  run_until(
      pipeline, counts,
      [&] {
        for (int i = 1; i < kStreams; ++i)
          if (analyses(counts[i]) < at_eos[i - 1] + 4) return false;
        return true;
      },
      "4 more analyses on each of the other streams after stream 0's EOS");
  long out_after[kStreams];
  for (int i = 0; i < kStreams; ++i) {
    std::lock_guard<std::mutex> lock(counts[i].mutex);
    out_after[i] = counts[i].out;
  }
  // No EOS for the pipeline while the others run.
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *eos = gst_bus_pop_filtered(bus, GST_MESSAGE_EOS);
  fail_unless(eos == nullptr, "the pipeline ended with one of its four streams");
  gst_object_unref(bus);
  drain(counts);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  {
    std::lock_guard<std::mutex> lock(counts[0].mutex);
    fail_unless(counts[0].out == kFrames, "stream 0: %ld of its %d frames out", counts[0].out,
                kFrames);
    fail_unless(counts[0].gaps == 0);
  }
  for (int i = 1; i < kStreams; ++i) {
    check_every_frame_kept(counts[i], i);
    fail_unless(out_after[i] > kFrames, "stream %d: %ld frames out", i, out_after[i]);
  }
  gst_object_unref(pipeline);
}
GST_END_TEST;

// A source pad held by a blocking probe.
struct Held {
  std::mutex mutex;
  std::condition_variable changed;
  bool blocked = false;
};

static GstPadProbeReturn hold(GstPad *, GstPadProbeInfo *info, gpointer data) {
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER)) return GST_PAD_PROBE_PASS;
  auto *h = static_cast<Held *>(data);
  std::lock_guard<std::mutex> lock(h->mutex);
  h->blocked = true;
  h->changed.notify_all();
  return GST_PAD_PROBE_OK;
}

// A flush into one stream while the streams wait for their turns (what a
// flushing seek does) returns, and the others go on being analysed: the
// flushed stream's wait for a turn ends instead of holding its streaming
// lock, and a turn it held goes back.
GST_START_TEST(a_flush_on_one_stream_does_not_stall_the_others) {
  std::vector<Counts> counts(kStreams);
  GstElement *pipeline = four_streams(counts, 0);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  run_until(
      pipeline, counts,
      [&] {
        for (auto &c : counts)
          if (analyses(c) < 2) return false;
        return true;
      },
      "2 analyses on every stream");
  // As a flushing seek does it: the source held, flush-start and -stop
  // into the bin, its segment again, the source let go; five times.
  GstElement *bin = gst_bin_get_by_name(GST_BIN(pipeline), "bin0");
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src0");
  GstPad *sink = gst_element_get_static_pad(bin, "sink");
  GstPad *src_pad = gst_element_get_static_pad(src, "src");
  for (int round = 0; round < 5; ++round) {
    Held held;
    const gulong block =
        gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, hold, &held, nullptr);
    {
      std::unique_lock<std::mutex> lock(held.mutex);
      held.changed.wait(lock, [&] { return held.blocked; });
    }
    GstEvent *segment = gst_pad_get_sticky_event(sink, GST_EVENT_SEGMENT, 0);
    fail_unless(segment != nullptr);
    fail_unless(gst_pad_send_event(sink, gst_event_new_flush_start()));
    fail_unless(gst_pad_send_event(sink, gst_event_new_flush_stop(FALSE)));
    fail_unless(gst_pad_send_event(sink, segment));
    gst_pad_remove_probe(src_pad, block);
  }
  gst_object_unref(src_pad);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(bin);
  std::vector<long> after_flush;
  for (int i = 1; i < kStreams; ++i) after_flush.push_back(analyses(counts[i]));
  run_until(
      pipeline, counts,
      [&] {
        for (int i = 1; i < kStreams; ++i)
          if (analyses(counts[i]) < after_flush[i - 1] + 3) return false;
        return true;
      },
      "3 more analyses on each of the other streams after the flushes");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite *streams_suite() {
  Suite *s = suite_create("refseg-streams");
  TCase *tc = tcase_create("streams");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, four_live_streams_share_the_analyses_evenly);
  tcase_add_test(tc, eos_on_one_stream_leaves_the_others_going);
  tcase_add_test(tc, a_flush_on_one_stream_does_not_stall_the_others);
  suite_add_tcase(s, tc);
  return s;
}

GST_CHECK_MAIN(streams);

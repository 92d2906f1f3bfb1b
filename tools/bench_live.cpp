// bench_live: the chain on a live camera-like source. Runs
//
//   refsegworldsrc is-live=true ! video/x-raw,width=W,height=H,framerate=F/1 !
//     refsegbin model=M text=T mode=MODE ! fakesink sync=false
//
// for --seconds and prints what a viewer of a live stream sees: frames out
// per second (against the source's rate), the latency the chain adds to
// each frame (wall time from the source's pad to the sink's pad, median and
// p95), analyses per second (frames the selector saw with proposals), and
// the latency the pipeline reported, and how long after PLAYING was asked
// for the first frame came out, the encoder's model was ready (its
// refseg-model-ready message, with where the load's time went: reading,
// building, precision and packing) and the first frame with results came
// out. No figure is asserted: it prints.
//
// The sink does not sync: a syncing sink holds each frame until its render
// time (PTS + the pipeline's latency) on the tracker's streaming thread,
// which would count that wait as the chain's. --sync measures with one
// anyway and prints how many frames arrived too late to be shown.
//
//   bench_live --model refseg-tiny|PATH [--mode latest] [--seconds 20]
//              [--width 640] [--height 480] [--fps 30] [--threads 0]
//              [--precision fp32|bf16|int8|auto] [--reuse true|false] [--still]
//              [--local-crops K]
//              [--text "the red circle"] [--sync]
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bench_report.h"
#include "gst/refseg/refsegmeta.h"
#include "tool_options.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Probes {
  std::mutex mutex;
  std::map<GstClockTime, Clock::time_point> entered;  // PTS -> when it left the source
  std::map<GstClockTime, Clock::time_point> tracked;  // PTS -> when it reached the tracker
  std::vector<double> added_ms, to_tracker_ms;
  int frames_out = 0, analyses = 0;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  bool monotonic = true;
  // When PLAYING was asked for, the first frame out, and the first frame
  // out with results (a selection of an analysis, or one carried onto it).
  Clock::time_point playing;
  bool any_out = false, any_result = false;
  Clock::time_point first_out, first_result;
};

GstPadProbeReturn at_source(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *p = static_cast<Probes *>(data);
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  std::lock_guard<std::mutex> lock(p->mutex);
  p->entered[GST_BUFFER_PTS(b)] = Clock::now();
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn at_tracker(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *p = static_cast<Probes *>(data);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(p->mutex);
  auto it = p->entered.find(pts);
  if (it != p->entered.end())
    p->to_tracker_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn at_sink(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *p = static_cast<Probes *>(data);
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(p->mutex);
  const GstClockTime pts = GST_BUFFER_PTS(b);
  auto it = p->entered.find(pts);
  if (it != p->entered.end()) {
    p->added_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
    p->entered.erase(p->entered.begin(), std::next(it));
  }
  if (GST_CLOCK_TIME_IS_VALID(p->last_pts) && pts <= p->last_pts) p->monotonic = false;
  p->last_pts = pts;
  p->frames_out++;
  if (!p->any_out) p->any_out = true, p->first_out = now;
  if (!p->any_result) {
    GstCustomMeta *meta = gst_buffer_get_refseg_meta(b);
    if (meta && gst_refseg_meta_get_n_selections(meta) > 0)
      p->any_result = true, p->first_result = now;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn at_analysis(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *p = static_cast<Probes *>(data);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  if (meta && gst_refseg_meta_get_n_proposals(meta) > 0) {
    std::lock_guard<std::mutex> lock(p->mutex);
    p->analyses++;
  }
  return GST_PAD_PROBE_OK;
}

const char *kTool = "bench_live";

}  // namespace

int main(int argc, char **argv) {
  gchar *model_text = nullptr, *mode_text = nullptr, *text_text = nullptr,
        *precision_text = nullptr, *reuse_text = nullptr, *proposal_model_text = nullptr,
        **proposals_set = nullptr;
  int seconds = 20, width = 640, height = 480, fps = 30, threads_n = 0, local_crops_n = -1;
  gboolean still = FALSE, sync = FALSE;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_text,
       "CLIP model: a name in the models directories or a path (default refseg-tiny)", "M"},
      {"mode", 0, 0, G_OPTION_ARG_STRING, &mode_text,
       "refsegbin's mode: latest (default), interval or every-frame", "MODE"},
      {"text", 0, 0, G_OPTION_ARG_STRING, &text_text, "The expression (default \"the red circle\")",
       "T"},
      {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Measured seconds, 1-100000 (default 20)", "S"},
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width, 1-100000 (default 640)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height, 1-100000 (default 480)", "H"},
      {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "The source's frame rate, 1-100000 (default 30)", "F"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads_n,
       "refsegbin's threads (default 0: the runtime's default)", "N"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision_text,
       "fp32 (default), bf16, int8 or auto", "P"},
      {"reuse", 0, 0, G_OPTION_ARG_STRING, &reuse_text,
       "refsegbin's reuse: true or false (default)", "true|false"},
      {"local-crops", 0, 0, G_OPTION_ARG_INT, &local_crops_n,
       "refsegbin's local-crops, -1 (default: every proposal) to 1024", "K"},
      {"proposal-model", 0, 0, G_OPTION_ARG_FILENAME, &proposal_model_text,
       "refsegbin's proposal-model, e.g. MobileSAM or a checkpoint path (default: none, the "
       "weightless generator)",
       "P"},
      {"proposals-set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &proposals_set,
       "PROPERTY=VALUE of the bin's refsegproposals child, set as refsegproposals::PROPERTY "
       "(repeatable), e.g. prompts=regions",
       "PROPERTY=VALUE"},
      {"still", 0, 0, G_OPTION_ARG_NONE, &still,
       "A still camera on a still scene (no object motion or turning, no sway)", nullptr},
      {"sync", 0, 0, G_OPTION_ARG_NONE, &sync,
       "A syncing sink: also counts the frames that arrive too late to be shown", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      kTool, "- the chain on a live camera-like source",
      "Runs refsegworldsrc is-live=true ! refsegbin ! fakesink for --seconds and prints what a "
      "viewer of a live stream sees: frames out per second, the latency the chain adds to each "
      "frame, analyses per second and the latency the pipeline reported.",
      "Exit status: 0 done, 1 the pipeline failed, 2 bad arguments.\n", entries, nullptr, &argc,
      &argv, gst_init_get_option_group());
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  gst_init(&argc, &argv);
  const std::string model = refseg::tools::take_string_or(model_text, "refseg-tiny");
  const std::string mode = refseg::tools::take_string_or(mode_text, "latest");
  const std::string text = refseg::tools::take_string_or(text_text, "the red circle");
  const std::string precision = refseg::tools::take_string_or(precision_text, "fp32");
  const std::string reuse = refseg::tools::take_string_or(reuse_text, "false");
  const std::string proposal_model = refseg::tools::take_string_or(proposal_model_text, "");
  std::string proposals_properties;
  for (const std::string &set : refseg::tools::take_strings(proposals_set)) {
    const size_t eq = set.find('=');
    if (eq == 0 || eq == std::string::npos || set.find_first_of(" \"!") != std::string::npos)
      refseg::tools::usage_error(kTool, "--proposals-set wants PROPERTY=VALUE, not '" + set + "'");
    proposals_properties += " refsegproposals::" + set;
  }
  using refseg::tools::int_in_range;
  seconds = int_in_range(kTool, "--seconds", seconds, 1, 100000);
  width = int_in_range(kTool, "--width", width, 1, 100000);
  height = int_in_range(kTool, "--height", height, 1, 100000);
  fps = int_in_range(kTool, "--fps", fps, 1, 100000);
  const std::string threads = std::to_string(int_in_range(kTool, "--threads", threads_n, 0, 1024));
  const std::string local_crops =
      std::to_string(int_in_range(kTool, "--local-crops", local_crops_n, -1, 1024));

  refseg::bench::print_environment(stdout);
  const std::string description =
      "refsegworldsrc name=src is-live=true seed=4" +
      std::string(still ? " max-speed=0 background-sway=0 max-rotation=0" : "") +
      " ! video/x-raw,width=" + std::to_string(width) + ",height=" + std::to_string(height) +
      ",framerate=" + std::to_string(fps) + "/1 ! refsegbin name=bin model=\"" + model +
      "\" text=\"" + text + "\" mode=" + mode + " threads=" + threads + " precision=" + precision +
      " reuse=" + reuse + " local-crops=" + local_crops +
      (proposal_model.empty() ? "" : " proposal-model=\"" + proposal_model + "\"") +
      proposals_properties + " ! fakesink name=sink qos=true sync=" + (sync ? "true" : "false");
  std::printf("pipeline: %s\n", description.c_str());
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  // A missing element (the plugin not on GST_PLUGIN_PATH) still returns
  // what could be built, with the error set.
  if (!pipeline || error) {
    std::fprintf(stderr, "bench_live: %s\n", error ? error->message : "cannot build the pipeline");
    return 1;
  }
  Probes probes;
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstElement *bin = gst_bin_get_by_name(GST_BIN(pipeline), "bin");
  GstElement *selector = gst_bin_get_by_name(GST_BIN(bin), "refsegselector");
  GstPad *src_pad = gst_element_get_static_pad(src, "src");
  GstPad *sink_pad = gst_element_get_static_pad(sink, "sink");
  GstPad *analysis_pad = gst_element_get_static_pad(selector, "src");
  GstElement *tracker = gst_bin_get_by_name(GST_BIN(bin), "refsegtracker");
  GstPad *tracker_pad = gst_element_get_static_pad(tracker, "sink");
  gst_pad_add_probe(tracker_pad, GST_PAD_PROBE_TYPE_BUFFER, at_tracker, &probes, nullptr);
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_BUFFER, at_source, &probes, nullptr);
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, at_sink, &probes, nullptr);
  gst_pad_add_probe(analysis_pad, GST_PAD_PROBE_TYPE_BUFFER, at_analysis, &probes, nullptr);

  probes.playing = Clock::now();  // the model loads inside set_state (start())
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  // Warm-up: the first frames load the model and fill caches.
  const auto begin = Clock::now();
  int warm_frames = 0, warm_analyses = 0, qos_messages = 0;
  double model_ready_ms = -1;
  std::string model_load;
  double settled_ms = -1;  // refseg-precision-settled (precision=auto)
  std::string settled_how;
  bool warmed = false, failed = false;
  Clock::time_point measure_from = begin;
  const double warmup_s = 2.0;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 100 * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT));
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
      // The encoder's model is built: when, and where its load's time went.
      const GstStructure *s = gst_message_get_structure(msg);
      if (s && gst_structure_has_name(s, "refseg-model-ready") && model_ready_ms < 0) {
        model_ready_ms =
            std::chrono::duration<double, std::milli>(Clock::now() - probes.playing).count();
        const gchar *load = gst_structure_get_string(s, "load");
        model_load = load ? load : "";
      }
      if (s && gst_structure_has_name(s, "refseg-precision-settled") && settled_ms < 0) {
        settled_ms =
            std::chrono::duration<double, std::milli>(Clock::now() - probes.playing).count();
        const gchar *how = gst_structure_get_string(s, "how");
        settled_how = how ? how : "";
      }
      gst_message_unref(msg);
      msg = nullptr;
    }
    if (msg) {
      GError *err = nullptr;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error(msg, &err, nullptr);
        std::fprintf(stderr, "bench_live: %s\n", err->message);
        g_error_free(err);
        failed = true;
      }
      gst_message_unref(msg);
      break;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
    if (!warmed && elapsed >= warmup_s) {
      std::lock_guard<std::mutex> lock(probes.mutex);
      warm_frames = probes.frames_out;
      warm_analyses = probes.analyses;
      probes.added_ms.clear();
      probes.to_tracker_ms.clear();
      measure_from = Clock::now();
      warmed = true;
    }
    if (elapsed >= warmup_s + seconds) break;
  }
  const double measured = std::chrono::duration<double>(Clock::now() - measure_from).count();
  // What the chain tells its sink (a sink that does not sync answers the
  // pipeline's own query as not live).
  GstQuery *latency = gst_query_new_latency();
  GstClockTime min_latency = 0;
  gboolean live = FALSE;
  if (gst_pad_peer_query(sink_pad, latency))
    gst_query_parse_latency(latency, &live, &min_latency, nullptr);
  gst_query_unref(latency);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (failed) return 1;

  std::lock_guard<std::mutex> lock(probes.mutex);
  std::vector<double> added = probes.added_ms;
  std::sort(added.begin(), added.end());
  const double p95 = added.empty() ? 0 : added[std::min(added.size() - 1, added.size() * 95 / 100)];
  std::printf("mode %s, model %s, %dx%d at %d fps, %.1f s measured after %.0f s warm-up\n",
              mode.c_str(), model.c_str(), width, height, fps, measured, warmup_s);
  std::printf("frames out: %.2f per second (source: %d), timestamps %s\n",
              (probes.frames_out - warm_frames) / measured, fps,
              probes.monotonic ? "monotonic" : "NOT monotonic");
  std::printf("added latency per frame: median %.1f ms, p95 %.1f ms (%zu frames)\n",
              refseg::bench::median(added), p95, added.size());
  std::printf("  of which source to tracker (tee, queue): median %.1f ms\n",
              refseg::bench::median(probes.to_tracker_ms));
  std::printf("analyses: %.2f per second\n", (probes.analyses - warm_analyses) / measured);
  auto after_playing = [&](bool any, Clock::time_point t) {
    return any ? std::to_string(static_cast<long>(
                     std::chrono::duration<double, std::milli>(t - probes.playing).count())) +
                     " ms after PLAYING"
               : std::string("none");
  };
  std::printf("first frame out: %s; first frame with results: %s\n",
              after_playing(probes.any_out, probes.first_out).c_str(),
              after_playing(probes.any_result, probes.first_result).c_str());
  if (model_ready_ms >= 0)
    std::printf("model ready: %ld ms after PLAYING (%s)\n", std::lround(model_ready_ms),
                model_load.c_str());
  if (settled_ms >= 0)
    std::printf("precision settled: seen %ld ms after PLAYING (%s)\n", std::lround(settled_ms),
                settled_how.c_str());
  std::printf("reported pipeline latency: %.1f ms (%s)\n", min_latency / 1e6,
              live ? "live" : "not live");
  if (sync) std::printf("QoS messages (frames late at the sink): %d\n", qos_messages);
  gst_object_unref(analysis_pad);
  gst_object_unref(tracker_pad);
  gst_object_unref(tracker);
  gst_object_unref(sink_pad);
  gst_object_unref(src_pad);
  gst_object_unref(selector);
  gst_object_unref(bin);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return 0;
}

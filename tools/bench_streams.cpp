// bench_streams: N live streams on one model in one process. For each N of
// --streams runs
//
//   N x ( refsegworldsrc is-live=true seed=i !
//         video/x-raw,width=W,height=H,framerate=F/1 !
//         refsegbin model=M text=T mode=latest threads=K [--bin-options] !
//         fakesink sync=false )
//
// in one pipeline (every refsegbin names the same model, so they share one
// loaded copy and its worker thread) for --seconds after a warm-up, and
// prints per stream: frames out per second (against the source's rate),
// analyses per second (frames the selector saw with proposals), the
// latency the chain adds to each frame (wall time from the source's pad to
// the sink's pad, median and p95), and for the run: process CPU, the
// spread of analyses between streams (largest / smallest) and the p95 of
// added latency over all frames. No figure is asserted: it prints.
//
//   bench_streams [--streams 1,2,4,8] [--seconds 15] [--model refseg-tiny]
//                 [--text "the red circle"] [--threads 0] [--width 640]
//                 [--height 480] [--fps 30] [--bin-options "PROP=V ..."]
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench_report.h"
#include "gst/refseg/refsegmeta.h"
#include "list_items.h"
#include "tool_options.h"

namespace {

using Clock = std::chrono::steady_clock;
const char *kTool = "bench_streams";

// One stream's counters, written by its streaming threads.
struct Stream {
  std::mutex mutex;
  std::map<GstClockTime, Clock::time_point> entered;  // PTS -> when it left the source
  std::vector<double> added_ms;
  long frames_out = 0, analyses = 0;
  bool counting = false;  // after the warm-up
};

GstPadProbeReturn at_source(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *s = static_cast<Stream *>(data);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  std::lock_guard<std::mutex> lock(s->mutex);
  s->entered[pts] = Clock::now();
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn at_sink(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *s = static_cast<Stream *>(data);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(s->mutex);
  auto it = s->entered.find(pts);
  if (it != s->entered.end()) {
    if (s->counting)
      s->added_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
    s->entered.erase(s->entered.begin(), std::next(it));
  }
  if (s->counting) s->frames_out++;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn at_analysis(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *s = static_cast<Stream *>(data);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  if (meta && gst_refseg_meta_get_n_proposals(meta) > 0) {
    std::lock_guard<std::mutex> lock(s->mutex);
    if (s->counting) s->analyses++;
  }
  return GST_PAD_PROBE_OK;
}

double p95(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, v.size() * 95 / 100)];
}

void add_probe(GstElement *pipeline, const std::string &element, const char *pad_name,
               GstPadProbeCallback callback, Stream *stream) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element.c_str());
  GstPad *pad = gst_element_get_static_pad(e, pad_name);
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, callback, stream, nullptr);
  gst_object_unref(pad);
  gst_object_unref(e);
}

// Runs n streams; false when the pipeline failed (the error is printed).
bool run(int n, const std::string &bin_options, int seconds, int width, int height, int fps) {
  std::string description;
  for (int i = 0; i < n; ++i) {
    const std::string id = std::to_string(i);
    description += "refsegworldsrc name=src" + id + " is-live=true seed=" + std::to_string(i + 1) +
                   " ! video/x-raw,width=" + std::to_string(width) +
                   ",height=" + std::to_string(height) + ",framerate=" + std::to_string(fps) +
                   "/1 ! refsegbin name=bin" + id + " " + bin_options + " ! fakesink name=sink" +
                   id + " sync=false  ";
  }
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline || error) {
    std::fprintf(stderr, "%s: %s\n", kTool, error ? error->message : "cannot build the pipeline");
    return false;
  }
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < n; ++i) {
    streams.push_back(std::make_unique<Stream>());
    const std::string id = std::to_string(i);
    Stream *s = streams.back().get();
    add_probe(pipeline, "src" + id, "src", at_source, s);
    add_probe(pipeline, "sink" + id, "sink", at_sink, s);
    GstElement *bin = gst_bin_get_by_name(GST_BIN(pipeline), ("bin" + id).c_str());
    GstElement *selector = gst_bin_get_by_name(GST_BIN(bin), "refsegselector");
    GstPad *pad = gst_element_get_static_pad(selector, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, at_analysis, s, nullptr);
    gst_object_unref(pad);
    gst_object_unref(selector);
    gst_object_unref(bin);
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  bool failed = false;
  auto run_for = [&](double s) {
    const auto end = Clock::now() + std::chrono::duration<double>(s);
    while (!failed && Clock::now() < end) {
      GstMessage *m = gst_bus_timed_pop_filtered(
          bus, 50 * GST_MSECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
      if (!m) continue;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *err = nullptr;
        gst_message_parse_error(m, &err, nullptr);
        std::fprintf(stderr, "%s: %s\n", kTool, err->message);
        g_error_free(err);
      } else {
        std::fprintf(stderr, "%s: unexpected end of stream\n", kTool);
      }
      gst_message_unref(m);
      failed = true;
    }
  };
  // Warm-up: the model loads and every stream's first analyses run.
  run_for(3);
  for (auto &s : streams) {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->counting = true;
  }
  const double cpu0 = refseg::bench::process_cpu_ms();
  const auto t0 = Clock::now();
  run_for(seconds);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cores = (refseg::bench::process_cpu_ms() - cpu0) / 1e3 / wall;
  for (auto &s : streams) {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->counting = false;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  if (failed) return false;

  std::printf("%d stream%s, %.1f s measured: process CPU %.2f cores\n", n, n == 1 ? "" : "s", wall,
              cores);
  std::vector<double> all_added;
  double least = 1e30, most = 0, fps_least = 1e30, analyses_total = 0;
  for (int i = 0; i < n; ++i) {
    Stream &s = *streams[i];
    const double out = s.frames_out / wall, analyses = s.analyses / wall;
    std::printf(
        "  stream %d: %.2f frames out/s, %.2f analyses/s, added latency median %.1f ms, p95 "
        "%.1f ms\n",
        i, out, analyses, refseg::bench::median(s.added_ms), p95(s.added_ms));
    all_added.insert(all_added.end(), s.added_ms.begin(), s.added_ms.end());
    least = std::min(least, analyses);
    most = std::max(most, analyses);
    fps_least = std::min(fps_least, out);
    analyses_total += analyses;
  }
  std::printf(
      "  all: lowest frames out/s %.2f (source %d), analyses/s %.2f in all, per stream %.2f to "
      "%.2f (largest / smallest %s), added latency p95 %.1f ms\n",
      fps_least, fps, analyses_total, least, most,
      least > 0 ? std::to_string(most / least).substr(0, 4).c_str() : "inf", p95(all_added));
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  gchar *streams_text = nullptr, *model_text = nullptr, *text_text = nullptr,
        *bin_options_text = nullptr;
  int seconds = 15, width = 640, height = 480, fps = 30, threads_n = 0;
  const GOptionEntry entries[] = {
      {"streams", 0, 0, G_OPTION_ARG_STRING, &streams_text,
       "Stream counts to run, comma-separated, each 1-64 (default 1,2,4,8)", "N,N,..."},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_text,
       "CLIP model every stream names: a name in the models directories or a path (default "
       "refseg-tiny)",
       "M"},
      {"text", 0, 0, G_OPTION_ARG_STRING, &text_text, "The expression (default \"the red circle\")",
       "T"},
      {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
       "Measured seconds per stream count, 1-100000 (default 15)", "S"},
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width, 16-100000 (default 640)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height, 16-100000 (default 480)", "H"},
      {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "The sources' frame rate, 1-1000 (default 30)", "F"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads_n,
       "refsegbin's threads (default 0: the cores other processes leave idle)", "N"},
      {"bin-options", 0, 0, G_OPTION_ARG_STRING, &bin_options_text,
       "More refsegbin properties, as gst-launch-1.0 writes them (e.g. \"reuse=true\")", "P=V ..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      kTool, "- many live streams on one model",
      "Runs N live refsegworldsrc ! refsegbin ! fakesink streams, every refsegbin naming the "
      "same model, for each N of --streams, and prints per stream frames out per second, "
      "analyses per second and the latency the chain adds to each frame.",
      "Exit status: 0 done, 1 a pipeline failed, 2 bad arguments.\n", entries, nullptr, &argc,
      &argv, gst_init_get_option_group());
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  gst_init(&argc, &argv);
  const std::string model = refseg::tools::take_string_or(model_text, "refseg-tiny");
  const std::string text = refseg::tools::take_string_or(text_text, "the red circle");
  const std::string extra = refseg::tools::take_string_or(bin_options_text, "");
  using refseg::tools::int_in_range;
  seconds = int_in_range(kTool, "--seconds", seconds, 1, 100000);
  width = int_in_range(kTool, "--width", width, 16, 100000);
  height = int_in_range(kTool, "--height", height, 16, 100000);
  fps = int_in_range(kTool, "--fps", fps, 1, 1000);
  threads_n = int_in_range(kTool, "--threads", threads_n, 0, 1024);
  std::vector<int> counts;
  for (const std::string &item :
       refseg::tools::list_items(refseg::tools::take_string_or(streams_text, "1,2,4,8"))) {
    char *end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 1 || v > 64)
      refseg::tools::usage_error(kTool, "--streams takes counts from 1 to 64, got '" + item + "'");
    counts.push_back(static_cast<int>(v));
  }
  if (counts.empty()) refseg::tools::usage_error(kTool, "--streams needs at least one count");

  refseg::bench::print_environment(stdout);
  const std::string bin_options = "model=\"" + model + "\" text=\"" + text +
                                  "\" mode=latest threads=" + std::to_string(threads_n) +
                                  " precision=fp32 " + extra;
  std::printf(
      "each stream: refsegworldsrc is-live=true ! %dx%d@%d ! refsegbin %s ! fakesink "
      "sync=false\n",
      width, height, fps, bin_options.c_str());
  for (int n : counts)
    if (!run(n, bin_options, seconds, width, height, fps)) return 1;
  return 0;
}

// bench_chain: the analysis chain stage by stage, in a real pipeline, per
// precision (issue 10, "whole chain"). For each --precision it runs
//
//   refsegworldsrc seed=4 num-buffers=W+F ! video/x-raw,width=640,height=480,framerate=30/1 !
//     refsegproposals max-proposals=N ! refsegencoder model=M precision=P threads=T !
//     refsegselector model=M precision=P text=T ! fakesink sync=false
//
// not live: each frame passes every stage before the source makes the
// next, so pad probes time each stage alone. A stage's time is from a
// buffer reaching the element's sink pad to the element pushing it on its
// src pad; the chain's is from the source's src pad to the sink's pad (the
// three stages plus what GStreamer adds between them: caps, meta, pad
// pushes); the frame period is between consecutive source pushes (the
// chain plus the source's own rendering). The first W frames (model load,
// first-touch allocations) are left out. Nothing is asserted: it prints.
//
//   bench_chain --model M [--precision fp32,bf16,int8] [--frames 8] [--warmup 2]
//               [--masks 20] [--threads 0] [--width 640] [--height 480]
//               [--text "the red circle"]
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "bench_report.h"
#include "clip/precision.h"
#include "gst/refseg/refsegmeta.h"
#include "tool_options.h"

namespace {

constexpr const char *kTool = "bench_chain";

using Clock = std::chrono::steady_clock;

// When each buffer (by PTS) passed one pad, and how many proposals its
// meta held then.
struct PadTimes {
  std::mutex mutex;
  std::map<GstClockTime, Clock::time_point> at;
  std::map<GstClockTime, guint> proposals;
};

GstPadProbeReturn record(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *times = static_cast<PadTimes *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const auto now = Clock::now();
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  std::lock_guard<std::mutex> lock(times->mutex);
  times->at.emplace(pts, now);
  times->proposals.emplace(pts, meta ? gst_refseg_meta_get_n_proposals(meta) : 0);
  return GST_PAD_PROBE_OK;
}

struct Options {
  std::string model = "refseg-tiny", text = "the red circle";
  std::vector<std::string> precisions = {"fp32", "bf16", "int8"};
  int frames = 8, warmup = 2, masks = 20, threads = 0, width = 640, height = 480;
};

Options parse(int argc, char **argv) {
  Options o;
  gchar *model = nullptr, *text = nullptr, *precisions = nullptr;
  gint frames = o.frames, warmup = o.warmup, masks = o.masks, threads = o.threads;
  gint width = o.width, height = o.height;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_STRING, &model,
       "CLIP model: a name (refseg-tiny) or a .pt path (default refseg-tiny)", "M"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precisions,
       "Comma-separated precisions, each a run of its own (default fp32,bf16,int8)", "P[,P...]"},
      {"frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames measured per precision (default 8)", "F"},
      {"warmup", 0, 0, G_OPTION_ARG_INT, &warmup,
       "Frames before them, left out (default 2; the first loads the model)", "W"},
      {"masks", 0, 0, G_OPTION_ARG_INT, &masks, "refsegproposals max-proposals (default 20)", "N"},
      {"threads", 0, 0, G_OPTION_ARG_INT, &threads,
       "refsegencoder threads (default 0: the cores others leave idle)", "T"},
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (default 640)", "W"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (default 480)", "H"},
      {"text", 0, 0, G_OPTION_ARG_STRING, &text,
       "The selector's expression (default \"the red circle\")", "T"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(kTool, "- the analysis chain, stage by stage",
                               "Median ms per frame of proposals, encoder and selector in a "
                               "real pipeline, per precision.",
                               nullptr, entries, nullptr, &argc, &argv,
                               gst_init_get_option_group());
  if (model) o.model = model;
  if (text) o.text = text;
  if (precisions) {
    o.precisions.clear();
    std::stringstream in(precisions);
    for (std::string p; std::getline(in, p, ',');)
      if (!p.empty()) o.precisions.push_back(p);
    if (o.precisions.empty()) refseg::tools::usage_error(kTool, "--precision: none given");
  }
  g_free(model);
  g_free(text);
  g_free(precisions);
  o.frames = refseg::tools::int_in_range(kTool, "--frames", frames, 2, 100000);
  o.warmup = refseg::tools::int_in_range(kTool, "--warmup", warmup, 1, 100000);
  o.masks = refseg::tools::int_in_range(kTool, "--masks", masks, 1, 1000);
  o.threads = refseg::tools::int_in_range(kTool, "--threads", threads, 0, 1024);
  o.width = refseg::tools::int_in_range(kTool, "--width", width, 16, 8192);
  o.height = refseg::tools::int_in_range(kTool, "--height", height, 16, 8192);
  return o;
}

// Milliseconds from `from` to `to` for each buffer both saw, in PTS order,
// leaving out the first `skip` buffers.
std::vector<double> spans(PadTimes &from, PadTimes &to, int skip) {
  std::lock_guard<std::mutex> a(from.mutex), b(to.mutex);
  std::vector<double> out;
  int seen = 0;
  for (const auto &[pts, start] : from.at) {
    auto end = to.at.find(pts);
    if (end == to.at.end() || seen++ < skip) continue;
    out.push_back(std::chrono::duration<double, std::milli>(end->second - start).count());
  }
  return out;
}

// Milliseconds between consecutive buffers at one pad, after `skip`.
std::vector<double> periods(PadTimes &pad, int skip) {
  std::lock_guard<std::mutex> lock(pad.mutex);
  std::vector<double> out;
  int seen = 0;
  Clock::time_point previous;
  for (const auto &[pts, t] : pad.at) {
    if (seen++ > skip)
      out.push_back(std::chrono::duration<double, std::milli>(t - previous).count());
    previous = t;
  }
  return out;
}

struct Stage {
  const char *name;  // element name in the pipeline
  PadTimes in, out;
};

// One precision's run; false when the pipeline failed (the error printed).
bool run(const Options &o, const std::string &precision) {
  const std::string description =
      "refsegworldsrc name=src seed=4 num-buffers=" + std::to_string(o.warmup + o.frames) +
      " ! video/x-raw,width=" + std::to_string(o.width) + ",height=" + std::to_string(o.height) +
      ",framerate=30/1 ! refsegproposals name=proposals max-proposals=" + std::to_string(o.masks) +
      " ! refsegencoder name=encoder model=\"" + o.model + "\" precision=" + precision +
      " threads=" + std::to_string(o.threads) + " ! refsegselector name=selector model=\"" +
      o.model + "\" precision=" + precision + " text=\"" + o.text +
      "\" ! fakesink name=sink sync=false";
  std::printf("\npipeline: %s\n", description.c_str());
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline) {
    std::fprintf(stderr, "%s: %s\n", kTool, error ? error->message : "cannot build the pipeline");
    if (error) g_error_free(error);
    return false;
  }
  Stage stages[] = {{"proposals", {}, {}}, {"encoder", {}, {}}, {"selector", {}, {}}};
  PadTimes source, sink;
  auto probe = [&](const char *element, const char *pad, PadTimes *times) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element);
    GstPad *p = gst_element_get_static_pad(e, pad);
    gst_pad_add_probe(p, GST_PAD_PROBE_TYPE_BUFFER, record, times, nullptr);
    gst_object_unref(p);
    gst_object_unref(e);
  };
  probe("src", "src", &source);
  probe("sink", "sink", &sink);
  for (Stage &s : stages) {
    probe(s.name, "sink", &s.in);
    probe(s.name, "src", &s.out);
  }

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  bool ok = true;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    std::fprintf(stderr, "%s: %s (%s)\n", kTool, err->message, debug ? debug : "");
    g_error_free(err);
    g_free(debug);
    ok = false;
  }
  gst_message_unref(msg);
  // Warnings the run posted (a precision this CPU has no fast
  // instructions for says so here).
  while (GstMessage *w = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
    GError *err = nullptr;
    gst_message_parse_warning(w, &err, nullptr);
    std::printf("warning: %s\n", err->message);
    g_error_free(err);
    gst_message_unref(w);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  if (!ok) return false;

  using refseg::bench::median;
  std::printf("precision %s, %s, %dx%d, max-proposals %d, %d frames after %d warm-up\n",
              precision.c_str(), o.model.c_str(), o.width, o.height, o.masks, o.frames, o.warmup);
  std::printf("  %-10s %10s\n", "stage", "median ms");
  std::vector<double> per_frame_sum;  // the three stages of each frame
  for (Stage &s : stages) {
    const std::vector<double> ms = spans(s.in, s.out, o.warmup);
    per_frame_sum.resize(std::max(per_frame_sum.size(), ms.size()), 0.0);
    for (size_t i = 0; i < ms.size(); ++i) per_frame_sum[i] += ms[i];
    std::printf("  %-10s %10.1f\n", s.name, median(ms));
  }
  const double sum = median(per_frame_sum);
  double proposals = 0;
  {
    std::lock_guard<std::mutex> lock(sink.mutex);
    for (const auto &[pts, n] : sink.proposals) proposals += n;
    if (!sink.proposals.empty()) proposals /= static_cast<double>(sink.proposals.size());
  }
  std::printf("  proposals per frame: %.1f (mean)\n", proposals);
  const double chain = median(spans(source, sink, o.warmup));
  const double period = median(periods(source, o.warmup));
  std::printf("  %-10s %10.1f  (per frame, then the median)\n", "sum", sum);
  std::printf("  %-10s %10.1f  (%+.1f%% over the sum of its stages)\n", "chain", chain,
              sum > 0 ? 100.0 * (chain / sum - 1) : 0.0);
  std::printf("  %-10s %10.1f  (source to source, the source's rendering included)\n", "period",
              period);
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  const Options o = parse(argc, argv);
  gst_init(&argc, &argv);
  refseg::bench::print_environment(stdout);
  std::printf("CPU features: %s\n",
              refseg::clip::describe(refseg::clip::detect_cpu_features()).c_str());
  bool ok = true;
  for (const std::string &p : o.precisions) ok = run(o, p) && ok;
  std::printf("\npeak RSS: %.0f MB\n", refseg::bench::peak_rss_mb());
  return ok ? 0 : 1;
}

// soak_refseg: the whole chain (refsegbin on the synthetic world with the
// bundled refseg-tiny) under state cycles, a text storm and a long run,
// with the process's resident memory sampled as it goes. A benchmark, not
// a test: it prints figures (docs/benchmarks.md) and fails only when the
// pipeline errors or frames stop.
//
//   soak_refseg [--cycles N] [--storm-seconds S] [--storm-rate R] [--frames F]
//               [--model PATH] [--size WxH]
//
//  1. N state cycles NULL -> PLAYING (until 3 frames are out) -> NULL;
//  2. S seconds of R text changes per second from another thread while
//     frames flow (texts alternate between ordinary ones and issue 13's
//     dots text), counting the frames that came out;
//  3. F frames in one run, RSS sampled every F / 10 frames.
#include <gst/gst.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tool_options.h"

namespace {

using Clock = std::chrono::steady_clock;

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct Counter {
  std::atomic<long> frames{0};
};

GstPadProbeReturn count_frame(GstPad *, GstPadProbeInfo *, gpointer data) {
  static_cast<Counter *>(data)->frames++;
  return GST_PAD_PROBE_OK;
}

struct Pipeline {
  GstElement *pipeline = nullptr, *bin = nullptr;
  Counter counter;

  Pipeline(const std::string &model, const std::string &size, long frames) {
    const std::string description = "refsegworldsrc seed=4 num-buffers=" + std::to_string(frames) +
                                    " ! video/x-raw,width=" + size.substr(0, size.find('x')) +
                                    ",height=" + size.substr(size.find('x') + 1) +
                                    " ! refsegbin name=bin mode=every-frame model=" + model +
                                    " text=\"the red circle\" ! fakesink name=sink sync=false";
    GError *error = nullptr;
    pipeline = gst_parse_launch(description.c_str(), &error);
    if (!pipeline) {
      std::fprintf(stderr, "soak_refseg: %s\n", error ? error->message : "cannot build");
      std::exit(1);
    }
    bin = gst_bin_get_by_name(GST_BIN(pipeline), "bin");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, &counter, nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
  }
  ~Pipeline() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bin);
    gst_object_unref(pipeline);
  }
  // Pops bus messages for up to `ms`; false on an error.
  bool poll(int ms, bool *eos = nullptr) {
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, ms * GST_MSECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    gst_object_unref(bus);
    if (!msg) return true;
    const bool error = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
    if (error) {
      GError *e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      std::fprintf(stderr, "soak_refseg: error: %s\n", e->message);
      g_error_free(e);
    } else if (eos) {
      *eos = true;
    }
    gst_message_unref(msg);
    return !error;
  }
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char **argv) {
  constexpr const char *kTool = "soak_refseg";
  gint cycles = 50, storm_rate = 1000;
  gdouble storm_seconds = 10;
  gint64 frames = 2000;
  gchar *model_arg = nullptr, *size_arg = nullptr;
  const GOptionEntry entries[] = {
      {"cycles", 0, 0, G_OPTION_ARG_INT, &cycles, "NULL-PLAYING-NULL cycles, 0-100000 (default 50)",
       "N"},
      {"storm-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &storm_seconds,
       "How long the text storm lasts, 0-3600 s (default 10)", "S"},
      {"storm-rate", 0, 0, G_OPTION_ARG_INT, &storm_rate,
       "Text changes per second in the storm, 1-1000000 (default 1000)", "R"},
      {"frames", 0, 0, G_OPTION_ARG_INT64, &frames,
       "Frames of the long run, 0-100000000 (default 2000)", "F"},
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model_arg,
       "CLIP model (default: the source tree's refseg-tiny)", "PATH"},
      {"size", 0, 0, G_OPTION_ARG_STRING, &size_arg, "World frame size (default 160x120)", "WxH"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  // GStreamer's own options (--gst-debug...) too; gst_init happens here.
  refseg::tools::parse_options(kTool, "- state cycles, a text storm and a long run of refsegbin",
                               "RSS is sampled along the way.", nullptr, entries, nullptr, &argc,
                               &argv, gst_init_get_option_group());
  std::string model = REFSEG_SOURCE_DIR "/models/pretrained/refseg-tiny.pt", size = "160x120";
  if (model_arg) model = model_arg;
  if (size_arg) size = size_arg;
  g_free(model_arg);
  g_free(size_arg);
  using refseg::tools::int_in_range;
  cycles = int_in_range(kTool, "--cycles", cycles, 0, 100000);
  storm_rate = int_in_range(kTool, "--storm-rate", storm_rate, 1, 1000000);
  storm_seconds = refseg::tools::real_in_range(kTool, "--storm-seconds", storm_seconds, 0, 3600);
  if (frames < 0 || frames > 100000000)
    refseg::tools::usage_error(
        kTool, "--frames must be from 0 to 100000000, got '" + std::to_string(frames) + "'");
  if (argc > 1)
    refseg::tools::usage_error(kTool, std::string("unexpected argument '") + argv[1] + "'");
  std::printf("soak_refseg: refsegbin mode=every-frame, %s, world %s\n", model.c_str(),
              size.c_str());
  std::printf("RSS at start: %.1f MB\n", rss_mb());

  // 1. State cycles.
  {
    std::vector<double> rss;
    const auto t0 = Clock::now();
    for (int c = 0; c < cycles; ++c) {
      Pipeline p(model, size, -1);
      gst_element_set_state(p.pipeline, GST_STATE_PLAYING);
      for (int waited = 0; p.counter.frames < 3; waited += 50) {
        if (!p.poll(50) || waited > 120000) {
          std::fprintf(stderr, "soak_refseg: cycle %d: no frames\n", c);
          return 1;
        }
      }
      gst_element_set_state(p.pipeline, GST_STATE_NULL);
      rss.push_back(rss_mb());
    }
    std::printf("1. %d state cycles in %.1f s; RSS after cycles", cycles, seconds_since(t0));
    const int step = std::max(cycles / 10, 1);
    for (int c = step - 1; c < cycles; c += step) std::printf(" %d: %.1f", c + 1, rss[c]);
    std::printf(" MB\n");
  }

  // 2. Text storm.
  {
    Pipeline p(model, size, -1);
    gst_element_set_state(p.pipeline, GST_STATE_PLAYING);
    std::string dots;
    for (int i = 0; i < 6; ++i) dots += "................ ";
    dots += "the zebra";
    const std::vector<std::string> texts = {"the red circle", "the blue square", dots,
                                            "the green triangle on the left",
                                            "the small yellow star"};
    std::atomic<bool> stop{false};
    long changes = 0;
    const double rss_before = rss_mb();
    const auto t0 = Clock::now();
    std::thread storm([&] {
      const auto period = std::chrono::microseconds(1000000 / std::max(storm_rate, 1));
      for (auto next = Clock::now(); !stop; next += period) {
        g_object_set(p.bin, "text", texts[changes % texts.size()].c_str(), nullptr);
        ++changes;
        std::this_thread::sleep_until(next + period);
      }
    });
    bool ok = true;
    while (ok && seconds_since(t0) < storm_seconds) ok = p.poll(100);
    stop = true;
    storm.join();
    const double elapsed = seconds_since(t0);
    std::printf(
        "2. text storm: %ld changes in %.1f s (%.0f/s), %ld frames out (%.1f fps), RSS "
        "%.1f -> %.1f MB%s\n",
        changes, elapsed, changes / elapsed, p.counter.frames.load(), p.counter.frames / elapsed,
        rss_before, rss_mb(), ok ? "" : " (ERROR)");
    if (!ok || p.counter.frames == 0) return 1;
  }

  // 3. Long run.
  {
    Pipeline p(model, size, frames);
    gst_element_set_state(p.pipeline, GST_STATE_PLAYING);
    const auto t0 = Clock::now();
    std::vector<double> rss;
    long next_sample = 0;
    bool eos = false, ok = true;
    while (ok && !eos) {
      ok = p.poll(100, &eos);
      while (p.counter.frames >= next_sample) {
        rss.push_back(rss_mb());
        next_sample += std::max(frames / 10, 1L);
      }
    }
    std::printf(
        "3. %ld frames in %.1f s (%.1f fps); RSS every %ld frames:", p.counter.frames.load(),
        seconds_since(t0), p.counter.frames / seconds_since(t0), std::max(frames / 10, 1L));
    for (double r : rss) std::printf(" %.1f", r);
    std::printf(" MB%s\n", ok ? "" : " (ERROR)");
    if (!ok) return 1;
  }
  return 0;
}

// bench_publish: what publishing results costs.
//
//  1. document: CPU microseconds to build one frame's JSON document
//     (models/publish) with --expressions selections, each with a mask of
//     a box of a quarter of the frame's width and height (an ellipse),
//     with mask-format=rle and none, and the document's size;
//  2. element: CPU microseconds per frame that refsegpublish adds to a
//     pipeline (videotestsrc, a probe that attaches the same results as
//     refseg meta, refsegpublish method=file to /dev/null, fakesink) over
//     the same pipeline without it: all threads, the sender's included;
//  3. broker: messages per second a loopback mosquitto takes from one
//     pipeline (method=mqtt every-frame=true, a queue large enough to drop
//     nothing), QoS 0 and 1, with and without masks, counted by a
//     subscriber.
//
//  4. streams (--streams 1,2,4): that many live refsegworldsrc 640x480@30
//     ! refsegbin (--model, "the red ball", latest mode) ! refsegpublish
//     method=file file-path=/dev/null ! fakesink in one pipeline for
//     --seconds after a 3 s warm-up: frames out per second per stream,
//     analyses per second per stream (the documents refsegpublish made:
//     one per analysed frame), the process's CPU in cores. What one host
//     carries as it is built today (each refsegbin analyses on its own).
//
//   bench_publish [--width 640] [--height 480] [--expressions 1] [--frames 5000]
//                 [--mosquitto /usr/sbin/mosquitto] [--streams 1,2,4 --seconds 15
//                 --model refseg-tiny]
//   (--streams runs part 4 only)
// GST_PLUGIN_PATH must name the build's plugins (meson devenv does).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "bench_report.h"
#include "common/model_error.h"
#include "gst/refseg/refsegmeta.h"
#include "publish/results_document.h"
#include "spawned_process.h"

namespace {

using namespace refseg;

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

struct Options {
  int width = 640, height = 480, expressions = 1, frames = 5000;
  std::string mosquitto = "/usr/sbin/mosquitto";
  std::vector<int> streams;  // part 4 only
  int seconds = 15;
  std::string model = "refseg-tiny";
};

// An ellipse filling a box of a quarter of the frame's sides, centred.
RegionMask ellipse_mask(int width, int height, int k) {
  RegionMask m;
  m.box = {width / 8 + k * 7 % (width / 2), height / 8, width / 4, height / 4};
  m.pixels.assign(static_cast<size_t>(m.box.width) * m.box.height, 0);
  const double cx = m.box.width / 2.0, cy = m.box.height / 2.0;
  for (int y = 0; y < m.box.height; ++y)
    for (int x = 0; x < m.box.width; ++x) {
      const double dx = (x + 0.5 - cx) / cx, dy = (y + 0.5 - cy) / cy;
      m.pixels[static_cast<size_t>(y) * m.box.width + x] = dx * dx + dy * dy <= 1 ? 255 : 0;
    }
  return m;
}

publish::FrameResults frame(const Options &o) {
  publish::FrameResults f;
  f.stream = "cam1";
  f.pts_ns = 123456789;
  f.running_time_ns = 123456789;
  f.analysed_pts_ns = 123456789;
  f.wall_clock_us = 1765049137123456;
  f.width = o.width;
  f.height = o.height;
  f.feature_model = "refseg-tiny";
  for (int k = 0; k < o.expressions; ++k) {
    publish::ExpressionResult e;
    e.expression = "the red ball on the left of the table";
    e.phrase = "red ball";
    e.index = k;
    e.score = 25.5f;
    e.mask = ellipse_mask(o.width, o.height, k);
    e.box = e.mask.box;
    e.track_id = k + 1;
    f.expressions.push_back(std::move(e));
  }
  return f;
}

void bench_document(const Options &o) {
  const publish::FrameResults f = frame(o);
  for (const auto format : {publish::MaskFormat::Rle, publish::MaskFormat::None}) {
    std::vector<double> per_call;
    size_t bytes = 0;
    for (int round = 0; round < 7; ++round) {
      const int n = 200;
      const double t0 = thread_cpu_us();
      for (int i = 0; i < n; ++i) bytes = publish::results_document(f, format).size();
      per_call.push_back((thread_cpu_us() - t0) / n);
    }
    std::printf(
        "document  %dx%d, %d expression(s), mask-format=%s: %.1f us CPU (median of 7 x 200), "
        "%zu bytes\n",
        o.width, o.height, o.expressions, format == publish::MaskFormat::Rle ? "rle " : "none",
        bench::median(per_call), bytes);
  }
}

struct Attach {
  int width, height;
  std::vector<RegionMask> masks;
  std::vector<GstRefSegBox> boxes;
  std::vector<float> scores;
  std::vector<const guint8 *> pointers;
};

GstPadProbeReturn attach_results(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *a = static_cast<Attach *>(data);
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  info->data = buffer;
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buffer, a->width, a->height);
  const guint n = static_cast<guint>(a->masks.size());
  gst_refseg_meta_set_proposals(meta, n, a->boxes.data(), a->scores.data(), a->pointers.data());
  for (guint i = 0; i < n; ++i) {
    std::vector<float> scores(n, 10.f);
    scores[i] = 25.5f;
    gst_refseg_meta_add_selection(meta, "the red ball on the left of the table", "red ball",
                                  static_cast<gint>(i), 25.5f, n, scores.data());
  }
  return GST_PAD_PROBE_OK;
}

Attach attachment(const Options &o) {
  Attach a{o.width, o.height, {}, {}, {}, {}};
  for (int k = 0; k < o.expressions; ++k) a.masks.push_back(ellipse_mask(o.width, o.height, k));
  for (const RegionMask &m : a.masks) {
    a.boxes.push_back({m.box.x, m.box.y, m.box.width, m.box.height});
    a.scores.push_back(0.9f);
    a.pointers.push_back(m.pixels.data());
  }
  return a;
}

// Runs `description` (with the probe on the element named "src") to EOS;
// returns the process CPU ms it took.
double run_pipeline(const std::string &description, Attach *attach, GstElement **keep = nullptr) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline || error) {
    std::fprintf(stderr, "bench_publish: cannot build %s: %s\n", description.c_str(),
                 error ? error->message : "");
    std::exit(1);
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstPad *pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, attach_results, attach, nullptr);
  gst_object_unref(pad);
  gst_object_unref(src);
  const double cpu0 = bench::process_cpu_ms();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    std::fprintf(stderr, "bench_publish: %s\n", err->message);
    std::exit(1);
  }
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  const double cpu = bench::process_cpu_ms() - cpu0;
  if (keep)
    *keep = pipeline;
  else
    gst_object_unref(pipeline);
  return cpu;
}

std::string source(const Options &o, int frames) {
  return "videotestsrc name=src pattern=black num-buffers=" + std::to_string(frames) +
         " ! video/x-raw,format=RGB,width=" + std::to_string(o.width) +
         ",height=" + std::to_string(o.height);
}

void bench_element(const Options &o) {
  Attach a = attachment(o);
  const int n = o.frames;
  // Warm-up (plugin loading, first allocations).
  run_pipeline(source(o, 50) + " ! fakesink", &a);
  std::vector<double> base, rle, none;
  for (int round = 0; round < 3; ++round) {
    base.push_back(run_pipeline(source(o, n) + " ! fakesink", &a));
    for (auto [format, out] :
         {std::pair<const char *, std::vector<double> *>{"rle", &rle}, {"none", &none}})
      out->push_back(run_pipeline(source(o, n) +
                                      " ! refsegpublish method=file file-path=/dev/null "
                                      "max-queue=100000 mask-format=" +
                                      format + " ! fakesink",
                                  &a));
  }
  const double b = bench::median(base);
  std::printf(
      "element   %dx%d, %d expression(s), %d frames to /dev/null, process CPU over the "
      "pipeline without it (median of 3): mask-format=rle %.1f us/frame, none %.1f "
      "us/frame (pipeline alone %.1f us/frame)\n",
      o.width, o.height, o.expressions, n, (bench::median(rle) - b) * 1e3 / n,
      (bench::median(none) - b) * 1e3 / n, b * 1e3 / n);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

void bench_broker(const Options &o) {
  const int port = free_port();
  char dir_template[] = "/tmp/bench-publish-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string conf = dir + "/mosquitto.conf";
  // No limit on what the broker queues for the subscriber: every message counts.
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\n"
                      << "max_queued_messages 0\nmax_inflight_messages 0\n";
  refseg::SpawnedProcess broker({o.mosquitto, "-c", conf}, "/dev/null", SIGTERM);
  if (!broker.started()) {
    std::fprintf(stderr, "bench_publish: %s\n", broker.error().c_str());
    std::exit(1);
  }
  for (int i = 0; i < 500 && !port_open(port); ++i) g_usleep(10000);
  if (!port_open(port)) {
    std::fprintf(stderr, "bench_publish: %s did not start\n", o.mosquitto.c_str());
    std::exit(1);
  }
  mosquitto_lib_init();
  static std::atomic<long> received{0};
  mosquitto *sub = mosquitto_new(nullptr, true, nullptr);
  mosquitto_message_callback_set(
      sub, [](mosquitto *, void *, const mosquitto_message *) { received++; });
  mosquitto_connect(sub, "127.0.0.1", port, 60);
  mosquitto_subscribe(sub, nullptr, "refseg/+/results", 1);
  mosquitto_loop_start(sub);
  g_usleep(300000);

  Attach a = attachment(o);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  for (int qos : {0, 1})
    for (const char *format : {"rle", "none"}) {
      received = 0;
      const gint64 t0 = g_get_monotonic_time();
      GstElement *pipeline = nullptr;
      run_pipeline(source(o, o.frames) + " ! refsegpublish name=pub method=mqtt address=" +
                       address + " qos=" + std::to_string(qos) + " mask-format=" + format +
                       " max-queue=1000000 stream-name=cam1 ! fakesink",
                   &a, &pipeline);
      // Stopping drains for at most 2 s; wait for the subscriber's count too.
      for (int i = 0; i < 3000 && received.load() < o.frames; ++i) g_usleep(10000);
      const double seconds = (g_get_monotonic_time() - t0) / 1e6;
      guint64 published = 0, dropped = 0;
      GstElement *pub = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
      g_object_get(pub, "published", &published, "dropped", &dropped, nullptr);
      gst_object_unref(pub);
      gst_object_unref(pipeline);
      std::printf(
          "broker    qos=%d mask-format=%-4s: %d frames, %ld received in %.2f s = %.0f "
          "messages/s (published %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT ")\n",
          qos, format, o.frames, received.load(), seconds, received.load() / seconds, published,
          dropped);
    }
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(sub, false);
  mosquitto_destroy(sub);
  broker.stop(SIGTERM);
  const std::string rm = "rm -rf '" + dir + "'";
  if (std::system(rm.c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", dir.c_str());
}

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  static_cast<std::atomic<long> *>(data)->fetch_add(1);
  return GST_PAD_PROBE_OK;
}

void bench_streams(const Options &o) {
  for (int n : o.streams) {
    std::string description;
    for (int i = 0; i < n; ++i)
      description += "refsegworldsrc is-live=true seed=" + std::to_string(i + 1) +
                     " ! video/x-raw,width=" + std::to_string(o.width) +
                     ",height=" + std::to_string(o.height) +
                     ",framerate=30/1 ! refsegbin mode=latest model=" + o.model +
                     " text=\"the red ball\" ! refsegpublish name=pub" + std::to_string(i) +
                     " method=file file-path=/dev/null ! fakesink name=sink" + std::to_string(i) +
                     " sync=false ";
    GError *error = nullptr;
    GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
    if (!pipeline || error) {
      std::fprintf(stderr, "bench_publish: %s\n", error ? error->message : "cannot build");
      std::exit(1);
    }
    std::vector<std::atomic<long>> frames(n);
    std::vector<GstElement *> pubs;
    for (int i = 0; i < n; ++i) {
      GstElement *sink =
          gst_bin_get_by_name(GST_BIN(pipeline), ("sink" + std::to_string(i)).c_str());
      GstPad *pad = gst_element_get_static_pad(sink, "sink");
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &frames[i], nullptr);
      gst_object_unref(pad);
      gst_object_unref(sink);
      pubs.push_back(gst_bin_get_by_name(GST_BIN(pipeline), ("pub" + std::to_string(i)).c_str()));
    }
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    auto run_for = [&](double seconds) {
      const gint64 end = g_get_monotonic_time() + static_cast<gint64>(seconds * 1e6);
      while (g_get_monotonic_time() < end) {
        GstMessage *m = gst_bus_timed_pop_filtered(bus, 50 * GST_MSECOND, GST_MESSAGE_ERROR);
        if (m) {
          GError *err = nullptr;
          gst_message_parse_error(m, &err, nullptr);
          std::fprintf(stderr, "bench_publish: %s\n", err->message);
          std::exit(1);
        }
      }
    };
    run_for(3);
    std::vector<long> f0(n);
    std::vector<guint64> a0(n);
    for (int i = 0; i < n; ++i) {
      f0[i] = frames[i].load();
      g_object_get(pubs[i], "published", &a0[i], nullptr);
    }
    const double cpu0 = bench::process_cpu_ms();
    const gint64 t0 = g_get_monotonic_time();
    run_for(o.seconds);
    const double wall = (g_get_monotonic_time() - t0) / 1e6;
    const double cores = (bench::process_cpu_ms() - cpu0) / 1e3 / wall;
    std::printf("streams   %d x %s %dx%d@30 live, %d s: process CPU %.2f cores\n", n,
                o.model.c_str(), o.width, o.height, o.seconds, cores);
    for (int i = 0; i < n; ++i) {
      guint64 a = 0;
      g_object_get(pubs[i], "published", &a, nullptr);
      std::printf("  stream %d: %.2f frames out/s, %.2f analyses/s\n", i,
                  (frames[i].load() - f0[i]) / wall, (a - a0[i]) / wall);
      gst_object_unref(pubs[i]);
    }
    std::fflush(stdout);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
}

}  // namespace

int main(int argc, char **argv) {
  // --help as the GOption tools answer it (tools/tool_options.h).
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf(
          "Usage:\n"
          "  %s [OPTION...] - what publishing results costs (refsegpublish)\n\n"
          "  --width N            frame width (640)\n"
          "  --height N           frame height (480)\n"
          "  --expressions N      selected expressions per frame, each with a mask (1)\n"
          "  --frames N           frames per element / broker run (5000)\n"
          "  --mosquitto PATH     the broker to start on loopback (/usr/sbin/mosquitto)\n"
          "  --streams N,N,...    only: that many live refsegbin streams in one pipeline\n"
          "  --seconds N          measured seconds per --streams run (15)\n"
          "  --model NAME         the model of the --streams runs (refseg-tiny)\n"
          "  -h, --help           Show this help\n",
          argv[0]);
      return 0;
    }
  gst_init(&argc, &argv);
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
      if (!v) throw ModelError("option " + a + " needs a value");
      if (a == "--width")
        o.width = bench::parse_count(v, "--width", 16);
      else if (a == "--height")
        o.height = bench::parse_count(v, "--height", 16);
      else if (a == "--expressions")
        o.expressions = bench::parse_count(v, "--expressions", 1);
      else if (a == "--frames")
        o.frames = bench::parse_count(v, "--frames", 1);
      else if (a == "--mosquitto")
        o.mosquitto = v;
      else if (a == "--seconds")
        o.seconds = bench::parse_count(v, "--seconds", 1);
      else if (a == "--model")
        o.model = v;
      else if (a == "--streams") {
        gchar **parts = g_strsplit(v, ",", -1);
        for (gchar **s = parts; *s; ++s)
          o.streams.push_back(bench::parse_count(*s, "--streams", 1));
        g_strfreev(parts);
      } else
        throw ModelError("unknown option " + a);
      ++i;
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_publish: %s\n", e.what());
    return 2;
  }
  bench::print_environment(stdout);
  if (!o.streams.empty()) {
    bench_streams(o);
    return 0;
  }
  bench_document(o);
  bench_element(o);
  bench_broker(o);
  return 0;
}

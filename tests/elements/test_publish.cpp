// refsegpublish against a real broker: the test starts Debian's mosquitto on
// a free loopback port (a generated config; a password file made with
// mosquitto_passwd for the credentials case), subscribes with libmosquitto,
// and kills and restarts the broker mid-run. The video is the synthetic
// world through refsegbin with the bundled refseg-tiny.
//
// Waits are bounded (so a broken element fails instead of hanging) but
// nothing asserts on a duration.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mosquitto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include "gst/refseg/refsegmeta.h"
#include "refcoco/coco_mask.h"
#include "spawned_process.h"
#include "world_harness.h"

using json = nlohmann::json;

static std::string tiny_model() {
  return std::string(std::getenv("REFSEG_SOURCE_DIR")) + "/models/pretrained/refseg-tiny.pt";
}

static gint64 wait_us(double seconds) {
  return static_cast<gint64>(seconds * 1e6 * refseg_test::timeout_multiplier());
}

static int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  fail_unless(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

static bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// mosquitto on 127.0.0.1:<port>, in a directory of its own.
class Broker {
 public:
  explicit Broker(const std::string &user = "", const std::string &password = "")
      : port_(free_port()) {
    gchar *dir = g_dir_make_tmp("refseg-broker-XXXXXX", nullptr);
    dir_ = dir;
    g_free(dir);
    // Run as root, mosquitto reads the password file after dropping to its
    // own user.
    g_chmod(dir_.c_str(), 0755);
    std::string conf = "listener " + std::to_string(port_) + " 127.0.0.1\n";
    if (user.empty()) {
      conf += "allow_anonymous true\n";
    } else {
      const std::string passwd = dir_ + "/passwd";
      const std::string cmd = "mosquitto_passwd -b -c '" + passwd + "' '" + user + "' '" +
                              password + "' >/dev/null 2>&1";
      fail_unless(std::system(cmd.c_str()) == 0, "mosquitto_passwd failed: %s", cmd.c_str());
      g_chmod(passwd.c_str(), 0644);
      conf += "allow_anonymous false\npassword_file " + passwd + "\n";
    }
    std::ofstream(dir_ + "/mosquitto.conf") << conf;
    start();
  }
  ~Broker() {
    kill();
    const std::string cmd = "rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) g_printerr("cannot remove %s\n", dir_.c_str());
  }

  void start() {
    const char *program = std::getenv("MOSQUITTO");
    const std::string conf = dir_ + "/mosquitto.conf";
    const std::string log = dir_ + "/mosquitto.log";
    process_ = refseg::SpawnedProcess({program ? program : "mosquitto", "-c", conf}, log);
    fail_unless(process_.started(), "cannot start mosquitto: %s", process_.error().c_str());
    const gint64 deadline = g_get_monotonic_time() + wait_us(10);
    while (!port_open(port_) && g_get_monotonic_time() < deadline) g_usleep(20000);
    fail_unless(port_open(port_), "mosquitto did not listen on %d (log %s)", port_, log.c_str());
  }
  // SIGKILL: the broker vanishes without closing anything cleanly.
  void kill() { process_.stop(SIGKILL); }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::string dir_;
  refseg::SpawnedProcess process_;
};

struct Received {
  std::string topic, payload;
};

// A libmosquitto client that (re)subscribes on every connection and keeps
// what arrives.
class Client {
 public:
  Client(int port, std::vector<std::string> topics) : topics_(std::move(topics)) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
    mosquitto_connect_callback_set(mosq_, [](mosquitto *m, void *d, int rc) {
      auto *self = static_cast<Client *>(d);
      if (rc != 0) return;
      for (const std::string &t : self->topics_) mosquitto_subscribe(m, nullptr, t.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto *, void *d, int, int, const int *) {
      static_cast<Client *>(d)->subscribed_++;
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto *, void *d, const mosquitto_message *m) {
      auto *self = static_cast<Client *>(d);
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->received_.push_back(
          {m->topic, std::string(static_cast<const char *>(m->payload), m->payloadlen)});
    });
    fail_unless(mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
    const gint64 deadline = g_get_monotonic_time() + wait_us(10);
    while (subscribed_.load() < static_cast<int>(topics_.size()) &&
           g_get_monotonic_time() < deadline)
      g_usleep(10000);
    fail_unless(subscribed_.load() >= static_cast<int>(topics_.size()), "not subscribed");
  }
  ~Client() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  void publish(const std::string &topic, const std::string &payload, int qos = 1) {
    mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), qos, false);
  }
  std::vector<Received> received(const std::string &topic) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Received> out;
    for (const Received &r : received_)
      if (r.topic == topic) out.push_back(r);
    return out;
  }
  size_t count(const std::string &topic) { return received(topic).size(); }
  // Waits until `ok` holds for the messages of `topic` (bounded).
  bool wait_for(const std::string &topic,
                const std::function<bool(const std::vector<Received> &)> &ok, double seconds = 60) {
    const gint64 deadline = g_get_monotonic_time() + wait_us(seconds);
    while (g_get_monotonic_time() < deadline) {
      if (ok(received(topic))) return true;
      g_usleep(20000);
    }
    return ok(received(topic));
  }

 private:
  std::vector<std::string> topics_;
  mosquitto *mosq_;
  std::atomic<int> subscribed_{0};
  std::mutex mutex_;
  std::vector<Received> received_;
};

// Bus messages seen so far by pump().
struct BusLog {
  std::vector<std::string> warnings, errors;
  bool eos = false;
  int stats = 0;
};

// Pops bus messages until `done()` holds (EOS does not end that wait), an
// error comes, or the deadline; returns whether done() became true. With
// done == nullptr: until EOS, returning whether it came.
static bool pump(GstElement *pipeline, BusLog *log, const std::function<bool()> &done,
                 double seconds = 120) {
  GstBus *bus = gst_element_get_bus(pipeline);
  const gint64 deadline = g_get_monotonic_time() + wait_us(seconds);
  bool ok = false;
  while (g_get_monotonic_time() < deadline) {
    if (done && done()) {
      ok = true;
      break;
    }
    GstMessage *m = gst_bus_timed_pop(bus, 20 * GST_MSECOND);
    if (!m) continue;
    GError *err = nullptr;
    gchar *debug = nullptr;
    switch (GST_MESSAGE_TYPE(m)) {
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning(m, &err, &debug);
        log->warnings.push_back(std::string(err->message) + " | " + (debug ? debug : ""));
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error(m, &err, &debug);
        log->errors.push_back(std::string(err->message) + " | " + (debug ? debug : ""));
        break;
      case GST_MESSAGE_EOS:
        log->eos = true;
        break;
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name(m, "refseg-publish-stats")) log->stats++;
        break;
      default:
        break;
    }
    if (err) g_error_free(err);
    g_free(debug);
    gst_message_unref(m);
    if (!log->errors.empty()) break;
    if (log->eos && !done) {
      ok = true;
      break;
    }
  }
  if (done && !ok) ok = done();
  gst_object_unref(bus);
  return ok;
}

static GstElement *launch(const std::string &description) {
  GError *error = nullptr;
  GstElement *p = gst_parse_launch(description.c_str(), &error);
  fail_unless(p != nullptr && error == nullptr, "cannot build %s: %s", description.c_str(),
              error ? error->message : "");
  return p;
}

static guint64 counter(GstElement *pipeline, const char *name) {
  GstElement *pub = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
  guint64 v = 0;
  g_object_get(pub, name, &v, nullptr);
  gst_object_unref(pub);
  return v;
}

// fail_unless_equals_string() keeps a pointer to its argument past the
// statement that made it: a temporary std::string's characters would be
// gone by the comparison.
#define expect_string(got, want)                                                            \
  do {                                                                                      \
    const std::string got_ = (got), want_ = (want);                                         \
    fail_unless(got_ == want_, "'%s' is not '%s' (%s)", got_.c_str(), want_.c_str(), #got); \
  } while (0)

static std::string bin_text(GstElement *pipeline) {
  GstElement *bin = gst_bin_get_by_name(GST_BIN(pipeline), "bin");
  gchar *text = nullptr;
  g_object_get(bin, "text", &text, nullptr);
  gst_object_unref(bin);
  std::string out = text ? text : "";
  g_free(text);
  return out;
}

static std::string source(int frames, bool live, int width = 160, int height = 120) {
  return "refsegworldsrc seed=3 num-buffers=" + std::to_string(frames) +
         (live ? " is-live=true" : "") + " ! video/x-raw,width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + (live ? ",framerate=30/1" : "") +
         " ! refsegbin name=bin model=" + tiny_model() + " threshold=-100 text=\"the red ball\"";
}

// What the frames leaving refsegpublish carried: for each frame with the
// results of an analysis not seen before (refsegpublish's "analysed"), by
// the frame's PTS, the first selection's mask in frame coordinates (empty:
// nothing selected).
struct FrameLog {
  std::mutex mutex;
  GstClockTime last_analysed = GST_CLOCK_TIME_NONE;
  std::map<guint64, std::vector<uint8_t>> analysed;
  std::atomic<int> frames{0};
  int width = 0, height = 0;
};

static GstPadProbeReturn log_frame(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *log = static_cast<FrameLog *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  log->frames++;
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  if (!meta || gst_refseg_meta_get_n_selections(meta) == 0) return GST_PAD_PROBE_OK;
  const GstClockTime analysed = gst_refseg_meta_get_analysed_pts(meta);
  if (GST_CLOCK_TIME_IS_VALID(analysed)) {
    if (analysed == log->last_analysed) return GST_PAD_PROBE_OK;  // carried results
    log->last_analysed = analysed;
  }
  const int w = gst_refseg_meta_get_width(meta), h = gst_refseg_meta_get_height(meta);
  std::vector<uint8_t> mask;
  GstRefSegSelection sel;
  GstRefSegProposal p;
  if (gst_refseg_meta_get_selection(meta, 0, &sel) && sel.index >= 0 &&
      gst_refseg_meta_get_proposal(meta, sel.index, &p)) {
    mask.assign(static_cast<size_t>(w) * h, 0);
    for (int y = 0; y < p.box.height; ++y)
      for (int x = 0; x < p.box.width; ++x)
        mask[static_cast<size_t>(p.box.y + y) * w + p.box.x + x] =
            p.mask[static_cast<size_t>(y) * p.box.width + x] != 0;
  }
  std::lock_guard<std::mutex> lock(log->mutex);
  log->width = w;
  log->height = h;
  log->analysed[GST_BUFFER_PTS(buffer)] = std::move(mask);
  return GST_PAD_PROBE_OK;
}

static void probe_publish_src(GstElement *pipeline, FrameLog *log) {
  GstElement *pub = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
  GstPad *src = gst_element_get_static_pad(pub, "src");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, log_frame, log, nullptr);
  gst_object_unref(src);
  gst_object_unref(pub);
}

// The schema check of test_schema.py on documents written to a file;
// 77 (no python3-jsonschema) is reported, not failed.
static void validate_with_schema(const std::vector<std::string> &docs) {
  const char *script = std::getenv("REFSEG_SCHEMA_SCRIPT");
  const char *schema = std::getenv("REFSEG_SCHEMA");
  fail_unless(script && schema,
              "REFSEG_SCHEMA_SCRIPT / REFSEG_SCHEMA not set (meson test sets them)");
  gchar *path = nullptr;
  const int fd = g_file_open_tmp("refseg-docs-XXXXXX.jsonl", &path, nullptr);
  close(fd);
  {
    std::ofstream out(path);
    for (const std::string &d : docs) out << d << "\n";
  }
  const std::string cmd =
      std::string("/usr/bin/python3 '") + script + "' '" + schema + "' --jsonl '" + path + "'";
  const int status = std::system(cmd.c_str());
  unlink(path);
  g_free(path);
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc == 77)
    g_print("schema check skipped: python3-jsonschema is missing\n");
  else
    fail_unless(rc == 0, "documents do not validate against the schema (%s)", cmd.c_str());
}

// Every analysed frame reaches the subscriber as a document that validates
// against the schema, and its RLE decodes to the meta's mask.
GST_START_TEST(test_every_analysed_frame_reaches_the_subscriber) {
  Broker broker;
  Client client(broker.port(), {"refseg/cam1/results"});
  GstElement *pipeline = launch(source(8, false) +
                                " ! refsegpublish name=pub method=mqtt qos=1 stream-name=cam1 "
                                "address=" +
                                broker.address() + " ! fakesink");
  FrameLog frames;
  probe_publish_src(pipeline, &frames);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  fail_unless(pump(pipeline, &log, nullptr), "no EOS: %s",
              log.errors.empty() ? "timeout" : log.errors[0].c_str());
  const size_t analysed = frames.analysed.size();
  fail_unless(analysed > 0);
  fail_unless(client.wait_for("refseg/cam1/results",
                              [&](const std::vector<Received> &r) { return r.size() >= analysed; }),
              "%zu of %zu documents arrived", client.count("refseg/cam1/results"), analysed);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  fail_unless_equals_uint64(counter(pipeline, "published"), analysed);
  fail_unless_equals_uint64(counter(pipeline, "dropped"), 0);

  std::vector<std::string> docs;
  int masks = 0;
  for (const Received &r : client.received("refseg/cam1/results")) {
    docs.push_back(r.payload);
    const json d = json::parse(r.payload);
    expect_string(d["stream"].get<std::string>(), "cam1");
    const guint64 pts = d["pts_ns"].get<guint64>();
    fail_unless(frames.analysed.count(pts) == 1,
                "document for a frame not analysed: %" G_GUINT64_FORMAT, pts);
    const std::vector<uint8_t> &expected = frames.analysed[pts];
    const json &result = d["results"][0];
    expect_string(result["expression"].get<std::string>(), "the red ball");
    expect_string(d["models"]["features"].get<std::string>(), tiny_model().c_str());
    if (expected.empty()) {
      fail_unless(!result.contains("mask"));
      continue;
    }
    fail_unless(result.contains("mask"), "analysed frame with a selection has no mask");
    const refseg::refcoco::PixelMask m =
        refseg::refcoco::decode_rle(refseg::refcoco::rle_from_string(
            result["mask"]["counts"].get<std::string>(), frames.height, frames.width));
    fail_unless(m.pixels == expected,
                "the RLE of frame %" G_GUINT64_FORMAT " is not the meta's mask", pts);
    masks++;
  }
  fail_unless(masks > 0, "no frame had a selection to compare");
  validate_with_schema(docs);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// method=file: JSON Lines, rotated by size into <file-path>.1.
GST_START_TEST(test_file_writes_json_lines_and_rotates) {
  gchar *dir = g_dir_make_tmp("refseg-publish-XXXXXX", nullptr);
  const std::string path = std::string(dir) + "/results.jsonl";
  GstElement *pipeline = launch(source(12, false) +
                                " ! refsegpublish name=pub method=file every-frame=true "
                                "max-file-size=3000 file-path=" +
                                path + " ! fakesink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  fail_unless(pump(pipeline, &log, nullptr));
  gst_element_set_state(pipeline, GST_STATE_NULL);
  fail_unless_equals_uint64(counter(pipeline, "published"), 12);
  gst_object_unref(pipeline);

  auto read_lines = [](const std::string &p) {
    std::vector<json> docs;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) docs.push_back(json::parse(line));
    return docs;
  };
  const std::vector<json> current = read_lines(path), previous = read_lines(path + ".1");
  fail_unless(!current.empty() && !previous.empty(), "no rotation: %zu and %zu lines",
              current.size(), previous.size());
  std::ifstream rotated(path + ".1", std::ios::ate);
  fail_unless(static_cast<long>(rotated.tellg()) <= 3000);
  // The rotated file ends where the current one begins.
  fail_unless_equals_int(previous.back()["sequence"].get<int>() + 1,
                         current.front()["sequence"].get<int>());
  fail_unless_equals_int(current.back()["sequence"].get<int>(), 11);
  const std::string cmd = std::string("rm -rf '") + dir + "'";
  fail_unless(std::system(cmd.c_str()) == 0);
  g_free(dir);
}
GST_END_TEST;

// The broker killed mid-run: the video goes on to EOS, documents are
// dropped and counted (with a warning when drops start and when they stop),
// and once the broker is back they arrive again.
GST_START_TEST(test_broker_killed_and_restarted) {
  Broker broker;
  Client client(broker.port(), {"refseg/cam1/results"});
  GstElement *pipeline = launch(source(450, true) +
                                " ! refsegpublish name=pub method=mqtt every-frame=true "
                                "max-queue=5 stats-interval=200 stream-name=cam1 address=" +
                                broker.address() + " ! fakesink sync=true");
  FrameLog frames;
  probe_publish_src(pipeline, &frames);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  const std::string topic = "refseg/cam1/results";
  fail_unless(pump(pipeline, &log, [&] { return client.count(topic) >= 10; }), "no documents");
  broker.kill();
  fail_unless(pump(pipeline, &log, [&] { return counter(pipeline, "dropped") > 20; }),
              "nothing dropped while the broker was down");
  const int frames_while_down = frames.frames.load();
  const size_t before = client.count(topic);
  broker.start();
  fail_unless(pump(pipeline, &log, [&] { return client.count(topic) > before + 5; }),
              "no documents after the broker came back");
  fail_unless(pump(pipeline, &log, nullptr), "no EOS: %s",
              log.errors.empty() ? "timeout" : log.errors[0].c_str());
  fail_unless_equals_int(frames.frames.load(), 450);
  fail_unless(frames_while_down > 10);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  fail_unless(counter(pipeline, "reconnects") >= 1);
  const guint64 published = counter(pipeline, "published"), dropped = counter(pipeline, "dropped");
  fail_unless(dropped > 20);
  // Every document is either published or counted as dropped.
  fail_unless_equals_uint64(published + dropped, 450);
  bool started = false, stopped = false;
  for (const std::string &w : log.warnings) {
    started |= w.find("is dropping results") != std::string::npos;
    stopped |= w.find("stopped dropping results") != std::string::npos;
  }
  fail_unless(started && stopped, "drop warnings: started %d stopped %d", started, stopped);
  fail_unless(log.stats > 0, "no refseg-publish-stats message");
  gst_object_unref(pipeline);
}
GST_END_TEST;

// No broker at all: EOS, pausing and stopping never wait for it, and what
// could not be sent is counted.
GST_START_TEST(test_eos_and_state_changes_while_disconnected) {
  const int port = free_port();  // nothing listens there
  GstElement *pipeline =
      launch(source(6, false) + " ! refsegpublish name=pub method=mqtt address=127.0.0.1:" +
             std::to_string(port) + " ! fakesink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  fail_unless(pump(pipeline, &log, nullptr), "no EOS while disconnected");
  fail_unless(log.errors.empty());
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64(counter(pipeline, "published"), 0);
  fail_unless_equals_uint64(counter(pipeline, "dropped"), 6);
  // And again from NULL: a second start and stop while the broker is away.
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  gst_object_unref(pipeline);

  // A stream name that makes a wildcard topic is refused at start.
  pipeline = launch(source(2, false) +
                    " ! refsegpublish name=pub method=mqtt stream-name=cam+1 "
                    "address=127.0.0.1:" +
                    std::to_string(port) + " ! fakesink");
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE);
  BusLog refused;
  pump(
      pipeline, &refused, [&] { return !refused.errors.empty(); }, 10);
  fail_unless(!refused.errors.empty() &&
                  refused.errors[0].find("not a valid MQTT topic") != std::string::npos,
              "no error for topic refseg/cam+1/results");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static std::vector<json> replies(Client &client) {
  std::vector<json> out;
  for (const Received &r : client.received("refseg/cam1/reply"))
    out.push_back(json::parse(r.payload));
  return out;
}

// Whether a reply with this id came (searched from the newest).
static bool has_reply(Client &client, const std::string &id,
                      const std::string &topic = "refseg/cam1/reply") {
  const std::vector<Received> r = client.received(topic);
  for (auto it = r.rbegin(); it != r.rend(); ++it)
    if (json::parse(it->payload)["id"] == id) return true;
  return false;
}

// A sentence on the control topic changes the selection and is
// acknowledged; every kind of bad message gets its error and changes
// nothing; a flood neither stalls the video nor grows memory without bound.
GST_START_TEST(test_control_topic) {
  Broker broker;
  Client client(broker.port(), {"refseg/cam1/results", "refseg/cam1/reply"});
  GstElement *pipeline = launch(source(100000, true) +
                                " ! refsegpublish name=pub method=mqtt control-max-size=256 "
                                "stream-name=cam1 address=" +
                                broker.address() + " ! fakesink sync=true");
  FrameLog frames;
  probe_publish_src(pipeline, &frames);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  const std::string results = "refseg/cam1/results", set = "refseg/cam1/set";
  fail_unless(pump(pipeline, &log, [&] { return client.count(results) >= 2; }), "no documents");

  client.publish(set, R"({"text": "the blue box", "id": "c1"})");
  fail_unless(pump(pipeline, &log, [&] { return has_reply(client, "c1"); }),
              "no reply to a valid message");
  const json ack = replies(client).back();
  fail_unless(ack["ok"] == true);
  fail_unless(ack["applied"]["text"] == "the blue box");
  expect_string(bin_text(pipeline), "the blue box");
  // The documents after the acknowledgement switch to the new sentence and
  // never go back.
  const size_t acked_at = client.count(results);
  fail_unless(pump(pipeline, &log,
                   [&] {
                     const std::vector<Received> r = client.received(results);
                     return r.size() > acked_at &&
                            json::parse(r.back().payload)["results"][0]["expression"] ==
                                "the blue box";
                   }),
              "the selection did not change");
  {
    bool switched = false;
    const std::vector<Received> r = client.received(results);
    for (size_t i = acked_at; i < r.size(); ++i) {
      const bool now = json::parse(r[i].payload)["results"][0]["expression"] == "the blue box";
      fail_unless(!switched || now, "document %zu went back to the old text", i);
      switched |= now;
    }
  }

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not-json", "the red ball"},
      {"wrong-type", R"({"text": 3})"},
      {"wrong-type", R"(["the red ball"])"},
      {"invalid-utf8", "{\"text\": \"caf\xc3\"}"},
      {"too-large", "{\"text\": \"" + std::string(300, 'a') + "\"}"},
      {"unknown-field", R"({"text": "the red ball", "colour": "red"})"},
      {"nothing-to-set", R"({})"},
  };
  for (const auto &[kind, payload] : bad) {
    const size_t n = replies(client).size();
    client.publish(set, payload);
    fail_unless(pump(pipeline, &log, [&] { return replies(client).size() > n; }),
                "no reply to a %s message", kind.c_str());
    const json r = replies(client).back();
    fail_unless(r["ok"] == false);
    expect_string(r["error"].get<std::string>(), kind.c_str());
    expect_string(bin_text(pipeline), "the blue box");
  }
  fail_unless_equals_uint64(counter(pipeline, "control-rejected"), bad.size());

  // The flood: 10,000 messages over about 10 s.
  auto rss_kb = [] {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
  };
  const long rss_before = rss_kb();
  const int frames_before = frames.frames.load();
  const char *texts[] = {"the red ball", "the blue box", "the green triangle"};
  for (int i = 0; i < 10000; ++i) {
    client.publish(set, std::string("{\"text\": \"") + texts[i % 3] + "\"}", 0);
    if (i % 10 == 9) g_usleep(10000);
  }
  // The last one is applied (the broker may have dropped some of the others).
  client.publish(set, R"({"text": "the red ball", "id": "last"})");
  fail_unless(pump(pipeline, &log, [&] { return has_reply(client, "last"); }),
              "no reply after the flood");
  const int frames_after = frames.frames.load();
  fail_unless(frames_after > frames_before + 30, "the video stalled during the flood: %d -> %d",
              frames_before, frames_after);
  // The video goes on after it.
  fail_unless(pump(pipeline, &log, [&] { return frames.frames.load() > frames_after + 10; }));
  const long rss_after = rss_kb();
  fail_unless(rss_after - rss_before < 200 * 1024, "RSS grew by %ld kB over the flood",
              rss_after - rss_before);
  fail_unless(log.errors.empty(), "%s", log.errors.empty() ? "" : log.errors[0].c_str());
  expect_string(bin_text(pipeline), "the red ball");
  g_print("control flood: %" G_GUINT64_FORMAT " applied, RSS %ld -> %ld kB, frames %d -> %d\n",
          counter(pipeline, "control-applied"), rss_before, rss_after, frames_before, frames_after);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// One sentence to a fleet: two cameras that also listen to a shared topic
// both apply it and each answers on its own reply topic; a camera's own
// topic reaches that camera only.
GST_START_TEST(test_one_sentence_to_a_fleet) {
  Broker broker;
  Client client(broker.port(), {"refseg/cam1/reply", "refseg/cam2/reply"});
  GstElement *cams[2];
  for (int i = 0; i < 2; ++i) {
    cams[i] =
        launch(source(100000, true) + " ! refsegpublish name=pub method=mqtt stream-name=cam" +
               std::to_string(i + 1) +
               " control-topic=refseg/{stream}/set,refseg/fleet/set address=" + broker.address() +
               " ! fakesink");
    gst_element_set_state(cams[i], GST_STATE_PLAYING);
  }
  BusLog log;
  // Both subscribed: a message to each camera's own topic is answered.
  for (int i = 0; i < 2; ++i) {
    const std::string cam = "cam" + std::to_string(i + 1);
    fail_unless(pump(cams[i], &log,
                     [&] {
                       client.publish("refseg/" + cam + "/set",
                                      R"({"text": "the red ball", "id": "hello"})");
                       return has_reply(client, "hello", "refseg/" + cam + "/reply");
                     }),
                "%s never answered", cam.c_str());
  }
  client.publish("refseg/fleet/set", R"({"text": "the green triangle", "id": "fleet"})");
  for (int i = 0; i < 2; ++i) {
    const std::string cam = "cam" + std::to_string(i + 1);
    fail_unless(
        pump(cams[i], &log, [&] { return has_reply(client, "fleet", "refseg/" + cam + "/reply"); }),
        "%s did not answer the fleet message", cam.c_str());
    expect_string(bin_text(cams[i]), "the green triangle");
  }
  client.publish("refseg/cam2/set", R"({"text": "the blue box", "id": "only2"})");
  fail_unless(pump(cams[1], &log, [&] { return has_reply(client, "only2", "refseg/cam2/reply"); }));
  expect_string(bin_text(cams[1]), "the blue box");
  expect_string(bin_text(cams[0]), "the green triangle");
  fail_unless(!has_reply(client, "only2", "refseg/cam1/reply"));
  for (GstElement *p : cams) {
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  }
}
GST_END_TEST;

// A broker that refuses the credentials: an error on the bus with its
// reason; the right ones connect.
GST_START_TEST(test_refused_credentials_are_an_error) {
  Broker broker("camera", "s3cret");
  GstElement *pipeline = launch(source(100000, true) +
                                " ! refsegpublish name=pub method=mqtt username=camera "
                                "password=wrong address=" +
                                broker.address() + " ! fakesink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  pump(pipeline, &log, [&] { return !log.errors.empty(); });
  fail_unless(!log.errors.empty(), "no error for refused credentials");
  fail_unless(log.errors[0].find("refused the connection") != std::string::npos, "%s",
              log.errors[0].c_str());
  fail_unless(log.errors[0].find(mosquitto_connack_string(5)) != std::string::npos ||
                  log.errors[0].find(mosquitto_connack_string(4)) != std::string::npos,
              "the broker's reason is missing: %s", log.errors[0].c_str());
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);

  pipeline = launch(source(3, false) +
                    " ! refsegpublish name=pub method=mqtt qos=1 username=camera password=s3cret "
                    "address=" +
                    broker.address() + " ! fakesink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog ok_log;
  fail_unless(pump(pipeline, &ok_log, nullptr) && ok_log.errors.empty());
  gst_element_set_state(pipeline, GST_STATE_NULL);
  fail_unless_equals_uint64(counter(pipeline, "published"), 3);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// stream-name's default: the enclosing bin's name, or the element's own
// inside the pipeline itself.
GST_START_TEST(test_stream_name_defaults) {
  gchar *dir = g_dir_make_tmp("refseg-publish-XXXXXX", nullptr);
  const std::string own = std::string(dir) + "/own.jsonl", in_bin = std::string(dir) + "/bin.jsonl";
  GstElement *pipeline =
      launch(source(2, false) + " ! tee name=t ! queue ! refsegpublish name=pub " +
             "method=file every-frame=true file-path=" + own +
             " ! fakesink t. ! queue ! bin.( name=cam9 refsegpublish "
             "method=file every-frame=true file-path=" +
             in_bin + " ! fakesink )");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  BusLog log;
  fail_unless(pump(pipeline, &log, nullptr), "no EOS: %s",
              log.errors.empty() ? "timeout" : log.errors[0].c_str());
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  for (const auto &[path, name] :
       {std::pair<std::string, std::string>{own, "pub"}, {in_bin, "cam9"}}) {
    std::ifstream in(path);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines)
      expect_string(json::parse(line)["stream"].get<std::string>(), name);
    fail_unless_equals_int(lines, 2);
  }
  const std::string cmd = std::string("rm -rf '") + dir + "'";
  fail_unless(std::system(cmd.c_str()) == 0);
  g_free(dir);
}
GST_END_TEST;

// gst-inspect's view, as test_properties_messages checks the other
// elements: the same author string, a blurb on every property, strings that
// read "" rather than null, read-only counters.
GST_START_TEST(test_inspect_metadata) {
  GstElementFactory *f = gst_element_factory_find("refsegpublish");
  GstElementFactory *bin = gst_element_factory_find("refsegbin");
  fail_unless(f && bin);
  expect_string(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_AUTHOR),
                gst_element_factory_get_metadata(bin, GST_ELEMENT_METADATA_AUTHOR));
  GstElement *e = gst_element_factory_create(f, nullptr);
  guint n = 0;
  GParamSpec **specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  int counters = 0;
  for (guint i = 0; i < n; i++) {
    GParamSpec *p = specs[i];
    if (p->owner_type != G_OBJECT_TYPE(e)) continue;
    const gchar *blurb = g_param_spec_get_blurb(p);
    fail_unless(blurb && *blurb, "refsegpublish::%s has no blurb", p->name);
    if (G_PARAM_SPEC_VALUE_TYPE(p) == G_TYPE_STRING) {
      gchar *v = nullptr;
      g_object_get(e, p->name, &v, nullptr);
      fail_unless(v != nullptr, "refsegpublish::%s reads null", p->name);
      g_free(v);
    }
    if (!(p->flags & G_PARAM_WRITABLE)) counters++;
  }
  fail_unless_equals_int(counters, 5);
  g_free(specs);
  gst_object_unref(e);
  gst_object_unref(f);
  gst_object_unref(bin);
}
GST_END_TEST;

static Suite *publish_suite() {
  Suite *s = suite_create("refseg-publish");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_analysed_frame_reaches_the_subscriber);
  tcase_add_test(tc, test_file_writes_json_lines_and_rotates);
  tcase_add_test(tc, test_broker_killed_and_restarted);
  tcase_add_test(tc, test_eos_and_state_changes_while_disconnected);
  tcase_add_test(tc, test_control_topic);
  tcase_add_test(tc, test_one_sentence_to_a_fleet);
  tcase_add_test(tc, test_stream_name_defaults);
  tcase_add_test(tc, test_inspect_metadata);
  tcase_add_test(tc, test_refused_credentials_are_an_error);
  return s;
}

GST_CHECK_MAIN(publish);

#include "gstrefsegpublish.h"

#include <mosquitto.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gst/refseg/refsegmeta.h"
#include "gstrefsegbin.h"
#include "gstrefsegselector.h"
#include "publish/control_message.h"
#include "publish/drop_queue.h"
#include "publish/results_document.h"
#include "refseg_elements.h"
#include "refseg_frame.h"

GST_DEBUG_CATEGORY_STATIC(refseg_publish_debug);
#define GST_CAT_DEFAULT refseg_publish_debug

namespace {

constexpr const char *kDefaultFilePath = "-";
constexpr const char *kDefaultAddress = "localhost:1883";
constexpr const char *kDefaultTopic = "refseg/{stream}/results";
constexpr const char *kDefaultControlTopic = "refseg/{stream}/set";
constexpr const char *kDefaultReplyTopic = "refseg/{stream}/reply";
constexpr guint kDefaultKeepAlive = 60;
constexpr guint kDefaultMaxQueue = 200;
constexpr guint kDefaultStatsInterval = 1000;  // ms
// QoS 1 messages handed to the library and not yet acknowledged: beyond
// this the sender waits (and the queue, not the library, holds the rest).
constexpr int kMaxInFlight = 20;
// How long stopping waits for the queue to drain while connected.
constexpr gint64 kDrainUs = 2 * G_USEC_PER_SEC;
// Reconnect backoff: 1 s, doubling up to 8 s.
constexpr unsigned kReconnectMin = 1, kReconnectMax = 8;

struct Settings {
  GstRefSegPublishMethod method = GST_REFSEG_PUBLISH_METHOD_FILE;
  std::string file_path = kDefaultFilePath;
  guint64 max_file_size = 0;
  std::string address = kDefaultAddress;
  std::string topic = kDefaultTopic;
  guint qos = 0;
  std::string client_id, username, password, ca_file;
  guint keep_alive = kDefaultKeepAlive;
  std::string stream_name;
  GstRefSegPublishMaskFormat mask_format = GST_REFSEG_PUBLISH_MASK_RLE;
  bool every_frame = false;
  std::string control_topic = kDefaultControlTopic;
  std::string reply_topic = kDefaultReplyTopic;
  std::string target;
  guint max_queue = kDefaultMaxQueue;
  guint stats_interval = kDefaultStatsInterval;
  guint control_max_size = refseg::publish::kDefaultControlMaxBytes;
};

std::string replace_stream(std::string s, const std::string &stream) {
  const std::string key = "{stream}";
  for (size_t p = s.find(key); p != std::string::npos; p = s.find(key, p + stream.size()))
    s.replace(p, key.size(), stream);
  return s;
}

// "host:port", "[v6]:port" or "host" (port 1883, 8883 with TLS).
bool parse_address(const std::string &address, bool tls, std::string *host, int *port) {
  *port = tls ? 8883 : 1883;
  std::string h = address, p;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos) return false;
    h = address.substr(1, close - 1);
    if (close + 1 < address.size()) {
      if (address[close + 1] != ':') return false;
      p = address.substr(close + 2);
    }
  } else {
    const size_t colon = address.rfind(':');
    if (colon != std::string::npos) {
      h = address.substr(0, colon);
      p = address.substr(colon + 1);
    }
  }
  if (h.empty()) return false;
  if (!p.empty()) {
    char *end = nullptr;
    const long v = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || v <= 0 || v > 65535) return false;
    *port = static_cast<int>(v);
  }
  *host = h;
  return true;
}

}  // namespace

// What runs between start() and stop(): the sender thread, the file or the
// MQTT client.
struct Publisher {
  GstRefSegPublish *element = nullptr;
  Settings settings;
  std::string stream, topic, reply_topic;
  std::vector<std::string> control_topics;  // control-topic split at commas
  refseg::publish::DropOldestQueue<std::string> queue;
  std::thread sender;
  std::atomic<bool> stopping{false};
  gint64 stop_requested_us = 0;  // sender thread reads it after `stopping`
  // file
  FILE *file = nullptr;
  bool owns_file = false;
  guint64 file_size = 0;
  bool write_failed = false;
  // mqtt
  struct mosquitto *mosq = nullptr;
  std::string host;
  int port = 0;
  std::atomic<bool> connected{false}, ever_connected{false}, refused{false};
  std::atomic<int> in_flight{0};
  // Message ids of the control replies (network thread only, the lock
  // because the sender thread publishes too): their acks are no results.
  std::mutex reply_mutex;
  std::unordered_set<int> reply_mids;
  // The target's "model" (streaming thread): the name written when the
  // frame's meta has none (refsegtracker rewrites the proposals, and with
  // them the features and their model name).
  std::string model_name;
  bool model_looked_up = false;

  explicit Publisher(size_t capacity) : queue(capacity) {}
};

struct _GstRefSegPublish {
  GstBaseTransform parent;
  Settings *settings;    // guarded by the object lock
  Publisher *publisher;  // set in start(), cleared in stop(); streaming thread and control path
  gint width, height;    // from the caps (frames without meta)
  guint64 sequence;      // streaming thread
  // The analysed PTS of the last frame with results (streaming thread).
  GstClockTime last_analysed;
  // Counters, readable while playing and after stop.
  std::atomic<guint64> *published, *reconnects, *control_applied, *control_rejected;
  std::atomic<guint64> *dropped;  // the queue's count, kept after stop
};

G_DEFINE_TYPE(GstRefSegPublish, gst_refseg_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(refsegpublish, "refsegpublish", GST_RANK_NONE, GST_TYPE_REFSEG_PUBLISH);

enum {
  PROP_0,
  PROP_METHOD,
  PROP_FILE_PATH,
  PROP_MAX_FILE_SIZE,
  PROP_ADDRESS,
  PROP_TOPIC,
  PROP_QOS,
  PROP_CLIENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_CA_FILE,
  PROP_KEEP_ALIVE,
  PROP_STREAM_NAME,
  PROP_MASK_FORMAT,
  PROP_EVERY_FRAME,
  PROP_CONTROL_TOPIC,
  PROP_REPLY_TOPIC,
  PROP_TARGET,
  PROP_MAX_QUEUE,
  PROP_STATS_INTERVAL,
  PROP_CONTROL_MAX_SIZE,
  PROP_PUBLISHED,
  PROP_DROPPED,
  PROP_RECONNECTS,
  PROP_CONTROL_APPLIED,
  PROP_CONTROL_REJECTED,
};

static GType method_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_REFSEG_PUBLISH_METHOD_FILE, "JSON Lines to a file (file-path; - is stdout)", "file"},
      {GST_REFSEG_PUBLISH_METHOD_MQTT, "MQTT broker (address, topic)", "mqtt"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegPublishMethod", values));
  return static_cast<GType>(type);
}

static GType mask_format_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_REFSEG_PUBLISH_MASK_RLE, "COCO run-length encoding (pycocotools decodes it)", "rle"},
      {GST_REFSEG_PUBLISH_MASK_NONE, "No masks, boxes only", "none"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegPublishMaskFormat", values));
  return static_cast<GType>(type);
}

// ---------------------------------------------------------------- sending

static void post_stats(GstRefSegPublish *self, Publisher *p) {
  GstStructure *s = gst_structure_new(
      "refseg-publish-stats", "stream", G_TYPE_STRING, p->stream.c_str(), "published",
      G_TYPE_UINT64, self->published->load(), "dropped", G_TYPE_UINT64, p->queue.dropped(),
      "reconnects", G_TYPE_UINT64, self->reconnects->load(), "queued", G_TYPE_UINT,
      static_cast<guint>(p->queue.size()), "connected", G_TYPE_BOOLEAN,
      p->settings.method == GST_REFSEG_PUBLISH_METHOD_FILE ? TRUE : p->connected.load(),
      "control-applied", G_TYPE_UINT64, self->control_applied->load(), "control-rejected",
      G_TYPE_UINT64, self->control_rejected->load(), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static void write_line(GstRefSegPublish *self, Publisher *p, const std::string &doc) {
  const Settings &s = p->settings;
  if (!p->file) {
    p->queue.count_dropped();
    return;
  }
  if (p->owns_file && s.max_file_size > 0 && p->file_size > 0 &&
      p->file_size + doc.size() + 1 > s.max_file_size) {
    // Rotation: the full file becomes <file-path>.1 (replacing the last one).
    std::fclose(p->file);
    const std::string rotated = s.file_path + ".1";
    if (std::rename(s.file_path.c_str(), rotated.c_str()) != 0)
      GST_WARNING_OBJECT(self, "cannot rename %s to %s: %s", s.file_path.c_str(), rotated.c_str(),
                         g_strerror(errno));
    p->file = std::fopen(s.file_path.c_str(), "w");
    p->file_size = 0;
    if (!p->file) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("cannot reopen %s", s.file_path.c_str()),
                        ("after rotation: %s", g_strerror(errno)));
      p->queue.count_dropped();
      return;
    }
  }
  const bool ok = std::fwrite(doc.data(), 1, doc.size(), p->file) == doc.size() &&
                  std::fputc('\n', p->file) != EOF && std::fflush(p->file) == 0;
  if (!ok) {
    p->queue.count_dropped();
    if (!p->write_failed)
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("cannot write to %s", s.file_path.c_str()),
                          ("%s", g_strerror(errno)));
    p->write_failed = true;
    return;
  }
  p->file_size += doc.size() + 1;
  self->published->fetch_add(1);
}

static bool can_send(Publisher *p) {
  if (p->settings.method == GST_REFSEG_PUBLISH_METHOD_FILE) return true;
  return p->connected.load() && (p->settings.qos == 0 || p->in_flight.load() < kMaxInFlight);
}

static void send_mqtt(GstRefSegPublish *self, Publisher *p, const std::string &doc) {
  const int qos = static_cast<int>(p->settings.qos);
  if (qos > 0) p->in_flight.fetch_add(1);
  const int rc = mosquitto_publish(p->mosq, nullptr, p->topic.c_str(), static_cast<int>(doc.size()),
                                   doc.data(), qos, false);
  if (rc != MOSQ_ERR_SUCCESS) {
    if (qos > 0) p->in_flight.fetch_sub(1);
    p->queue.count_dropped();
    GST_DEBUG_OBJECT(self, "publish failed: %s", mosquitto_strerror(rc));
    return;
  }
  // QoS 0: handed to the connection; QoS 1: counted when the broker acks.
  if (qos == 0) self->published->fetch_add(1);
}

static void sender_loop(GstRefSegPublish *self, Publisher *p) {
  refseg::publish::DropWatch watch;
  const gint64 interval_us = static_cast<gint64>(p->settings.stats_interval) * 1000;
  gint64 next_stats = g_get_monotonic_time() + interval_us;
  for (;;) {
    const uint64_t generation = p->queue.generation();
    bool sent = false;
    if (can_send(p)) {
      if (std::optional<std::string> doc = p->queue.try_pop()) {
        if (p->settings.method == GST_REFSEG_PUBLISH_METHOD_FILE)
          write_line(self, p, *doc);
        else
          send_mqtt(self, p, *doc);
        sent = true;
      }
    }
    const uint64_t dropped = p->queue.dropped();
    self->dropped->store(dropped);
    switch (watch.update(dropped, self->published->load())) {
      case refseg::publish::DropWatch::Change::Started:
        GST_ELEMENT_WARNING(
            self, RESOURCE, WRITE, ("refsegpublish %s is dropping results", p->stream.c_str()),
            ("the queue of %u documents is full (%s): the oldest are dropped; %" G_GUINT64_FORMAT
             " dropped so far",
             static_cast<guint>(p->queue.capacity()),
             p->settings.method == GST_REFSEG_PUBLISH_METHOD_FILE ? "the file is slow"
             : p->connected.load()                                ? "the broker is slow"
                                                                  : "not connected to the broker",
             dropped));
        break;
      case refseg::publish::DropWatch::Change::Stopped:
        GST_ELEMENT_WARNING(
            self, RESOURCE, WRITE, ("refsegpublish %s stopped dropping results", p->stream.c_str()),
            ("results are delivered again; %" G_GUINT64_FORMAT " dropped in total", dropped));
        break;
      default:
        break;
    }
    const gint64 now = g_get_monotonic_time();
    if (interval_us > 0 && now >= next_stats) {
      post_stats(self, p);
      next_stats = now + interval_us;
    }
    if (p->stopping.load()) {
      const bool drained = p->queue.size() == 0 && p->in_flight.load() == 0;
      const bool hopeless = p->settings.method == GST_REFSEG_PUBLISH_METHOD_MQTT &&
                            (!p->connected.load() || p->refused.load());
      if (drained || hopeless || now - p->stop_requested_us > kDrainUs) break;
    }
    if (!sent) {
      gint64 wait_us = 100000;
      if (interval_us > 0)
        wait_us = std::min<gint64>(wait_us, std::max<gint64>(next_stats - now, 0));
      p->queue.wait_change(generation, std::chrono::milliseconds(wait_us / 1000 + 1));
    }
  }
  // What is left cannot be delivered: counted, not lost silently.
  while (p->queue.try_pop()) p->queue.count_dropped();
  self->dropped->store(p->queue.dropped());
}

// ---------------------------------------------------------------- control

// The element a control message sets: `target` by name anywhere in the
// pipeline, else the first refsegbin or refsegselector upstream.
static GstElement *find_target(GstRefSegPublish *self, const std::string &name) {
  if (!name.empty()) {
    GstObject *top = GST_OBJECT(gst_object_ref(self));
    while (GstObject *parent = gst_object_get_parent(top)) {
      gst_object_unref(top);
      top = parent;
    }
    GstElement *found = GST_IS_BIN(top) ? gst_bin_get_by_name(GST_BIN(top), name.c_str()) : nullptr;
    gst_object_unref(top);
    return found;
  }
  // Breadth-first over the sink pads upstream, through ghost pads.
  std::vector<GstElement *> frontier{GST_ELEMENT(gst_object_ref(self))};
  GstElement *found = nullptr;
  for (int depth = 0; depth < 64 && !frontier.empty() && !found; ++depth) {
    std::vector<GstElement *> next;
    for (GstElement *e : frontier) {
      GstIterator *it = gst_element_iterate_sink_pads(e);
      GValue item = G_VALUE_INIT;
      while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        GstPad *pad = GST_PAD(g_value_get_object(&item));
        GstPad *peer = gst_pad_get_peer(pad);
        // Inside a bin, the peer of a child's sink pad is the internal pad
        // of the bin's ghost sink pad: continue from the ghost pad's peer.
        while (peer && GST_IS_PROXY_PAD(peer) && !GST_IS_GHOST_PAD(peer)) {
          GstProxyPad *ghost = gst_proxy_pad_get_internal(GST_PROXY_PAD(peer));
          gst_object_unref(peer);
          peer = ghost ? gst_pad_get_peer(GST_PAD(ghost)) : nullptr;
          if (ghost) gst_object_unref(ghost);
        }
        if (peer) {
          GstElement *up = gst_pad_get_parent_element(peer);
          if (up) {
            if (GST_IS_REFSEG_BIN(up) || GST_IS_REFSEG_SELECTOR(up))
              found = GST_ELEMENT(gst_object_ref(up));
            else
              next.push_back(GST_ELEMENT(gst_object_ref(up)));
            gst_object_unref(up);
          }
          gst_object_unref(peer);
        }
        g_value_reset(&item);
      }
      g_value_unset(&item);
      gst_iterator_free(it);
      gst_object_unref(e);
    }
    frontier = std::move(next);
  }
  for (GstElement *e : frontier) gst_object_unref(e);
  return found;
}

static void reply(Publisher *p, const std::string &text) {
  if (!p->mosq || p->reply_topic.empty()) return;
  std::lock_guard<std::mutex> lock(p->reply_mutex);
  int mid = 0;
  if (mosquitto_publish(p->mosq, &mid, p->reply_topic.c_str(), static_cast<int>(text.size()),
                        text.data(), 1, false) == MOSQ_ERR_SUCCESS)
    p->reply_mids.insert(mid);
}

static void handle_control(GstRefSegPublish *self, Publisher *p, const void *payload, int len) {
  using namespace refseg::publish;
  const std::string_view text(static_cast<const char *>(payload), len > 0 ? len : 0);
  const ControlParse parse = parse_control(text, p->settings.control_max_size);
  if (!parse.change) {
    self->control_rejected->fetch_add(1);
    GST_INFO_OBJECT(self, "control message refused: %s", parse.error->message.c_str());
    reply(p, control_error_reply(p->stream, parse));
    return;
  }
  GstElement *target = find_target(self, p->settings.target);
  if (!target) {
    self->control_rejected->fetch_add(1);
    reply(p, control_error_reply(
                 p->stream, "no-target",
                 p->settings.target.empty()
                     ? "no refsegbin or refsegselector upstream of " + p->stream
                     : "no element named \"" + p->settings.target + "\" in the pipeline",
                 parse.id_json));
    return;
  }
  // The same path as setting the properties while playing.
  if (parse.change->text) g_object_set(target, "text", parse.change->text->c_str(), nullptr);
  if (parse.change->expressions) {
    GValue array = G_VALUE_INIT;
    gst_value_array_init(&array, parse.change->expressions->size());
    for (const std::string &e : *parse.change->expressions) {
      GValue v = G_VALUE_INIT;
      g_value_init(&v, G_TYPE_STRING);
      g_value_set_string(&v, e.c_str());
      gst_value_array_append_and_take_value(&array, &v);
    }
    g_object_set_property(G_OBJECT(target), "expressions", &array);
    g_value_unset(&array);
  }
  gchar *target_name = gst_object_get_name(GST_OBJECT(target));
  gst_object_unref(target);
  self->control_applied->fetch_add(1);
  GST_INFO_OBJECT(self, "control message applied to %s", target_name);
  reply(p, control_applied_reply(p->stream, parse, target_name));
  g_free(target_name);
}

// ---------------------------------------------------------------- MQTT callbacks

static void on_connect(struct mosquitto *mosq, void *data, int rc) {
  auto *self = static_cast<GstRefSegPublish *>(data);
  Publisher *p = self->publisher;
  if (!p) return;
  if (rc != 0) {
    // 1 protocol, 2 identifier, 4 user name / password, 5 not authorised:
    // retrying cannot help. 3 (server unavailable) is retried.
    if (rc != 3 && !p->refused.exchange(true)) {
      GST_ELEMENT_ERROR(self, RESOURCE, NOT_AUTHORIZED,
                        ("MQTT broker %s refused the connection: %s", p->settings.address.c_str(),
                         mosquitto_connack_string(rc)),
                        ("CONNACK code %d for client id \"%s\", user \"%s\"", rc,
                         p->settings.client_id.c_str(), p->settings.username.c_str()));
      mosquitto_disconnect(mosq);
    }
    p->queue.wake();
    return;
  }
  if (p->ever_connected.exchange(true)) self->reconnects->fetch_add(1);
  GST_INFO_OBJECT(self, "connected to %s", p->settings.address.c_str());
  for (const std::string &t : p->control_topics) mosquitto_subscribe(mosq, nullptr, t.c_str(), 1);
  p->connected.store(true);
  p->queue.wake();
}

static void on_disconnect(struct mosquitto *, void *data, int rc) {
  auto *self = static_cast<GstRefSegPublish *>(data);
  Publisher *p = self->publisher;
  if (!p) return;
  p->connected.store(false);
  if (rc != 0) GST_INFO_OBJECT(self, "lost the connection to %s", p->settings.address.c_str());
  p->queue.wake();
}

static void on_publish(struct mosquitto *, void *data, int mid) {
  auto *self = static_cast<GstRefSegPublish *>(data);
  Publisher *p = self->publisher;
  if (!p) return;
  {
    std::lock_guard<std::mutex> lock(p->reply_mutex);
    if (p->reply_mids.erase(mid) > 0) return;  // a control reply
  }
  if (p->settings.qos == 0) return;  // counted when handed over
  int n = p->in_flight.load();
  while (n > 0 && !p->in_flight.compare_exchange_weak(n, n - 1)) {
  }
  if (n > 0) self->published->fetch_add(1);
  p->queue.wake();
}

static void on_message(struct mosquitto *, void *data, const struct mosquitto_message *m) {
  auto *self = static_cast<GstRefSegPublish *>(data);
  Publisher *p = self->publisher;
  if (!p || p->stopping.load()) return;
  for (const std::string &t : p->control_topics) {
    bool matches = false;
    mosquitto_topic_matches_sub(t.c_str(), m->topic, &matches);
    if (matches) {
      handle_control(self, p, m->payload, m->payloadlen);
      return;
    }
  }
}

// ---------------------------------------------------------------- element

static std::string stream_name(GstRefSegPublish *self, const Settings &s) {
  if (!s.stream_name.empty()) return s.stream_name;
  GstObject *parent = gst_object_get_parent(GST_OBJECT(self));
  gchar *name = nullptr;
  if (parent && GST_IS_BIN(parent) && !GST_IS_PIPELINE(parent))
    name = gst_object_get_name(parent);
  else
    name = gst_object_get_name(GST_OBJECT(self));
  if (parent) gst_object_unref(parent);
  std::string out = name ? name : "";
  g_free(name);
  return out;
}

static bool start_mqtt(GstRefSegPublish *self, Publisher *p) {
  const Settings &s = p->settings;
  static gsize initialised = 0;
  if (g_once_init_enter(&initialised)) {
    mosquitto_lib_init();
    g_once_init_leave(&initialised, 1);
  }
  // A stream name with '+', '#' or NUL makes topics the broker refuses.
  auto bad_topic = [&](const std::string &topic, bool filter, const char *property) {
    const int rc = filter ? mosquitto_sub_topic_check(topic.c_str())
                          : mosquitto_pub_topic_check(topic.c_str());
    if (rc == MOSQ_ERR_SUCCESS) return false;
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS,
        ("%s \"%s\" is not a valid MQTT topic%s", property, topic.c_str(), filter ? " filter" : ""),
        ("stream name \"%s\"; '+' and '#' are wildcards, not allowed in a topic "
         "that is published to",
         p->stream.c_str()));
    return true;
  };
  if (bad_topic(p->topic, false, "topic") ||
      (!p->reply_topic.empty() && bad_topic(p->reply_topic, false, "reply-topic")))
    return false;
  for (const std::string &t : p->control_topics)
    if (bad_topic(t, true, "control-topic")) return false;
  if (!parse_address(s.address, !s.ca_file.empty(), &p->host, &p->port)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("address \"%s\" is not host:port", s.address.c_str()), (nullptr));
    return false;
  }
  if (p->settings.client_id.empty()) {
    gchar *id = g_strdup_printf("refseg-%s-%d", p->stream.c_str(), static_cast<int>(getpid()));
    p->settings.client_id = id;
    g_free(id);
  }
  p->mosq = mosquitto_new(p->settings.client_id.c_str(), true, self);
  if (!p->mosq) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("cannot create an MQTT client"),
                      ("mosquitto_new: %s", g_strerror(errno)));
    return false;
  }
  mosquitto_int_option(p->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (!s.username.empty())
    mosquitto_username_pw_set(p->mosq, s.username.c_str(),
                              s.password.empty() ? nullptr : s.password.c_str());
  if (!s.ca_file.empty()) {
    const int rc =
        mosquitto_tls_set(p->mosq, s.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("cannot use CA file %s", s.ca_file.c_str()),
                        ("mosquitto_tls_set: %s", mosquitto_strerror(rc)));
      return false;
    }
  }
  mosquitto_reconnect_delay_set(p->mosq, kReconnectMin, kReconnectMax, true);
  mosquitto_connect_callback_set(p->mosq, on_connect);
  mosquitto_disconnect_callback_set(p->mosq, on_disconnect);
  mosquitto_publish_callback_set(p->mosq, on_publish);
  mosquitto_message_callback_set(p->mosq, on_message);
  // Never waits for the broker: a broker that is down now is retried by
  // the network thread with backoff.
  const int rc =
      mosquitto_connect_async(p->mosq, p->host.c_str(), p->port, static_cast<int>(s.keep_alive));
  if (rc != MOSQ_ERR_SUCCESS)
    GST_INFO_OBJECT(self, "first connection to %s failed (%s): retrying", s.address.c_str(),
                    rc == MOSQ_ERR_ERRNO ? g_strerror(errno) : mosquitto_strerror(rc));
  const int lrc = mosquitto_loop_start(p->mosq);
  if (lrc != MOSQ_ERR_SUCCESS) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("cannot start the MQTT network thread"),
                      ("mosquitto_loop_start: %s", mosquitto_strerror(lrc)));
    return false;
  }
  return true;
}

static void destroy_publisher(GstRefSegPublish *self, Publisher *p) {
  if (p->sender.joinable()) {
    p->stop_requested_us = g_get_monotonic_time();
    p->stopping.store(true);
    p->queue.wake();
    p->sender.join();
  }
  if (p->mosq) {
    mosquitto_disconnect(p->mosq);
    mosquitto_loop_stop(p->mosq, false);
  }
  // No callback runs after loop_stop: the element forgets the publisher.
  GST_OBJECT_LOCK(self);
  self->publisher = nullptr;
  GST_OBJECT_UNLOCK(self);
  if (p->mosq) mosquitto_destroy(p->mosq);
  if (p->file && p->owns_file) std::fclose(p->file);
  delete p;
}

static gboolean gst_refseg_publish_start(GstBaseTransform *trans) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  const Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  auto *p = new Publisher(s.max_queue);
  p->element = self;
  p->settings = s;
  p->stream = stream_name(self, s);
  p->topic = replace_stream(s.topic, p->stream);
  gchar **topics = g_strsplit(s.control_topic.c_str(), ",", -1);
  for (gchar **t = topics; *t; ++t) {
    gchar *topic = g_strstrip(*t);
    if (*topic) p->control_topics.push_back(replace_stream(topic, p->stream));
  }
  g_strfreev(topics);
  p->reply_topic = replace_stream(s.reply_topic, p->stream);
  self->sequence = 0;
  self->last_analysed = GST_CLOCK_TIME_NONE;
  for (auto *c : {self->published, self->reconnects, self->control_applied, self->control_rejected,
                  self->dropped})
    c->store(0);
  if (s.method == GST_REFSEG_PUBLISH_METHOD_FILE) {
    if (s.file_path == "-") {
      p->file = stdout;
    } else {
      p->file = std::fopen(s.file_path.c_str(), "w");
      p->owns_file = true;
      if (!p->file) {
        GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("cannot open %s", s.file_path.c_str()),
                          ("%s", g_strerror(errno)));
        delete p;
        return FALSE;
      }
    }
  }
  GST_OBJECT_LOCK(self);
  self->publisher = p;
  GST_OBJECT_UNLOCK(self);
  if (s.method == GST_REFSEG_PUBLISH_METHOD_MQTT && !start_mqtt(self, p)) {
    destroy_publisher(self, p);
    return FALSE;
  }
  p->sender = std::thread(sender_loop, self, p);
  return TRUE;
}

static gboolean gst_refseg_publish_stop(GstBaseTransform *trans) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  Publisher *p = self->publisher;
  GST_OBJECT_UNLOCK(self);
  if (p) destroy_publisher(self, p);
  return TRUE;
}

// After a flush (a seek) the results of any frame count as new again.
static gboolean gst_refseg_publish_sink_event(GstBaseTransform *trans, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
    GST_REFSEG_PUBLISH(trans)->last_analysed = GST_CLOCK_TIME_NONE;
  return GST_BASE_TRANSFORM_CLASS(gst_refseg_publish_parent_class)->sink_event(trans, event);
}

static gboolean gst_refseg_publish_set_caps(GstBaseTransform *trans, GstCaps *incaps, GstCaps *) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(trans);
  const GstStructure *s = gst_caps_get_structure(incaps, 0);
  if (!gst_structure_get_int(s, "width", &self->width)) self->width = 0;
  if (!gst_structure_get_int(s, "height", &self->height)) self->height = 0;
  return TRUE;
}

// The frame's results as the document's struct; nullopt when the frame
// is not published (every-frame=false and not analysed).
static std::optional<refseg::publish::FrameResults> frame_results(GstRefSegPublish *self,
                                                                  GstBuffer *buffer,
                                                                  bool every_frame) {
  using namespace refseg::publish;
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  FrameResults f;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const GstClockTime analysed_pts =
      meta ? gst_refseg_meta_get_analysed_pts(meta) : GST_CLOCK_TIME_NONE;
  // Analysed: the frame brings the results of an analysis no frame before
  // it had. Without a tracker every frame with selections is one (the
  // selector analysed it); a tracker marks every frame with the PTS the
  // results were computed on, and in latest mode the analysed frame itself
  // has long passed when they are ready, so the first frame carrying a new
  // analysed PTS is the analysed one.
  const guint n = meta ? gst_refseg_meta_get_n_selections(meta) : 0;
  f.analysed =
      n > 0 && (!GST_CLOCK_TIME_IS_VALID(analysed_pts) || analysed_pts != self->last_analysed);
  if (n > 0 && GST_CLOCK_TIME_IS_VALID(analysed_pts)) self->last_analysed = analysed_pts;
  if (!every_frame && !f.analysed) return std::nullopt;
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    f.pts_ns = pts;
    const GstClockTime rt =
        gst_segment_to_running_time(&GST_BASE_TRANSFORM(self)->segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID(rt)) f.running_time_ns = rt;
  }
  if (GST_CLOCK_TIME_IS_VALID(analysed_pts)) f.analysed_pts_ns = analysed_pts;
  f.wall_clock_us = g_get_real_time();
  f.width = meta ? gst_refseg_meta_get_width(meta) : self->width;
  f.height = meta ? gst_refseg_meta_get_height(meta) : self->height;
  const gchar *model = meta ? gst_refseg_meta_get_feature_model(meta) : nullptr;
  f.feature_model = model ? model : "";
  for (guint i = 0; i < n; ++i) {
    GstRefSegSelection sel;
    if (!gst_refseg_meta_get_selection(meta, i, &sel)) continue;
    ExpressionResult e;
    e.expression = sel.expression ? sel.expression : "";
    e.phrase = sel.phrase ? sel.phrase : "";
    e.index = sel.index;
    e.score = sel.score;
    const gchar *reason = gst_refseg_meta_get_selection_reason(meta, i);
    if (reason) e.reason = reason;
    GstRefSegProposal proposal;
    if (sel.index >= 0 && gst_refseg_meta_get_proposal(meta, sel.index, &proposal)) {
      e.box = refseg::Box{proposal.box.x, proposal.box.y, proposal.box.width, proposal.box.height};
      e.mask.box = *e.box;
      e.mask.pixels.assign(proposal.mask, proposal.mask + static_cast<size_t>(proposal.box.width) *
                                                              proposal.box.height);
    }
    gint track_id = -1;
    GstRefSegBox box;
    if (gst_refseg_meta_get_selection_track(meta, i, &track_id, &box)) {
      e.track_id = track_id;
      e.box = refseg::Box{box.x, box.y, box.width, box.height};
    }
    GstRefSegSpatial spatial;
    if (gst_refseg_meta_get_selection_spatial(meta, i, &spatial)) {
      SpatialResult sp;
      sp.summary = spatial.summary ? spatial.summary : "";
      sp.target = spatial.target ? spatial.target : "";
      sp.relation = spatial.relation ? spatial.relation : "";
      sp.anchor = spatial.anchor ? spatial.anchor : "";
      sp.anchor_index = spatial.anchor_index;
      sp.resolved = spatial.resolved;
      e.spatial = std::move(sp);
    }
    f.expressions.push_back(std::move(e));
  }
  return f;
}

static GstFlowReturn gst_refseg_publish_transform_ip(GstBaseTransform *trans, GstBuffer *buffer) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  Publisher *p = self->publisher;
  const bool every_frame = self->settings->every_frame;
  const auto mask_format = self->settings->mask_format == GST_REFSEG_PUBLISH_MASK_RLE
                               ? refseg::publish::MaskFormat::Rle
                               : refseg::publish::MaskFormat::None;
  GST_OBJECT_UNLOCK(self);
  if (!p) return GST_FLOW_OK;
  std::optional<refseg::publish::FrameResults> f = frame_results(self, buffer, every_frame);
  if (!f) return GST_FLOW_OK;
  f->stream = p->stream;
  f->sequence = self->sequence++;
  if (f->feature_model.empty()) {
    if (!p->model_looked_up) {
      p->model_looked_up = true;
      if (GstElement *target = find_target(self, p->settings.target)) {
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(target), "model")) {
          gchar *model = nullptr;
          g_object_get(target, "model", &model, nullptr);
          if (model) p->model_name = model;
          g_free(model);
        }
        gst_object_unref(target);
      }
    }
    f->feature_model = p->model_name;
  }
  try {
    // Never waits: a full queue drops its oldest document.
    p->queue.push(refseg::publish::results_document(*f, mask_format));
  } catch (const std::exception &e) {
    GST_WARNING_OBJECT(self, "frame not published: %s", e.what());
    p->queue.count_dropped();
  }
  return GST_FLOW_OK;
}

// ---------------------------------------------------------------- properties

static void set_string(std::string *out, const GValue *value) {
  const gchar *s = g_value_get_string(value);
  *out = s ? s : "";
}

static void gst_refseg_publish_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  Settings &s = *self->settings;
  switch (id) {
    case PROP_METHOD:
      s.method = static_cast<GstRefSegPublishMethod>(g_value_get_enum(value));
      break;
    case PROP_FILE_PATH:
      set_string(&s.file_path, value);
      break;
    case PROP_MAX_FILE_SIZE:
      s.max_file_size = g_value_get_uint64(value);
      break;
    case PROP_ADDRESS:
      set_string(&s.address, value);
      break;
    case PROP_TOPIC:
      set_string(&s.topic, value);
      break;
    case PROP_QOS:
      s.qos = g_value_get_uint(value);
      break;
    case PROP_CLIENT_ID:
      set_string(&s.client_id, value);
      break;
    case PROP_USERNAME:
      set_string(&s.username, value);
      break;
    case PROP_PASSWORD:
      set_string(&s.password, value);
      break;
    case PROP_CA_FILE:
      set_string(&s.ca_file, value);
      break;
    case PROP_KEEP_ALIVE:
      s.keep_alive = g_value_get_uint(value);
      break;
    case PROP_STREAM_NAME:
      set_string(&s.stream_name, value);
      break;
    case PROP_MASK_FORMAT:
      s.mask_format = static_cast<GstRefSegPublishMaskFormat>(g_value_get_enum(value));
      break;
    case PROP_EVERY_FRAME:
      s.every_frame = g_value_get_boolean(value);
      break;
    case PROP_CONTROL_TOPIC:
      set_string(&s.control_topic, value);
      break;
    case PROP_REPLY_TOPIC:
      set_string(&s.reply_topic, value);
      break;
    case PROP_TARGET:
      set_string(&s.target, value);
      break;
    case PROP_MAX_QUEUE:
      s.max_queue = g_value_get_uint(value);
      break;
    case PROP_STATS_INTERVAL:
      s.stats_interval = g_value_get_uint(value);
      break;
    case PROP_CONTROL_MAX_SIZE:
      s.control_max_size = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_publish_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  const Settings &s = *self->settings;
  switch (id) {
    case PROP_METHOD:
      g_value_set_enum(value, s.method);
      break;
    case PROP_FILE_PATH:
      g_value_set_string(value, s.file_path.c_str());
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64(value, s.max_file_size);
      break;
    case PROP_ADDRESS:
      g_value_set_string(value, s.address.c_str());
      break;
    case PROP_TOPIC:
      g_value_set_string(value, s.topic.c_str());
      break;
    case PROP_QOS:
      g_value_set_uint(value, s.qos);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string(value, s.client_id.c_str());
      break;
    case PROP_USERNAME:
      g_value_set_string(value, s.username.c_str());
      break;
    case PROP_PASSWORD:
      g_value_set_string(value, s.password.c_str());
      break;
    case PROP_CA_FILE:
      g_value_set_string(value, s.ca_file.c_str());
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_uint(value, s.keep_alive);
      break;
    case PROP_STREAM_NAME:
      g_value_set_string(value, s.stream_name.c_str());
      break;
    case PROP_MASK_FORMAT:
      g_value_set_enum(value, s.mask_format);
      break;
    case PROP_EVERY_FRAME:
      g_value_set_boolean(value, s.every_frame);
      break;
    case PROP_CONTROL_TOPIC:
      g_value_set_string(value, s.control_topic.c_str());
      break;
    case PROP_REPLY_TOPIC:
      g_value_set_string(value, s.reply_topic.c_str());
      break;
    case PROP_TARGET:
      g_value_set_string(value, s.target.c_str());
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint(value, s.max_queue);
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint(value, s.stats_interval);
      break;
    case PROP_CONTROL_MAX_SIZE:
      g_value_set_uint(value, s.control_max_size);
      break;
    case PROP_PUBLISHED:
      g_value_set_uint64(value, self->published->load());
      break;
    case PROP_DROPPED: {
      const Publisher *p = self->publisher;
      g_value_set_uint64(value, p ? p->queue.dropped() : self->dropped->load());
      break;
    }
    case PROP_RECONNECTS:
      g_value_set_uint64(value, self->reconnects->load());
      break;
    case PROP_CONTROL_APPLIED:
      g_value_set_uint64(value, self->control_applied->load());
      break;
    case PROP_CONTROL_REJECTED:
      g_value_set_uint64(value, self->control_rejected->load());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_publish_finalize(GObject *object) {
  GstRefSegPublish *self = GST_REFSEG_PUBLISH(object);
  delete self->settings;
  delete self->published;
  delete self->reconnects;
  delete self->control_applied;
  delete self->control_rejected;
  delete self->dropped;
  G_OBJECT_CLASS(gst_refseg_publish_parent_class)->finalize(object);
}

static void gst_refseg_publish_class_init(GstRefSegPublishClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = gst_refseg_publish_set_property;
  gobject_class->get_property = gst_refseg_publish_get_property;
  gobject_class->finalize = gst_refseg_publish_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  auto string_prop = [&](guint id, const char *name, const char *nick, const char *blurb,
                         const char *def) {
    g_object_class_install_property(gobject_class, id,
                                    g_param_spec_string(name, nick, blurb, def, rw));
  };
  g_object_class_install_property(
      gobject_class, PROP_METHOD,
      g_param_spec_enum("method", "Method", "Where the documents go", method_get_type(),
                        GST_REFSEG_PUBLISH_METHOD_FILE, rw));
  string_prop(PROP_FILE_PATH, "file-path", "File path",
              "method=file: JSON Lines file (one document per line); - is stdout",
              kDefaultFilePath);
  g_object_class_install_property(
      gobject_class, PROP_MAX_FILE_SIZE,
      g_param_spec_uint64("max-file-size", "Max file size",
                          "method=file: bytes after which the file is renamed to <file-path>.1 "
                          "(replacing the previous one) and a new one started; 0: never",
                          0, G_MAXUINT64, 0, rw));
  string_prop(PROP_ADDRESS, "address", "Address",
              "method=mqtt: broker host:port (1883, or 8883 with ca-file, when no port)",
              kDefaultAddress);
  string_prop(PROP_TOPIC, "topic", "Topic",
              "method=mqtt: topic of the results; {stream} is replaced by stream-name",
              kDefaultTopic);
  g_object_class_install_property(
      gobject_class, PROP_QOS,
      g_param_spec_uint("qos", "QoS",
                        "MQTT quality of service of the results: 0 at most once (published counts "
                        "what was sent), 1 at least once (published counts broker acks)",
                        0, 1, 0, rw));
  string_prop(PROP_CLIENT_ID, "client-id", "Client id",
              "MQTT client id; empty: refseg-<stream>-<pid>", "");
  string_prop(PROP_USERNAME, "username", "User name", "MQTT user name; empty: anonymous", "");
  string_prop(PROP_PASSWORD, "password", "Password", "MQTT password", "");
  string_prop(PROP_CA_FILE, "ca-file", "CA file",
              "PEM file of the CA that signed the broker's certificate: connects with TLS", "");
  g_object_class_install_property(
      gobject_class, PROP_KEEP_ALIVE,
      g_param_spec_uint("keep-alive", "Keep alive", "MQTT keep-alive interval in seconds", 5, 65535,
                        kDefaultKeepAlive, rw));
  string_prop(PROP_STREAM_NAME, "stream-name", "Stream name",
              "Name of the stream in documents and topics; empty: the enclosing bin's name "
              "(not the pipeline's), else this element's",
              "");
  g_object_class_install_property(
      gobject_class, PROP_MASK_FORMAT,
      g_param_spec_enum("mask-format", "Mask format", "How the selected masks are written",
                        mask_format_get_type(), GST_REFSEG_PUBLISH_MASK_RLE, rw));
  g_object_class_install_property(
      gobject_class, PROP_EVERY_FRAME,
      g_param_spec_boolean("every-frame", "Every frame",
                           "One document for every frame; false: only for analysed frames (those "
                           "the selector computed results on, not those a tracker carried them "
                           "onto)",
                           FALSE, rw));
  string_prop(
      PROP_CONTROL_TOPIC, "control-topic", "Control topic",
      "method=mqtt: topics (or filters) of control messages that set the text or "
      "expression list, separated by commas (e.g. \"refseg/{stream}/set,refseg/fleet/set\"); "
      "{stream} is replaced; empty: none",
      kDefaultControlTopic);
  string_prop(PROP_REPLY_TOPIC, "reply-topic", "Reply topic",
              "method=mqtt: topic of the answers to control messages; empty: none",
              kDefaultReplyTopic);
  string_prop(PROP_TARGET, "target", "Target",
              "Name of the element control messages set (a refsegbin or refsegselector); empty: "
              "the first refsegbin or refsegselector upstream",
              "");
  g_object_class_install_property(
      gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint("max-queue", "Max queue",
                        "Documents waiting to be sent; when full the oldest is dropped (dropped "
                        "counts it)",
                        1, 1000000, kDefaultMaxQueue, rw));
  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats interval",
                        "Milliseconds between refseg-publish-stats element messages; 0: none", 0,
                        G_MAXUINT, kDefaultStatsInterval, rw));
  g_object_class_install_property(
      gobject_class, PROP_CONTROL_MAX_SIZE,
      g_param_spec_uint("control-max-size", "Control max size",
                        "Bytes a control message may have; longer ones are refused (too-large)", 2,
                        16 * 1024 * 1024, refseg::publish::kDefaultControlMaxBytes, rw));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISHED,
      g_param_spec_uint64("published", "Published", "Documents delivered (see qos)", 0, G_MAXUINT64,
                          0, ro));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED,
      g_param_spec_uint64("dropped", "Dropped",
                          "Documents lost: dropped from the full queue, refused by the library "
                          "or left at stop",
                          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_RECONNECTS,
      g_param_spec_uint64("reconnects", "Reconnects",
                          "Connections to the broker made again after one was lost", 0, G_MAXUINT64,
                          0, ro));
  g_object_class_install_property(
      gobject_class, PROP_CONTROL_APPLIED,
      g_param_spec_uint64("control-applied", "Control applied", "Control messages applied", 0,
                          G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_CONTROL_REJECTED,
      g_param_spec_uint64("control-rejected", "Control rejected",
                          "Control messages answered with an error", 0, G_MAXUINT64, 0, ro));

  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation results publisher", "Filter/Metadata",
      "Sends each frame's refseg results as JSON to a file or an MQTT broker, and takes the text "
      "from a control topic",
      REFSEG_ELEMENT_AUTHORS);
  GstCaps *caps = gst_caps_new_any();
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
  trans_class->start = gst_refseg_publish_start;
  trans_class->stop = gst_refseg_publish_stop;
  trans_class->set_caps = gst_refseg_publish_set_caps;
  trans_class->sink_event = gst_refseg_publish_sink_event;
  trans_class->transform_ip = gst_refseg_publish_transform_ip;
  trans_class->transform_ip_on_passthrough = TRUE;
  trans_class->passthrough_on_same_caps = TRUE;

  gst_type_mark_as_plugin_api(method_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(mask_format_get_type(), static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(refseg_publish_debug, "refsegpublish", 0, "refseg results publisher");
}

static void gst_refseg_publish_init(GstRefSegPublish *self) {
  self->settings = new Settings();
  self->publisher = nullptr;
  self->published = new std::atomic<guint64>(0);
  self->reconnects = new std::atomic<guint64>(0);
  self->control_applied = new std::atomic<guint64>(0);
  self->control_rejected = new std::atomic<guint64>(0);
  self->dropped = new std::atomic<guint64>(0);
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

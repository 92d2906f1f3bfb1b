#include "gstrefsegbin.h"

#include <gst/video/video.h>

#include <memory>
#include <string>

#include "gstrefsegencoder.h"
#include "gstrefsegproposals.h"
#include "gstrefsegselector.h"
#include "gstrefsegtracker.h"
#include "refseg_analysis_step.h"
#include "refseg_elements.h"
#include "refseg_frame.h"
#include "runtime/stream_turns_registry.h"
#include "scheduling/stream_turns.h"

GST_DEBUG_CATEGORY_STATIC(refseg_bin_debug);
#define GST_CAT_DEFAULT refseg_bin_debug

// The children properties are forwarded to. Besides them the bin holds a
// tee and two queues (see gst_refseg_bin_init).
enum Child { PROPOSALS, ENCODER, SELECTOR, TRACKER, N_CHILDREN };

// A bin property forwards to the same-named (or renamed) property of one or
// more children; its spec is cloned from the first child's, so ranges,
// defaults and blurbs are defined once, in the element that owns them.
struct ForwardedProperty {
  const char *name;        // on the bin
  const char *child_name;  // on the children
  bool to[N_CHILDREN];
};

static const ForwardedProperty kForwarded[] = {
    {"model", "model", {false, true, true, false}},
    {"text", "text", {false, false, true, false}},
    {"expressions", "expressions", {false, false, true, false}},
    {"expression-list", "expression-list", {false, false, true, false}},
    {"global-weight", "global-weight", {false, false, true, false}},
    {"sentence-weight", "sentence-weight", {false, false, true, false}},
    {"threshold", "threshold", {false, false, true, false}},
    {"spatial", "spatial", {false, false, true, false}},
    {"masked-layers", "masked-layers", {false, true, false, false}},
    {"local-crops", "local-crops", {false, true, false, false}},
    {"reuse", "reuse", {true, true, false, false}},
    {"threads", "threads", {false, true, true, false}},
    {"device", "device", {false, true, true, false}},
    {"precision", "precision", {false, true, true, false}},
    {"preprocess", "preprocess", {false, true, true, false}},
    {"max-proposals", "max-proposals", {true, false, false, false}},
    {"min-area", "min-area", {true, false, false, false}},
    {"proposals-model", "model", {true, false, false, false}},
    {"switch-margin", "switch-margin", {false, false, false, true}},
    {"switch-confirmations", "switch-confirmations", {false, false, false, true}},
    {"post-messages", "post-messages", {false, false, false, true}},
    // The name for proposals-model (both set refsegproposals' model),
    // and the SAM settings of refsegproposals.
    {"proposal-model", "model", {true, false, false, false}},
    {"refine", "refine", {true, false, false, false}},
    {"refine-model", "refine-model", {true, false, false, false}},
    {"points-per-side", "points-per-side", {true, false, false, false}},
};
constexpr guint kNumForwarded = G_N_ELEMENTS(kForwarded);
// The bin's own properties, after the forwarded ones.
enum { PROP_MODE = kNumForwarded + 1, PROP_INFERENCE_INTERVAL };

struct _GstRefSegBin {
  GstBin parent;
  GstElement *children[N_CHILDREN];
  GstElement *tee, *analysis_queue, *video_queue;
  // Guarded by the object lock.
  refseg::scheduling::AnalysisMode mode;
  guint interval;
  bool live;  // what the first frame's latency query said (auto)
  // In latest mode, the turns this stream takes with the other streams
  // analysed by the same model (null: not started, or the model is not
  // found, which the encoder reports). Set and cleared at the state
  // changes, read by the analysis thread, under the object lock.
  std::shared_ptr<refseg::scheduling::StreamTurns> *turns;
  int turn_id;
};

G_DEFINE_TYPE(GstRefSegBin, gst_refseg_bin, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE(refsegbin, "refsegbin", GST_RANK_NONE, GST_TYPE_REFSEG_BIN);

static GParamSpec *clone_pspec(GParamSpec *src, const char *name) {
  const char *nick = g_param_spec_get_nick(src), *blurb = g_param_spec_get_blurb(src);
  const auto flags = static_cast<GParamFlags>(src->flags & ~G_PARAM_STATIC_STRINGS);
  if (G_IS_PARAM_SPEC_STRING(src))
    return g_param_spec_string(name, nick, blurb, G_PARAM_SPEC_STRING(src)->default_value, flags);
  if (G_IS_PARAM_SPEC_UINT(src)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT(src);
    return g_param_spec_uint(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_INT(src)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT(src);
    return g_param_spec_int(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_FLOAT(src)) {
    GParamSpecFloat *p = G_PARAM_SPEC_FLOAT(src);
    return g_param_spec_float(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_DOUBLE(src)) {
    GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE(src);
    return g_param_spec_double(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_BOOLEAN(src))
    return g_param_spec_boolean(name, nick, blurb, G_PARAM_SPEC_BOOLEAN(src)->default_value, flags);
  if (G_IS_PARAM_SPEC_ENUM(src))
    return g_param_spec_enum(name, nick, blurb, G_PARAM_SPEC_VALUE_TYPE(src),
                             G_PARAM_SPEC_ENUM(src)->default_value, flags);
  if (GST_IS_PARAM_SPEC_ARRAY_LIST(src))
    return gst_param_spec_array(
        name, nick, blurb, g_param_spec_string("item", "Item", "An item", "", G_PARAM_READWRITE),
        flags);
  g_error("refsegbin: cannot forward property %s of type %s", src->name,
          g_type_name(G_PARAM_SPEC_VALUE_TYPE(src)));
  return nullptr;
}

static GType child_type(int child) {
  switch (child) {
    case PROPOSALS:
      return GST_TYPE_REFSEG_PROPOSALS;
    case ENCODER:
      return GST_TYPE_REFSEG_ENCODER;
    case SELECTOR:
      return GST_TYPE_REFSEG_SELECTOR;
    default:
      return GST_TYPE_REFSEG_TRACKER;
  }
}

// Puts the mode into the children: the tracker waits or not, the analysis
// queue keeps every frame or only the newest, proposals analyse every frame
// or every N-th.
static void apply_mode(GstRefSegBin *self) {
  GST_OBJECT_LOCK(self);
  const refseg::scheduling::AnalysisMode mode = self->mode;
  const guint interval = self->interval;
  const bool live = self->live;
  GST_OBJECT_UNLOCK(self);
  using refseg::scheduling::AnalysisMode;
  const AnalysisMode resolved = refseg::scheduling::resolve(mode, live);
  g_object_set(self->children[TRACKER], "mode", static_cast<gint>(mode), nullptr);
  g_object_set(self->children[PROPOSALS], "inference-interval",
               resolved == AnalysisMode::Interval ? interval : 1u, nullptr);
  if (resolved == AnalysisMode::Latest)
    // The analysis takes the newest frame whenever it is free.
    g_object_set(self->analysis_queue, "leaky", 2 /* downstream */, "max-size-buffers", 1u,
                 nullptr);
  else
    g_object_set(self->analysis_queue, "leaky", 0 /* no */, "max-size-buffers", 3u, nullptr);
}

// Auto mode: the first frame of each stream says whether the pipeline is
// live, before the tee hands it to the analysis queue.
static GstPadProbeReturn resolve_liveness(GstPad *pad, GstPadProbeInfo *, gpointer data) {
  GstRefSegBin *self = GST_REFSEG_BIN(data);
  const bool live = refseg::gst::upstream_is_live(pad);
  GST_OBJECT_LOCK(self);
  self->live = live;
  GST_OBJECT_UNLOCK(self);
  GST_INFO_OBJECT(self, "upstream is %slive", live ? "" : "not ");
  apply_mode(self);
  return GST_PAD_PROBE_REMOVE;
}

// The bin's own properties and those it forwards follow a GstController
// bound to the bin: each frame syncs them before the tee hands it on (the
// children sync their own bindings as usual).
static GstPadProbeReturn sync_controlled_values(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstEvent *event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (!buffer || !event) {
    if (event) gst_event_unref(event);
    return GST_PAD_PROBE_OK;
  }
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(event, &segment);
  const GstClockTime t =
      gst_segment_to_stream_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  gst_event_unref(event);
  if (GST_CLOCK_TIME_IS_VALID(t)) gst_object_sync_values(GST_OBJECT(data), t);
  return GST_PAD_PROBE_OK;
}

static void gst_refseg_bin_set_property(GObject *object, guint id, const GValue *value,
                                        GParamSpec *pspec) {
  GstRefSegBin *bin = GST_REFSEG_BIN(object);
  if (id == PROP_MODE || id == PROP_INFERENCE_INTERVAL) {
    GST_OBJECT_LOCK(bin);
    if (id == PROP_MODE)
      bin->mode = static_cast<refseg::scheduling::AnalysisMode>(g_value_get_enum(value));
    else
      bin->interval = g_value_get_uint(value);
    GST_OBJECT_UNLOCK(bin);
    apply_mode(bin);
    return;
  }
  if (id == 0 || id > kNumForwarded) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GstRefSegBin *self = GST_REFSEG_BIN(object);
  const ForwardedProperty &p = kForwarded[id - 1];
  for (int c = 0; c < N_CHILDREN; c++)
    if (p.to[c]) g_object_set_property(G_OBJECT(self->children[c]), p.child_name, value);
}

static void gst_refseg_bin_get_property(GObject *object, guint id, GValue *value,
                                        GParamSpec *pspec) {
  GstRefSegBin *bin = GST_REFSEG_BIN(object);
  if (id == PROP_MODE || id == PROP_INFERENCE_INTERVAL) {
    GST_OBJECT_LOCK(bin);
    if (id == PROP_MODE)
      g_value_set_enum(value, static_cast<gint>(bin->mode));
    else
      g_value_set_uint(value, bin->interval);
    GST_OBJECT_UNLOCK(bin);
    return;
  }
  if (id == 0 || id > kNumForwarded) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GstRefSegBin *self = GST_REFSEG_BIN(object);
  const ForwardedProperty &p = kForwarded[id - 1];
  for (int c = 0; c < N_CHILDREN; c++) {
    if (!p.to[c]) continue;
    g_object_get_property(G_OBJECT(self->children[c]), p.child_name, value);
    return;
  }
}

// This stream's turns (null before READY->PAUSED, or when the model is not
// found); *latest: whether it takes them now (latest mode). Giving a turn
// back and flushes go by the turns alone, so that a mode changed while a
// turn is held cannot keep it.
static std::shared_ptr<refseg::scheduling::StreamTurns> stream_turns(GstRefSegBin *self, int *id,
                                                                     bool *latest) {
  GST_OBJECT_LOCK(self);
  *latest = refseg::scheduling::resolve(self->mode, self->live) ==
            refseg::scheduling::AnalysisMode::Latest;
  std::shared_ptr<refseg::scheduling::StreamTurns> turns = *self->turns;
  *id = self->turn_id;
  GST_OBJECT_UNLOCK(self);
  return turns;
}

// Joins the turns of the streams analysed with the encoder's model file and
// device (models/runtime: the registry shares them as it shares models).
static void join_turns(GstRefSegBin *self) {
  gchar *model = nullptr, *device = nullptr;
  g_object_get(self->children[ENCODER], "model", &model, "device", &device, nullptr);
  std::shared_ptr<refseg::scheduling::StreamTurns> turns;
  try {
    turns = refseg::acquire_stream_turns(model ? model : "", device ? device : "cpu");
  } catch (const std::exception &e) {
    // The encoder fails its start with the reason.
    GST_DEBUG_OBJECT(self, "no shared turns: %s", e.what());
  }
  g_free(model);
  g_free(device);
  if (!turns) return;
  const int id = turns->join();
  GST_OBJECT_LOCK(self);
  *self->turns = turns;
  self->turn_id = id;
  GST_OBJECT_UNLOCK(self);
}

static void leave_turns(GstRefSegBin *self) {
  GST_OBJECT_LOCK(self);
  std::shared_ptr<refseg::scheduling::StreamTurns> turns = std::move(*self->turns);
  self->turns->reset();
  const int id = self->turn_id;
  GST_OBJECT_UNLOCK(self);
  if (turns) turns->leave(id);
}

static GstStateChangeReturn gst_refseg_bin_change_state(GstElement *element,
                                                        GstStateChange transition) {
  GstRefSegBin *self = GST_REFSEG_BIN(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GstPad *pad = gst_element_get_static_pad(self->tee, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, resolve_liveness, self, nullptr);
    gst_object_unref(pad);
    join_turns(self);
  }
  // The analysis thread may be waiting for its turn: it must not, while
  // its pads deactivate.
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) leave_turns(self);
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_refseg_bin_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && ret == GST_STATE_CHANGE_FAILURE)
    leave_turns(self);
  return ret;
}

// Latest mode, shared model: before a frame enters the analysis the stream
// waits for its turn (models/scheduling/stream_turns.h); when a newer frame
// arrived meanwhile the older one is dropped and the turn kept for the
// newest. Other modes analyse every frame they are given, in order.
static GstPadProbeReturn take_turn(GstPad *, GstPadProbeInfo *info, gpointer data) {
  GstRefSegBin *self = GST_REFSEG_BIN(data);
  int id = 0;
  bool latest = false;
  std::shared_ptr<refseg::scheduling::StreamTurns> turns = stream_turns(self, &id, &latest);
  if (!turns) return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_BOTH) {
    // A flush discards the frame under analysis: its turn goes back, and
    // a wait for one ends (flush-stop takes the streaming lock it holds).
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START) {
      turns->cancel(id);
      turns->release(id);
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
      turns->resume(id);
    }
    return GST_PAD_PROBE_OK;
  }
  if (!latest) return GST_PAD_PROBE_OK;
  if (!turns->acquire(id)) return GST_PAD_PROBE_DROP;  // flushing or stopping
  guint queued = 0;
  g_object_get(self->analysis_queue, "current-level-buffers", &queued, nullptr);
  if (queued > 0) return GST_PAD_PROBE_DROP;
  GST_LOG_OBJECT(self, "stream %d: analysing %" GST_TIME_FORMAT " on turn %" G_GUINT64_FORMAT, id,
                 GST_TIME_ARGS(GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info))), turns->turns(id));
  return GST_PAD_PROBE_OK;
}

// Latest mode: while the model loads, the frame with its proposals waits
// here, before the encoder, and the leaky analysis queue keeps taking newer
// frames; once the model is ready a waiting frame that a newer one has
// replaced is dropped, so the first analysis is of the newest frame (its
// results are carried through every frame since, as each analysis' are).
// The first proposals ran meanwhile (OpenCV's first call is the slowest).
static GstPadProbeReturn wait_for_the_model(GstPad *pad, GstPadProbeInfo *, gpointer data) {
  GstRefSegBin *self = GST_REFSEG_BIN(data);
  GST_OBJECT_LOCK(self);
  const bool latest = refseg::scheduling::resolve(self->mode, self->live) ==
                      refseg::scheduling::AnalysisMode::Latest;
  GST_OBJECT_UNLOCK(self);
  GstRefSegEncoder *encoder = GST_REFSEG_ENCODER(self->children[ENCODER]);
  if (!latest || gst_refseg_encoder_model_is_ready(encoder)) return GST_PAD_PROBE_OK;
  while (!gst_refseg_encoder_model_is_ready(encoder)) {
    if (GST_PAD_IS_FLUSHING(pad)) return GST_PAD_PROBE_DROP;  // a flush, or stopping
    g_usleep(10 * 1000);
  }
  guint queued = 0;
  g_object_get(self->analysis_queue, "current-level-buffers", &queued, nullptr);
  return queued > 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

// The analysed frame (or the end of the stream) leaves the selector: the
// turn goes to the next stream.
static GstPadProbeReturn give_turn_back(GstPad *, GstPadProbeInfo *info, gpointer data) {
  GstRefSegBin *self = GST_REFSEG_BIN(data);
  if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) &&
      GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  int id = 0;
  bool latest = false;
  std::shared_ptr<refseg::scheduling::StreamTurns> turns = stream_turns(self, &id, &latest);
  if (turns) turns->release(id);
  return GST_PAD_PROBE_OK;
}

static void gst_refseg_bin_finalize(GObject *object) {
  delete GST_REFSEG_BIN(object)->turns;
  G_OBJECT_CLASS(gst_refseg_bin_parent_class)->finalize(object);
}

// The analysis queue's streaming thread runs proposals, encoding and
// selection: it announces itself (stream-status ENTER, posted from that
// thread) and is given a lower priority than the video, as the model's
// worker thread is (models/scheduling).
static void gst_refseg_bin_handle_message(GstBin *bin, GstMessage *message) {
  GstRefSegBin *self = GST_REFSEG_BIN(bin);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_STREAM_STATUS) {
    GstStreamStatusType type;
    GstElement *owner = nullptr;
    gst_message_parse_stream_status(message, &type, &owner);
    if (type == GST_STREAM_STATUS_TYPE_ENTER && owner == self->analysis_queue &&
        !refseg::scheduling::lower_current_thread_priority())
      GST_DEBUG_OBJECT(self, "could not lower the analysis thread's priority");
  }
  GST_BIN_CLASS(gst_refseg_bin_parent_class)->handle_message(bin, message);
}

static void gst_refseg_bin_class_init(GstRefSegBinClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_refseg_bin_set_property;
  gobject_class->get_property = gst_refseg_bin_get_property;
  gobject_class->finalize = gst_refseg_bin_finalize;

  for (guint i = 0; i < kNumForwarded; i++) {
    const ForwardedProperty &p = kForwarded[i];
    int first = 0;
    while (!p.to[first]) first++;
    gpointer child_class = g_type_class_ref(child_type(first));
    GParamSpec *src = g_object_class_find_property(G_OBJECT_CLASS(child_class), p.child_name);
    g_assert(src != nullptr);
    g_object_class_install_property(gobject_class, i + 1, clone_pspec(src, p.name));
    g_type_class_unref(child_class);
  }
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE);
  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Analysis mode",
                        "every-frame: each frame waits for its analysis; interval: every "
                        "inference-interval-th frame is analysed, results carried in between; "
                        "latest: the video never waits, frames carry the latest results; auto: "
                        "latest when the pipeline is live, every-frame otherwise",
                        GST_TYPE_REFSEG_ANALYSIS_MODE,
                        static_cast<gint>(refseg::scheduling::AnalysisMode::Auto), live));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint("inference-interval", "Inference interval",
                        "In interval mode, analyse every N-th frame", 1, G_MAXINT, 10, live));
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_refseg_bin_change_state);
  GST_BIN_CLASS(klass)->handle_message = GST_DEBUG_FUNCPTR(gst_refseg_bin_handle_message);

  refseg::gst::add_video_pad_templates(element_class);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation", "Filter/Analyzer/Video",
      "Finds the object a sentence refers to in every frame: mask proposals, CLIP global-local "
      "features and text-conditioned selection in one element",
      REFSEG_ELEMENT_AUTHORS);
  GST_DEBUG_CATEGORY_INIT(refseg_bin_debug, "refsegbin", 0, "refseg bin");
}

// What it assembles, as by hand (docs/architecture.md):
//   tee name=t ! queue ! refsegproposals ! refsegencoder ! refsegselector ! k.results
//   t. ! queue ! refsegtracker name=k
// The analysis queue is requested from the tee first: the tee hands each
// frame to the analysis before the video.
static void gst_refseg_bin_init(GstRefSegBin *self) {
  static const char *factories[N_CHILDREN] = {"refsegproposals", "refsegencoder", "refsegselector",
                                              "refsegtracker"};
  self->mode = refseg::scheduling::AnalysisMode::Auto;
  self->interval = 10;
  self->live = false;
  self->turns = new std::shared_ptr<refseg::scheduling::StreamTurns>();
  self->turn_id = 0;
  for (int c = 0; c < N_CHILDREN; c++) {
    self->children[c] = GST_ELEMENT(g_object_new(child_type(c), "name", factories[c], nullptr));
    gst_bin_add(GST_BIN(self), self->children[c]);
  }
  self->tee = gst_element_factory_make("tee", "tee");
  self->analysis_queue = gst_element_factory_make("queue", "analysis-queue");
  self->video_queue = gst_element_factory_make("queue", "video-queue");
  gst_bin_add_many(GST_BIN(self), self->tee, self->analysis_queue, self->video_queue, nullptr);
  // The tracker publishes per frame; the selector's own messages would
  // repeat them per analysis.
  g_object_set(self->children[SELECTOR], "post-messages", FALSE, nullptr);
  g_object_set(self->analysis_queue, "max-size-bytes", 0u, "max-size-time", G_GUINT64_CONSTANT(0),
               nullptr);
  // In the waiting modes the video queue holds the frames whose analysis
  // is under way, which may be seconds of video: no size limit of its own
  // (the analysis queue, full at three frames, bounds it by blocking the
  // tee), so its latency range is unbounded and a min latency of seconds
  // stays configurable. In latest it never fills.
  g_object_set(self->video_queue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
               G_GUINT64_CONSTANT(0), nullptr);
  gst_element_link_many(self->tee, self->analysis_queue, self->children[PROPOSALS],
                        self->children[ENCODER], self->children[SELECTOR], nullptr);
  gst_element_link_pads(self->children[SELECTOR], "src", self->children[TRACKER], "results");
  gst_element_link_many(self->tee, self->video_queue, self->children[TRACKER], nullptr);
  apply_mode(self);
  GstPad *turn_pad = gst_element_get_static_pad(self->analysis_queue, "src");
  gst_pad_add_probe(
      turn_pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                   GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      take_turn, self, nullptr);
  gst_object_unref(turn_pad);
  turn_pad = gst_element_get_static_pad(self->children[ENCODER], "sink");
  gst_pad_add_probe(turn_pad, GST_PAD_PROBE_TYPE_BUFFER, wait_for_the_model, self, nullptr);
  gst_object_unref(turn_pad);
  turn_pad = gst_element_get_static_pad(self->children[SELECTOR], "src");
  gst_pad_add_probe(
      turn_pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      give_turn_back, self, nullptr);
  gst_object_unref(turn_pad);
  GstPad *sink = gst_element_get_static_pad(self->tee, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, sync_controlled_values, self, nullptr);
  GstPad *src = gst_element_get_static_pad(self->children[TRACKER], "src");
  gst_element_add_pad(GST_ELEMENT(self), gst_ghost_pad_new("sink", sink));
  gst_element_add_pad(GST_ELEMENT(self), gst_ghost_pad_new("src", src));
  gst_object_unref(sink);
  gst_object_unref(src);
}

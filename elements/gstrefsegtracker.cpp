#include "gstrefsegtracker.h"

#include <gst/video/video.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "refseg_analysis_step.h"
#include "refseg_elements.h"
#include "refseg_frame.h"
#include "refseg_publish.h"
#include "tracking/result_tracker.h"

GST_DEBUG_CATEGORY_STATIC(refseg_tracker_debug);
#define GST_CAT_DEFAULT refseg_tracker_debug

using refseg::scheduling::AnalysisMode;

enum {
  PROP_0,
  PROP_MODE,
  PROP_SWITCH_MARGIN,
  PROP_SWITCH_CONFIRMATIONS,
  PROP_MATCH_IOU,
  PROP_POST_MESSAGES,
};

// Results waiting for the video to reach their frame, or for the video
// thread to take them.
constexpr size_t kMaxPending = 64;

struct TrackerSettings {
  refseg::tracking::TrackerOptions options;
  bool post_messages = true;
};

struct PendingResult {
  GstClockTime pts;
  bool analysed;  // false: the analysis branch let this frame pass (interval, QoS)
  refseg::tracking::CarriedAnalysis analysis;
};

// Everything the two streaming threads share, under `mutex`.
struct TrackerState {
  std::mutex mutex;
  std::condition_variable changed;
  refseg::tracking::ResultTracker tracker;
  std::deque<PendingResult> pending;
  GstClockTime results_upto = GST_CLOCK_TIME_NONE;  // PTS of the last results buffer
  bool results_eos = false, results_flushing = false, video_flushing = false;
  // A new stream on the video pad (e.g. a camera's source rebuilt after an
  // outage): results of frames before its first frame do not apply to it.
  bool new_stream = false;
  GstClockTime stream_from = GST_CLOCK_TIME_NONE;  // PTS of the stream's first frame
  AnalysisMode mode = AnalysisMode::Auto;          // the property
  int live = -1;  // what the stream's first frame's latency query said (-1: not asked yet)
  GstVideoInfo info;
  bool have_info = false;
  refseg::scheduling::ProcessingTime time;
};

// The mode in force: auto resolved once the stream's liveness is known.
static AnalysisMode effective_mode(const TrackerState &st) {
  if (st.mode != AnalysisMode::Auto || st.live < 0) return st.mode;
  return refseg::scheduling::resolve(AnalysisMode::Auto, st.live == 1);
}

// Results of earlier frames, and what was known of the analysis stream:
// nothing from before a flush or a restart may apply after it.
static void forget_results(TrackerState &st) {
  st.pending.clear();
  st.results_upto = GST_CLOCK_TIME_NONE;
}

struct _GstRefSegTracker {
  GstElement parent;
  GstPad *sink, *results, *src;
  TrackerSettings *settings;  // guarded by the object lock
  TrackerState *state;
};

G_DEFINE_TYPE(GstRefSegTracker, gst_refseg_tracker, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(refsegtracker, "refsegtracker", GST_RANK_NONE, GST_TYPE_REFSEG_TRACKER);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_ANALYSIS_CAPS));
static GstStaticPadTemplate results_template = GST_STATIC_PAD_TEMPLATE(
    "results", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_ANALYSIS_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_ANALYSIS_CAPS));

// --- meta <-> tracking types -------------------------------------------------

static refseg::tracking::Analysis read_analysis(GstCustomMeta *meta, GstClockTime pts) {
  refseg::tracking::Analysis a;
  a.timestamp = static_cast<int64_t>(pts);
  a.width = gst_refseg_meta_get_width(meta);
  a.height = gst_refseg_meta_get_height(meta);
  a.proposals = refseg::gst::read_proposals(meta);
  const guint n = gst_refseg_meta_get_n_selections(meta);
  for (guint i = 0; i < n; i++) {
    GstRefSegSelection sel;
    if (!gst_refseg_meta_get_selection(meta, i, &sel)) continue;
    refseg::tracking::AnalysedExpression e;
    e.expression = sel.expression ? sel.expression : "";
    e.phrase = sel.phrase ? sel.phrase : "";
    e.index = sel.index;
    e.score = sel.score;
    if (sel.scores) e.scores.assign(sel.scores, sel.scores + sel.n_scores);
    const gchar *reason = gst_refseg_meta_get_selection_reason(meta, i);
    if (reason) e.reason = reason;
    GstRefSegSpatial spatial;
    if (gst_refseg_meta_get_selection_spatial(meta, i, &spatial)) {
      e.spatial.summary = spatial.summary ? spatial.summary : "";
      e.spatial.target = spatial.target ? spatial.target : "";
      e.spatial.relation = spatial.relation ? spatial.relation : "";
      e.spatial.anchor = spatial.anchor ? spatial.anchor : "";
      e.spatial.anchor_index = spatial.anchor_index;
      e.spatial.resolved = spatial.resolved;
    }
    a.expressions.push_back(std::move(e));
  }
  return a;
}

static gboolean is_refseg_roi(GstBuffer *, GstMeta **meta, gpointer) {
  if ((*meta)->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE &&
      reinterpret_cast<GstVideoRegionOfInterestMeta *>(*meta)->roi_type ==
          g_quark_from_static_string("refseg"))
    *meta = nullptr;  // removes it
  return TRUE;
}

// Replaces the frame's results with the tracked ones and publishes them.
static void write_tracked(GstRefSegTracker *self, GstBuffer *buffer,
                          const refseg::tracking::TrackedFrame &tracked, int width, int height,
                          bool post_messages, const GstSegment *segment) {
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(buffer, width, height);
  if (!meta) return;
  refseg::gst::write_proposals(meta, tracked.proposals);
  gst_refseg_meta_set_track_ids(meta, tracked.track_ids.size(), tracked.track_ids.data());
  const GstClockTime analysed = static_cast<GstClockTime>(tracked.analysis_timestamp);
  gst_refseg_meta_set_analysed_pts(meta, analysed);
  gst_buffer_foreach_meta(buffer, is_refseg_roi, nullptr);
  int roi_id = 0;
  refseg::gst::SelectionsMessage message;
  for (const refseg::tracking::TrackedSelection &s : tracked.selections) {
    const bool scored = s.scores.size() == tracked.proposals.size() && !s.scores.empty();
    gst_refseg_meta_add_selection(meta, s.expression.c_str(), s.phrase.c_str(),
                                  scored ? s.index : -1, s.score, scored ? s.scores.size() : 0,
                                  scored ? s.scores.data() : nullptr);
    const guint i = gst_refseg_meta_get_n_selections(meta) - 1;
    refseg::gst::PublishedSelection p;
    p.expression = s.expression.c_str();
    p.phrase = s.phrase.c_str();
    p.index = scored ? s.index : -1;
    p.score = s.score;
    if (p.index >= 0) {
      p.track_id = s.track_id;
      p.box = {s.box.x, s.box.y, s.box.width, s.box.height};
      gst_refseg_meta_set_selection_track(meta, i, s.track_id, &p.box);
      refseg::gst::add_selection_roi(buffer, p, roi_id++);
    } else {
      p.reason = s.reason.empty() ? "nothing selected" : s.reason.c_str();
      gst_refseg_meta_set_selection_reason(meta, i, p.reason);
    }
    if (!s.spatial.summary.empty()) {
      const bool related = !s.spatial.relation.empty();
      p.spatial = {s.spatial.summary.c_str(),
                   s.spatial.target.c_str(),
                   related ? s.spatial.relation.c_str() : nullptr,
                   related ? s.spatial.anchor.c_str() : nullptr,
                   s.spatial.anchor_index,
                   s.spatial.resolved};
      gst_refseg_meta_set_selection_spatial(meta, i, &p.spatial);
    }
    message.add(p);
  }
  if (post_messages)
    message.post(GST_ELEMENT(self), segment, buffer, tracked.proposals.size(), analysed);
}

// --- the video ---------------------------------------------------------------

static bool results_linked(GstRefSegTracker *self) {
  return gst_pad_is_linked(self->results);
}

static GstSegment video_segment(GstRefSegTracker *self) {
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  GstEvent *e = gst_pad_get_sticky_event(self->sink, GST_EVENT_SEGMENT, 0);
  if (e) {
    gst_event_copy_segment(e, &segment);
    gst_event_unref(e);
  }
  return segment;
}

static GstFlowReturn gst_refseg_tracker_chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  TrackerState &st = *self->state;
  // Controlled properties (GstController) take their value for this frame.
  const GstSegment segment = video_segment(self);
  const GstClockTime stream_time =
      gst_segment_to_stream_time(&segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  if (GST_CLOCK_TIME_IS_VALID(stream_time)) gst_object_sync_values(GST_OBJECT(self), stream_time);
  GST_OBJECT_LOCK(self);
  const TrackerSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);

  {
    std::unique_lock<std::mutex> lock(st.mutex);
    if (st.live < 0) {
      // Liveness is asked once per stream, by the first frame: a latency
      // query from the streaming thread, outside the lock.
      lock.unlock();
      const bool live = refseg::gst::upstream_is_live(self->sink);
      lock.lock();
      st.live = live ? 1 : 0;
      GST_INFO_OBJECT(self, "%s pipeline: mode %s", live ? "live" : "not a live",
                      refseg::scheduling::mode_name(effective_mode(st)));
    }
    // In the modes where frames wait, this frame leaves once the analysis
    // branch has passed it (analysed or not); frames never wait in latest,
    // and a waiting frame is released when the mode changes to latest.
    if (results_linked(self) && GST_CLOCK_TIME_IS_VALID(pts)) {
      st.changed.wait(lock, [&] {
        return !refseg::scheduling::frames_wait(effective_mode(st)) || st.video_flushing ||
               st.results_eos ||
               (GST_CLOCK_TIME_IS_VALID(st.results_upto) && st.results_upto >= pts);
      });
    }
    if (st.video_flushing) {
      gst_buffer_unref(buffer);
      return GST_FLOW_FLUSHING;
    }
    if (!st.have_info) {
      gst_buffer_unref(buffer);
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps on the video pad before a frame"),
                        (nullptr));
      return GST_FLOW_NOT_NEGOTIATED;
    }
  }

  const gint64 start = refseg::gst::monotonic_ns();
  buffer = gst_buffer_make_writable(buffer);
  refseg::tracking::TrackedFrame tracked;
  bool have = false;
  int width = 0, height = 0;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    st.tracker.set_options(settings.options);
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &st.info, buffer, GST_MAP_READ)) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not map a video frame"), (nullptr));
      gst_buffer_unref(buffer);
      return GST_FLOW_ERROR;
    }
    const int64_t t =
        GST_CLOCK_TIME_IS_VALID(pts) ? static_cast<int64_t>(pts) : st.tracker.last_timestamp() + 1;
    try {
      // Motion is read in colour: I420, NV12 and GRAY8 frames are converted.
      const refseg::gst::AnalysisImage image(&frame);
      st.tracker.advance(image.view(), t);
    } catch (const std::exception &e) {
      gst_video_frame_unmap(&frame);
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not track on a frame: %s", e.what()),
                        (nullptr));
      gst_buffer_unref(buffer);
      return GST_FLOW_ERROR;
    }
    width = GST_VIDEO_FRAME_WIDTH(&frame);
    height = GST_VIDEO_FRAME_HEIGHT(&frame);
    gst_video_frame_unmap(&frame);
    // Results in the frame itself (the analysis in line in front of us).
    GstCustomMeta *own = gst_buffer_get_refseg_meta(buffer);
    if (own) st.tracker.apply(read_analysis(own, static_cast<GstClockTime>(t)));
    if (st.new_stream && GST_CLOCK_TIME_IS_VALID(pts)) {
      st.new_stream = false;
      st.stream_from = pts;
    }
    // Results of the analysis branch, up to this frame, oldest first; after
    // a new stream, those of frames before its first are dropped until its
    // own come (they arrive in order).
    while (!st.pending.empty() &&
           (!GST_CLOCK_TIME_IS_VALID(pts) || st.pending.front().pts <= pts)) {
      PendingResult r = std::move(st.pending.front());
      st.pending.pop_front();
      const bool earlier = GST_CLOCK_TIME_IS_VALID(st.stream_from) && r.pts < st.stream_from;
      if (!earlier) st.stream_from = GST_CLOCK_TIME_NONE;
      if (earlier)
        GST_DEBUG_OBJECT(self, "results of %" GST_TIME_FORMAT " are of an earlier stream",
                         GST_TIME_ARGS(r.pts));
      else if (r.analysed && !st.tracker.apply(r.analysis))
        GST_DEBUG_OBJECT(self, "results of %" GST_TIME_FORMAT " do not apply (frame size?)",
                         GST_TIME_ARGS(r.pts));
    }
    have = st.tracker.has_results();
    if (have) tracked = st.tracker.current();
  }
  const bool anything = !tracked.proposals.empty() || !tracked.selections.empty();
  if (have && (anything || gst_buffer_get_refseg_meta(buffer)))
    write_tracked(self, buffer, tracked, width, height, settings.post_messages, &segment);
  GST_LOG_OBJECT(self, "frame %" GST_TIME_FORMAT ": %zu tracks", GST_TIME_ARGS(pts),
                 tracked.proposals.size());
  refseg::gst::record_processing_time(GST_ELEMENT(self), st.time, start, pts, GST_CAT_DEFAULT);
  return gst_pad_push(self->src, buffer);
}

static void set_flushing(TrackerState &st, bool *flag, bool value) {
  std::lock_guard<std::mutex> lock(st.mutex);
  *flag = value;
  st.changed.notify_all();
}

static gboolean gst_refseg_tracker_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  TrackerState &st = *self->state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gst_event_parse_caps(event, &caps);
      std::lock_guard<std::mutex> lock(st.mutex);
      st.have_info = gst_video_info_from_caps(&st.info, caps);
      if (!st.have_info) {
        gst_event_unref(event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_FLUSH_START:
      set_flushing(st, &st.video_flushing, true);
      break;
    case GST_EVENT_FLUSH_STOP: {
      // Nothing from before the flush applies after it.
      std::lock_guard<std::mutex> lock(st.mutex);
      st.video_flushing = false;
      st.tracker.reset();
      forget_results(st);
      st.new_stream = false;
      st.stream_from = GST_CLOCK_TIME_NONE;
      st.live = -1;
      break;
    }
    case GST_EVENT_STREAM_START: {
      // A new stream: nothing tracked in the old one applies to its frames.
      std::lock_guard<std::mutex> lock(st.mutex);
      st.live = -1;
      st.tracker.reset();
      st.new_stream = true;
      GST_DEBUG_OBJECT(self, "a new stream: tracks start again");
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

// --- the analysis results ----------------------------------------------------

static GstFlowReturn gst_refseg_tracker_results_chain(GstPad *, GstObject *parent,
                                                      GstBuffer *buffer) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  TrackerState &st = *self->state;
  PendingResult r;
  r.pts = GST_BUFFER_PTS(buffer);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(buffer);
  r.analysed = meta != nullptr && GST_CLOCK_TIME_IS_VALID(r.pts);
  if (r.analysed) {
    // The analysis arrives frames after its own: it is moved through the
    // motion recorded since on this thread, so the video thread only
    // catches up the last few frames.
    std::vector<refseg::tracking::TimedMotion> motion;
    {
      std::lock_guard<std::mutex> lock(st.mutex);
      motion = st.tracker.motion_after(static_cast<int64_t>(r.pts));
    }
    r.analysis = refseg::tracking::carry(read_analysis(meta, r.pts), motion);
  }
  gst_buffer_unref(buffer);
  std::lock_guard<std::mutex> lock(st.mutex);
  if (st.results_flushing) return GST_FLOW_FLUSHING;
  if (GST_CLOCK_TIME_IS_VALID(r.pts)) st.results_upto = r.pts;
  // Frames that were not analysed only release waiting video: not kept.
  if (r.analysed) {
    st.pending.push_back(std::move(r));
    while (st.pending.size() > kMaxPending) st.pending.pop_front();
  }
  st.changed.notify_all();
  return GST_FLOW_OK;
}

static gboolean gst_refseg_tracker_results_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  TrackerState &st = *self->state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      set_flushing(st, &st.results_eos, true);
      break;
    case GST_EVENT_FLUSH_START:
      set_flushing(st, &st.results_flushing, true);
      break;
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard<std::mutex> lock(st.mutex);
      st.results_flushing = false;
      st.results_eos = false;
      forget_results(st);
      break;
    }
    case GST_EVENT_STREAM_START: {
      std::lock_guard<std::mutex> lock(st.mutex);
      st.results_eos = false;
      break;
    }
    default:
      break;
  }
  // The analysis stream ends here: its events do not go downstream.
  (void)pad;
  gst_event_unref(event);
  return TRUE;
}

// --- upstream ------------------------------------------------------------------

static AnalysisMode current_mode(GstRefSegTracker *self) {
  std::lock_guard<std::mutex> lock(self->state->mutex);
  return effective_mode(*self->state);
}

static gboolean gst_refseg_tracker_src_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  // Lateness matters to the analysis when frames wait for it: the analysis
  // branch then skips late frames (refsegproposals).
  if (GST_EVENT_TYPE(event) == GST_EVENT_QOS && results_linked(self) &&
      refseg::scheduling::frames_wait(current_mode(self)))
    gst_pad_push_event(self->results, gst_event_ref(event));
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_refseg_tracker_src_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  // The video path's latency, plus, when frames wait for their analysis,
  // the analysis branch's (each analysis element adds the time it takes).
  if (!gst_pad_peer_query(self->sink, query)) return FALSE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  // Auto not yet resolved by a frame: this query's own answer says.
  const AnalysisMode mode = refseg::scheduling::resolve(current_mode(self), live);
  const bool waits = refseg::scheduling::frames_wait(mode);
  if (waits && results_linked(self)) {
    GstQuery *q = gst_query_new_latency();
    if (gst_pad_peer_query(self->results, q)) {
      gboolean rlive;
      GstClockTime rmin, rmax;
      gst_query_parse_latency(q, &rlive, &rmin, &rmax);
      min = std::max(min, rmin);
      if (GST_CLOCK_TIME_IS_VALID(max) && GST_CLOCK_TIME_IS_VALID(rmax)) max = std::max(max, rmax);
    }
    gst_query_unref(q);
  }
  gst_query_set_latency(query, live, min, max);
  refseg::gst::add_processing_latency(query, self->state->time);
  GST_DEBUG_OBJECT(self, "latency (%s): %" GST_TIME_FORMAT, refseg::scheduling::mode_name(mode),
                   GST_TIME_ARGS(min + static_cast<GstClockTime>(self->state->time.estimate())));
  return TRUE;
}

static GstIterator *gst_refseg_tracker_internal_links(GstPad *pad, GstObject *parent) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(parent);
  GstPad *other = pad == self->src ? self->sink : pad == self->sink ? self->src : nullptr;
  if (!other) return gst_iterator_new_single(GST_TYPE_PAD, nullptr);
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_PAD);
  g_value_set_object(&v, other);
  GstIterator *it = gst_iterator_new_single(GST_TYPE_PAD, &v);
  g_value_unset(&v);
  return it;
}

// --- element -----------------------------------------------------------------

static GstStateChangeReturn gst_refseg_tracker_change_state(GstElement *element,
                                                            GstStateChange transition) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(element);
  TrackerState &st = *self->state;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    // A frame waiting for its analysis must not hold up the state change.
    set_flushing(st, &st.video_flushing, true);
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard<std::mutex> lock(st.mutex);
    st.tracker.reset();
    forget_results(st);
    st.results_eos = st.results_flushing = st.video_flushing = false;
    st.new_stream = false;
    st.stream_from = GST_CLOCK_TIME_NONE;
    st.live = -1;
    st.time.clear();
  }
  return GST_ELEMENT_CLASS(gst_refseg_tracker_parent_class)->change_state(element, transition);
}

static void gst_refseg_tracker_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(object);
  if (id == PROP_MODE) {
    {
      // Takes effect on the next frame; a frame waiting in a waiting mode
      // is released when the new mode does not wait.
      std::lock_guard<std::mutex> lock(self->state->mutex);
      self->state->mode = static_cast<AnalysisMode>(g_value_get_enum(value));
      self->state->changed.notify_all();
    }
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
    return;
  }
  GST_OBJECT_LOCK(self);
  TrackerSettings &s = *self->settings;
  switch (id) {
    case PROP_SWITCH_MARGIN:
      s.options.stability.margin = g_value_get_float(value);
      break;
    case PROP_SWITCH_CONFIRMATIONS:
      s.options.stability.confirmations = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_MATCH_IOU:
      s.options.match_iou = g_value_get_double(value);
      break;
    case PROP_POST_MESSAGES:
      s.post_messages = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_tracker_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(object);
  if (id == PROP_MODE) {
    std::lock_guard<std::mutex> lock(self->state->mutex);
    g_value_set_enum(value, static_cast<gint>(self->state->mode));
    return;
  }
  GST_OBJECT_LOCK(self);
  const TrackerSettings &s = *self->settings;
  switch (id) {
    case PROP_SWITCH_MARGIN:
      g_value_set_float(value, s.options.stability.margin);
      break;
    case PROP_SWITCH_CONFIRMATIONS:
      g_value_set_uint(value, static_cast<guint>(s.options.stability.confirmations));
      break;
    case PROP_MATCH_IOU:
      g_value_set_double(value, s.options.match_iou);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean(value, s.post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_tracker_finalize(GObject *object) {
  GstRefSegTracker *self = GST_REFSEG_TRACKER(object);
  delete self->settings;
  delete self->state;
  G_OBJECT_CLASS(gst_refseg_tracker_parent_class)->finalize(object);
}

static void gst_refseg_tracker_class_init(GstRefSegTrackerClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_refseg_tracker_set_property;
  gobject_class->get_property = gst_refseg_tracker_get_property;
  gobject_class->finalize = gst_refseg_tracker_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_refseg_tracker_change_state);

  const refseg::tracking::TrackerOptions d;
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE);
  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode",
                        "Whether frames wait for their analysis (every-frame, interval) or never "
                        "(latest); auto: latest when the pipeline is live",
                        GST_TYPE_REFSEG_ANALYSIS_MODE, static_cast<gint>(AnalysisMode::Auto),
                        live));
  g_object_class_install_property(
      gobject_class, PROP_SWITCH_MARGIN,
      g_param_spec_float("switch-margin", "Switch margin",
                         "An expression's selection moves to another object at once when that "
                         "one scores this many points higher (scores run from -100 to 100)",
                         0.f, 100.f, d.stability.margin, live));
  g_object_class_install_property(
      gobject_class, PROP_SWITCH_CONFIRMATIONS,
      g_param_spec_uint("switch-confirmations", "Switch confirmations",
                        "An expression's selection also moves to another object once that one "
                        "has been the best in this many analyses in a row, 1-1000 (1 with "
                        "switch-margin 0: always the best, the paper's rule)",
                        1, 1000, static_cast<guint>(d.stability.confirmations), live));
  g_object_class_install_property(
      gobject_class, PROP_MATCH_IOU,
      g_param_spec_double("match-iou", "Match IoU",
                          "A new proposal continues a track when their masks overlap this much "
                          "after motion (intersection over union, 0.01-1)",
                          0.01, 1.0, d.match_iou, live));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a refseg-selections element message per frame, with every "
                           "expression's selection, box and track id",
                           TRUE, live));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &results_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation tracker", "Filter/Analyzer/Video",
      "Carries the latest analysis results onto every frame: masks moved by the motion between "
      "frames, track ids kept across analyses, selections that do not flicker",
      REFSEG_ELEMENT_AUTHORS);
  GST_DEBUG_CATEGORY_INIT(refseg_tracker_debug, "refsegtracker", 0, "refseg tracker");
}

static void gst_refseg_tracker_init(GstRefSegTracker *self) {
  self->settings = new TrackerSettings();
  self->state = new TrackerState();
  gst_video_info_init(&self->state->info);

  self->sink = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sink, GST_DEBUG_FUNCPTR(gst_refseg_tracker_chain));
  gst_pad_set_event_function(self->sink, GST_DEBUG_FUNCPTR(gst_refseg_tracker_sink_event));
  gst_pad_set_iterate_internal_links_function(self->sink,
                                              GST_DEBUG_FUNCPTR(gst_refseg_tracker_internal_links));
  GST_PAD_SET_PROXY_CAPS(self->sink);
  GST_PAD_SET_PROXY_ALLOCATION(self->sink);
  gst_element_add_pad(GST_ELEMENT(self), self->sink);

  self->results = gst_pad_new_from_static_template(&results_template, "results");
  gst_pad_set_chain_function(self->results, GST_DEBUG_FUNCPTR(gst_refseg_tracker_results_chain));
  gst_pad_set_event_function(self->results, GST_DEBUG_FUNCPTR(gst_refseg_tracker_results_event));
  gst_pad_set_iterate_internal_links_function(self->results,
                                              GST_DEBUG_FUNCPTR(gst_refseg_tracker_internal_links));
  gst_element_add_pad(GST_ELEMENT(self), self->results);

  self->src = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_event_function(self->src, GST_DEBUG_FUNCPTR(gst_refseg_tracker_src_event));
  gst_pad_set_query_function(self->src, GST_DEBUG_FUNCPTR(gst_refseg_tracker_src_query));
  gst_pad_set_iterate_internal_links_function(self->src,
                                              GST_DEBUG_FUNCPTR(gst_refseg_tracker_internal_links));
  GST_PAD_SET_PROXY_CAPS(self->src);
  GST_PAD_SET_PROXY_ALLOCATION(self->src);
  gst_element_add_pad(GST_ELEMENT(self), self->src);
}

#include "refseg_analysis_step.h"

#include <algorithm>

namespace refseg::gst {

gint64 monotonic_ns() {
  return g_get_monotonic_time() * 1000;
}

void add_processing_latency(GstQuery *query, scheduling::ProcessingTime &time) {
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  const GstClockTime own = static_cast<GstClockTime>(time.report());
  if (GST_CLOCK_TIME_IS_VALID(max)) max += own;
  gst_query_set_latency(query, live, min + own, max);
}

gboolean query_adding_processing_time(GstBaseTransformClass *parent, GstBaseTransform *trans,
                                      GstPadDirection direction, GstQuery *query,
                                      scheduling::ProcessingTime &time) {
  const gboolean ok = parent->query(trans, direction, query);
  if (ok && direction == GST_PAD_SRC && GST_QUERY_TYPE(query) == GST_QUERY_LATENCY)
    add_processing_latency(query, time);
  return ok;
}

void record_processing_time(GstElement *element, scheduling::ProcessingTime &time, gint64 start_ns,
                            GstClockTime pts, GstDebugCategory *category) {
  const gint64 took = monotonic_ns() - start_ns;
  GST_CAT_DEBUG_OBJECT(category, element, "frame %" GST_TIME_FORMAT ": %.2f ms", GST_TIME_ARGS(pts),
                       took / 1e6);
  if (time.add(took)) {
    GST_CAT_DEBUG_OBJECT(category, element,
                         "processing time grew to %" GST_TIME_FORMAT ": asking for latency",
                         GST_TIME_ARGS(static_cast<GstClockTime>(time.estimate())));
    gst_element_post_message(element, gst_message_new_latency(GST_OBJECT(element)));
  }
}

GstEvent *new_demand_event(bool wanted) {
  return gst_event_new_custom(
      GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new("refseg-demand", "wanted", G_TYPE_BOOLEAN, wanted ? TRUE : FALSE, NULL));
}

bool parse_demand_event(GstEvent *event, bool *wanted) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM) return false;
  const GstStructure *s = gst_event_get_structure(event);
  gboolean w = TRUE;
  if (!s || !gst_structure_has_name(s, "refseg-demand") ||
      !gst_structure_get_boolean(s, "wanted", &w))
    return false;
  *wanted = w;
  return true;
}

GstEvent *new_text_features_event(const std::vector<std::vector<float>> &texts) {
  const guint dim = texts.empty() ? 0 : static_cast<guint>(texts.front().size());
  std::vector<float> flat;
  for (const auto &t : texts) flat.insert(flat.end(), t.begin(), t.end());
  GBytes *bytes = g_bytes_new(flat.data(), flat.size() * sizeof(float));
  GstStructure *s =
      gst_structure_new("refseg-text-features", "dim", G_TYPE_UINT, dim, "count", G_TYPE_UINT,
                        static_cast<guint>(texts.size()), "features", G_TYPE_BYTES, bytes, NULL);
  g_bytes_unref(bytes);
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
}

bool parse_text_features_event(GstEvent *event, std::vector<std::vector<float>> *texts) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM) return false;
  const GstStructure *s = gst_event_get_structure(event);
  guint dim = 0, count = 0;
  if (!s || !gst_structure_has_name(s, "refseg-text-features") ||
      !gst_structure_get_uint(s, "dim", &dim) || !gst_structure_get_uint(s, "count", &count))
    return false;
  const GValue *value = gst_structure_get_value(s, "features");
  if (!value || !G_VALUE_HOLDS(value, G_TYPE_BYTES)) return false;
  gsize size = 0;
  const auto *data = static_cast<const float *>(
      g_bytes_get_data(static_cast<GBytes *>(g_value_get_boxed(value)), &size));
  if (size != static_cast<gsize>(dim) * count * sizeof(float)) return false;
  texts->assign(count, std::vector<float>(dim));
  for (guint i = 0; i < count; ++i) std::copy_n(data + size_t{i} * dim, dim, (*texts)[i].begin());
  return true;
}

bool upstream_is_live(GstPad *sink_pad) {
  GstQuery *q = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(sink_pad, q)) gst_query_parse_latency(q, &live, nullptr, nullptr);
  gst_query_unref(q);
  return live;
}

}  // namespace refseg::gst

GType gst_refseg_analysis_mode_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    using refseg::scheduling::AnalysisMode;
    static const GEnumValue values[] = {
        {static_cast<gint>(AnalysisMode::Auto),
         "latest when the pipeline is live, every-frame otherwise", "auto"},
        {static_cast<gint>(AnalysisMode::EveryFrame),
         "every frame analysed; frames wait for their results (deterministic)", "every-frame"},
        {static_cast<gint>(AnalysisMode::Interval),
         "every inference-interval-th frame analysed, results carried in between "
         "(deterministic)",
         "interval"},
        {static_cast<gint>(AnalysisMode::Latest),
         "the video never waits: frames pass with the latest results moved onto them", "latest"},
        {0, nullptr, nullptr}};
    g_once_init_leave(&type, g_enum_register_static("GstRefSegAnalysisMode", values));
  }
  return type;
}

#include "refseg_publish.h"

namespace refseg::gst {

// One expression's entry: what the meta's selection holds, less the
// per-proposal scores, plus its box and track.
static GstStructure *selection_structure(const PublishedSelection &sel) {
  GstStructure *s = gst_structure_new(
      "refseg-selection", "expression", G_TYPE_STRING, sel.expression, "phrase", G_TYPE_STRING,
      sel.phrase, "index", G_TYPE_INT, sel.index, "score", G_TYPE_FLOAT, sel.score, NULL);
  if (sel.reason) gst_structure_set(s, "reason", G_TYPE_STRING, sel.reason, NULL);
  if (sel.index >= 0 && sel.track_id >= 0)
    gst_structure_set(s, "track-id", G_TYPE_INT, sel.track_id, NULL);
  if (sel.index >= 0)
    gst_structure_set(s, "x", G_TYPE_INT, sel.box.x, "y", G_TYPE_INT, sel.box.y, "width",
                      G_TYPE_INT, sel.box.width, "height", G_TYPE_INT, sel.box.height, NULL);
  if (sel.spatial.summary) {
    gst_structure_set(s, "spatial", G_TYPE_STRING, sel.spatial.summary, "spatial-resolved",
                      G_TYPE_BOOLEAN, sel.spatial.resolved, "spatial-target", G_TYPE_STRING,
                      sel.spatial.target ? sel.spatial.target : "", "anchor-index", G_TYPE_INT,
                      sel.spatial.anchor_index, NULL);
    if (sel.spatial.relation)
      gst_structure_set(s, "relation", G_TYPE_STRING, sel.spatial.relation, "anchor", G_TYPE_STRING,
                        sel.spatial.anchor ? sel.spatial.anchor : "", NULL);
  }
  return s;
}

SelectionsMessage::SelectionsMessage() {
  g_value_init(&selections_, GST_TYPE_ARRAY);
}

SelectionsMessage::~SelectionsMessage() {
  g_value_unset(&selections_);
}

void SelectionsMessage::add(const PublishedSelection &selection) {
  GValue item = G_VALUE_INIT;
  g_value_init(&item, GST_TYPE_STRUCTURE);
  g_value_take_boxed(&item, selection_structure(selection));
  gst_value_array_append_and_take_value(&selections_, &item);
}

void SelectionsMessage::post(GstElement *element, const GstSegment *segment, GstBuffer *buffer,
                             guint n_proposals, GstClockTime analysed_pts) {
  if (gst_value_array_get_size(&selections_) == 0) return;
  const GstClockTime ts = GST_BUFFER_PTS(buffer);
  GstStructure *s = gst_structure_new(
      "refseg-selections", "timestamp", G_TYPE_UINT64, ts, "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time(segment, GST_FORMAT_TIME, ts), "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time(segment, GST_FORMAT_TIME, ts), "duration", G_TYPE_UINT64,
      GST_BUFFER_DURATION(buffer), "n-proposals", G_TYPE_UINT, n_proposals, NULL);
  if (GST_CLOCK_TIME_IS_VALID(analysed_pts))
    gst_structure_set(s, "analysed-timestamp", G_TYPE_UINT64, analysed_pts, NULL);
  gst_structure_take_value(s, "selections", &selections_);
  g_value_init(&selections_, GST_TYPE_ARRAY);  // taken: empty again
  gst_element_post_message(element, gst_message_new_element(GST_OBJECT(element), s));
}

void add_selection_roi(GstBuffer *buffer, const PublishedSelection &sel, int roi_id) {
  if (sel.index < 0) return;
  GstVideoRegionOfInterestMeta *roi = gst_buffer_add_video_region_of_interest_meta(
      buffer, "refseg", sel.box.x, sel.box.y, sel.box.width, sel.box.height);
  roi->id = roi_id;
  GstStructure *param =
      gst_structure_new("refseg", "expression", G_TYPE_STRING, sel.expression, "score",
                        G_TYPE_FLOAT, sel.score, "index", G_TYPE_INT, sel.index, NULL);
  if (sel.track_id >= 0) gst_structure_set(param, "track-id", G_TYPE_INT, sel.track_id, NULL);
  gst_video_region_of_interest_meta_add_param(roi, param);
}

}  // namespace refseg::gst

// What every element of an analysis branch (refsegproposals, refsegencoder,
// refsegselector) does around its work, in GStreamer terms:
//  - reports the time its step takes as latency, so that in the modes where
//    frames wait for their analysis a live sink waits long enough instead of
//    dropping everything, and posts a latency message when that time grows;
//  - carries the selector's "does anybody want results" upstream as a custom
//    event, so that with no expression nothing is proposed or encoded, and
//    the text features it scores with, for an encoder's local-crops.
#pragma once

#include <gst/base/gstbasetransform.h>

#include <vector>

#include "scheduling/analysis_schedule.h"

namespace refseg::gst {

// Adds the element's measured processing time to a LATENCY query that
// upstream has already answered (min and, when bounded, max).
void add_processing_latency(GstQuery *query, scheduling::ProcessingTime &time);

// The query vfunc of an analysis element: chains up to `parent`, then adds
// `time` to an answered LATENCY query on the src pad.
gboolean query_adding_processing_time(GstBaseTransformClass *parent, GstBaseTransform *trans,
                                      GstPadDirection direction, GstQuery *query,
                                      scheduling::ProcessingTime &time);

// Records one step that started at `start_ns` (g_get_monotonic_time() * 1000)
// on the frame with timestamp `pts`, logs its time at DEBUG in `category`
// (the element's), and posts a latency message when the estimate grew.
void record_processing_time(GstElement *element, scheduling::ProcessingTime &time, gint64 start_ns,
                            GstClockTime pts, GstDebugCategory *category);

gint64 monotonic_ns();

// The upstream custom event "refseg-demand" (wanted: boolean).
GstEvent *new_demand_event(bool wanted);
// True when `event` is one; fills *wanted.
bool parse_demand_event(GstEvent *event, bool *wanted);

// The upstream custom event "refseg-text-features": the mixed text
// features (dim floats each) the selector scores with, sent when they
// change, so an encoder with local-crops knows which proposals to crop.
// Fields: dim (uint), count (uint), features (GBytes, count x dim floats).
GstEvent *new_text_features_event(const std::vector<std::vector<float>> &texts);
// True when `event` is a well-formed one; fills *texts.
bool parse_text_features_event(GstEvent *event, std::vector<std::vector<float>> *texts);

// Whether the pipeline upstream of `sink_pad` is live (LATENCY query).
bool upstream_is_live(GstPad *sink_pad);

}  // namespace refseg::gst

G_BEGIN_DECLS
// The `mode` property of refsegtracker and refsegbin
// (refseg::scheduling::AnalysisMode, same values).
#define GST_TYPE_REFSEG_ANALYSIS_MODE (gst_refseg_analysis_mode_get_type())
GType gst_refseg_analysis_mode_get_type(void);
G_END_DECLS

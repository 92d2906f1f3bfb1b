// refsegtracker: carries analysis results onto every frame of a video.
//
// Pads: "sink" (the video, every frame), "results" (the analysed frames of
// an analysis branch: refsegproposals ! refsegencoder ! refsegselector) and
// "src". Like textoverlay merges a text stream into video, it merges the
// analysis stream into the video stream: the latest results are moved onto
// each frame by the motion measured between frames (models/tracking), each
// proposal keeps a track id across analyses, and each expression's
// selection stays on its track unless a clear reason says otherwise.
// Results already on a "sink" frame (the analysis elements in line in front
// of it) are taken as that frame's own.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_TRACKER (gst_refseg_tracker_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegTracker, gst_refseg_tracker, GST, REFSEG_TRACKER, GstElement)

G_END_DECLS

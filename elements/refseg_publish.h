// Publishing one expression's selection on a frame: the element message
// ("refseg-selection") and the region-of-interest meta generic consumers
// read. The selector publishes what it chose; the tracker publishes what it
// carried onto each frame. One definition, so both say the same thing.
#pragma once

#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"

namespace refseg::gst {

struct PublishedSelection {
  const char *expression = "";
  const char *phrase = "";
  int index = -1;  // -1: nothing selected
  float score = 0.f;
  guint n_proposals = 0;
  const char *reason = nullptr;  // why index is -1
  int track_id = -1;             // -1: not tracked
  GstRefSegBox box{0, 0, 0, 0};  // valid when index >= 0
  GstClockTime analysed_pts = GST_CLOCK_TIME_NONE;
  // Spatial words found in the expression (refsegselector spatial=true);
  // spatial.summary == nullptr: none.
  GstRefSegSpatial spatial{nullptr, nullptr, nullptr, nullptr, -1, FALSE};
};

void post_selection_message(GstElement *element, const GstSegment *segment, GstBuffer *buffer,
                            const PublishedSelection &selection);

// A GstVideoRegionOfInterestMeta of type "refseg" for a selection with
// index >= 0; `roi_id` must be distinct among the frame's ROIs.
void add_selection_roi(GstBuffer *buffer, const PublishedSelection &selection, int roi_id);

}  // namespace refseg::gst

// Publishing a frame's selections: the element message ("refseg-selections",
// one per frame with every expression) and the region-of-interest meta
// generic consumers read. The selector publishes what it chose; the tracker
// publishes what it carried onto each frame. One definition, so both say
// the same thing.
#pragma once

#include <gst/video/video.h>

#include "gst/refseg/refsegmeta.h"

namespace refseg::gst {

struct PublishedSelection {
  const char *expression = "";
  const char *phrase = "";
  int index = -1;  // -1: nothing selected
  float score = 0.f;
  const char *reason = nullptr;  // why index is -1
  int track_id = -1;             // -1: not tracked
  GstRefSegBox box{0, 0, 0, 0};  // valid when index >= 0
  // Spatial words found in the expression (refsegselector spatial=true);
  // spatial.summary == nullptr: none.
  GstRefSegSpatial spatial{nullptr, nullptr, nullptr, nullptr, -1, FALSE};
};

// The frame's "refseg-selections" message, filled one expression at a time
// and posted once (docs/elements.md, "Messages"). Nothing is posted when no
// expression was added.
class SelectionsMessage {
 public:
  SelectionsMessage();
  ~SelectionsMessage();
  SelectionsMessage(const SelectionsMessage &) = delete;
  SelectionsMessage &operator=(const SelectionsMessage &) = delete;

  void add(const PublishedSelection &selection);
  // `analysed_pts`: the frame the results were computed on (the tracker's
  // carried results); GST_CLOCK_TIME_NONE leaves the field out.
  void post(GstElement *element, const GstSegment *segment, GstBuffer *buffer, guint n_proposals,
            GstClockTime analysed_pts = GST_CLOCK_TIME_NONE);

 private:
  GValue selections_ = G_VALUE_INIT;  // GstValueArray of "refseg-selection" structures
};

// A GstVideoRegionOfInterestMeta of type "refseg" for a selection with
// index >= 0; `roi_id` must be distinct among the frame's ROIs.
void add_selection_roi(GstBuffer *buffer, const PublishedSelection &selection, int roi_id);

}  // namespace refseg::gst

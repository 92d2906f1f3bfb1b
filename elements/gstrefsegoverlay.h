// refsegoverlay: draws the refseg results of a frame onto it, in place.
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

// What the overlay draws. New modes append values here, a row to the
// GEnumValue table in the .cpp and a case to the drawing switch; existing
// values never change.
typedef enum {
  GST_REFSEG_OVERLAY_MODE_PROPOSALS = 0,  /* every proposal: tint, outline, index */
  GST_REFSEG_OVERLAY_MODE_SELECTIONS = 1, /* each selection: tint, outline, expression, score */
  GST_REFSEG_OVERLAY_MODE_BOTH = 2,       /* proposals (outlines), then selections */
  GST_REFSEG_OVERLAY_MODE_ALPHA = 3,      /* RGBA/BGRA alpha = selected masks, for compositing */
  GST_REFSEG_OVERLAY_MODE_MASK = 4,       /* the frame becomes the selected masks: 255 in, 0 out */
  GST_REFSEG_OVERLAY_MODE_AUTO = 5,       /* selections when the frame has any, else proposals */
} GstRefSegOverlayMode;

#define GST_TYPE_REFSEG_OVERLAY_MODE (gst_refseg_overlay_mode_get_type())
GType gst_refseg_overlay_mode_get_type(void);

#define GST_TYPE_REFSEG_OVERLAY (gst_refseg_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegOverlay, gst_refseg_overlay, GST, REFSEG_OVERLAY, GstVideoFilter)

G_END_DECLS

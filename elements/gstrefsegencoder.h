// refsegencoder: CLIP global- and local-context features for every proposal
// in the frame's refseg meta (docs/method.md step 2).
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_ENCODER (gst_refseg_encoder_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegEncoder, gst_refseg_encoder, GST, REFSEG_ENCODER, GstVideoFilter)

// Whether its model has finished loading (false before it starts and after
// it stops); any thread, never waits. refsegbin's latest mode holds the
// analysis branch until then, so the first analysis takes the newest frame.
gboolean gst_refseg_encoder_model_is_ready(GstRefSegEncoder *self);

G_END_DECLS

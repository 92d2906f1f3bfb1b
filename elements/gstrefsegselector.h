// refsegselector: scores every proposal against one or more referring
// expressions and selects the best (docs/method.md steps 3-4).
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_SELECTOR (gst_refseg_selector_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegSelector, gst_refseg_selector, GST, REFSEG_SELECTOR, GstVideoFilter)

G_END_DECLS

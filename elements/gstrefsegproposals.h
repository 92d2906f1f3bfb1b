// refsegproposals: class-agnostic mask proposals for every frame (docs/method.md
// step 1), attached to the frame's refseg meta. Pixels pass unchanged.
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_PROPOSALS (gst_refseg_proposals_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegProposals, gst_refseg_proposals, GST, REFSEG_PROPOSALS,
                     GstVideoFilter)

G_END_DECLS

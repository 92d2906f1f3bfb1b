// refsegbin: refsegproposals ! refsegencoder ! refsegselector in one element,
// with their common properties, for one-line pipelines.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_BIN (gst_refseg_bin_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegBin, gst_refseg_bin, GST, REFSEG_BIN, GstBin)

G_END_DECLS

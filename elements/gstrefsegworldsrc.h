// refsegworldsrc: video of the synthetic referring world (models/world), the
// scenes the bundled tiny CLIP was trained on. For demos and tests: real
// pipelines with objects whose names, colours and positions are known.
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_REFSEG_WORLD_SRC (gst_refseg_world_src_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegWorldSrc, gst_refseg_world_src, GST, REFSEG_WORLD_SRC, GstPushSrc)

G_END_DECLS

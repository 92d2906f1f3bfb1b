// refsegpublish: a passthrough element that sends each frame's refseg
// results out of the pipeline as JSON (docs/schema/refseg-results-v1.json)
// to a JSON Lines file or an MQTT broker, off the streaming thread through a
// bounded drop-oldest queue, and takes the text or expression list of the
// refsegbin / refsegselector upstream from a control topic.
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

typedef enum {
  GST_REFSEG_PUBLISH_METHOD_FILE = 0,
  GST_REFSEG_PUBLISH_METHOD_MQTT = 1,
} GstRefSegPublishMethod;

typedef enum {
  GST_REFSEG_PUBLISH_MASK_NONE = 0,
  GST_REFSEG_PUBLISH_MASK_RLE = 1,
} GstRefSegPublishMaskFormat;

#define GST_TYPE_REFSEG_PUBLISH (gst_refseg_publish_get_type())
G_DECLARE_FINAL_TYPE(GstRefSegPublish, gst_refseg_publish, GST, REFSEG_PUBLISH, GstBaseTransform)

G_END_DECLS

// The refseg plugin: zero-shot referring segmentation elements.
#include <gst/gst.h>

#include "gst/refseg/refsegmeta.h"
#include "refseg_elements.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gst_refseg_meta_get_info();
  gboolean ok = TRUE;
  ok &= GST_ELEMENT_REGISTER(refsegworldsrc, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegencoder, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegselector, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegproposals, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegoverlay, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegbin, plugin);
  ok &= GST_ELEMENT_REGISTER(refsegtracker, plugin);
#ifdef REFSEG_HAVE_PUBLISH
  ok &= GST_ELEMENT_REGISTER(refsegpublish, plugin);
#endif
  return ok;
}

#define PACKAGE "gst-refseg"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, refseg,
                  "Zero-shot referring segmentation: the object a sentence refers to, per frame",
                  plugin_init, REFSEG_VERSION, "MIT/X11", "gst-refseg",
                  "https://github.com/gst-refseg/gst-refseg")

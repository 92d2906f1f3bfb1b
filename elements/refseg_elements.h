// The elements the refseg plugin registers.
#pragma once

#include <gst/gst.h>

// The author string of every refseg element (gst-inspect's "Author").
#define REFSEG_ELEMENT_AUTHORS "gst-refseg developers"

G_BEGIN_DECLS

GST_ELEMENT_REGISTER_DECLARE(refsegworldsrc);
GST_ELEMENT_REGISTER_DECLARE(refsegencoder);
GST_ELEMENT_REGISTER_DECLARE(refsegselector);
GST_ELEMENT_REGISTER_DECLARE(refsegproposals);
GST_ELEMENT_REGISTER_DECLARE(refsegoverlay);
GST_ELEMENT_REGISTER_DECLARE(refsegbin);
GST_ELEMENT_REGISTER_DECLARE(refsegtracker);
#ifdef REFSEG_HAVE_PUBLISH
GST_ELEMENT_REGISTER_DECLARE(refsegpublish);
#endif
G_END_DECLS

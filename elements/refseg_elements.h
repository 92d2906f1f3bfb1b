// The elements the refseg plugin registers.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

G_END_DECLS

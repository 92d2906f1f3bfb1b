// Glue between GStreamer frames/metadata and the inference core's types.
// Every element that hands a frame or proposals to models/ goes through
// here, so the conversions exist once.
#pragma once

#include <gst/video/video.h>

#include <optional>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"
#include "gst/refseg/refsegmeta.h"

// The packed 8-bit RGB family every refseg element accepts; anything else
// needs a videoconvert in front.
#define REFSEG_VIDEO_CAPS GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBA, BGRA, RGBx, BGRx }")

namespace refseg::gst {

std::optional<PixelLayout> pixel_layout(GstVideoFormat format);

// Always "sink" and "src" pads with REFSEG_VIDEO_CAPS.
void add_video_pad_templates(GstElementClass *klass);

// A view of a mapped frame's first plane; valid while the frame is mapped.
ImageView image_view(const GstVideoFrame *frame);

std::vector<RegionMask> read_proposals(GstCustomMeta *meta);
// Replaces the frame's proposals (and so clears its features and selections).
bool write_proposals(GstCustomMeta *meta, const std::vector<RegionMask> &proposals);

}  // namespace refseg::gst

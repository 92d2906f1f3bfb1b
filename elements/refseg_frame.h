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

// The packed 8-bit RGB family: what the inference core reads in place and
// what refsegoverlay draws on.
#define REFSEG_VIDEO_CAPS GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBA, BGRA, RGBx, BGRx }")
// What the analysis elements (proposals, encoder, selector, tracker, bin)
// accept: the RGB family, and what decoders and cameras give (I420, NV12)
// and grey, which they convert to RGB for their own reading only.
#define REFSEG_ANALYSIS_CAPS \
  GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBA, BGRA, RGBx, BGRx, I420, NV12, GRAY8 }")

namespace refseg::gst {

std::optional<PixelLayout> pixel_layout(GstVideoFormat format);

// Always "sink" and "src" pads with REFSEG_ANALYSIS_CAPS.
void add_video_pad_templates(GstElementClass *klass);

// A view of a mapped frame of the RGB family (REFSEG_VIDEO_CAPS); valid
// while the frame is mapped.
ImageView image_view(const GstVideoFrame *frame);

// A mapped frame as the inference core reads it: a frame of the RGB family
// is viewed in place; I420, NV12 and GRAY8 are converted (GstVideoConverter,
// with the colorimetry the caps give) into packed RGB that this object owns.
// The frame itself is never written. Valid while the frame is mapped.
class AnalysisImage {
 public:
  explicit AnalysisImage(const GstVideoFrame *frame);
  AnalysisImage(const AnalysisImage &) = delete;
  AnalysisImage &operator=(const AnalysisImage &) = delete;

  const ImageView &view() const { return view_; }

 private:
  std::vector<uint8_t> rgb_;
  ImageView view_;
};

std::vector<RegionMask> read_proposals(GstCustomMeta *meta);
// Replaces the frame's proposals (and so clears its features and selections).
bool write_proposals(GstCustomMeta *meta, const std::vector<RegionMask> &proposals);

}  // namespace refseg::gst

#include "refseg_frame.h"

#include <stdexcept>
#include <string>

namespace refseg::gst {

std::optional<PixelLayout> pixel_layout(GstVideoFormat format) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB:
      return PixelLayout::RGB;
    case GST_VIDEO_FORMAT_BGR:
      return PixelLayout::BGR;
    case GST_VIDEO_FORMAT_RGBA:
      return PixelLayout::RGBA;
    case GST_VIDEO_FORMAT_BGRA:
      return PixelLayout::BGRA;
    case GST_VIDEO_FORMAT_RGBx:
      return PixelLayout::RGBx;
    case GST_VIDEO_FORMAT_BGRx:
      return PixelLayout::BGRx;
    default:
      return std::nullopt;
  }
}

void add_video_pad_templates(GstElementClass *klass) {
  GstCaps *caps = gst_caps_from_string(REFSEG_ANALYSIS_CAPS);
  gst_element_class_add_pad_template(
      klass, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      klass, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
}

ImageView image_view(const GstVideoFrame *frame) {
  ImageView view;
  view.data = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0));
  view.width = GST_VIDEO_FRAME_WIDTH(frame);
  view.height = GST_VIDEO_FRAME_HEIGHT(frame);
  view.stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
  // Callers hand only the RGB family here (AnalysisImage converts the rest).
  view.layout = pixel_layout(GST_VIDEO_FRAME_FORMAT(frame)).value_or(PixelLayout::RGB);
  return view;
}

namespace {

// Converts `frame` into `rgb` (packed RGB, rows of `stride` bytes).
// GStreamer's own converter, so that the colour matrix, range and chroma
// siting are those the caps state, exactly as videoconvert would apply them.
bool convert_to_rgb(const GstVideoFrame *frame, std::vector<uint8_t> &rgb, int *stride) {
  const int width = GST_VIDEO_FRAME_WIDTH(frame), height = GST_VIDEO_FRAME_HEIGHT(frame);
  const GstVideoInfo &in_info = frame->info;
  // Same rate, pixel aspect and interlacing as the input: the converter
  // changes format only.
  GstVideoInfo out_info;
  if (!gst_video_info_set_interlaced_format(&out_info, GST_VIDEO_FORMAT_RGB,
                                            GST_VIDEO_INFO_INTERLACE_MODE(&in_info), width, height))
    return false;
  out_info.fps_n = in_info.fps_n;
  out_info.fps_d = in_info.fps_d;
  out_info.par_n = in_info.par_n;
  out_info.par_d = in_info.par_d;
  rgb.assign(GST_VIDEO_INFO_SIZE(&out_info), 0);
  *stride = GST_VIDEO_INFO_PLANE_STRIDE(&out_info, 0);
  GstStructure *config =
      gst_structure_new("GstVideoConverter", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
                        GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, nullptr);
  GstVideoConverter *converter =
      gst_video_converter_new(&in_info, &out_info, config);  // takes config
  if (!converter) return false;
  GstBuffer *buffer = gst_buffer_new_wrapped_full(static_cast<GstMemoryFlags>(0), rgb.data(),
                                                  rgb.size(), 0, rgb.size(), nullptr, nullptr);
  GstVideoFrame out;
  const bool mapped = gst_video_frame_map(&out, &out_info, buffer, GST_MAP_WRITE);
  if (mapped) {
    gst_video_converter_frame(converter, frame, &out);
    gst_video_frame_unmap(&out);
  }
  gst_buffer_unref(buffer);
  gst_video_converter_free(converter);
  return mapped;
}

}  // namespace

AnalysisImage::AnalysisImage(const GstVideoFrame *frame) {
  if (pixel_layout(GST_VIDEO_FRAME_FORMAT(frame))) {
    view_ = image_view(frame);
    return;
  }
  int stride = 0;
  if (!convert_to_rgb(frame, rgb_, &stride))
    throw std::runtime_error(std::string("cannot convert a ") +
                             gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame)) +
                             " frame to RGB for analysis");
  view_.data = rgb_.data();
  view_.width = GST_VIDEO_FRAME_WIDTH(frame);
  view_.height = GST_VIDEO_FRAME_HEIGHT(frame);
  view_.stride = stride;
  view_.layout = PixelLayout::RGB;
}

std::vector<RegionMask> read_proposals(GstCustomMeta *meta) {
  std::vector<RegionMask> proposals;
  if (!meta) return proposals;
  const guint n = gst_refseg_meta_get_n_proposals(meta);
  proposals.reserve(n);
  for (guint i = 0; i < n; i++) {
    GstRefSegProposal p;
    if (!gst_refseg_meta_get_proposal(meta, i, &p)) break;
    RegionMask mask;
    mask.box = {p.box.x, p.box.y, p.box.width, p.box.height};
    mask.pixels.assign(p.mask, p.mask + static_cast<size_t>(p.box.width) * p.box.height);
    mask.score = p.score;
    proposals.push_back(std::move(mask));
  }
  return proposals;
}

bool write_proposals(GstCustomMeta *meta, const std::vector<RegionMask> &proposals) {
  std::vector<GstRefSegBox> boxes;
  std::vector<gfloat> scores;
  std::vector<const guint8 *> masks;
  for (const RegionMask &p : proposals) {
    boxes.push_back({p.box.x, p.box.y, p.box.width, p.box.height});
    scores.push_back(p.score);
    masks.push_back(p.pixels.data());
  }
  return gst_refseg_meta_set_proposals(meta, proposals.size(), boxes.data(), scores.data(),
                                       masks.data());
}

}  // namespace refseg::gst

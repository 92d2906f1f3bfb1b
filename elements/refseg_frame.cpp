#include "refseg_frame.h"

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
  GstCaps *caps = gst_caps_from_string(REFSEG_VIDEO_CAPS);
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
  // Caps negotiation only lets the RGB family through.
  view.layout = pixel_layout(GST_VIDEO_FRAME_FORMAT(frame)).value_or(PixelLayout::RGB);
  return view;
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

#include "gstrefsegoverlay.h"

#include <vector>

#include "proposals/proposal_overlay.h"
#include "refseg_elements.h"
#include "refseg_frame.h"

GST_DEBUG_CATEGORY_STATIC(refseg_overlay_debug);
#define GST_CAT_DEFAULT refseg_overlay_debug

#define DEFAULT_MODE GST_REFSEG_OVERLAY_MODE_AUTO
#define DEFAULT_OPACITY 0.4

enum { PROP_0, PROP_MODE, PROP_OPACITY };

struct _GstRefSegOverlay {
  GstVideoFilter parent;
  GstRefSegOverlayMode mode;  // guarded by the object lock
  gdouble opacity;            // guarded by the object lock
  gboolean warned_no_alpha;   // streaming thread only
};

G_DEFINE_TYPE(GstRefSegOverlay, gst_refseg_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(refsegoverlay, "refsegoverlay", GST_RANK_NONE, GST_TYPE_REFSEG_OVERLAY);

GType gst_refseg_overlay_mode_get_type(void) {
  static gsize type = 0;
  // The default first: gst-inspect lists them in this order.
  static const GEnumValue values[] = {
      {GST_REFSEG_OVERLAY_MODE_AUTO, "Selections when the frame has any, else proposals", "auto"},
      {GST_REFSEG_OVERLAY_MODE_PROPOSALS, "Every proposal: tint, outline and index", "proposals"},
      {GST_REFSEG_OVERLAY_MODE_SELECTIONS,
       "Each selection: tint, outline, expression and score, a colour per expression",
       "selections"},
      {GST_REFSEG_OVERLAY_MODE_BOTH, "Proposal outlines, then the selections", "both"},
      {GST_REFSEG_OVERLAY_MODE_ALPHA,
       "Alpha channel = selected masks, colour untouched (RGBA/BGRA; other formats get the "
       "binary mask)",
       "alpha"},
      {GST_REFSEG_OVERLAY_MODE_MASK, "The frame becomes the selected masks: 255 inside, 0 outside",
       "mask"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegOverlayMode", values));
  return static_cast<GType>(type);
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_VIDEO_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_VIDEO_CAPS));

static void gst_refseg_overlay_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegOverlay *self = GST_REFSEG_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODE:
      self->mode = static_cast<GstRefSegOverlayMode>(g_value_get_enum(value));
      break;
    case PROP_OPACITY:
      self->opacity = g_value_get_double(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_overlay_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegOverlay *self = GST_REFSEG_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODE:
      g_value_set_enum(value, self->mode);
      break;
    case PROP_OPACITY:
      g_value_set_double(value, self->opacity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// The frame's proposals as views into the meta (no copies).
static std::vector<refseg::MaskRef> proposal_refs(GstCustomMeta *meta) {
  std::vector<refseg::MaskRef> refs;
  const guint n = gst_refseg_meta_get_n_proposals(meta);
  for (guint i = 0; i < n; ++i) {
    GstRefSegProposal p;
    if (!gst_refseg_meta_get_proposal(meta, i, &p)) break;
    refs.push_back({{p.box.x, p.box.y, p.box.width, p.box.height}, p.mask});
  }
  return refs;
}

// The selected proposal of each expression, coloured by expression and
// labelled with the expression and its score.
static std::vector<refseg::LabelledMask> selected_masks(
    GstCustomMeta *meta, const std::vector<refseg::MaskRef> &proposals) {
  std::vector<refseg::LabelledMask> selected;
  const guint n = gst_refseg_meta_get_n_selections(meta);
  for (guint i = 0; i < n; ++i) {
    GstRefSegSelection sel;
    if (!gst_refseg_meta_get_selection(meta, i, &sel) || sel.index < 0 ||
        static_cast<size_t>(sel.index) >= proposals.size())
      continue;
    gchar *label = g_strdup_printf("%s (%.1f)", sel.expression, sel.score);
    selected.push_back(
        {proposals[sel.index], refseg::palette_colour(static_cast<int>(i)), label, 2});
    g_free(label);
  }
  return selected;
}

static GstFlowReturn gst_refseg_overlay_transform_frame_ip(GstVideoFilter *filter,
                                                           GstVideoFrame *frame) {
  GstRefSegOverlay *self = GST_REFSEG_OVERLAY(filter);
  GST_OBJECT_LOCK(self);
  const GstRefSegOverlayMode mode = self->mode;
  const gdouble opacity = self->opacity;
  GST_OBJECT_UNLOCK(self);

  GstCustomMeta *meta = gst_buffer_get_refseg_meta(frame->buffer);
  if (!meta) return GST_FLOW_OK;  // nothing to draw: the frame passes unchanged
  if (gst_refseg_meta_get_width(meta) != GST_VIDEO_FRAME_WIDTH(frame) ||
      gst_refseg_meta_get_height(meta) != GST_VIDEO_FRAME_HEIGHT(frame)) {
    GST_WARNING_OBJECT(self, "meta is for %dx%d, frame is %dx%d: not drawn",
                       gst_refseg_meta_get_width(meta), gst_refseg_meta_get_height(meta),
                       GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
    return GST_FLOW_OK;
  }
  const refseg::ImageView in = refseg::gst::image_view(frame);
  const refseg::MutableImageView out{static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)),
                                     in.width, in.height, in.stride, in.layout};
  const std::vector<refseg::MaskRef> proposals = proposal_refs(meta);
  const std::vector<refseg::LabelledMask> selected = selected_masks(meta, proposals);
  switch (mode) {
    case GST_REFSEG_OVERLAY_MODE_AUTO:
      if (selected.empty())
        refseg::draw_proposals(out, proposals, opacity);
      else
        refseg::draw_labelled_masks(out, selected, opacity);
      break;
    case GST_REFSEG_OVERLAY_MODE_PROPOSALS:
      refseg::draw_proposals(out, proposals, opacity);
      break;
    case GST_REFSEG_OVERLAY_MODE_SELECTIONS:
      refseg::draw_labelled_masks(out, selected, opacity);
      break;
    case GST_REFSEG_OVERLAY_MODE_BOTH:
      refseg::draw_proposals(out, proposals, 0.0);
      refseg::draw_labelled_masks(out, selected, opacity);
      break;
    case GST_REFSEG_OVERLAY_MODE_ALPHA:
    case GST_REFSEG_OVERLAY_MODE_MASK: {
      std::vector<refseg::MaskRef> masks;
      for (const refseg::LabelledMask &m : selected) masks.push_back(m.mask);
      const bool has_alpha =
          in.layout == refseg::PixelLayout::RGBA || in.layout == refseg::PixelLayout::BGRA;
      if (mode == GST_REFSEG_OVERLAY_MODE_ALPHA && !has_alpha && !self->warned_no_alpha) {
        self->warned_no_alpha = TRUE;
        GST_ELEMENT_WARNING(self, STREAM, FORMAT, ("mode=alpha needs RGBA or BGRA"),
                            ("the frames are %s: writing the binary mask instead; put "
                             "videoconvert ! video/x-raw,format=RGBA in front",
                             gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame))));
      }
      refseg::write_mask_planes(out, masks,
                                mode == GST_REFSEG_OVERLAY_MODE_ALPHA && has_alpha
                                    ? refseg::MaskOutput::Alpha
                                    : refseg::MaskOutput::Binary);
      break;
    }
  }
  return GST_FLOW_OK;
}

static void gst_refseg_overlay_class_init(GstRefSegOverlayClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = gst_refseg_overlay_set_property;
  gobject_class->get_property = gst_refseg_overlay_get_property;

  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE);
  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode", "What to draw from the frame's refseg meta",
                        GST_TYPE_REFSEG_OVERLAY_MODE, DEFAULT_MODE, live));
  g_object_class_install_property(
      gobject_class, PROP_OPACITY,
      g_param_spec_double("opacity", "Opacity",
                          "Strength of the mask tint, from 0 (outlines only) to 1 (solid colour)",
                          0.0, 1.0, DEFAULT_OPACITY, live));

  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation overlay", "Filter/Effect/Video",
      "Draws the masks of the frame's refseg meta onto it", REFSEG_ELEMENT_AUTHORS);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  filter_class->transform_frame_ip = gst_refseg_overlay_transform_frame_ip;

  gst_type_mark_as_plugin_api(GST_TYPE_REFSEG_OVERLAY_MODE, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(refseg_overlay_debug, "refsegoverlay", 0, "refseg overlay");
}

static void gst_refseg_overlay_init(GstRefSegOverlay *self) {
  self->mode = DEFAULT_MODE;
  self->opacity = DEFAULT_OPACITY;
}

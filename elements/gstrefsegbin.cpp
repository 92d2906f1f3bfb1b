#include "gstrefsegbin.h"

#include <gst/video/video.h>

#include "gstrefsegencoder.h"
#include "gstrefsegproposals.h"
#include "gstrefsegselector.h"
#include "refseg_elements.h"
#include "refseg_frame.h"

GST_DEBUG_CATEGORY_STATIC(refseg_bin_debug);
#define GST_CAT_DEFAULT refseg_bin_debug

enum Child { PROPOSALS, ENCODER, SELECTOR, N_CHILDREN };

// A bin property forwards to the same-named (or renamed) property of one or
// more children; its spec is cloned from the first child's, so ranges,
// defaults and blurbs are defined once, in the element that owns them.
struct ForwardedProperty {
  const char *name;        // on the bin
  const char *child_name;  // on the children
  bool to[N_CHILDREN];
};

static const ForwardedProperty kForwarded[] = {
    {"model", "model", {false, true, true}},
    {"text", "text", {false, false, true}},
    {"expressions", "expressions", {false, false, true}},
    {"global-weight", "global-weight", {false, false, true}},
    {"sentence-weight", "sentence-weight", {false, false, true}},
    {"masked-layers", "masked-layers", {false, true, false}},
    {"threads", "threads", {false, true, true}},
    {"device", "device", {false, true, true}},
    {"max-proposals", "max-proposals", {true, false, false}},
    {"min-area", "min-area", {true, false, false}},
    {"proposals-model", "model", {true, false, false}},
};
constexpr guint kNumForwarded = G_N_ELEMENTS(kForwarded);

struct _GstRefSegBin {
  GstBin parent;
  GstElement *children[N_CHILDREN];
};

G_DEFINE_TYPE(GstRefSegBin, gst_refseg_bin, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE(refsegbin, "refsegbin", GST_RANK_NONE, GST_TYPE_REFSEG_BIN);

static GParamSpec *clone_pspec(GParamSpec *src, const char *name) {
  const char *nick = g_param_spec_get_nick(src), *blurb = g_param_spec_get_blurb(src);
  const auto flags = static_cast<GParamFlags>(src->flags & ~G_PARAM_STATIC_STRINGS);
  if (G_IS_PARAM_SPEC_STRING(src))
    return g_param_spec_string(name, nick, blurb, G_PARAM_SPEC_STRING(src)->default_value, flags);
  if (G_IS_PARAM_SPEC_UINT(src)) {
    GParamSpecUInt *p = G_PARAM_SPEC_UINT(src);
    return g_param_spec_uint(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_INT(src)) {
    GParamSpecInt *p = G_PARAM_SPEC_INT(src);
    return g_param_spec_int(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_FLOAT(src)) {
    GParamSpecFloat *p = G_PARAM_SPEC_FLOAT(src);
    return g_param_spec_float(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_DOUBLE(src)) {
    GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE(src);
    return g_param_spec_double(name, nick, blurb, p->minimum, p->maximum, p->default_value, flags);
  }
  if (G_IS_PARAM_SPEC_BOOLEAN(src))
    return g_param_spec_boolean(name, nick, blurb, G_PARAM_SPEC_BOOLEAN(src)->default_value, flags);
  if (GST_IS_PARAM_SPEC_ARRAY_LIST(src))
    return gst_param_spec_array(
        name, nick, blurb, g_param_spec_string("item", "Item", "An item", "", G_PARAM_READWRITE),
        flags);
  g_error("refsegbin: cannot forward property %s of type %s", src->name,
          g_type_name(G_PARAM_SPEC_VALUE_TYPE(src)));
  return nullptr;
}

static GType child_type(int child) {
  switch (child) {
    case PROPOSALS:
      return GST_TYPE_REFSEG_PROPOSALS;
    case ENCODER:
      return GST_TYPE_REFSEG_ENCODER;
    default:
      return GST_TYPE_REFSEG_SELECTOR;
  }
}

static void gst_refseg_bin_set_property(GObject *object, guint id, const GValue *value,
                                        GParamSpec *pspec) {
  if (id == 0 || id > kNumForwarded) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GstRefSegBin *self = GST_REFSEG_BIN(object);
  const ForwardedProperty &p = kForwarded[id - 1];
  for (int c = 0; c < N_CHILDREN; c++)
    if (p.to[c]) g_object_set_property(G_OBJECT(self->children[c]), p.child_name, value);
}

static void gst_refseg_bin_get_property(GObject *object, guint id, GValue *value,
                                        GParamSpec *pspec) {
  if (id == 0 || id > kNumForwarded) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  GstRefSegBin *self = GST_REFSEG_BIN(object);
  const ForwardedProperty &p = kForwarded[id - 1];
  for (int c = 0; c < N_CHILDREN; c++) {
    if (!p.to[c]) continue;
    g_object_get_property(G_OBJECT(self->children[c]), p.child_name, value);
    return;
  }
}

static void gst_refseg_bin_class_init(GstRefSegBinClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_refseg_bin_set_property;
  gobject_class->get_property = gst_refseg_bin_get_property;

  for (guint i = 0; i < kNumForwarded; i++) {
    const ForwardedProperty &p = kForwarded[i];
    int first = 0;
    while (!p.to[first]) first++;
    gpointer child_class = g_type_class_ref(child_type(first));
    GParamSpec *src = g_object_class_find_property(G_OBJECT_CLASS(child_class), p.child_name);
    g_assert(src != nullptr);
    g_object_class_install_property(gobject_class, i + 1, clone_pspec(src, p.name));
    g_type_class_unref(child_class);
  }

  refseg::gst::add_video_pad_templates(element_class);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation", "Filter/Analyzer/Video",
      "Finds the object a sentence refers to in every frame: mask proposals, CLIP global-local "
      "features and text-conditioned selection in one element",
      "gst-refseg developers");
  GST_DEBUG_CATEGORY_INIT(refseg_bin_debug, "refsegbin", 0, "refseg bin");
}

static void gst_refseg_bin_init(GstRefSegBin *self) {
  static const char *factories[N_CHILDREN] = {"refsegproposals", "refsegencoder", "refsegselector"};
  for (int c = 0; c < N_CHILDREN; c++) {
    self->children[c] = GST_ELEMENT(g_object_new(child_type(c), "name", factories[c], nullptr));
    gst_bin_add(GST_BIN(self), self->children[c]);
  }
  gst_element_link_many(self->children[PROPOSALS], self->children[ENCODER],
                        self->children[SELECTOR], nullptr);
  GstPad *sink = gst_element_get_static_pad(self->children[PROPOSALS], "sink");
  GstPad *src = gst_element_get_static_pad(self->children[SELECTOR], "src");
  gst_element_add_pad(GST_ELEMENT(self), gst_ghost_pad_new("sink", sink));
  gst_element_add_pad(GST_ELEMENT(self), gst_ghost_pad_new("src", src));
  gst_object_unref(sink);
  gst_object_unref(src);
}

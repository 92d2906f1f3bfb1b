#include "gstrefsegencoder.h"

#include <memory>
#include <string>

#include "common/model_error.h"
#include "refseg_elements.h"
#include "refseg_frame.h"
#include "runtime/clip_runtime.h"

GST_DEBUG_CATEGORY_STATIC(refseg_encoder_debug);
#define GST_CAT_DEFAULT refseg_encoder_debug

enum { PROP_0, PROP_MODEL, PROP_MASKED_LAYERS, PROP_THREADS, PROP_DEVICE };

constexpr guint kDefaultMaskedLayers = 3;

struct EncoderSettings {
  std::string model;
  guint masked_layers = kDefaultMaskedLayers;
  gint threads = 0;
  std::string device = "cpu";
};

struct _GstRefSegEncoder {
  GstVideoFilter parent;
  EncoderSettings *settings;                      // guarded by the object lock
  std::shared_ptr<refseg::ClipRuntime> *runtime;  // set in start(), used by the streaming thread
};

G_DEFINE_TYPE(GstRefSegEncoder, gst_refseg_encoder, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(refsegencoder, "refsegencoder", GST_RANK_NONE, GST_TYPE_REFSEG_ENCODER);

static void gst_refseg_encoder_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL:
      self->settings->model = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_MASKED_LAYERS:
      self->settings->masked_layers = g_value_get_uint(value);
      break;
    case PROP_THREADS:
      self->settings->threads = g_value_get_int(value);
      break;
    case PROP_DEVICE:
      self->settings->device = g_value_get_string(value) ? g_value_get_string(value) : "cpu";
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_encoder_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL:
      g_value_set_string(value, self->settings->model.c_str());
      break;
    case PROP_MASKED_LAYERS:
      g_value_set_uint(value, self->settings->masked_layers);
      break;
    case PROP_THREADS:
      g_value_set_int(value, self->settings->threads);
      break;
    case PROP_DEVICE:
      g_value_set_string(value, self->settings->device.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_refseg_encoder_start(GstBaseTransform *trans) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(trans);
  GST_OBJECT_LOCK(self);
  const EncoderSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  try {
    *self->runtime =
        refseg::acquire_clip_runtime(settings.model, {settings.threads, settings.device});
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("Could not load CLIP model '%s'", settings.model.c_str()), ("%s", e.what()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "model %s: embed dim %d, %d layers",
                  (*self->runtime)->weights_path().c_str(), (*self->runtime)->embed_dim(),
                  (*self->runtime)->layers());
  return TRUE;
}

static gboolean gst_refseg_encoder_stop(GstBaseTransform *trans) {
  GST_REFSEG_ENCODER(trans)->runtime->reset();
  return TRUE;
}

static GstFlowReturn gst_refseg_encoder_transform_frame_ip(GstVideoFilter *filter,
                                                           GstVideoFrame *frame) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(filter);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(frame->buffer);
  if (!meta) {
    GST_LOG_OBJECT(self, "frame without proposals: nothing to encode");
    return GST_FLOW_OK;
  }
  GST_OBJECT_LOCK(self);
  const int masked_layers = static_cast<int>(self->settings->masked_layers);
  GST_OBJECT_UNLOCK(self);
  const std::vector<refseg::RegionMask> proposals = refseg::gst::read_proposals(meta);
  refseg::ClipRuntime &runtime = **self->runtime;
  try {
    const refseg::EncodedMasks features =
        runtime.encode_masks(refseg::gst::image_view(frame), proposals, masked_layers);
    gst_refseg_meta_set_features(meta, runtime.name().c_str(), features.count, features.dim,
                                 features.global.data(), features.local.data());
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("CLIP encoding failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_refseg_encoder_finalize(GObject *object) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  delete self->settings;
  delete self->runtime;
  G_OBJECT_CLASS(gst_refseg_encoder_parent_class)->finalize(object);
}

static void gst_refseg_encoder_class_init(GstRefSegEncoderClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *transform_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_refseg_encoder_set_property;
  gobject_class->get_property = gst_refseg_encoder_get_property;
  gobject_class->finalize = gst_refseg_encoder_finalize;

  const auto ready_only = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "CLIP model: a path to an OpenAI .pt archive, or a name looked up in the "
                          "models directories (e.g. ViT-B/32, refseg-tiny)",
                          "", ready_only));
  g_object_class_install_property(
      gobject_class, PROP_MASKED_LAYERS,
      g_param_spec_uint("masked-layers", "Masked layers",
                        "Last image-tower blocks whose patch tokens are masked for the "
                        "global-context feature (clamped to the model's depth)",
                        0, 64, kDefaultMaskedLayers,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "LibTorch intra-op threads of the model's worker (0 = every core; the first "
                       "element to load a model sets it)",
                       0, 1024, 0, ready_only));
  g_object_class_install_property(
      gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device",
                          "Where inference runs: cpu, cuda or cuda:N (CUDA needs a LibTorch built "
                          "with it)",
                          "cpu", ready_only));

  GstCaps *caps = gst_caps_from_string(REFSEG_VIDEO_CAPS);
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation encoder", "Filter/Analyzer/Video",
      "Adds CLIP global- and local-context features of each mask proposal to the refseg meta",
      "gst-refseg developers");

  transform_class->start = GST_DEBUG_FUNCPTR(gst_refseg_encoder_start);
  transform_class->stop = GST_DEBUG_FUNCPTR(gst_refseg_encoder_stop);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_refseg_encoder_transform_frame_ip);
  GST_DEBUG_CATEGORY_INIT(refseg_encoder_debug, "refsegencoder", 0, "refseg CLIP encoder");
}

static void gst_refseg_encoder_init(GstRefSegEncoder *self) {
  self->settings = new EncoderSettings();
  self->runtime = new std::shared_ptr<refseg::ClipRuntime>();
}

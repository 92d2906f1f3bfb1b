#include "gstrefsegencoder.h"

#include <memory>
#include <string>
#include <vector>

#include "common/model_error.h"
#include "refseg_analysis_step.h"
#include "refseg_elements.h"
#include "refseg_frame.h"
#include "refseg_model_settings.h"
#include "runtime/feature_reuse.h"

GST_DEBUG_CATEGORY_STATIC(refseg_encoder_debug);
#define GST_CAT_DEFAULT refseg_encoder_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_MASKED_LAYERS,
  PROP_THREADS,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_PREPROCESS,
  PROP_LOCAL_CROPS,
  PROP_REUSE
};

constexpr guint kDefaultMaskedLayers = 3;
constexpr gint kAllLocalCrops = -1;  // the paper's method

constexpr refseg::gst::ModelPropertyIds kModelProperties{PROP_MODEL, PROP_THREADS, PROP_DEVICE,
                                                         PROP_PRECISION, PROP_PREPROCESS};

struct EncoderSettings {
  refseg::gst::ModelSettings model;
  guint masked_layers = kDefaultMaskedLayers;
  gint local_crops = kAllLocalCrops;
  bool reuse = false;
  // What the selector downstream scores with (refseg-text-features).
  std::vector<std::vector<float>> texts;
};

struct _GstRefSegEncoder {
  GstVideoFilter parent;
  EncoderSettings *settings;                      // guarded by the object lock
  std::shared_ptr<refseg::ClipRuntime> *runtime;  // set in start(), used by the streaming thread
  refseg::scheduling::ProcessingTime *time;       // thread-safe
  refseg::FeatureReuse *reuse;                    // the previous analysis (streaming thread)
  bool model_ready;  // the runtime finished loading (streaming thread; false after start())
};

G_DEFINE_TYPE(GstRefSegEncoder, gst_refseg_encoder, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(refsegencoder, "refsegencoder", GST_RANK_NONE, GST_TYPE_REFSEG_ENCODER);

static void gst_refseg_encoder_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  GST_OBJECT_LOCK(self);
  if (id == PROP_MASKED_LAYERS)
    self->settings->masked_layers = g_value_get_uint(value);
  else if (id == PROP_LOCAL_CROPS)
    self->settings->local_crops = g_value_get_int(value);
  else if (id == PROP_REUSE)
    self->settings->reuse = g_value_get_boolean(value);
  else if (!refseg::gst::set_model_property(GST_ELEMENT(self), self->settings->model,
                                            kModelProperties, id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_encoder_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  GST_OBJECT_LOCK(self);
  if (id == PROP_MASKED_LAYERS)
    g_value_set_uint(value, self->settings->masked_layers);
  else if (id == PROP_LOCAL_CROPS)
    g_value_set_int(value, self->settings->local_crops);
  else if (id == PROP_REUSE)
    g_value_set_boolean(value, self->settings->reuse);
  else if (!refseg::gst::get_model_property(self->settings->model, kModelProperties, id, value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_refseg_encoder_start(GstBaseTransform *trans) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(trans);
  GST_OBJECT_LOCK(self);
  const refseg::gst::ModelSettings settings = self->settings->model;
  GST_OBJECT_UNLOCK(self);
  // The model builds on its worker thread: the first frame with proposals
  // waits for it (ready_for_frames).
  std::shared_ptr<refseg::ClipRuntime> runtime =
      refseg::gst::acquire_model(GST_ELEMENT(self), settings, GST_CAT_DEFAULT);
  GST_OBJECT_LOCK(self);  // gst_refseg_encoder_model_is_ready() reads it on other threads
  *self->runtime = runtime;
  GST_OBJECT_UNLOCK(self);
  self->model_ready = false;
  self->time->clear();
  self->reuse->forget();
  return *self->runtime != nullptr;
}

static gboolean gst_refseg_encoder_stop(GstBaseTransform *trans) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(trans);
  std::shared_ptr<refseg::ClipRuntime> runtime;
  GST_OBJECT_LOCK(self);
  runtime = std::move(*self->runtime);
  self->runtime->reset();
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

gboolean gst_refseg_encoder_model_is_ready(GstRefSegEncoder *self) {
  GST_OBJECT_LOCK(self);
  const std::shared_ptr<refseg::ClipRuntime> runtime = *self->runtime;
  GST_OBJECT_UNLOCK(self);
  return runtime && runtime->ready();
}

// Waits for the model the first time a frame needs it (in the live mode of
// refsegbin only the analysis branch waits: its queue keeps the newest
// frame while the video goes on), then says on the bus that it is ready and
// where the load's time went (refseg-model-ready). A flush or a stop ends
// the wait (the pad deactivates only once this returns).
static GstFlowReturn ready_for_frames(GstRefSegEncoder *self) {
  if (self->model_ready) return GST_FLOW_OK;
  refseg::ClipRuntime &runtime = **self->runtime;
  GstPad *sink = GST_BASE_TRANSFORM_SINK_PAD(self);
  while (!runtime.ready()) {
    GST_OBJECT_LOCK(sink);
    const bool flushing = GST_PAD_IS_FLUSHING(sink);
    GST_OBJECT_UNLOCK(sink);
    if (flushing) return GST_FLOW_FLUSHING;
    g_usleep(10 * 1000);
  }
  GST_OBJECT_LOCK(self);
  const refseg::gst::ModelSettings settings = self->settings->model;
  GST_OBJECT_UNLOCK(self);
  bool failed = false;
  const std::string report =
      refseg::gst::wait_for_model(GST_ELEMENT(self), settings, runtime, GST_CAT_DEFAULT, &failed);
  if (failed) return GST_FLOW_ERROR;
  gst_element_post_message(
      GST_ELEMENT(self),
      gst_message_new_element(
          GST_OBJECT(self),
          gst_structure_new("refseg-model-ready", "model", G_TYPE_STRING, runtime.name().c_str(),
                            "file", G_TYPE_STRING, runtime.weights_path().c_str(), "precision",
                            G_TYPE_STRING, refseg::clip::precision_name(runtime.precision()),
                            "load", G_TYPE_STRING, report.c_str(), nullptr)));
  self->model_ready = true;
  return GST_FLOW_OK;
}

static GstFlowReturn gst_refseg_encoder_transform_frame_ip(GstVideoFilter *filter,
                                                           GstVideoFrame *frame) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(filter);
  GstCustomMeta *meta = gst_buffer_get_refseg_meta(frame->buffer);
  if (!meta) {
    GST_LOG_OBJECT(self, "frame without proposals: nothing to encode");
    return GST_FLOW_OK;
  }
  if (gst_refseg_meta_get_width(meta) != GST_VIDEO_FRAME_WIDTH(frame) ||
      gst_refseg_meta_get_height(meta) != GST_VIDEO_FRAME_HEIGHT(frame)) {
    // Proposals of another frame size: their masks do not fit this frame.
    GST_WARNING_OBJECT(self, "meta is for %dx%d, frame is %dx%d: not encoded",
                       gst_refseg_meta_get_width(meta), gst_refseg_meta_get_height(meta),
                       GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
    return GST_FLOW_OK;
  }
  GST_OBJECT_LOCK(self);
  const int masked_layers = static_cast<int>(self->settings->masked_layers);
  refseg::LocalCrops crops;
  crops.k = self->settings->local_crops;
  if (crops.k >= 0) crops.texts = self->settings->texts;
  const bool reuse = self->settings->reuse;
  GST_OBJECT_UNLOCK(self);
  if (!reuse) self->reuse->forget();
  const GstFlowReturn ready = ready_for_frames(self);
  if (ready != GST_FLOW_OK) return ready;
  const gint64 start = refseg::gst::monotonic_ns();
  const std::vector<refseg::RegionMask> proposals = refseg::gst::read_proposals(meta);
  refseg::ClipRuntime &runtime = **self->runtime;
  try {
    const refseg::gst::AnalysisImage image(frame);  // RGB for I420, NV12, GRAY8
    const refseg::EncodedMasks features = runtime.encode_masks(
        image.view(), proposals, masked_layers, crops, reuse ? self->reuse : nullptr);
    GST_LOG_OBJECT(self,
                   "%zu proposals, %zu local crops, reused %zu local and %zu global, "
                   "%d threads",
                   features.count, features.local_crops, features.reused_local,
                   features.reused_global, features.threads);
    gst_refseg_meta_set_features(meta, runtime.name().c_str(), features.count, features.dim,
                                 features.global.data(), features.local.data());
    const std::string settled = runtime.claim_settle_report();
    if (!settled.empty()) {
      GST_INFO_OBJECT(self, "model '%s' settled: %s", runtime.name().c_str(), settled.c_str());
      gst_element_post_message(
          GST_ELEMENT(self),
          gst_message_new_element(
              GST_OBJECT(self),
              gst_structure_new("refseg-precision-settled", "model", G_TYPE_STRING,
                                runtime.name().c_str(), "precision", G_TYPE_STRING,
                                refseg::clip::precision_name(runtime.precision()), "how",
                                G_TYPE_STRING, settled.c_str(), nullptr)));
    }
    const std::string threads_note = runtime.claim_threads_note();
    if (!threads_note.empty())
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("%s", threads_note.c_str()),
                          ("model %s", runtime.name().c_str()));
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("CLIP encoding failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  refseg::gst::record_processing_time(GST_ELEMENT(self), *self->time, start,
                                      GST_BUFFER_PTS(frame->buffer), GST_CAT_DEFAULT);
  return GST_FLOW_OK;
}

// The selector's text features, for local-crops; forwarded, since other
// elements upstream may want them too.
static gboolean gst_refseg_encoder_src_event(GstBaseTransform *trans, GstEvent *event) {
  std::vector<std::vector<float>> texts;
  if (refseg::gst::parse_text_features_event(event, &texts)) {
    GST_DEBUG_OBJECT(trans, "%zu text features from downstream", texts.size());
    GST_OBJECT_LOCK(trans);
    GST_REFSEG_ENCODER(trans)->settings->texts = std::move(texts);
    GST_OBJECT_UNLOCK(trans);
  }
  return GST_BASE_TRANSFORM_CLASS(gst_refseg_encoder_parent_class)->src_event(trans, event);
}

static gboolean gst_refseg_encoder_query(GstBaseTransform *trans, GstPadDirection direction,
                                         GstQuery *query) {
  return refseg::gst::query_adding_processing_time(
      GST_BASE_TRANSFORM_CLASS(gst_refseg_encoder_parent_class), trans, direction, query,
      *GST_REFSEG_ENCODER(trans)->time);
}

static void gst_refseg_encoder_finalize(GObject *object) {
  GstRefSegEncoder *self = GST_REFSEG_ENCODER(object);
  delete self->settings;
  delete self->runtime;
  delete self->time;
  delete self->reuse;
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

  refseg::gst::install_model_properties(
      gobject_class, kModelProperties,
      "CLIP model: a path to an OpenAI .pt archive, or a name looked up in the models directories "
      "(e.g. ViT-B/32, refseg-tiny)");
  g_object_class_install_property(
      gobject_class, PROP_MASKED_LAYERS,
      g_param_spec_uint(
          "masked-layers", "Masked layers",
          "Last image-tower blocks whose patch tokens are masked for the "
          "global-context feature (clamped to the model's depth)",
          0, 64, kDefaultMaskedLayers,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property(
      gobject_class, PROP_LOCAL_CROPS,
      g_param_spec_int(
          "local-crops", "Local crops",
          "Local-context crop passes per expression: only each expression's N best proposals by "
          "global score get one, the others are scored on their global feature alone (the local "
          "feature weighs 1 - global-weight); -1 = every proposal (the paper's method)",
          -1, 1024, kAllLocalCrops,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  g_object_class_install_property(
      gobject_class, PROP_REUSE,
      g_param_spec_boolean(
          "reuse", "Reuse unchanged features",
          "Keep the previous analysis's features for proposals whose mask matches one of it (IoU "
          ">= 0.95) and whose pixels barely changed (mean difference <= 2 of 255 in its box; the "
          "global feature only when the whole frame barely changed), at most 10 analyses in a "
          "row: a still camera costs a fraction of a moving one. Off: every analysis is fresh "
          "(the paper's method)",
          FALSE,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE)));
  refseg::gst::add_video_pad_templates(element_class);
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation encoder", "Filter/Analyzer/Video",
      "Adds CLIP global- and local-context features of each mask proposal to the refseg meta",
      REFSEG_ELEMENT_AUTHORS);

  transform_class->start = GST_DEBUG_FUNCPTR(gst_refseg_encoder_start);
  transform_class->stop = GST_DEBUG_FUNCPTR(gst_refseg_encoder_stop);
  transform_class->query = GST_DEBUG_FUNCPTR(gst_refseg_encoder_query);
  transform_class->src_event = GST_DEBUG_FUNCPTR(gst_refseg_encoder_src_event);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_refseg_encoder_transform_frame_ip);
  GST_DEBUG_CATEGORY_INIT(refseg_encoder_debug, "refsegencoder", 0, "refseg CLIP encoder");
}

static void gst_refseg_encoder_init(GstRefSegEncoder *self) {
  self->settings = new EncoderSettings();
  self->runtime = new std::shared_ptr<refseg::ClipRuntime>();
  self->time = new refseg::scheduling::ProcessingTime();
  self->reuse = new refseg::FeatureReuse();
  self->model_ready = false;
  // Late frames are for the tracker to carry results onto, not to drop.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}

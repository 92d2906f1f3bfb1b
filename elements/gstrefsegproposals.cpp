#include "gstrefsegproposals.h"

#include <memory>
#include <string>

#include "clip/inference_threads.h"
#include "common/model_error.h"
#include "proposals/grouping_generator.h"
#include "proposals/proposal_model.h"
#include "proposals/proposal_reuse.h"
#include "proposals/sam_proposal_generator.h"
#include "proposals/torchscript_generator.h"
#include "refseg_analysis_step.h"
#include "refseg_elements.h"
#include "refseg_frame.h"
#include "refseg_model_settings.h"
#include "sam/sam_model.h"

GST_DEBUG_CATEGORY_STATIC(refseg_proposals_debug);
#define GST_CAT_DEFAULT refseg_proposals_debug

enum {
  PROP_0,
  PROP_MAX_PROPOSALS,
  PROP_MIN_AREA,
  PROP_MAX_AREA,
  PROP_IOU_THRESHOLD,
  PROP_SCALE,
  PROP_SIGMA,
  PROP_PROCESSING_SIZE,
  PROP_MODEL,
  PROP_INFERENCE_INTERVAL,
  PROP_REUSE,
  PROP_QUALITY,
  PROP_POINTS_PER_SIDE,
  PROP_POINTS_PER_BATCH,
  PROP_PRED_IOU_THRESHOLD,
  PROP_STABILITY_THRESHOLD,
  PROP_REFINE,
  PROP_PROMPTS,
  PROP_MAX_POINTS,
  PROP_PRECISION,
  PROP_THREADS,
  PROP_REFINE_MODEL,
};

// GstRefSegSamPrompts: where a SAM model's prompts come from.
static GType sam_prompts_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(refseg::SamPrompts::Grid), "grid: points-per-side x points-per-side",
       "grid"},
      {static_cast<gint>(refseg::SamPrompts::Regions),
       "regions: max-points interior points (64 when 0) of the grouping generator's ranked "
       "regions, spread apart",
       "regions"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegSamPrompts", values));
  return type;
}

// SAM models on the CPU: a 16 x 16 grid (256 prompts) instead of the
// reference's 32 x 32 (docs/proposal-models.md).
constexpr int kCpuPointsPerSide = 16;
// ... and, as the prompts, points of the weightless generator's regions
// (prompts=grid is the reference's source).
constexpr refseg::SamPrompts kCpuPrompts = refseg::kCpuSamPrompts;
// The box NMS threshold SAM models default to (the reference's).
constexpr double kSamBoxNms = 0.7;

static refseg::sam::AutomaticMaskOptions default_sam_options() {
  refseg::sam::AutomaticMaskOptions o;
  o.points_per_side = kCpuPointsPerSide;
  return o;
}

// What the properties say; read under the object lock.
struct ProposalSettings {
  refseg::ProposalFilter filter;
  refseg::GroupingOptions grouping;
  std::string model;         // empty: the grouping generator
  std::string refine_model;  // a SAM checkpoint refining another generator's proposals
  refseg::sam::AutomaticMaskOptions sam = default_sam_options();  // SAM models
  bool iou_threshold_set = false;            // else 0.7 with a SAM model or the quality setting
  bool refine = true;                        // SAM models: refine each proposal with its box
  refseg::SamPrompts prompts = kCpuPrompts;  // SAM models
  refseg::clip::Precision precision = refseg::clip::Precision::kAuto;  // SAM models
  int threads = 0;  // SAM models: LibTorch threads of the streaming thread (0: as they are)
  bool reuse = false;
  // Counts changes of the generator's settings: proposals kept for reuse
  // were made with the settings of one generation only.
  unsigned generation = 0;
};

struct _GstRefSegProposals {
  GstVideoFilter parent;
  ProposalSettings *settings;  // guarded by the object lock
  // Made at READY->PAUSED, dropped at PAUSED->READY; used by the streaming thread only.
  std::unique_ptr<refseg::ProposalGenerator> *generator;
  // refine-model's SAM model when the generator is not a SAM model (same lifetime).
  std::unique_ptr<refseg::sam::SamModel> *refiner;
  // Which frames are analysed (interval, demand, QoS) and how long it takes;
  // thread-safe on their own.
  refseg::scheduling::FrameSchedule *schedule;
  refseg::scheduling::ProcessingTime *time;
  // The last fresh proposals and their frame (streaming thread only), and
  // the settings generation they were made with.
  refseg::ProposalReuse *reuse;
  unsigned reuse_generation;
};

G_DEFINE_TYPE(GstRefSegProposals, gst_refseg_proposals, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(refsegproposals, "refsegproposals", GST_RANK_NONE,
                            GST_TYPE_REFSEG_PROPOSALS);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_ANALYSIS_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(REFSEG_ANALYSIS_CAPS));

static void gst_refseg_proposals_set_property(GObject *object, guint id, const GValue *value,
                                              GParamSpec *pspec) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(object);
  GST_OBJECT_LOCK(self);
  ProposalSettings &s = *self->settings;
  if (id != PROP_INFERENCE_INTERVAL && id != PROP_REUSE) ++s.generation;
  switch (id) {
    case PROP_MAX_PROPOSALS:
      s.filter.max_proposals = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_MIN_AREA:
      s.filter.min_area = g_value_get_double(value);
      break;
    case PROP_MAX_AREA:
      s.filter.max_area = g_value_get_double(value);
      break;
    case PROP_IOU_THRESHOLD:
      s.filter.iou_threshold = g_value_get_double(value);
      s.iou_threshold_set = true;
      break;
    case PROP_POINTS_PER_SIDE:
      s.sam.points_per_side = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_POINTS_PER_BATCH:
      s.sam.points_per_batch = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_PRED_IOU_THRESHOLD:
      s.sam.pred_iou_thresh = g_value_get_double(value);
      break;
    case PROP_STABILITY_THRESHOLD:
      s.sam.stability_score_thresh = g_value_get_double(value);
      break;
    case PROP_REFINE:
      s.refine = g_value_get_boolean(value);
      break;
    case PROP_PROMPTS:
      s.prompts = static_cast<refseg::SamPrompts>(g_value_get_enum(value));
      break;
    case PROP_MAX_POINTS:
      s.sam.max_points = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_PRECISION:
      if (GST_STATE(self) > GST_STATE_READY || GST_STATE_PENDING(self) > GST_STATE_READY) {
        GST_WARNING_OBJECT(self, "precision can only be changed in the NULL or READY state");
        break;
      }
      s.precision = static_cast<refseg::clip::Precision>(g_value_get_enum(value));
      break;
    case PROP_THREADS:
      s.threads = g_value_get_int(value);
      break;
    case PROP_SCALE:
      s.grouping.scale = g_value_get_double(value);
      break;
    case PROP_SIGMA:
      s.grouping.sigma = g_value_get_double(value);
      break;
    case PROP_PROCESSING_SIZE:
      s.grouping.processing_size = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_MODEL:
    case PROP_REFINE_MODEL: {
      // The models are loaded at READY->PAUSED: a change later would
      // silently not apply, so it is refused.
      if (GST_STATE(self) > GST_STATE_READY || GST_STATE_PENDING(self) > GST_STATE_READY) {
        GST_WARNING_OBJECT(self, "%s can only be changed in the NULL or READY state",
                           g_param_spec_get_name(pspec));
        break;
      }
      const gchar *path = g_value_get_string(value);
      (id == PROP_MODEL ? s.model : s.refine_model) = path ? path : "";
      break;
    }
    case PROP_INFERENCE_INTERVAL:
      self->schedule->set_interval(static_cast<int>(g_value_get_uint(value)));
      break;
    case PROP_REUSE:
      s.reuse = g_value_get_boolean(value);
      break;
    case PROP_QUALITY: {
      const refseg::GroupingOptions chosen = g_value_get_boolean(value)
                                                 ? refseg::GroupingOptions::quality()
                                                 : refseg::GroupingOptions{};
      s.grouping.strategies = chosen.strategies;
      s.grouping.consensus = chosen.consensus;
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_proposals_get_property(GObject *object, guint id, GValue *value,
                                              GParamSpec *pspec) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(object);
  GST_OBJECT_LOCK(self);
  const ProposalSettings &s = *self->settings;
  switch (id) {
    case PROP_MAX_PROPOSALS:
      g_value_set_uint(value, static_cast<guint>(s.filter.max_proposals));
      break;
    case PROP_MIN_AREA:
      g_value_set_double(value, s.filter.min_area);
      break;
    case PROP_MAX_AREA:
      g_value_set_double(value, s.filter.max_area);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_double(value, s.filter.iou_threshold);
      break;
    case PROP_POINTS_PER_SIDE:
      g_value_set_uint(value, static_cast<guint>(s.sam.points_per_side));
      break;
    case PROP_POINTS_PER_BATCH:
      g_value_set_uint(value, static_cast<guint>(s.sam.points_per_batch));
      break;
    case PROP_PRED_IOU_THRESHOLD:
      g_value_set_double(value, s.sam.pred_iou_thresh);
      break;
    case PROP_STABILITY_THRESHOLD:
      g_value_set_double(value, s.sam.stability_score_thresh);
      break;
    case PROP_REFINE:
      g_value_set_boolean(value, s.refine);
      break;
    case PROP_PROMPTS:
      g_value_set_enum(value, static_cast<gint>(s.prompts));
      break;
    case PROP_MAX_POINTS:
      g_value_set_uint(value, static_cast<guint>(s.sam.max_points));
      break;
    case PROP_PRECISION:
      g_value_set_enum(value, static_cast<gint>(s.precision));
      break;
    case PROP_THREADS:
      g_value_set_int(value, s.threads);
      break;
    case PROP_SCALE:
      g_value_set_double(value, s.grouping.scale);
      break;
    case PROP_SIGMA:
      g_value_set_double(value, s.grouping.sigma);
      break;
    case PROP_PROCESSING_SIZE:
      g_value_set_uint(value, static_cast<guint>(s.grouping.processing_size));
      break;
    case PROP_MODEL:
      g_value_set_string(value, s.model.c_str());
      break;
    case PROP_REFINE_MODEL:
      g_value_set_string(value, s.refine_model.c_str());
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint(value, static_cast<guint>(self->schedule->interval()));
      break;
    case PROP_REUSE:
      g_value_set_boolean(value, s.reuse);
      break;
    case PROP_QUALITY:
      g_value_set_boolean(value, s.grouping.strategies.size() > 1);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// The filter a generator gets: with a SAM model the iou-threshold is its box
// NMS threshold, 0.7 unless the user set it; the grouping generator's quality
// setting has its own duplicate threshold too.
static refseg::ProposalFilter effective_filter(const ProposalSettings &s, bool sam) {
  refseg::ProposalFilter f = s.filter;
  if (s.iou_threshold_set) return f;
  if (sam) f.iou_threshold = kSamBoxNms;
  if (!sam && s.model.empty() && s.grouping.strategies.size() > 1)
    f = refseg::quality_proposal_filter(f);
  return f;
}

// Builds the generator the settings name. A model that cannot be used is an
// element error naming the file and the problem, and fails the state change.
static gboolean gst_refseg_proposals_open(GstRefSegProposals *self) {
  GST_OBJECT_LOCK(self);
  const ProposalSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  try {
    if (settings.model.empty()) {
      *self->generator = std::make_unique<refseg::GroupingProposalGenerator>(
          settings.grouping, effective_filter(settings, false));
      GST_INFO_OBJECT(self, "grouping proposals (no model)");
    } else {
      // The file's kind is told from its content: a TorchScript archive or a
      // SAM-family state dict.
      const std::string path = refseg::locate_proposal_model(settings.model);
      const bool sam = refseg::proposal_model_kind(path) == refseg::ProposalModelKind::SamStateDict;
      refseg::ProposalModelOptions options;
      options.sam = settings.sam;
      options.sam_precision = settings.precision;
      options.sam_prompts = settings.prompts;
      *self->generator =
          refseg::make_model_proposal_generator(path, options, effective_filter(settings, sam));
      if (auto *g = dynamic_cast<refseg::SamProposalGenerator *>(self->generator->get()))
        GST_INFO_OBJECT(self, "proposal model %s (Segment Anything, %s, prompts %s)", path.c_str(),
                        refseg::clip::precision_name(g->precision()),
                        refseg::sam_prompts_name(g->prompts()));
      else
        GST_INFO_OBJECT(self, "proposal model %s (TorchScript)", path.c_str());
    }
    self->refiner->reset();
    const bool sam_generator =
        dynamic_cast<refseg::SamProposalGenerator *>(self->generator->get()) != nullptr;
    if (!settings.refine_model.empty() && !sam_generator) {
      const std::string path = refseg::locate_proposal_model(settings.refine_model);
      if (refseg::proposal_model_kind(path) != refseg::ProposalModelKind::SamStateDict)
        throw refseg::ModelError(path +
                                 ": refine-model must be a Segment Anything checkpoint as "
                                 "released (sam_vit_b_01ec64.pth, mobile_sam.pt, ...)");
      *self->refiner = std::make_unique<refseg::sam::SamModel>(path);
      (*self->refiner)->set_precision(refseg::resolve_sam_precision(settings.precision));
      GST_INFO_OBJECT(self, "proposals refined by %s (Segment Anything, %s)", path.c_str(),
                      refseg::clip::precision_name((*self->refiner)->precision()));
    }
  } catch (const std::exception &e) {  // refseg::ModelError, or anything LibTorch lets through
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not load proposal model: %s", e.what()),
                      ("model property: '%s', refine-model: '%s'", settings.model.c_str(),
                       settings.refine_model.c_str()));
    return FALSE;
  }
  return TRUE;
}

static GstStateChangeReturn gst_refseg_proposals_change_state(GstElement *element,
                                                              GstStateChange transition) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    if (!gst_refseg_proposals_open(self)) return GST_STATE_CHANGE_FAILURE;
    self->schedule->restart();
    self->time->clear();
  }
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_refseg_proposals_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    self->generator->reset();
    self->refiner->reset();
    self->reuse->forget();
  }
  return ret;
}

static GstFlowReturn gst_refseg_proposals_transform_frame_ip(GstVideoFilter *filter,
                                                             GstVideoFrame *frame) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(filter);
  refseg::ProposalGenerator *generator = self->generator->get();
  if (!generator) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("No proposal generator: element not started"),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  GstBaseTransform *trans = GST_BASE_TRANSFORM(self);
  const GstClockTime pts = GST_BUFFER_PTS(frame->buffer);
  const GstClockTime running = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, pts);
  const GstClockTime duration = GST_BUFFER_DURATION(frame->buffer);
  const auto decision = self->schedule->decide(
      GST_CLOCK_TIME_IS_VALID(running) ? static_cast<int64_t>(running) : -1,
      GST_CLOCK_TIME_IS_VALID(duration) ? static_cast<int64_t>(duration) : -1);
  if (decision != refseg::scheduling::FrameSchedule::Decision::Analyse) {
    // Passes without proposals, so nothing downstream analyses it either.
    GST_LOG_OBJECT(self, "frame %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS(pts),
                   refseg::scheduling::decision_reason(decision));
    return GST_FLOW_OK;
  }
  const gint64 start = refseg::gst::monotonic_ns();
  // Filter and grouping settings may change while playing: apply the current ones.
  GST_OBJECT_LOCK(self);
  const ProposalSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  auto *sam = dynamic_cast<refseg::SamProposalGenerator *>(generator);
  generator->set_filter(effective_filter(settings, sam != nullptr));
  refseg::sam::SamModel *refiner = self->refiner->get();
  if (sam) {
    sam->set_options(settings.sam);
    if (sam->prompts() != settings.prompts) sam->set_prompts(settings.prompts);
  }
  // LibTorch's threads are per thread: set on the one that runs the model.
  if ((sam || refiner) && settings.threads > 0)
    refseg::clip::configure_inference_threads(
        settings.threads,
        refseg::clip::thread_policy_for(sam ? sam->precision() : refiner->precision()));
  if (auto *grouping = dynamic_cast<refseg::GroupingProposalGenerator *>(generator))
    grouping->set_options(settings.grouping);

  std::vector<refseg::RegionMask> proposals;
  bool reused = false;
  try {
    const refseg::gst::AnalysisImage image(frame);  // RGB for I420, NV12, GRAY8
    if (!settings.reuse || settings.generation != self->reuse_generation) self->reuse->forget();
    const std::vector<refseg::RegionMask> *kept =
        settings.reuse ? self->reuse->reuse(image.view()) : nullptr;
    if (kept) {
      proposals = *kept;
      reused = true;
    } else {
      proposals = generator->propose(image.view());
      // Box refinement (models/proposals/sam_proposal_generator.h): against
      // the embedding a SAM model's propose() just made, or with
      // refine-model's SAM model after encoding the frame.
      if (settings.refine && sam)
        proposals = refseg::refine_proposals(sam->model(), std::move(proposals));
      else if (settings.refine && refiner)
        proposals = refseg::refine_proposals_on(*refiner, image.view(), std::move(proposals));
      if (settings.reuse) {
        self->reuse->remember(image.view(), proposals);
        self->reuse_generation = settings.generation;
      }
    }
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Mask proposals failed: %s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstCustomMeta *meta = gst_buffer_add_refseg_meta(frame->buffer, GST_VIDEO_FRAME_WIDTH(frame),
                                                   GST_VIDEO_FRAME_HEIGHT(frame));
  if (!meta || !refseg::gst::write_proposals(meta, proposals)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED,
                      ("Could not attach %zu proposals to the frame", proposals.size()), (nullptr));
    return GST_FLOW_ERROR;
  }
  GST_LOG_OBJECT(self, "%zu proposals%s", proposals.size(),
                 reused ? ", those of an unchanged earlier frame" : "");
  refseg::gst::record_processing_time(GST_ELEMENT(self), *self->time, start, pts, GST_CAT_DEFAULT);
  return GST_FLOW_OK;
}

// The selector's demand and downstream's QoS decide which frames are
// analysed; both reach this element as upstream events.
static gboolean gst_refseg_proposals_src_event(GstBaseTransform *trans, GstEvent *event) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(trans);
  bool wanted = true;
  if (refseg::gst::parse_demand_event(event, &wanted)) {
    GST_DEBUG_OBJECT(self, "%s", wanted ? "expressions set: analysing" : "no expression: idle");
    self->schedule->set_wanted(wanted);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos(event, &type, &proportion, &diff, &timestamp);
    // As GstBaseTransform estimates it: a late frame is followed by more.
    if (GST_CLOCK_TIME_IS_VALID(timestamp))
      self->schedule->set_earliest(static_cast<int64_t>(timestamp) + (diff > 0 ? 2 * diff : diff));
  }
  return GST_BASE_TRANSFORM_CLASS(gst_refseg_proposals_parent_class)->src_event(trans, event);
}

static gboolean gst_refseg_proposals_sink_event(GstBaseTransform *trans, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    GST_REFSEG_PROPOSALS(trans)->schedule->restart();
    GST_REFSEG_PROPOSALS(trans)->reuse->forget();  // a seek: another picture
  }
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    // A new frame size: the tracker drops what it had, so the first frame
    // of the new size is analysed, whatever inference-interval says.
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    const GstVideoInfo &before = GST_VIDEO_FILTER(trans)->in_info;
    GstVideoInfo now;
    if (GST_VIDEO_INFO_WIDTH(&before) > 0 && gst_video_info_from_caps(&now, caps) &&
        (GST_VIDEO_INFO_WIDTH(&now) != GST_VIDEO_INFO_WIDTH(&before) ||
         GST_VIDEO_INFO_HEIGHT(&now) != GST_VIDEO_INFO_HEIGHT(&before)))
      GST_REFSEG_PROPOSALS(trans)->schedule->restart();
  }
  return GST_BASE_TRANSFORM_CLASS(gst_refseg_proposals_parent_class)->sink_event(trans, event);
}

static gboolean gst_refseg_proposals_query(GstBaseTransform *trans, GstPadDirection direction,
                                           GstQuery *query) {
  return refseg::gst::query_adding_processing_time(
      GST_BASE_TRANSFORM_CLASS(gst_refseg_proposals_parent_class), trans, direction, query,
      *GST_REFSEG_PROPOSALS(trans)->time);
}

static void gst_refseg_proposals_finalize(GObject *object) {
  GstRefSegProposals *self = GST_REFSEG_PROPOSALS(object);
  delete self->generator;
  delete self->refiner;
  delete self->settings;
  delete self->schedule;
  delete self->time;
  delete self->reuse;
  G_OBJECT_CLASS(gst_refseg_proposals_parent_class)->finalize(object);
}

static void gst_refseg_proposals_class_init(GstRefSegProposalsClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = gst_refseg_proposals_set_property;
  gobject_class->get_property = gst_refseg_proposals_get_property;
  gobject_class->finalize = gst_refseg_proposals_finalize;

  const refseg::ProposalFilter f;
  const refseg::GroupingOptions g;
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE);
  g_object_class_install_property(
      gobject_class, PROP_MAX_PROPOSALS,
      g_param_spec_uint("max-proposals", "Maximum proposals",
                        "Keep at most this many masks per frame, best first", 0, 1000,
                        static_cast<guint>(f.max_proposals), live));
  g_object_class_install_property(
      gobject_class, PROP_MIN_AREA,
      g_param_spec_double("min-area", "Minimum area",
                          "Drop masks smaller than this fraction of the frame area", 0.0, 1.0,
                          f.min_area, live));
  g_object_class_install_property(
      gobject_class, PROP_MAX_AREA,
      g_param_spec_double("max-area", "Maximum area",
                          "Drop masks larger than this fraction of the frame area (background)",
                          0.0, 1.0, f.max_area, live));
  g_object_class_install_property(
      gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_double("iou-threshold", "Duplicate IoU",
                          "A mask that overlaps a better one this much (intersection over "
                          "union, 0.01-1) is dropped as a duplicate; with a SAM model the box "
                          "NMS threshold (boxes' IoU), 0.7 unless set",
                          0.01, 1.0, f.iou_threshold, live));
  g_object_class_install_property(
      gobject_class, PROP_SCALE,
      g_param_spec_double("scale", "Segmentation scale",
                          "How coarse the grouping generator's first segmentation is, 1-100000 "
                          "(Felzenszwalb's k: larger gives fewer, larger segments)",
                          1.0, 100000.0, g.scale, live));
  g_object_class_install_property(
      gobject_class, PROP_SIGMA,
      g_param_spec_double("sigma", "Smoothing sigma",
                          "Blur before the grouping generator's segmentation, in pixels "
                          "(Gaussian sigma, 0-10)",
                          0.0, 10.0, g.sigma, live));
  g_object_class_install_property(
      gobject_class, PROP_PROCESSING_SIZE,
      g_param_spec_uint("processing-size", "Processing size",
                        "Long side in pixels of the copy the grouping generator works on "
                        "(frames are never enlarged; masks come back at frame size)",
                        16, 8192, static_cast<guint>(g.processing_size), live));
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Proposal model",
                          "Proposal model: a name in the models directories (MobileSAM, "
                          "SAM-ViT-B, SAM-ViT-L, SAM-ViT-H, or a file name) or a path; the kind "
                          "is told from the content: a Segment Anything checkpoint as released "
                          "(automatic masks) or a TorchScript proposal model; empty: graph "
                          "segmentation and hierarchical grouping (no weights)",
                          "",
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));

  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint("inference-interval", "Inference interval",
                        "Analyse every N-th frame (counted from the start and from each flush); "
                        "the others pass without proposals and a refsegtracker carries results "
                        "onto them",
                        1, G_MAXINT, 1, live));
  g_object_class_install_property(
      gobject_class, PROP_REUSE,
      g_param_spec_boolean(
          "reuse", "Reuse",
          "A frame whose every 32x32 tile differs from the frame the last proposals were made on "
          "by at most 2 of 255 (mean per channel) gets those proposals again, at most 10 frames "
          "in a row: a still camera skips the proposal stage (with refsegencoder's reuse, the "
          "encoder too). Off: every frame gets fresh proposals (the paper's method)",
          FALSE, live));
  g_object_class_install_property(
      gobject_class, PROP_QUALITY,
      g_param_spec_boolean(
          "quality", "Quality",
          "Grouping generator: pool eight hierarchies (three scales, three colour spaces, three "
          "merge orders) instead of one, each region ranked by how well the other "
          "segmentations agree with its outline, with duplicates suppressed from mask IoU 0.7 "
          "unless iou-threshold is set (about 0.3 s of CPU per 640x480 frame; for single images "
          "and offline video, docs/accuracy.md gives what each finds)",
          FALSE, live));
  const refseg::sam::AutomaticMaskOptions sam;
  g_object_class_install_property(
      gobject_class, PROP_POINTS_PER_SIDE,
      g_param_spec_uint("points-per-side", "Points per side",
                        "SAM models with prompts=grid: the prompt grid's side (N x N points; "
                        "the reference's default is 32, this element's 16)",
                        1, 256, static_cast<guint>(kCpuPointsPerSide), live));
  g_object_class_install_property(
      gobject_class, PROP_POINTS_PER_BATCH,
      g_param_spec_uint("points-per-batch", "Points per batch",
                        "SAM models: prompts decoded together (memory, not results)", 1, 4096,
                        static_cast<guint>(sam.points_per_batch), live));
  g_object_class_install_property(
      gobject_class, PROP_PRED_IOU_THRESHOLD,
      g_param_spec_double("pred-iou-threshold", "Predicted IoU threshold",
                          "SAM models: keep masks whose predicted IoU is above this (0: all)", 0.0,
                          1.0, sam.pred_iou_thresh, live));
  g_object_class_install_property(
      gobject_class, PROP_STABILITY_THRESHOLD,
      g_param_spec_double("stability-threshold", "Stability score threshold",
                          "SAM models: keep masks whose stability score (IoU of the mask at "
                          "logit thresholds +1 and -1) is at least this (0: all)",
                          0.0, 1.0, sam.stability_score_thresh, live));
  g_object_class_install_property(
      gobject_class, PROP_REFINE,
      g_param_spec_boolean(
          "refine", "Box refinement",
          "Decode every kept proposal again with its bounding box as SAM's box prompt (one "
          "decoder pass per proposal), as Grounded-SAM does: with a SAM model against the "
          "frame embedding it made, with refine-model for other proposals; no effect without "
          "either",
          TRUE, live));
  g_object_class_install_property(
      gobject_class, PROP_REFINE_MODEL,
      g_param_spec_string("refine-model", "Refinement model",
                          "A Segment Anything checkpoint (a name in the models directories, "
                          "e.g. MobileSAM, or a path) that refines the proposals of the "
                          "weightless generator or a TorchScript model by their boxes (one "
                          "image encoding per analysed frame); not used with a SAM model, "
                          "which refines its own; empty: none",
                          "",
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_PROMPTS,
      g_param_spec_enum("prompts", "Prompt source",
                        "SAM models: regions (the CPU default: max-points interior points, 64 "
                        "when 0, of the weightless grouping generator's ranked regions, spread "
                        "apart) or grid (the reference's: points-per-side squared prompts; "
                        "docs/benchmarks.md measures both)",
                        sam_prompts_get_type(), static_cast<gint>(kCpuPrompts), live));
  g_object_class_install_property(
      gobject_class, PROP_MAX_POINTS,
      g_param_spec_uint("max-points", "Points budget",
                        "SAM models: at most this many prompts per frame (a grid shrinks to the "
                        "largest square that fits; regions: N points); 0: no budget (64 region "
                        "points)",
                        0, 65536, 0, live));
  g_object_class_install_property(
      gobject_class, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "SAM models: fp32 (the reference's arithmetic), bf16 (the image encoder "
                        "and the mask upscaling in bf16), or auto: bf16 where the CPU has native "
                        "bf16 (AVX512_BF16 or AMX), else fp32; int8 and fp16 are refused",
                        refseg::gst::precision_get_type(),
                        static_cast<gint>(refseg::clip::Precision::kAuto),
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "SAM models: LibTorch threads of the thread that runs the model, "
                       "0-1024 (0: leave them as they are)",
                       0, 1024, 0, live));
  gst_element_class_set_static_metadata(
      element_class, "Referring segmentation mask proposals", "Filter/Analyzer/Video",
      "Attaches class-agnostic mask proposals to every frame's refseg meta",
      REFSEG_ELEMENT_AUTHORS);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  element_class->change_state = gst_refseg_proposals_change_state;
  filter_class->transform_frame_ip = gst_refseg_proposals_transform_frame_ip;
  GstBaseTransformClass *transform_class = GST_BASE_TRANSFORM_CLASS(klass);
  transform_class->src_event = GST_DEBUG_FUNCPTR(gst_refseg_proposals_src_event);
  transform_class->sink_event = GST_DEBUG_FUNCPTR(gst_refseg_proposals_sink_event);
  transform_class->query = GST_DEBUG_FUNCPTR(gst_refseg_proposals_query);

  GST_DEBUG_CATEGORY_INIT(refseg_proposals_debug, "refsegproposals", 0, "refseg mask proposals");
}

static void gst_refseg_proposals_init(GstRefSegProposals *self) {
  self->settings = new ProposalSettings();
  self->generator = new std::unique_ptr<refseg::ProposalGenerator>();
  self->refiner = new std::unique_ptr<refseg::sam::SamModel>();
  self->schedule = new refseg::scheduling::FrameSchedule();
  self->time = new refseg::scheduling::ProcessingTime();
  self->reuse = new refseg::ProposalReuse();
  self->reuse_generation = 0;
  // Late frames skip their analysis (schedule) but are never dropped here:
  // GstBaseTransform's own QoS would drop them.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}

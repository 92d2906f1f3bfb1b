#include "gstrefsegworldsrc.h"

#include <gst/video/video.h>

#include <memory>

#include "refseg_elements.h"
#include "world/referring_world.h"

GST_DEBUG_CATEGORY_STATIC(refseg_world_src_debug);
#define GST_CAT_DEFAULT refseg_world_src_debug

enum {
  PROP_0,
  PROP_SEED,
  PROP_TEXTURED,
  PROP_NOISE,
  PROP_MIN_OBJECTS,
  PROP_MAX_OBJECTS,
  PROP_IS_LIVE,
  PROP_MAX_SPEED,
  PROP_BACKGROUND_SWAY,
  PROP_MAX_ROTATION,
};

struct WorldSettings {
  guint64 seed = 1;
  refseg::world::WorldOptions options;
};

struct _GstRefSegWorldSrc {
  GstPushSrc parent;
  WorldSettings *settings;  // guarded by the object lock
  // Built in set_caps() from the settings and the negotiated size.
  std::unique_ptr<refseg::world::WorldVideo> *video;
  GstVideoInfo info;
  gint64 frame_index;
};

G_DEFINE_TYPE(GstRefSegWorldSrc, gst_refseg_world_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE(refsegworldsrc, "refsegworldsrc", GST_RANK_NONE,
                            GST_TYPE_REFSEG_WORLD_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = RGB, width = (int) [ 64, 4096 ], height = (int) [ 64, "
                    "4096 ], framerate = (fraction) [ 1/1, 120/1 ]"));

static void gst_refseg_world_src_set_property(GObject *object, guint id, const GValue *value,
                                              GParamSpec *pspec) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(object);
  if (id == PROP_IS_LIVE) {  // GstBaseSrc takes the object lock itself
    gst_base_src_set_live(GST_BASE_SRC(self), g_value_get_boolean(value));
    return;
  }
  GST_OBJECT_LOCK(self);
  WorldSettings &s = *self->settings;
  switch (id) {
    case PROP_SEED:
      s.seed = g_value_get_uint64(value);
      break;
    case PROP_TEXTURED:
      s.options.textured = g_value_get_boolean(value);
      break;
    case PROP_NOISE:
      s.options.noise = g_value_get_double(value);
      break;
    case PROP_MIN_OBJECTS:
      s.options.min_objects = g_value_get_int(value);
      break;
    case PROP_MAX_OBJECTS:
      s.options.max_objects = g_value_get_int(value);
      break;
    case PROP_MAX_SPEED:
      s.options.max_speed = g_value_get_double(value);
      break;
    case PROP_BACKGROUND_SWAY:
      s.options.background_sway = g_value_get_int(value);
      break;
    case PROP_MAX_ROTATION:
      s.options.max_rotation_deg = g_value_get_double(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_refseg_world_src_get_property(GObject *object, guint id, GValue *value,
                                              GParamSpec *pspec) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(object);
  if (id == PROP_IS_LIVE) {
    g_value_set_boolean(value, gst_base_src_is_live(GST_BASE_SRC(self)));
    return;
  }
  GST_OBJECT_LOCK(self);
  const WorldSettings &s = *self->settings;
  switch (id) {
    case PROP_SEED:
      g_value_set_uint64(value, s.seed);
      break;
    case PROP_TEXTURED:
      g_value_set_boolean(value, s.options.textured);
      break;
    case PROP_NOISE:
      g_value_set_double(value, s.options.noise);
      break;
    case PROP_MIN_OBJECTS:
      g_value_set_int(value, s.options.min_objects);
      break;
    case PROP_MAX_OBJECTS:
      g_value_set_int(value, s.options.max_objects);
      break;
    case PROP_MAX_SPEED:
      g_value_set_double(value, s.options.max_speed);
      break;
    case PROP_BACKGROUND_SWAY:
      g_value_set_int(value, s.options.background_sway);
      break;
    case PROP_MAX_ROTATION:
      g_value_set_double(value, s.options.max_rotation_deg);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static GstCaps *gst_refseg_world_src_fixate(GstBaseSrc *src, GstCaps *caps) {
  caps = gst_caps_make_writable(caps);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  gst_structure_fixate_field_nearest_int(s, "width", 320);
  gst_structure_fixate_field_nearest_int(s, "height", 240);
  gst_structure_fixate_field_nearest_fraction(s, "framerate", 10, 1);
  return GST_BASE_SRC_CLASS(gst_refseg_world_src_parent_class)->fixate(src, caps);
}

static gboolean gst_refseg_world_src_set_caps(GstBaseSrc *src, GstCaps *caps) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(src);
  if (!gst_video_info_from_caps(&self->info, caps)) return FALSE;
  gst_base_src_set_blocksize(src, GST_VIDEO_INFO_SIZE(&self->info));
  GST_OBJECT_LOCK(self);
  WorldSettings settings = *self->settings;
  GST_OBJECT_UNLOCK(self);
  settings.options.width = GST_VIDEO_INFO_WIDTH(&self->info);
  settings.options.height = GST_VIDEO_INFO_HEIGHT(&self->info);
  try {
    refseg::world::validate(settings.options);
    *self->video = std::make_unique<refseg::world::WorldVideo>(settings.seed, settings.options);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid world settings"), ("%s", e.what()));
    return FALSE;
  }
  return TRUE;
}

static gboolean gst_refseg_world_src_start(GstBaseSrc *src) {
  GST_REFSEG_WORLD_SRC(src)->frame_index = 0;
  return TRUE;
}

static GstFlowReturn gst_refseg_world_src_fill(GstPushSrc *src, GstBuffer *buffer) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(src);
  if (!*self->video) return GST_FLOW_NOT_NEGOTIATED;
  const refseg::world::Scene scene = (*self->video)->frame(self->frame_index);
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &self->info, buffer, GST_MAP_WRITE)) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not map the output buffer"),
                      ("buffer of %" G_GSIZE_FORMAT " bytes for a %dx%d frame",
                       gst_buffer_get_size(buffer), scene.image.cols, scene.image.rows));
    return GST_FLOW_ERROR;
  }
  const int row_bytes = scene.image.cols * 3;
  for (int y = 0; y < scene.image.rows; y++)
    memcpy(static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) +
               y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
           scene.image.ptr(y), row_bytes);
  gst_video_frame_unmap(&frame);

  const gint fps_n = GST_VIDEO_INFO_FPS_N(&self->info), fps_d = GST_VIDEO_INFO_FPS_D(&self->info);
  GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(self->frame_index, fps_d * GST_SECOND, fps_n);
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(1, fps_d * GST_SECOND, fps_n);
  GST_BUFFER_OFFSET(buffer) = self->frame_index;
  self->frame_index++;
  return GST_FLOW_OK;
}

// Live: each frame is pushed when the clock reaches its timestamp (a
// camera's pace), and the source's latency is one frame.
static void gst_refseg_world_src_get_times(GstBaseSrc *src, GstBuffer *buffer, GstClockTime *start,
                                           GstClockTime *end) {
  *start = *end = GST_CLOCK_TIME_NONE;
  if (!gst_base_src_is_live(src)) return;
  *start = GST_BUFFER_PTS(buffer);
  if (GST_BUFFER_DURATION_IS_VALID(buffer)) *end = *start + GST_BUFFER_DURATION(buffer);
}

static gboolean gst_refseg_world_src_query(GstBaseSrc *src, GstQuery *query) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(src);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY && GST_VIDEO_INFO_FPS_N(&self->info) > 0) {
    const GstClockTime frame = gst_util_uint64_scale(GST_SECOND, GST_VIDEO_INFO_FPS_D(&self->info),
                                                     GST_VIDEO_INFO_FPS_N(&self->info));
    const bool live = gst_base_src_is_live(src);
    gst_query_set_latency(query, live, live ? frame : 0, live ? frame : GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS(gst_refseg_world_src_parent_class)->query(src, query);
}

static void gst_refseg_world_src_finalize(GObject *object) {
  GstRefSegWorldSrc *self = GST_REFSEG_WORLD_SRC(object);
  delete self->settings;
  delete self->video;
  G_OBJECT_CLASS(gst_refseg_world_src_parent_class)->finalize(object);
}

static void gst_refseg_world_src_class_init(GstRefSegWorldSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS(klass);
  gobject_class->set_property = gst_refseg_world_src_set_property;
  gobject_class->get_property = gst_refseg_world_src_get_property;
  gobject_class->finalize = gst_refseg_world_src_finalize;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const refseg::world::WorldOptions defaults;
  g_object_class_install_property(
      gobject_class, PROP_SEED,
      g_param_spec_uint64("seed", "Seed", "Which world: the same seed gives the same video", 0,
                          G_MAXUINT64, 1, flags));
  g_object_class_install_property(
      gobject_class, PROP_TEXTURED,
      g_param_spec_boolean("textured", "Textured", "Textured backgrounds (false: plain colours)",
                           defaults.textured, flags));
  g_object_class_install_property(
      gobject_class, PROP_NOISE,
      g_param_spec_double("noise", "Noise", "Per-pixel Gaussian noise, max standard deviation", 0.0,
                          64.0, defaults.noise, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_OBJECTS,
      g_param_spec_int("min-objects", "Min objects", "Fewest objects in the scene", 1, 7,
                       defaults.min_objects, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_OBJECTS,
      g_param_spec_int("max-objects", "Max objects", "Most objects in the scene", 1, 7,
                       defaults.max_objects, flags));

  g_object_class_install_property(
      gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean("is-live", "Is live",
                           "Act as a live source (a camera): frames come at the frame rate, on "
                           "the pipeline clock",
                           FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_SPEED,
      g_param_spec_double("max-speed", "Max speed",
                          "Fastest object motion in pixels per frame (0: objects stay in place; "
                          "with max-rotation=0 and background-sway=0 a still scene)",
                          0.0, 64.0, defaults.max_speed, flags));
  g_object_class_install_property(
      gobject_class, PROP_BACKGROUND_SWAY,
      g_param_spec_int("background-sway", "Background sway",
                       "How far the background pans back and forth, in pixels (0: still)", 0, 256,
                       defaults.background_sway, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_ROTATION,
      g_param_spec_double("max-rotation", "Max rotation",
                          "Largest rotation of an object, in degrees; on video each also turns "
                          "back and forth by up to half of it (0: upright and not turning)",
                          0.0, 45.0, defaults.max_rotation_deg, flags));
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Synthetic referring world", "Source/Video",
      "Moving coloured shapes on textured backgrounds, the world the bundled tiny CLIP knows "
      "(\"the red circle\", \"the leftmost star\")",
      REFSEG_ELEMENT_AUTHORS);
  base_class->fixate = GST_DEBUG_FUNCPTR(gst_refseg_world_src_fixate);
  base_class->set_caps = GST_DEBUG_FUNCPTR(gst_refseg_world_src_set_caps);
  base_class->start = GST_DEBUG_FUNCPTR(gst_refseg_world_src_start);
  base_class->get_times = GST_DEBUG_FUNCPTR(gst_refseg_world_src_get_times);
  base_class->query = GST_DEBUG_FUNCPTR(gst_refseg_world_src_query);
  GST_PUSH_SRC_CLASS(klass)->fill = GST_DEBUG_FUNCPTR(gst_refseg_world_src_fill);
  GST_DEBUG_CATEGORY_INIT(refseg_world_src_debug, "refsegworldsrc", 0, "refseg world source");
}

static void gst_refseg_world_src_init(GstRefSegWorldSrc *self) {
  self->settings = new WorldSettings();
  self->video = new std::unique_ptr<refseg::world::WorldVideo>();
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

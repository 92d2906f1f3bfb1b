#include "refseg_model_settings.h"

namespace refseg::gst {

void install_model_properties(GObjectClass *klass, ModelPropertyIds ids, const char *model_blurb) {
  const auto ready_only = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      klass, ids.model, g_param_spec_string("model", "Model", model_blurb, "", ready_only));
  g_object_class_install_property(
      klass, ids.threads,
      g_param_spec_int("threads", "Threads",
                       "LibTorch threads of the model's worker (0 = every core; the first "
                       "element to load a model sets it)",
                       0, 1024, 0, ready_only));
  g_object_class_install_property(
      klass, ids.device,
      g_param_spec_string("device", "Device",
                          "Where inference runs: cpu, cuda or cuda:N (CUDA needs a LibTorch built "
                          "with it)",
                          "cpu", ready_only));
}

static std::string string_or(const GValue *value, const char *fallback) {
  const gchar *s = g_value_get_string(value);
  return s ? s : fallback;
}

bool set_model_property(GstElement *element, ModelSettings &settings, ModelPropertyIds ids,
                        guint id, const GValue *value) {
  const bool ours = id == ids.model || id == ids.threads || id == ids.device;
  if (ours &&
      (GST_STATE(element) > GST_STATE_READY || GST_STATE_PENDING(element) > GST_STATE_READY)) {
    GST_WARNING_OBJECT(element,
                       "model, threads and device can only be changed in the NULL or "
                       "READY state: ignored");
    return true;
  }
  if (id == ids.model)
    settings.model = string_or(value, "");
  else if (id == ids.threads)
    settings.threads = g_value_get_int(value);
  else if (id == ids.device)
    settings.device = string_or(value, "cpu");
  else
    return false;
  return true;
}

bool get_model_property(const ModelSettings &settings, ModelPropertyIds ids, guint id,
                        GValue *value) {
  if (id == ids.model)
    g_value_set_string(value, settings.model.c_str());
  else if (id == ids.threads)
    g_value_set_int(value, settings.threads);
  else if (id == ids.device)
    g_value_set_string(value, settings.device.c_str());
  else
    return false;
  return true;
}

std::shared_ptr<ClipRuntime> acquire_model(GstElement *element, const ModelSettings &settings) {
  try {
    auto runtime = acquire_clip_runtime(settings.model, {settings.threads, settings.device});
    GST_INFO_OBJECT(element, "model %s: embed dim %d, %d image-tower layers",
                    runtime->weights_path().c_str(), runtime->embed_dim(), runtime->layers());
    return runtime;
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ,
                      ("Could not load CLIP model '%s'", settings.model.c_str()), ("%s", e.what()));
    return nullptr;
  }
}

}  // namespace refseg::gst

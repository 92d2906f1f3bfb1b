#include "refseg_model_settings.h"

namespace refseg::gst {

GType precision_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(clip::Precision::kFp32), "fp32: the method exactly", "fp32"},
      {static_cast<gint>(clip::Precision::kBf16), "bf16 matmuls (CPU with AVX512_BF16 or AMX)",
       "bf16"},
      {static_cast<gint>(clip::Precision::kInt8),
       "int8 linears, dynamically quantized (CPU with VNNI or AMX)", "int8"},
      {static_cast<gint>(clip::Precision::kFp16), "fp16 matmuls (CUDA)", "fp16"},
      {static_cast<gint>(clip::Precision::kAuto),
       "auto: the fastest mode this machine runs within the measured accuracy budget", "auto"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegPrecision", values));
  return type;
}

GType preprocess_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(clip::Preprocess::kClip),
       "clip: METHOD.md's preprocessing (CLIP's normalisation, mean pixel outside the mask)",
       "clip"},
      {static_cast<gint>(clip::Preprocess::kReference),
       "reference: the authors' released code step by step (docs/models.md), for comparing "
       "with the published table",
       "reference"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstRefSegPreprocess", values));
  return type;
}

void install_model_properties(GObjectClass *klass, ModelPropertyIds ids, const char *model_blurb) {
  const auto ready_only = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      klass, ids.model, g_param_spec_string("model", "Model", model_blurb, "", ready_only));
  g_object_class_install_property(
      klass, ids.threads,
      g_param_spec_int("threads", "Threads",
                       "LibTorch threads of the model's worker, 0-1024 (0: as many as the "
                       "cores other processes leave idle, measured over 200 ms and adapted "
                       "between transformer blocks; the first element to load a model sets it)",
                       0, 1024, 0, ready_only));
  g_object_class_install_property(
      klass, ids.device,
      g_param_spec_string("device", "Device",
                          "Where inference runs: cpu, cuda or cuda:N, in any case; gpu and gpu:N "
                          "mean cuda and cuda:N (CUDA needs a LibTorch built with it). Reads back "
                          "as cpu, cuda or cuda:N",
                          "cpu", ready_only));
  g_object_class_install_property(
      klass, ids.precision,
      g_param_spec_enum("precision", "Precision",
                        "Numeric precision of both CLIP towers (accuracy cost of each mode: "
                        "docs/accuracy.md; the elements that share a model must agree to share "
                        "one copy)",
                        precision_get_type(), static_cast<gint>(clip::Precision::kFp32),
                        ready_only));
  g_object_class_install_property(
      klass, ids.preprocess,
      g_param_spec_enum("preprocess", "Preprocess",
                        "How frames, masks (refsegencoder) and expressions (refsegselector) "
                        "become CLIP inputs: clip (METHOD.md) or reference (the authors' released "
                        "code, docs/models.md); encoder and selector should agree",
                        preprocess_get_type(), static_cast<gint>(clip::Preprocess::kClip),
                        ready_only));
}

static std::string string_or(const GValue *value, const char *fallback) {
  const gchar *s = g_value_get_string(value);
  return s ? s : fallback;
}

// "CPU", "Cuda:1", "gpu", "GPU:0": what people type. LibTorch only knows
// lower-case "cpu" and "cuda[:N]"; anything else is left for the start to
// refuse by name.
static std::string normalized_device(const std::string &device) {
  gchar *lower = g_ascii_strdown(device.c_str(), -1);
  std::string d = lower;
  g_free(lower);
  if (d.empty()) return "cpu";
  if (d == "gpu" || d.rfind("gpu:", 0) == 0) d = "cuda" + d.substr(3);
  return d;
}

bool set_model_property(GstElement *element, ModelSettings &settings, ModelPropertyIds ids,
                        guint id, const GValue *value) {
  const bool ours = id == ids.model || id == ids.threads || id == ids.device ||
                    id == ids.precision || id == ids.preprocess;
  if (ours &&
      (GST_STATE(element) > GST_STATE_READY || GST_STATE_PENDING(element) > GST_STATE_READY)) {
    GST_WARNING_OBJECT(
        element,
        "model, threads, device, precision and preprocess can only be changed in the "
        "NULL or READY state: ignored");
    return true;
  }
  if (id == ids.model)
    settings.model = string_or(value, "");
  else if (id == ids.threads)
    settings.threads = g_value_get_int(value);
  else if (id == ids.device)
    settings.device = normalized_device(string_or(value, "cpu"));
  else if (id == ids.precision)
    settings.precision = static_cast<clip::Precision>(g_value_get_enum(value));
  else if (id == ids.preprocess)
    settings.preprocess = static_cast<clip::Preprocess>(g_value_get_enum(value));
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
  else if (id == ids.precision)
    g_value_set_enum(value, static_cast<gint>(settings.precision));
  else if (id == ids.preprocess)
    g_value_set_enum(value, static_cast<gint>(settings.preprocess));
  else
    return false;
  return true;
}

std::string precision_cache_directory() {
  gchar *dir = g_build_filename(g_get_user_cache_dir(), "gst-refseg", nullptr);
  std::string out = dir;
  g_free(dir);
  return out;
}

std::shared_ptr<ClipRuntime> acquire_model(GstElement *element, const ModelSettings &settings,
                                           GstDebugCategory *category) {
  try {
    RuntimeOptions options{settings.threads, settings.device, settings.precision,
                           settings.preprocess};
    options.precision_cache_dir = precision_cache_directory();
    options.background = true;
    auto runtime = acquire_clip_runtime(settings.model, options);
    // Threads and precision are the first loader's when the model is shared.
    GST_CAT_INFO_OBJECT(category, element,
                        "model '%s': file %s, device %s, precision %s%s, preprocess %s, "
                        "threads %d%s, embed dim %d, %d image-tower layers; %s",
                        settings.model.c_str(), runtime->weights_path().c_str(),
                        settings.device.c_str(), clip::precision_name(settings.precision),
                        settings.precision == clip::Precision::kAuto
                            ? " (chosen as the model is built: refseg-model-ready says which)"
                            : "",
                        clip::preprocess_name(settings.preprocess), settings.threads,
                        settings.threads == 0 ? " (the cores other processes leave idle)" : "",
                        runtime->embed_dim(), runtime->layers(),
                        runtime->ready() ? "loaded" : "building on its worker thread");
    const std::string note = runtime->claim_precision_note();
    if (!note.empty())
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("%s", note.c_str()),
                          ("model %s on %s", settings.model.c_str(), settings.device.c_str()));
    return runtime;
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ,
                      ("Could not load CLIP model '%s'", settings.model.c_str()), ("%s", e.what()));
    return nullptr;
  }
}

std::string wait_for_model(GstElement *element, const ModelSettings &settings, ClipRuntime &runtime,
                           GstDebugCategory *category, bool *failed) {
  *failed = false;
  try {
    const std::string report = runtime.load_report();
    GST_CAT_INFO_OBJECT(category, element, "model '%s' ready: precision %s (asked %s); %s; %s",
                        settings.model.c_str(), clip::precision_name(runtime.precision()),
                        clip::precision_name(settings.precision), runtime.matmul_engine().c_str(),
                        report.c_str());
    return report;
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ,
                      ("Could not load CLIP model '%s'", settings.model.c_str()), ("%s", e.what()));
    *failed = true;
    return "";
  }
}

}  // namespace refseg::gst

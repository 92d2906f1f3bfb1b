// The CLIP model properties refsegencoder and refsegselector share (model,
// threads, device, precision, preprocess), and loading the model they name at start(): one
// definition of their ranges, blurbs and error messages.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

#include "runtime/clip_runtime.h"

namespace refseg::gst {

struct ModelSettings {
  std::string model;
  gint threads = 0;
  std::string device = "cpu";
  clip::Precision precision = clip::Precision::kFp32;
  // reference: the encoder prepares frames and masks, the selector
  // expressions, as the authors' released code does (clip/preprocess_mode.h).
  clip::Preprocess preprocess = clip::Preprocess::kClip;
};

// The property ids an element gave the five properties.
struct ModelPropertyIds {
  guint model, threads, device, precision, preprocess;
};

// GstRefSegPrecision: the enum type of the precision property (nicks fp32,
// bf16, int8, fp16, auto; values are clip::Precision's).
GType precision_get_type();
// GstRefSegPreprocess: the enum type of the preprocess property (nicks clip,
// reference; values are clip::Preprocess's).
GType preprocess_get_type();

void install_model_properties(GObjectClass *klass, ModelPropertyIds ids, const char *model_blurb);

// Both return false when `id` is not one of the model properties. The
// model loads at READY->PAUSED: outside NULL and READY a change would
// silently not apply, so set refuses it with a warning (as refsegproposals
// does for its model). Called with the element's object lock held.
bool set_model_property(GstElement *element, ModelSettings &settings, ModelPropertyIds ids,
                        guint id, const GValue *value);
bool get_model_property(const ModelSettings &settings, ModelPropertyIds ids, guint id,
                        GValue *value);

// Reads and checks the model file (or shares the model already loaded)
// and leaves building it and its precision to the model's worker thread
// (RuntimeOptions::background): a start() that returns before the model is
// ready, so a live source is not held back by the load. Logs at INFO in
// `category` (the element's) the model file, device and threads; on failure
// posts an error naming the model and the problem on `element`'s bus and
// returns null. When the precision will be slow on this machine, the first
// element to load the model posts a warning saying why (once per loaded
// model). precision=auto remembers its choice in the user's cache directory
// ($XDG_CACHE_HOME/gst-refseg, see docs/models.md).
std::shared_ptr<ClipRuntime> acquire_model(GstElement *element, const ModelSettings &settings,
                                           GstDebugCategory *category);

// Waits until the model acquire_model returned is ready, logs at INFO its
// precision, matmul engine and where the load's time went, and returns the
// latter (ClipRuntime::load_report); when the load failed, posts an error
// naming the model and the problem and returns "" with *failed set.
std::string wait_for_model(GstElement *element, const ModelSettings &settings, ClipRuntime &runtime,
                           GstDebugCategory *category, bool *failed);

// The directory precision=auto's choices are remembered in:
// g_get_user_cache_dir()/gst-refseg.
std::string precision_cache_directory();

}  // namespace refseg::gst

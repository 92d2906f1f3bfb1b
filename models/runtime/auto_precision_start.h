// How precision=auto starts a model that loads in the background (live
// pipelines): the first analysis must not wait for int8's packing (three
// times bf16's for a ViT-B/32) or for timing every candidate (seconds), so
// the model is built in the mode that is cheapest to prepare and still fast
// on this CPU, and auto settles after the first analysis (as the second
// begins, so the first one's results wait for nothing): it switches to
// the remembered choice, or times the candidates then and remembers the
// fastest (precision_memory.h).
#pragma once

#include <optional>

#include "clip/precision.h"

namespace refseg {

struct AutoPrecisionStart {
  clip::Precision first = clip::Precision::kFp32;  // what the model is built in
  // After the first analysis: switch to this (a remembered choice) ...
  std::optional<clip::Precision> then;
  // ... or time the candidates and take the fastest.
  bool measure_then = false;
  bool settles() const { return then.has_value() || measure_then; }
};

// `remembered`: the choice precision_memory recalls for this model, CPU and
// libraries; nullopt when nothing is remembered and auto must measure.
// Starts in bf16 where the CPU has native bf16, else fp32; a remembered
// choice that is as cheap to prepare is taken at once.
AutoPrecisionStart plan_auto_precision_start(std::optional<clip::Precision> remembered,
                                             const clip::CpuFeatures &cpu);

}  // namespace refseg

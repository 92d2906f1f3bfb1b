// The turns of the live streams that share one model (scheduling/
// stream_turns.h), shared as the loaded models are: one per model file and
// device, held by weak_ptr, freed with its last user. refsegbin takes a
// turn for each frame it analyses, so the streams analysed with one model
// are served in rotation and none starves.
#pragma once

#include <memory>
#include <string>

#include "scheduling/stream_turns.h"

namespace refseg {

// Analyses that may run at once across the streams sharing one model: one
// (an analysis already uses the cores the others leave idle, threads=0;
// on 2 cores, 2 slots analysed no more frames in all than 1 and shared
// them less evenly: docs/benchmarks.md, "Many streams, one model").
constexpr int kSharedAnalysisSlots = 1;

// Locates the model as acquire_clip_runtime does (nothing is loaded) and
// returns its streams' turns. Throws ModelError when there is no such model.
std::shared_ptr<scheduling::StreamTurns> acquire_stream_turns(const std::string &name_or_path,
                                                              const std::string &device);

}  // namespace refseg

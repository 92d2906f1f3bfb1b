#include "runtime/stream_turns_registry.h"

#include <map>
#include <mutex>

#include "runtime/model_locator.h"

namespace refseg {

namespace {

// Part of the guarded model registry (clip_runtime.cpp keeps the loaded
// runtimes): the turns per model file and device, under their own mutex.
std::mutex turns_mutex;
std::map<std::string, std::weak_ptr<scheduling::StreamTurns>> turns_registry;

}  // namespace

std::shared_ptr<scheduling::StreamTurns> acquire_stream_turns(const std::string &name_or_path,
                                                              const std::string &device) {
  const std::string key = locate_clip_model(name_or_path) + "@" + (device.empty() ? "cpu" : device);
  std::lock_guard<std::mutex> lock(turns_mutex);
  if (auto shared = turns_registry[key].lock()) return shared;
  auto turns = std::make_shared<scheduling::StreamTurns>(kSharedAnalysisSlots);
  turns_registry[key] = turns;
  return turns;
}

}  // namespace refseg

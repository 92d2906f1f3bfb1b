// What precision=auto chose, remembered between runs.
//
// auto times the image tower in fp32 and in each low precision the CPU
// allows (clip_runtime.cpp): seconds for a ViT-B/32, paid before the first
// analysis. The answer depends on the model file, the CPU and the
// libraries, so it is kept per (model file, device, CPU, libraries) in one
// JSON file in a directory the caller gives (the elements: the user's cache
// directory, $XDG_CACHE_HOME/gst-refseg or ~/.cache/gst-refseg). A choice
// recorded for another key is never used; a file that cannot be read or
// parsed is ignored with a warning (and replaced at the next store), never
// fatal.
#pragma once

#include <optional>
#include <string>

#include "clip/precision.h"

namespace refseg {

// What a remembered choice must match exactly to be used.
struct PrecisionKey {
  std::string model;      // the model file's absolute path
  std::string content;    // a fingerprint of its content (model_fingerprint())
  std::string device;     // "cpu", "cuda:0"
  std::string cpu;        // the CPU's features (current_cpu())
  std::string libraries;  // LibTorch, the loaded BLAS, this project (current_libraries())
};

struct RememberedPrecision {
  clip::Precision precision = clip::Precision::kFp32;  // never kAuto
  std::string measured;  // what it was chosen on, e.g. "fp32 812 ms, bf16 530 ms"
};

class PrecisionMemory {
 public:
  // `directory` may not exist yet (remember() creates it); empty: nothing
  // is remembered or recalled.
  explicit PrecisionMemory(std::string directory);
  const std::string &file() const { return file_; }  // "" without a directory

  // The choice stored for exactly `key`, or nothing. A damaged file gives
  // nothing and, in *warning, what is wrong with it (naming the file).
  std::optional<RememberedPrecision> recall(const PrecisionKey &key,
                                            std::string *warning = nullptr) const;
  // Stores `choice` for `key` (replacing the one stored for it; the 64 most
  // recent keys are kept), writing a temporary file and renaming it over
  // the old one. False, with *warning, when it cannot be written.
  bool remember(const PrecisionKey &key, const RememberedPrecision &choice,
                std::string *warning = nullptr) const;

 private:
  std::string file_;
};

// A fingerprint of a model archive's content without reading its data:
// the size and the CRC-32 of every record, from its zip directory. Throws
// ModelError naming the file when it cannot be read.
std::string model_fingerprint(const std::string &path);
// The CPU's model name, logical cores and the features precision depends on.
std::string current_cpu();
// LibTorch's version, the BLAS it loaded (and its kernels) and this
// project's version.
std::string current_libraries();

}  // namespace refseg

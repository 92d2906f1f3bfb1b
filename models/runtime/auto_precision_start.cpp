#include "runtime/auto_precision_start.h"

namespace refseg {

AutoPrecisionStart plan_auto_precision_start(std::optional<clip::Precision> remembered,
                                             const clip::CpuFeatures &cpu) {
  AutoPrecisionStart start;
  start.first = cpu.fast_bf16() ? clip::Precision::kBf16 : clip::Precision::kFp32;
  if (!remembered) {
    start.measure_then = true;
  } else if (*remembered == clip::Precision::kInt8) {
    // Only int8 packs slowly (quantising every weight); fp32 and bf16 are
    // ready about as soon as the weights are read.
    start.then = *remembered;
  } else {
    start.first = *remembered;
  }
  return start;
}

}  // namespace refseg

#include "clip/preprocess_mode.h"

#include "common/model_error.h"

namespace refseg::clip {

const char *preprocess_name(Preprocess preprocess) {
  switch (preprocess) {
    case Preprocess::kClip:
      return "clip";
    case Preprocess::kReference:
      return "reference";
  }
  return "?";
}

Preprocess parse_preprocess(const std::string &name) {
  for (Preprocess p : {Preprocess::kClip, Preprocess::kReference})
    if (name == preprocess_name(p)) return p;
  throw ModelError("preprocess '" + name + "': expected clip or reference");
}

}  // namespace refseg::clip

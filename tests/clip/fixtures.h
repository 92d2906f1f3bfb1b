// Paths of the committed CLIP fixtures (scripts/make_clip_fixtures.py) and a
// reader for their parity tensors.
#pragma once

#include <cstdlib>
#include <string>

#include "clip/openai_weights.h"

namespace refseg::clip::fixtures {

inline std::string fixture_path(const std::string &name) {
  const char *dir = std::getenv("REFSEG_CLIP_FIXTURES");
  return (dir ? std::string(dir) : std::string(REFSEG_SOURCE_DIR "/tests/fixtures/clip")) + "/" +
         name;
}

// images, text, image_features, text_features of a fixture, traced in fp32.
inline NamedTensors parity_tensors(const std::string &model) {
  return read_torchscript_tensors(fixture_path(model + "_parity.pt"));
}

}  // namespace refseg::clip::fixtures

// How a frame and its masks become CLIP inputs: `clip` is METHOD.md's text
// (CLIP's normalisation, the mean pixel outside the mask, the mask's own
// box); `reference` reproduces the authors' released code step by step
// (reference_preprocess.h, docs/models.md), the protocol that produced the
// published numbers.
#pragma once

#include <string>

namespace refseg::clip {

enum class Preprocess { kClip, kReference };

// "clip", "reference"; parse throws ModelError naming the accepted values.
const char *preprocess_name(Preprocess preprocess);
Preprocess parse_preprocess(const std::string &name);

}  // namespace refseg::clip

// Where model files live. A model is named by a path or by a name looked up
// in the models directories:
//   $REFSEG_MODELS_DIR (':'-separated), $XDG_DATA_HOME/gst-refseg/models
//   (~/.local/share/gst-refseg/models) and <prefix>/share/gst-refseg/models
//   (where meson install puts refseg-tiny). A build tree is found only
//   through REFSEG_MODELS_DIR (meson devenv sets it).
// OpenAI's names map to their file names: "ViT-B/32" -> "ViT-B-32.pt".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace refseg {

std::vector<std::string> model_directories();

// The .pt archive. Throws ModelError listing where it looked when nothing
// is found.
std::string locate_clip_model(const std::string &name_or_path);

// The BPE vocabulary (gzip merges) for a model's archive. Throws ModelError
// naming the places it looked.
std::string locate_vocabulary(const std::string &weights_path);

// The score threshold calibrated for a model ("x.pt" + "x.threshold": one
// number, the score below which a referent counts as absent; lines starting
// with '#' are comments), or nothing when the model has none. Throws
// ModelError naming the file when it holds anything else.
std::optional<float> read_score_threshold(const std::string &weights_path);

// The score spread calibrated for a model ("x.pt" + "x.spread", the same
// format: one number >= 0, in the units of scores): the typical spread of
// this model's scores over proposals that do and do not match a
// description. The spatial resolver never reads a frame's scores as less
// spread out than this (SpatialSettings::spread_floor): in a frame where
// every proposal matches, the noise between them is not taken for a
// difference between a match and a miss. Nothing when the model has none; throws ModelError naming
// the file when it holds anything else.
std::optional<float> read_score_spread(const std::string &weights_path);

}  // namespace refseg

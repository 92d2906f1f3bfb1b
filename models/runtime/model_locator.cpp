#include "runtime/model_locator.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/model_error.h"
#include "runtime/model_names.h"

namespace fs = std::filesystem;

namespace refseg {

namespace {

const char *kOpenAiVocabulary = "bpe_simple_vocab_16e6.txt.gz";

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

bool is_file(const fs::path &p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// "ViT-B/32" -> "ViT-B-32.pt"; names that already are file names stay.
std::string file_name_for(const std::string &name) {
  std::string file = name;
  for (char &c : file)
    if (c == '/') c = '-';
  if (fs::path(file).extension() != ".pt") file += ".pt";
  return file;
}

}  // namespace

// A model may carry its own vocabulary beside it ("x.pt" + "x.vocab.txt.gz");
// OpenAI's models share OpenAI's vocabulary.
std::string locate_vocabulary(const std::string &weights_path) {
  const fs::path weights(weights_path);
  const fs::path own = weights.parent_path() / (weights.stem().string() + ".vocab.txt.gz");
  if (is_file(own)) return own.string();
  if (is_file(weights.parent_path() / kOpenAiVocabulary))
    return (weights.parent_path() / kOpenAiVocabulary).string();
  for (const std::string &dir : model_directories())
    if (is_file(fs::path(dir) / kOpenAiVocabulary))
      return (fs::path(dir) / kOpenAiVocabulary).string();
  const std::string from_env = env("REFSEG_CLIP_VOCAB");
  if (!from_env.empty() && is_file(from_env)) return from_env;
  throw ModelError("no BPE vocabulary for " + weights.string() + ": expected " + own.string() +
                   " or " + kOpenAiVocabulary +
                   " in a models directory (gst-refseg-download vocab fetches it)");
}

std::vector<std::string> model_directories() {
  std::vector<std::string> dirs;
  std::stringstream list(env("REFSEG_MODELS_DIR"));
  for (std::string dir; std::getline(list, dir, ':');)
    if (!dir.empty()) dirs.push_back(dir);
  const std::string data_home = env("XDG_DATA_HOME");
  const std::string home = env("HOME");
  if (!data_home.empty())
    dirs.push_back(data_home + "/gst-refseg/models");
  else if (!home.empty())
    dirs.push_back(home + "/.local/share/gst-refseg/models");
  // The installed data directory. A build tree's models/pretrained is
  // never compiled in: uninstalled runs put it on REFSEG_MODELS_DIR
  // (meson devenv, the tests, scripts/demo.sh).
  dirs.push_back(std::string(REFSEG_DATADIR) + "/models");
  return dirs;
}

std::string locate_clip_model(const std::string &name_or_path) {
  if (name_or_path.empty())
    throw ModelError("no model given: set the model property to a name or a path");
  if (is_file(name_or_path)) return name_or_path;
  const bool looks_like_path =
      name_or_path.find(".pt") != std::string::npos && name_or_path.find('/') != std::string::npos;
  if (looks_like_path) throw ModelError("model file " + name_or_path + " does not exist");
  std::string searched;
  const std::vector<std::string> directories = model_directories();
  for (const std::string &dir : directories) {
    const fs::path candidate = fs::path(dir) / file_name_for(name_or_path);
    if (is_file(candidate)) return candidate.string();
    searched += "\n  " + candidate.string();
  }
  throw ModelError("model '" + name_or_path + "' not found; looked for:" + searched +
                   model_not_found_hint(name_or_path, directories));
}

}  // namespace refseg

namespace refseg {

namespace {

// One number in [low, high] from "x<suffix>" beside "x.pt" (lines starting
// with '#' are comments), or nothing when there is no such file.
std::optional<float> read_calibration(const std::string &weights_path, const char *suffix,
                                      const char *what, float low, float high) {
  const fs::path weights(weights_path);
  const fs::path file = weights.parent_path() / (weights.stem().string() + suffix);
  if (!is_file(file)) return std::nullopt;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    char *end = nullptr;
    const float value = std::strtof(line.c_str() + start, &end);
    const std::string rest = end ? std::string(end) : std::string();
    if (end == line.c_str() + start || rest.find_first_not_of(" \t\r") != std::string::npos ||
        !(value >= low && value <= high)) {
      std::ostringstream range;
      range << low << " and " << high;
      throw ModelError(file.string() + ": expected one " + what + " between " + range.str() +
                       ", found '" + line + "'");
    }
    return value;
  }
  throw ModelError(file.string() + ": no " + what + " in the file");
}

}  // namespace

std::optional<float> read_score_threshold(const std::string &weights_path) {
  return read_calibration(weights_path, ".threshold", "score", -100.f, 100.f);
}

std::optional<float> read_score_spread(const std::string &weights_path) {
  return read_calibration(weights_path, ".spread", "score spread", 0.f, 200.f);
}

}  // namespace refseg

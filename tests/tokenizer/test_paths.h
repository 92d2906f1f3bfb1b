// Where the tests find OpenAI's vocabulary and the expected ids. These files
// are OpenAI's and never committed, so a plain clone has none; they are
// looked for, in order:
//   the vocabulary: $REFSEG_CLIP_VOCAB, ../shared/clip/ beside the source
//     tree (CI; $REFSEG_SHARED_DIR/clip when set), then the models
//     directories a download fills ($REFSEG_MODELS_DIR, then
//     $XDG_DATA_HOME or ~/.local/share, /gst-refseg/models);
//   the expected ids: $REFSEG_CLIP_TOKENIZER_CASES, then ../shared/clip/.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace refseg_test {

inline bool have_file(const std::string &path) {
  return std::ifstream(path).good();
}

// ../shared/clip/ beside the source tree; $REFSEG_SHARED_DIR stands for
// ../shared (tests/scripts/test_plain_clone.sh points it nowhere).
inline std::string shared_clip_dir() {
  const char *shared = std::getenv("REFSEG_SHARED_DIR");
  return (shared ? std::string(shared) : std::string(REFSEG_SOURCE_DIR "/../shared")) + "/clip";
}

// Every place the vocabulary may be, in the order they are tried.
inline std::vector<std::string> clip_vocab_candidates() {
  const std::string file = "bpe_simple_vocab_16e6.txt.gz";
  std::vector<std::string> paths;
  if (const char *env = std::getenv("REFSEG_CLIP_VOCAB")) paths.push_back(env);
  paths.push_back(shared_clip_dir() + "/" + file);
  if (const char *dirs = std::getenv("REFSEG_MODELS_DIR")) {
    std::stringstream list(dirs);
    for (std::string dir; std::getline(list, dir, ':');)
      if (!dir.empty()) paths.push_back(dir + "/" + file);
  }
  const char *data_home = std::getenv("XDG_DATA_HOME");
  const char *home = std::getenv("HOME");
  if (data_home && *data_home)
    paths.push_back(std::string(data_home) + "/gst-refseg/models/" + file);
  else if (home && *home)
    paths.push_back(std::string(home) + "/.local/share/gst-refseg/models/" + file);
  return paths;
}

// The first candidate that exists, else the first one (for messages).
inline std::string clip_vocab_path() {
  const std::vector<std::string> candidates = clip_vocab_candidates();
  for (const std::string &path : candidates)
    if (have_file(path)) return path;
  return candidates.front();
}

inline std::string tokenizer_cases_path() {
  if (const char *env = std::getenv("REFSEG_CLIP_TOKENIZER_CASES")) return env;
  return shared_clip_dir() + "/tokenizer_cases.json";
}

// What a skipped test says: the file, where it was looked for, how to
// provide it.
inline std::string missing_openai_file(const std::string &what,
                                       const std::vector<std::string> &looked_in) {
  std::string message = "OpenAI's " + what + " is not here (never committed); looked for:";
  for (const std::string &path : looked_in) message += "\n  " + path;
  message +=
      "\nput OpenAI's files in ../shared/clip/, run gst-refseg-download vocab, or set "
      "REFSEG_CLIP_VOCAB / REFSEG_CLIP_TOKENIZER_CASES to run it";
  return message;
}

}  // namespace refseg_test

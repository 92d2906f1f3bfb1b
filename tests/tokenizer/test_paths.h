// Where the tests find OpenAI's vocabulary and the expected ids: the shared
// directory next to the source tree (never committed), or the environment.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace refseg_test {

inline std::string clip_vocab_path() {
  if (const char *env = std::getenv("REFSEG_CLIP_VOCAB")) return env;
  return REFSEG_SOURCE_DIR "/../shared/clip/bpe_simple_vocab_16e6.txt.gz";
}

// OpenAI's files cannot be committed, so a plain clone has none: the tests
// that compare with them are skipped there, saying so (CI and developers
// have ../shared/clip/, where they run).
inline bool have_file(const std::string &path) { return std::ifstream(path).good(); }
inline std::string missing_openai_file(const std::string &path) {
  return "OpenAI's file " + path +
         " is not here (never committed): put it in ../shared/clip/ or set "
         "REFSEG_CLIP_VOCAB / REFSEG_CLIP_TOKENIZER_CASES to run this test";
}

inline std::string tokenizer_cases_path() {
  if (const char *env = std::getenv("REFSEG_CLIP_TOKENIZER_CASES")) return env;
  return REFSEG_SOURCE_DIR "/../shared/clip/tokenizer_cases.json";
}

}  // namespace refseg_test

// Where the tests find OpenAI's vocabulary and the expected ids: the shared
// directory next to the source tree (never committed), or the environment.
#pragma once

#include <cstdlib>
#include <string>

namespace refseg_test {

inline std::string clip_vocab_path() {
  if (const char *env = std::getenv("REFSEG_CLIP_VOCAB")) return env;
  return REFSEG_SOURCE_DIR "/../shared/clip/bpe_simple_vocab_16e6.txt.gz";
}

inline std::string tokenizer_cases_path() {
  if (const char *env = std::getenv("REFSEG_CLIP_TOKENIZER_CASES")) return env;
  return REFSEG_SOURCE_DIR "/../shared/clip/tokenizer_cases.json";
}

}  // namespace refseg_test

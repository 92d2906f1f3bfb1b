// libFuzzer target: CLIP's BPE tokenizer on arbitrary bytes (the bundled
// refseg-tiny vocabulary). Properties: every id is inside the vocabulary;
// tokenize() is SOT, the first 75 ids of encode(), EOT, then zero padding,
// 77 in all; decoding the ids never throws. (A literal "<|endoftext|>" in
// the text is the EOT id, as in OpenAI's tokenizer.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tokenizer/bpe_tokenizer.h"

namespace {
const refseg::BpeTokenizer &tokenizer() {
  static const refseg::BpeTokenizer t = refseg::BpeTokenizer::from_file(REFSEG_FUZZ_VOCAB);
  return t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  const refseg::BpeTokenizer &t = tokenizer();
  const std::vector<int> ids = t.encode(text);
  for (int id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= t.vocab_size()) __builtin_trap();
  const std::vector<int64_t> tokens = t.tokenize(text, 77);
  const std::size_t n = std::min<std::size_t>(ids.size(), 75);
  if (tokens.size() != 77 || tokens[0] != t.sot() || tokens[1 + n] != t.eot()) __builtin_trap();
  for (std::size_t i = 0; i < n; ++i)
    if (tokens[1 + i] != ids[i]) __builtin_trap();
  for (std::size_t i = 2 + n; i < tokens.size(); ++i)
    if (tokens[i] != 0) __builtin_trap();
  (void)t.decode(ids);  // throws only for ids outside the vocabulary
  return 0;
}

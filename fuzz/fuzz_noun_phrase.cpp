// libFuzzer target: the target noun phrase of arbitrary bytes, through the
// extractor the phrase resolver's worker uses. Properties documented in
// language/noun_phrase.h: never throws, "" exactly for blank input (NUL
// counts as whitespace), otherwise a substring of the normalized expression.
// Slow inputs are what -timeout reports (docs/benchmarks.md has the worst
// measured; tools/bench_phrases measures a file of them).
#include <cstddef>
#include <cstdint>
#include <string>

#include "language/expression_text.h"
#include "language/noun_phrase.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static const refseg::NounPhraseExtractor extractor;
  const std::string text(reinterpret_cast<const char *>(data), size);
  const std::string phrase = extractor.target_phrase(text);
  const std::string normalized = refseg::normalize_expression(text);
  if (normalized.empty() != phrase.empty()) __builtin_trap();
  if (normalized.find(phrase) == std::string::npos) __builtin_trap();
  return 0;
}

#include "language/noun_phrase.h"

#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "language/expression_text.h"
#include "language/heuristic_noun_phrase.h"
#ifdef REFSEG_HAVE_LINK_GRAMMAR
#include "language/link_grammar_phrase.h"
#endif

namespace refseg {

namespace {
// Expressions longer than this never reach the parser (a RefCOCOg expression
// is under 100 words; 10 kB of text would only burn parse time).
constexpr std::size_t kMaxParsedBytes = 1000;
// Bound on cached expressions; the cache is dropped when it fills (an
// element sees a handful of distinct expressions, a test corpus a few hundred).
constexpr std::size_t kMaxCached = 4096;

// ASCII letters lower-cased, every other byte kept: the offsets stay those
// of the original, so a span found in the copy is a span of the original.
std::string ascii_lower(const std::string &text) {
  std::string out = text;
  for (char &c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

struct NounPhraseExtractor::Impl {
  std::mutex mutex;  // guards the parser (not reentrant) and the cache
#ifdef REFSEG_HAVE_LINK_GRAMMAR
  std::unique_ptr<LinkGrammarPhraseFinder> parser;
#endif
  std::unordered_map<std::string, PhraseSpan> cache;  // by lower-cased expression

  // Decided on the lower-cased expression: the English dictionary reads a
  // capitalised word as a proper name and "MAN IN THE RED SHIRT" as one,
  // where the authors' code lower-cases before parsing. Never empty for a
  // non-blank expression: a text of control characters and letters
  // (fuzzer: "Mb\t\0\0\0\x03") can leave the parser and the word list with
  // no word; the whole expression is then the phrase.
  PhraseSpan compute(const std::string &lowered) {
    const PhraseSpan whole{0, lowered.size()};
    const std::vector<WordSpan> words = split_words(lowered);
    if (opens_with_location_premodifiers(words)) return heuristic_noun_phrase_span(lowered);
#ifdef REFSEG_HAVE_LINK_GRAMMAR
    if (parser && lowered.size() <= kMaxParsedBytes && is_valid_utf8(lowered)) {
      const std::optional<PhraseSpan> span = parser->find(lowered);
      if (span && span->size > 0) return *span;
    }
#endif
    const PhraseSpan span = heuristic_noun_phrase_span(lowered);
    return span.size == 0 ? whole : span;
  }
};

NounPhraseExtractor::NounPhraseExtractor() : impl_(std::make_unique<Impl>()) {
#ifdef REFSEG_HAVE_LINK_GRAMMAR
  try {
    impl_->parser = LinkGrammarPhraseFinder::create();
  } catch (...) {
    impl_->parser.reset();  // out of memory while loading: fall back, never throw
  }
#endif
}

NounPhraseExtractor::~NounPhraseExtractor() = default;

bool NounPhraseExtractor::has_parser() const {
#ifdef REFSEG_HAVE_LINK_GRAMMAR
  return impl_->parser != nullptr;
#else
  return false;
#endif
}

std::string NounPhraseExtractor::target_phrase(const std::string &expression) const {
  try {
    const std::string normalized = normalize_expression(expression);
    if (normalized.empty()) return "";
    const std::string lowered = ascii_lower(normalized);
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto hit = impl_->cache.find(lowered);
    if (hit == impl_->cache.end()) {
      if (impl_->cache.size() >= kMaxCached) impl_->cache.clear();
      hit = impl_->cache.emplace(lowered, impl_->compute(lowered)).first;
    }
    return normalized.substr(hit->second.begin, hit->second.size);
  } catch (...) {
    // Only allocation can fail here; the whole expression is the documented
    // last resort of the paper's rule.
    return expression;
  }
}

}  // namespace refseg

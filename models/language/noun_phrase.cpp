#include "language/noun_phrase.h"

#include <mutex>
#include <unordered_map>

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
}  // namespace

struct NounPhraseExtractor::Impl {
  std::mutex mutex;  // guards the parser (not reentrant) and the cache
#ifdef REFSEG_HAVE_LINK_GRAMMAR
  std::unique_ptr<LinkGrammarPhraseFinder> parser;
#endif
  std::unordered_map<std::string, std::string> cache;

  // Never "" for a non-blank expression: a text of control characters and
  // letters (fuzzer: "Mb\t\0\0\0\x03") can leave the parser and the
  // word list with no word; the whole expression is then the phrase.
  std::string compute(const std::string &normalized) {
#ifdef REFSEG_HAVE_LINK_GRAMMAR
    if (parser && normalized.size() <= kMaxParsedBytes && is_valid_utf8(normalized)) {
      auto phrase = parser->find(normalized);
      if (phrase && !phrase->empty()) return *phrase;
    }
#endif
    std::string phrase = heuristic_noun_phrase(normalized);
    return phrase.empty() ? normalized : phrase;
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
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto hit = impl_->cache.find(normalized);
    if (hit != impl_->cache.end()) return hit->second;
    std::string phrase = impl_->compute(normalized);
    if (impl_->cache.size() >= kMaxCached) impl_->cache.clear();
    impl_->cache.emplace(normalized, phrase);
    return phrase;
  } catch (...) {
    // Only allocation can fail here; the whole expression is the documented
    // last resort of the paper's rule.
    return expression;
  }
}

}  // namespace refseg

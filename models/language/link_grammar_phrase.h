// Target noun phrase from link-grammar's parse of the expression placed in a
// carrier sentence. Compiled only when link-grammar is found; not thread-safe
// (NounPhraseExtractor serialises calls).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "language/heuristic_noun_phrase.h"

namespace refseg {

class LinkGrammarPhraseFinder {
 public:
  // nullptr when the English dictionary cannot be loaded. Prints nothing.
  static std::unique_ptr<LinkGrammarPhraseFinder> create();
  ~LinkGrammarPhraseFinder();
  LinkGrammarPhraseFinder(const LinkGrammarPhraseFinder &) = delete;
  LinkGrammarPhraseFinder &operator=(const LinkGrammarPhraseFinder &) = delete;

  // `normalized` comes from normalize_expression() and is valid UTF-8
  // (NounPhraseExtractor passes it lower-cased: the English dictionary
  // reads capitalised words as proper names). The result is a span of it;
  // nullopt when no parse names a head noun.
  std::optional<PhraseSpan> find(const std::string &normalized);

 private:
  struct Handles;
  explicit LinkGrammarPhraseFinder(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

}  // namespace refseg

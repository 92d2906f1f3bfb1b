// The target noun phrase of a referring expression (docs/method.md, text feature
// t_l): the base noun chunk that holds the head of the expression, e.g.
// "man in the red shirt on the left" -> "man", "left guy" -> "left guy",
// "the man in black" -> "the man" (the chunk keeps its determiner, as the
// paper's spaCy noun chunks do).
#pragma once

#include <memory>
#include <string>

namespace refseg {

class NounPhraseExtractor {
 public:
  // Loads link-grammar's English dictionary when the library was built with
  // it. A missing dictionary never throws: has_parser() is then false and
  // target_phrase() uses the word-list heuristic (heuristic_noun_phrase.h).
  NounPhraseExtractor();
  ~NounPhraseExtractor();
  NounPhraseExtractor(const NounPhraseExtractor &) = delete;
  NounPhraseExtractor &operator=(const NounPhraseExtractor &) = delete;

  // Never throws and never prints. Thread-safe; results are cached per
  // expression. Empty or whitespace-only input gives ""; NUL bytes count as
  // whitespace (the parser never sees one). The phrase does not depend on
  // letter case: it is decided on an ASCII-lower-cased copy (as the authors'
  // code lower-cases before parsing; other letters are kept) and returned as
  // written, a substring of the expression with whitespace collapsed
  // ("The Man In Black" -> "The Man"); input that is not
  // valid UTF-8 or is too costly to parse (over 40 words or 8 ASCII
  // punctuation marks, link_grammar_phrase.cpp) goes through the heuristic
  // instead. A parse can still take a second or more: a thread that must
  // not wait (a video element's) asks a PhraseResolver instead.
  std::string target_phrase(const std::string &expression) const;

  bool has_parser() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace refseg

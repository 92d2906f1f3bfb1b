// Target noun phrases resolved off the caller's thread, with a bound on how
// long an expression can wait for one. Built for a video element: a frame
// must never wait on a parse (a pathological text can keep link-grammar busy
// for seconds, whatever its own time limit says), so the caller asks, gets
// "not ready yet" and uses the sentence feature alone, and asks again with
// the next frame.
//
// One worker thread per resolver owns a NounPhraseExtractor (loaded on that
// thread at the first request, so creating a resolver costs nothing) and
// parses the requested expressions, newest first. Once an expression has
// waited `budget` since it was first requested, the word-list heuristic
// (heuristic_noun_phrase.h) answers it provisionally on the caller's thread
// (linear in the text, no parser); the parser's answer replaces it when the
// worker gets to it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace refseg {

struct PhraseResolverOptions {
  // How long an expression may go without a phrase before the heuristic
  // answers (0: at once, whenever the worker has not answered yet).
  std::chrono::milliseconds budget{1000};
  // Requests waiting for the worker beyond this many are forgotten, oldest
  // first (a text storm); asked again, they are requested again.
  std::size_t max_pending = 64;
  // What the worker runs for each expression instead of a
  // NounPhraseExtractor (for tests: a finder that blocks until released
  // stands for a parse that takes forever). Empty: the extractor.
  std::function<std::string(const std::string &)> finder;
};

struct ResolvedPhrase {
  std::string phrase;  // NounPhraseExtractor::target_phrase's answer (or the heuristic's)
  // The budget ran out before the worker answered: the heuristic's phrase,
  // until the parser's answer replaces it.
  bool provisional = false;
};

class PhraseResolver {
 public:
  explicit PhraseResolver(PhraseResolverOptions options = {});
  // Never waits for a parse in progress: a busy worker is left to finish it
  // on its own and then exits.
  ~PhraseResolver();
  PhraseResolver(const PhraseResolver &) = delete;
  PhraseResolver &operator=(const PhraseResolver &) = delete;

  // Starts resolving `expression` (nothing when it is already known).
  // Never blocks on a parse; never throws.
  void request(const std::string &expression);

  // The phrase when there is one: the worker's, or the heuristic's once the
  // budget is spent. nullopt: not yet (the expression is requested if it
  // was not). Never blocks on a parse; never throws. Blank expressions (NUL
  // bytes count as whitespace) resolve at once to "".
  std::optional<ResolvedPhrase> try_get(const std::string &expression);

  // As try_get, waiting up to `timeout` for an answer; with `final_only`
  // a provisional answer does not count (only the worker's does). For
  // programs and tests that have a thread to spare.
  std::optional<ResolvedPhrase> wait(const std::string &expression,
                                     std::chrono::milliseconds timeout, bool final_only = false);

  // Whether the worker's extractor has link-grammar (waits for it to load;
  // starts the worker if needed).
  bool has_parser();

  const PhraseResolverOptions &options() const { return options_; }

 private:
  struct Shared;
  PhraseResolverOptions options_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace refseg

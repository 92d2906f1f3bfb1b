#include "language/phrase_resolver.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "language/expression_text.h"
#include "language/heuristic_noun_phrase.h"
#include "language/noun_phrase.h"

namespace refseg {

namespace {

using Clock = std::chrono::steady_clock;

// Bound on remembered expressions; answered ones are forgotten when it
// fills (an element sees a handful, a text storm a few thousand).
constexpr std::size_t kMaxEntries = 1024;

// What NounPhraseExtractor answers without a parser.
std::string heuristic_phrase(const std::string &expression) {
  const std::string normalized = normalize_expression(expression);
  return normalized.empty() ? "" : heuristic_noun_phrase(normalized);
}

}  // namespace

struct PhraseResolver::Shared {
  struct Entry {
    Clock::time_point requested;
    std::optional<std::string> phrase;
    bool provisional = false;
  };

  explicit Shared(PhraseResolverOptions o) : options(std::move(o)) {}

  const PhraseResolverOptions options;
  std::mutex mutex;
  std::condition_variable changed;  // an answer, the extractor loaded, a request, stop
  std::unordered_map<std::string, Entry> entries;
  std::deque<std::string> queue;  // newest first
  std::thread worker;             // started at the first request
  bool loaded = false;            // the worker's extractor exists (or failed to)
  bool parser = false;            // ... and has link-grammar
  bool busy = false;              // the worker is loading or parsing
  bool stop = false;

  // The entry of `expression`, requested now when it is new. Called with
  // `mutex` held.
  Entry &entry_locked(const std::string &expression, const std::shared_ptr<Shared> &self) {
    auto it = entries.find(expression);
    if (it != entries.end()) return it->second;
    if (entries.size() >= kMaxEntries) {
      for (auto e = entries.begin(); e != entries.end();)
        e = e->second.phrase ? entries.erase(e) : std::next(e);
    }
    Entry &entry = entries[expression];
    entry.requested = Clock::now();
    if (normalize_expression(expression).empty()) {
      entry.phrase = "";  // blank: nothing to parse
      return entry;
    }
    queue.push_front(expression);
    while (queue.size() > std::max<std::size_t>(options.max_pending, 1)) {
      const auto old = entries.find(queue.back());
      if (old != entries.end() && !old->second.phrase) entries.erase(old);
      queue.pop_back();
    }
    start_locked(self);
    changed.notify_all();
    return entry;
  }

  void start_locked(const std::shared_ptr<Shared> &self) {
    if (worker.joinable() || stop) return;
    try {
      busy = true;
      worker = std::thread(run, self);
    } catch (...) {
      // No thread: the budget's heuristic answers every expression.
      busy = false;
      loaded = true;
    }
  }

  // Called with `mutex` held: the heuristic answers an expression that has
  // waited its budget.
  bool budget_spent_locked(Entry &entry, const std::string &expression) {
    if (entry.phrase || Clock::now() - entry.requested < options.budget) return false;
    entry.phrase = heuristic_phrase(expression);
    entry.provisional = true;
    return true;
  }

  static void run(std::shared_ptr<Shared> s) {
    std::unique_ptr<NounPhraseExtractor> extractor;
    try {
      if (!s->options.finder) extractor = std::make_unique<NounPhraseExtractor>();
    } catch (...) {
      // Out of memory while loading: the heuristic answers below.
    }
    std::unique_lock<std::mutex> lock(s->mutex);
    s->loaded = true;
    s->parser = extractor && extractor->has_parser();
    s->busy = false;
    s->changed.notify_all();
    for (;;) {
      s->changed.wait(lock, [&] { return s->stop || !s->queue.empty(); });
      if (s->stop) return;
      const std::string expression = std::move(s->queue.front());
      s->queue.pop_front();
      s->busy = true;
      lock.unlock();
      std::string phrase;
      try {
        if (s->options.finder)
          phrase = s->options.finder(expression);
        else
          phrase = extractor ? extractor->target_phrase(expression) : heuristic_phrase(expression);
      } catch (...) {
        phrase = expression;  // only allocation can fail: the paper's last resort
      }
      lock.lock();
      s->busy = false;
      const auto it = s->entries.find(expression);
      if (it != s->entries.end()) {
        it->second.phrase = std::move(phrase);
        it->second.provisional = false;
      }
      s->changed.notify_all();
    }
  }
};

PhraseResolver::PhraseResolver(PhraseResolverOptions options)
    : options_(options), shared_(std::make_shared<Shared>(options)) {}

PhraseResolver::~PhraseResolver() {
  bool join = false;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stop = true;
    shared_->changed.notify_all();
    if (shared_->worker.joinable()) {
      // A worker in a parse holds its own reference to the shared state and
      // exits when the parse ends; an idle one exits at once.
      if (shared_->busy)
        shared_->worker.detach();
      else
        join = true;
    }
  }
  if (join) shared_->worker.join();
}

void PhraseResolver::request(const std::string &expression) {
  try {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->entry_locked(expression, shared_);
  } catch (...) {
    // Out of memory: try_get asks again.
  }
}

std::optional<ResolvedPhrase> PhraseResolver::try_get(const std::string &expression) {
  try {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    Shared::Entry &entry = shared_->entry_locked(expression, shared_);
    shared_->budget_spent_locked(entry, expression);
    if (!entry.phrase) return std::nullopt;
    return ResolvedPhrase{*entry.phrase, entry.provisional};
  } catch (...) {
    return std::nullopt;  // out of memory: the sentence alone
  }
}

std::optional<ResolvedPhrase> PhraseResolver::wait(const std::string &expression,
                                                   std::chrono::milliseconds timeout,
                                                   bool final_only) {
  const Clock::time_point end = Clock::now() + timeout;
  std::unique_lock<std::mutex> lock(shared_->mutex);
  for (;;) {
    Shared::Entry &entry = shared_->entry_locked(expression, shared_);
    if (!final_only) shared_->budget_spent_locked(entry, expression);
    if (entry.phrase && (!final_only || !entry.provisional))
      return ResolvedPhrase{*entry.phrase, entry.provisional};
    if (Clock::now() >= end) return std::nullopt;
    Clock::time_point until = end;
    if (!final_only) until = std::min(end, entry.requested + options_.budget);
    shared_->changed.wait_until(lock, until);
  }
}

bool PhraseResolver::has_parser() {
  std::unique_lock<std::mutex> lock(shared_->mutex);
  shared_->start_locked(shared_);
  shared_->changed.wait(lock, [&] { return shared_->loaded; });
  return shared_->parser;
}

}  // namespace refseg

// PhraseResolver: target noun phrases resolved on a worker thread, the
// heuristic answering once an expression's budget is spent. No assertion
// here is about time: waits have generous timeouts, and what is asserted is
// that an answer arrives and what it is.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "language/expression_text.h"
#include "language/heuristic_noun_phrase.h"
#include "language/noun_phrase.h"
#include "language/phrase_resolver.h"

namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Six runs of 16 dots and "the zebra": 111 bytes that kept link-grammar
// busy for ~35 s on the streaming thread (issue 13).
std::string dots_text() {
  std::string text;
  for (int i = 0; i < 6; ++i) text += "................ ";
  return text + "the zebra";
}

// Long enough for any answer on a loaded machine; the tests never depend on
// how long an answer takes, only on one arriving.
constexpr auto kPatience = std::chrono::milliseconds(120s);

refseg::PhraseResolverOptions with_budget(std::chrono::milliseconds budget) {
  refseg::PhraseResolverOptions options;
  options.budget = budget;
  return options;
}

// A finder that stops in the worker until opened: a parse that takes as
// long as a test wants.
class Gate {
 public:
  std::string find(const std::string &expression) {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return "parsed " + expression;
  }
  // Waits until the worker is inside find() `n` times in all.
  bool wait_entered(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return entered_ >= n; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
};

refseg::PhraseResolverOptions gated(const std::shared_ptr<Gate> &gate,
                                    std::chrono::milliseconds budget) {
  refseg::PhraseResolverOptions options = with_budget(budget);
  options.finder = [gate](const std::string &e) { return gate->find(e); };
  return options;
}

const refseg::NounPhraseExtractor &direct_extractor() {
  static const refseg::NounPhraseExtractor extractor;
  return extractor;
}

}  // namespace

TEST(PhraseResolver, AnswersAsTheExtractorDoes) {
  // A budget no parse reaches: every answer is the worker's.
  refseg::PhraseResolver resolver(with_budget(std::chrono::milliseconds(600s)));
  const std::vector<std::string> expressions = {
      "man in the red shirt on the left",
      "left guy",
      "white shirt",
      "the man in black",
      "woman holding umbrella",
      "the smallest elephant",
  };
  for (const std::string &e : expressions) resolver.request(e);
  for (const std::string &e : expressions) {
    const auto got = resolver.wait(e, kPatience);
    ASSERT_TRUE(got.has_value()) << e;
    EXPECT_FALSE(got->provisional) << e;
    EXPECT_EQ(got->phrase, direct_extractor().target_phrase(e)) << e;
  }
  EXPECT_EQ(resolver.has_parser(), direct_extractor().has_parser());
}

TEST(PhraseResolver, NotReadyUntilTheWorkerAnswers) {
  refseg::PhraseResolver resolver(with_budget(std::chrono::milliseconds(600s)));
  // try_get never waits: it requests, and answers when the worker has.
  std::optional<refseg::ResolvedPhrase> got = resolver.try_get("man in the red shirt on the left");
  if (!got) got = resolver.wait("man in the red shirt on the left", kPatience);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->phrase, "man");
  // Once answered, try_get has it.
  got = resolver.try_get("man in the red shirt on the left");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->phrase, "man");
}

TEST(PhraseResolver, SpentBudgetGivesTheHeuristicThenTheParse) {
  // Budget 0: an expression the worker has not answered gets the heuristic
  // at once. The worker cannot have answered within the call that
  // requested it, so the first answer is provisional.
  refseg::PhraseResolver resolver(with_budget(0ms));
  const std::string expression = "the smallest elephant";
  const auto first = resolver.try_get(expression);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->provisional);
  EXPECT_EQ(first->phrase, refseg::heuristic_noun_phrase(refseg::normalize_expression(expression)));
  // The worker's answer replaces it.
  const auto final_answer = resolver.wait(expression, kPatience, /*final_only=*/true);
  ASSERT_TRUE(final_answer.has_value());
  EXPECT_FALSE(final_answer->provisional);
  EXPECT_EQ(final_answer->phrase, direct_extractor().target_phrase(expression));
  const auto later = resolver.try_get(expression);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->phrase, final_answer->phrase);
  EXPECT_FALSE(later->provisional);
}

TEST(PhraseResolver, AStuckWorkerNeverBlocksTheCaller) {
  // The worker is inside a "parse" that does not end until the gate opens;
  // the caller keeps getting answers (not yet) instead of waiting.
  auto gate = std::make_shared<Gate>();
  refseg::PhraseResolver resolver(gated(gate, std::chrono::milliseconds(600s)));
  resolver.request("the first text");
  ASSERT_TRUE(gate->wait_entered(1));
  for (int frame = 0; frame < 100; ++frame) {
    EXPECT_FALSE(resolver.try_get("the first text").has_value());
    EXPECT_FALSE(resolver.try_get("the second text").has_value());
  }
  gate->open();
  const auto first = resolver.wait("the first text", kPatience, /*final_only=*/true);
  const auto second = resolver.wait("the second text", kPatience, /*final_only=*/true);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->phrase, "parsed the first text");
  EXPECT_EQ(second->phrase, "parsed the second text");
}

TEST(PhraseResolver, SpentBudgetAnswersWhileTheWorkerIsStuck) {
  auto gate = std::make_shared<Gate>();
  {
    refseg::PhraseResolver resolver(gated(gate, 0ms));
    resolver.request("man in the red shirt");
    ASSERT_TRUE(gate->wait_entered(1));
    // Budget spent, worker stuck: the heuristic answers, provisionally.
    const auto stuck = resolver.try_get("man in the red shirt");
    ASSERT_TRUE(stuck.has_value());
    EXPECT_TRUE(stuck->provisional);
    EXPECT_EQ(stuck->phrase, "man");
    const auto queued = resolver.try_get("left guy in blue");
    ASSERT_TRUE(queued.has_value());
    EXPECT_TRUE(queued->provisional);
    EXPECT_EQ(queued->phrase, "left guy");
    // Destroyed with the worker still inside its parse: no waiting here.
  }
  // Released, the detached worker finishes and frees its state (the last
  // other owner of the gate is the finder it holds).
  gate->open();
  for (int i = 0; gate.use_count() > 1; ++i) {
    ASSERT_LT(i, 120000) << "the worker did not exit after its parse";
    std::this_thread::sleep_for(1ms);
  }
}

TEST(PhraseResolver, DotsTextResolvesAndOthersAreAnsweredMeanwhile) {
  refseg::PhraseResolver resolver(with_budget(200ms));
  const std::string dots = dots_text();
  resolver.request(dots);
  // Whatever the worker is doing with the dots, an answer arrives: the
  // parser's, or the heuristic's once the budget is spent.
  const auto got = resolver.wait(dots, kPatience);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->phrase.empty());
  EXPECT_NE(refseg::normalize_expression(dots).find(got->phrase), std::string::npos) << got->phrase;
  // An expression asked for after it is answered too, whether the worker
  // is still busy (the heuristic's "man") or not (the parser's "man").
  const auto other = resolver.wait("man in black", kPatience);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->phrase, "man");
  // The dots text ends with the worker's own answer (link_grammar_phrase's
  // caps keep it from the parser: the heuristic's words, up to "zebra").
  const auto final_dots = resolver.wait(dots, kPatience, /*final_only=*/true);
  ASSERT_TRUE(final_dots.has_value());
  EXPECT_NE(final_dots->phrase.find("zebra"), std::string::npos) << final_dots->phrase;
}

TEST(PhraseResolver, NulBytesAtStartMiddleAndEnd) {
  refseg::PhraseResolver resolver(with_budget(std::chrono::milliseconds(600s)));
  const auto phrase = [&](const std::string &e) {
    const auto got = resolver.wait(e, kPatience);
    EXPECT_TRUE(got.has_value());
    return got ? got->phrase : "(no answer)";
  };
  EXPECT_EQ(phrase("\0man in black"s), "man");
  EXPECT_EQ(phrase("man in\0black"s), phrase("man in black"));
  EXPECT_EQ(phrase("left guy\0"s), "left guy");
  // Blank (NUL counts as whitespace): "" at once, from try_get too.
  const auto blank = resolver.try_get("\0\0 \0"s);
  ASSERT_TRUE(blank.has_value());
  EXPECT_EQ(blank->phrase, "");
  EXPECT_FALSE(blank->provisional);
}

TEST(PhraseResolver, ProvisionalAnswersHandleNulBytes) {
  // The heuristic path (budget 0) sees the same NUL handling.
  refseg::PhraseResolver resolver(with_budget(0ms));
  for (const std::string &e : {"\0man in black"s, "man in\0black"s, "man in black\0"s}) {
    const auto got = resolver.try_get(e);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->phrase, "man") << "in " << refseg::normalize_expression(e);
  }
}

TEST(PhraseResolver, TextStormKeepsTheNewestAnswerable) {
  // More distinct requests than the pending bound: the oldest are dropped,
  // the newest (what a user set last) is still answered by the worker.
  refseg::PhraseResolverOptions options = with_budget(std::chrono::milliseconds(600s));
  options.max_pending = 8;
  refseg::PhraseResolver resolver(options);
  for (int i = 0; i < 500; ++i) resolver.request("the dog number " + std::to_string(i));
  const auto got = resolver.wait("the dog number 499", kPatience, /*final_only=*/true);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->phrase, direct_extractor().target_phrase("the dog number 499"));
  // A dropped one is requested again when asked, and answered.
  const auto dropped = resolver.wait("the dog number 0", kPatience, /*final_only=*/true);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->phrase, direct_extractor().target_phrase("the dog number 0"));
}

TEST(PhraseResolver, DestroyedWhileTheWorkerIsBusy) {
  // The destructor does not wait for the parse: the worker finishes on its
  // own. Several resolvers in a row, each left with work in hand.
  for (int i = 0; i < 3; ++i) {
    auto resolver = std::make_unique<refseg::PhraseResolver>(with_budget(0ms));
    resolver->request(dots_text());
    resolver->request("the man in black " + std::to_string(i));
    ASSERT_TRUE(resolver->try_get("the man in black " + std::to_string(i)).has_value());
    resolver.reset();
  }
  // And an idle one (worker loaded, nothing queued) is joined.
  refseg::PhraseResolver idle(with_budget(std::chrono::milliseconds(600s)));
  ASSERT_TRUE(idle.wait("left guy", kPatience).has_value());
}

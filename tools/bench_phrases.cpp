// bench_phrases: how long a text can keep the target noun phrase waiting,
// and what asking for it costs the thread that asks (refsegselector's
// streaming thread).
//
// For each input, slow ones first (runs of dots and other punctuation that
// link-grammar splits into many alternative tokens, the longest word salads
// the parser still takes), then `--random N` generated texts at the edges
// of the parser's caps (40 words, 8 punctuation marks), it prints
//   parse    the extractor's own time for the text (NounPhraseExtractor,
//            fresh cache): how long the resolver's worker is busy with it;
//   first    from the request to the first answer a PhraseResolver with the
//            selector's budget gives (the parser's, or the heuristic's once
//            the budget is spent: "prov");
//   final    from the request to the worker's answer;
//   try_get  the longest single try_get() call while polling every 1 ms
//            (what a frame pays).
// and the worst of each. Inputs are measured one at a time (each waits for
// the worker's answer before the next is requested).
//
//   bench_phrases [--budget MS] [--random N] [--seed S]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "language/noun_phrase.h"
#include "language/phrase_resolver.h"
#include "tool_options.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string repeat(const std::string &word, int n, const std::string &tail) {
  std::string s;
  for (int i = 0; i < n; ++i) s += word + " ";
  return s + tail;
}

struct Input {
  std::string name, text;
};

std::vector<Input> slow_inputs() {
  std::vector<Input> in = {
      {"issue 13: 6 x 16 dots + the zebra", repeat("................", 6, "the zebra")},
      {"4 x 16 dots + the zebra", repeat("................", 4, "the zebra")},
      {"8 x ..... + zebra", repeat(".....", 8, "zebra")},
      {"4 x ........ + zebra", repeat("........", 4, "zebra")},
      {"8 x .,., + zebra", repeat(".,.,", 8, "zebra")},
      {"8 dots (at the cap) + zebra", "........ the zebra"},
      {"2 x .... (at the cap) + zebra", repeat("....", 2, "the zebra")},
      {"8 x . (at the cap) + zebra", repeat(".", 8, "the zebra")},
      {"4 x .. (at the cap) + zebra", repeat("..", 4, "the zebra")},
      {"1000 dots", std::string(1000, '.')},
      {"10 kB expression", ""},
      {"NUL first", std::string("\0man in black", 13)},
  };
  std::string huge;
  while (huge.size() < 10 * 1024) huge += "man in the red shirt on the left ";
  in[10].text = huge;
  // The longest word salads the parser takes (40 words).
  const char *words[] = {"man",  "in",   "the",     "red",      "shirt", "on",    "left",
                         "and",  "that", "is",      "holding",  "blue",  "small", "dog",
                         "with", "a",    "big",     "white",    "cat",   "near",  "of",
                         "to",   "who",  "sitting", "standing", "next",  "right", "behind"};
  std::mt19937 rng(13);
  for (int k = 0; k < 3; ++k) {
    std::string s;
    for (int i = 0; i < 40; ++i) s += std::string(i ? " " : "") + words[rng() % 28];
    in.push_back({"40-word salad " + std::to_string(k + 1), s});
  }
  return in;
}

// 40 words from a mixed vocabulary with up to 8 punctuation marks in runs:
// the largest inputs the caps let through to the parser.
std::vector<Input> random_inputs(int n, unsigned seed) {
  const char *words[] = {"man", "the",   "red", "of",  "left", "and", "is",  "holding",
                         "one", "small", "dog", "who", "near", "a",   "big", "that"};
  const char *marks[] = {".", "..", "...", ",", "-", "'", "!", "?", ";", ":"};
  std::mt19937 rng(seed);
  std::vector<Input> in;
  for (int k = 0; k < n; ++k) {
    std::string s;
    int punct = 0;
    const int nwords = 20 + static_cast<int>(rng() % 21);
    for (int i = 0; i < nwords; ++i) {
      if (i) s += " ";
      if (rng() % 4 == 0 && punct < 8) {
        std::string m = marks[rng() % 10];
        if (punct + static_cast<int>(m.size()) > 8) m = ".";
        punct += static_cast<int>(m.size());
        s += m;
      } else {
        s += words[rng() % 16];
      }
    }
    in.push_back({"random " + std::to_string(k + 1), s});
  }
  return in;
}

struct Figures {
  double parse_ms = 0, first_ms = 0, final_ms = 0, max_try_get_us = 0;
  bool provisional = false;
};

// Every try_get() duration, in microseconds, over the whole run.
std::vector<double> all_try_get_us;

Figures measure(const Input &input, refseg::PhraseResolver &resolver) {
  Figures f;
  {
    const refseg::NounPhraseExtractor extractor;  // fresh cache
    const auto t0 = Clock::now();
    extractor.target_phrase(input.text);
    f.parse_ms = ms_since(t0);
  }
  const auto t0 = Clock::now();
  resolver.request(input.text);
  bool answered = false;
  for (;;) {
    const auto c0 = Clock::now();
    const auto got = resolver.try_get(input.text);
    const double us = ms_since(c0) * 1000;
    all_try_get_us.push_back(us);
    f.max_try_get_us = std::max(f.max_try_get_us, us);
    if (got && !answered) {
      answered = true;
      f.first_ms = ms_since(t0);
      f.provisional = got->provisional;
    }
    if (got && !got->provisional) {
      f.final_ms = ms_since(t0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return f;
}

}  // namespace

int main(int argc, char **argv) {
  int budget_ms = 1000, random_n = 0;
  gint64 seed_n = 1;
  const GOptionEntry entries[] = {
      {"budget", 0, 0, G_OPTION_ARG_INT, &budget_ms,
       "The resolver's budget in ms, 0 or more (default 1000: the selector's)", "MS"},
      {"random", 0, 0, G_OPTION_ARG_INT, &random_n,
       "Also N generated texts at the edges of the parser's caps (default 0)", "N"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed_n,
       "Seed of the generated texts, 0 to 4294967295 (default 1)", "S"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      "bench_phrases", "- how long a text can keep the target noun phrase waiting",
      "For slow inputs, then --random N generated ones, prints the parser's time, the time to "
      "the first and to the final answer of a PhraseResolver with the selector's budget, and "
      "the longest single try_get() (what a frame pays).",
      nullptr, entries, nullptr, &argc, &argv);
  if (argc > 1)
    refseg::tools::usage_error("bench_phrases",
                               std::string("unexpected argument '") + argv[1] + "'");
  budget_ms = refseg::tools::int_in_range("bench_phrases", "--budget", budget_ms, 0, 1 << 30);
  random_n = refseg::tools::int_in_range("bench_phrases", "--random", random_n, 0, 1 << 30);
  const unsigned seed = static_cast<unsigned>(
      refseg::tools::int64_in_range("bench_phrases", "--seed", seed_n, 0, 4294967295LL));
  refseg::bench::print_environment(stdout);
  refseg::PhraseResolverOptions options;
  options.budget = std::chrono::milliseconds(budget_ms);
  refseg::PhraseResolver resolver(options);
  std::printf("budget %d ms; parser: %s\n", budget_ms,
              resolver.has_parser() ? "link-grammar" : "heuristic only");

  std::vector<Input> inputs = slow_inputs();
  const std::vector<Input> generated = random_inputs(random_n, seed);
  std::printf("%-36s %6s %9s %9s %9s %11s\n", "input", "bytes", "parse ms", "first ms", "final ms",
              "try_get us");
  Figures worst;
  std::string worst_parse, worst_text;
  auto report = [&](const Input &in, const Figures &f, bool print) {
    if (print)
      std::printf("%-36s %6zu %9.1f %9.1f%s %9.1f %11.1f\n", in.name.c_str(), in.text.size(),
                  f.parse_ms, f.first_ms, f.provisional ? " prov" : "     ", f.final_ms,
                  f.max_try_get_us);
    if (f.parse_ms > worst.parse_ms) {
      worst_parse = in.name;
      worst_text = in.text;
    }
    worst.parse_ms = std::max(worst.parse_ms, f.parse_ms);
    worst.first_ms = std::max(worst.first_ms, f.first_ms);
    worst.final_ms = std::max(worst.final_ms, f.final_ms);
    worst.max_try_get_us = std::max(worst.max_try_get_us, f.max_try_get_us);
  };
  for (const Input &in : inputs) report(in, measure(in, resolver), true);
  std::vector<double> random_parse;
  for (const Input &in : generated) {
    const Figures f = measure(in, resolver);
    random_parse.push_back(f.parse_ms);
    report(in, f, false);
  }
  if (!generated.empty())
    std::printf("%d random texts at the caps (seed %u): parse median %.1f ms, max %.1f ms\n",
                random_n, seed, refseg::bench::median(random_parse),
                *std::max_element(random_parse.begin(), random_parse.end()));
  std::printf(
      "worst: parse %.1f ms (%s), first answer %.1f ms, final answer %.1f ms, try_get %.1f us\n",
      worst.parse_ms, worst_parse.c_str(), worst.first_ms, worst.final_ms, worst.max_try_get_us);
  std::printf("slowest text to parse: \"%s\"\n", worst_text.c_str());
  std::sort(all_try_get_us.begin(), all_try_get_us.end());
  std::printf("try_get over %zu calls: median %.1f us, 99th percentile %.1f us, max %.1f us\n",
              all_try_get_us.size(), refseg::bench::median(all_try_get_us),
              all_try_get_us[all_try_get_us.size() * 99 / 100], all_try_get_us.back());
  std::printf("peak RSS %.0f MB\n", refseg::bench::peak_rss_mb());
  return 0;
}

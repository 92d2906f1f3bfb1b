#include "language/heuristic_noun_phrase.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "language/expression_text.h"

namespace refseg {

namespace {

template <std::size_t N>
bool contains(const std::array<std::string_view, N> &list, const std::string &word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

constexpr std::array<std::string_view, 52> kPostModifierOpeners = {
    "in",         "on",      "at",   "with",    "of",     "near",    "behind",  "beside",
    "besides",    "by",      "from", "to",      "under",  "above",   "below",   "between",
    "inside",     "outside", "over", "around",  "across", "along",   "against", "toward",
    "towards",    "into",    "onto", "through", "for",    "without", "next",    "closest",
    "nearest",    "who",     "that", "which",   "whose",  "where",   "and",     "or",
    "but",        "is",      "are",  "was",     "were",   "has",     "have",    "facing",
    "underneath", "beneath", "atop", "while"};

constexpr std::array<std::string_view, 32> kDeterminers = {
    "the",     "a",     "an",    "this", "that", "these",  "those",   "his",
    "her",     "their", "its",   "my",   "your", "our",    "some",    "any",
    "one",     "two",   "three", "four", "five", "six",    "every",   "each",
    "another", "other", "no",    "all",  "both", "either", "neither", "seven"};

bool is_participle(const std::string &word) {
  return word.size() > 4 && word.compare(word.size() - 3, 3, "ing") == 0;
}

}  // namespace

bool opens_post_modifier(const std::string &lower_word) {
  return contains(kPostModifierOpeners, lower_word);
}

bool is_determiner(const std::string &lower_word) {
  return contains(kDeterminers, lower_word);
}

std::string heuristic_noun_phrase(const std::string &normalized) {
  const std::vector<WordSpan> words = split_words(normalized);
  if (words.empty()) return normalized;
  std::size_t first = 0;
  // "on the left": the phrase is the object of the leading preposition.
  while (first < words.size() && opens_post_modifier(words[first].lower) &&
         !is_determiner(words[first].lower))
    ++first;
  if (first == words.size()) return normalized;
  std::size_t last = first;  // inclusive
  for (std::size_t i = first + 1; i < words.size(); ++i) {
    const std::string &w = words[i].lower;
    if (opens_post_modifier(w)) break;
    if (is_participle(w) && !is_determiner(words[i - 1].lower)) break;
    last = i;
    // A comma closes the phrase after the word it ends.
    if (words[i].end < normalized.size() && normalized[words[i].end] == ',') break;
  }
  return normalized.substr(words[first].begin, words[last].end - words[first].begin);
}

}  // namespace refseg

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

// Prepositions that follow a noun in a referring expression.
constexpr std::array<std::string_view, 32> kPrepositions = {
    "in",      "on",      "at",   "with",    "of",      "near",    "behind",     "beside",
    "besides", "by",      "from", "to",      "under",   "above",   "below",      "between",
    "inside",  "outside", "over", "around",  "across",  "along",   "against",    "toward",
    "towards", "into",    "onto", "through", "without", "beneath", "underneath", "atop"};

// Words that name a place in the picture and pre-modify a noun after them.
constexpr std::array<std::string_view, 20> kLocationWords = {
    "left",     "right",     "top",     "bottom",     "upper",     "lower",    "middle",
    "center",   "centre",    "front",   "back",       "rear",      "far",      "most",
    "leftmost", "rightmost", "topmost", "bottommost", "uppermost", "lowermost"};

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

bool is_preposition(const std::string &lower_word) {
  return contains(kPrepositions, lower_word);
}

bool opens_with_location_premodifiers(const std::vector<WordSpan> &words) {
  std::size_t i = 0;
  if (i < words.size() && is_determiner(words[i].lower)) ++i;
  const std::size_t run_begin = i;
  while (i < words.size() && contains(kLocationWords, words[i].lower)) ++i;
  return i > run_begin && i < words.size() && !opens_post_modifier(words[i].lower);
}

std::string heuristic_noun_phrase(const std::string &normalized) {
  const PhraseSpan span = heuristic_noun_phrase_span(normalized);
  return normalized.substr(span.begin, span.size);
}

PhraseSpan heuristic_noun_phrase_span(const std::string &normalized) {
  const PhraseSpan whole{0, normalized.size()};
  const std::vector<WordSpan> words = split_words(normalized);
  if (words.empty()) return whole;
  std::size_t first = 0;
  // "on the left": the phrase is the object of the leading preposition.
  while (first < words.size() && opens_post_modifier(words[first].lower) &&
         !is_determiner(words[first].lower))
    ++first;
  if (first == words.size()) return whole;
  std::size_t last = first;  // inclusive
  for (std::size_t i = first + 1; i < words.size(); ++i) {
    const std::string &w = words[i].lower;
    if (opens_post_modifier(w)) break;
    if (is_participle(w) && !is_determiner(words[i - 1].lower)) break;
    last = i;
    // A comma closes the phrase after the word it ends.
    if (words[i].end < normalized.size() && normalized[words[i].end] == ',') break;
  }
  return {words[first].begin, words[last].end - words[first].begin};
}

}  // namespace refseg

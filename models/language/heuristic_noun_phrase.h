// The fallback when no parser is available (built without link-grammar, no
// English dictionary, input the parser cannot take): referring expressions
// are mostly "pre-modifiers + head noun + post-modifiers", so the base noun
// phrase is the words before the first post-modifier: a preposition, a
// relative pronoun, a verb ("is", "-ing" after a noun), a conjunction or a
// comma. "man in the red shirt" -> "man", "left guy" -> "left guy",
// "woman holding umbrella" -> "woman". A leading preposition is skipped
// ("on the left" -> "the left"); when nothing is left the whole expression is
// the answer. Every decision reads the words lower-cased, so letter case
// never changes the answer.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "language/expression_text.h"

namespace refseg {

// Where a phrase lies in the normalized expression, in bytes.
struct PhraseSpan {
  std::size_t begin = 0;
  std::size_t size = 0;
};

// `normalized` comes from normalize_expression(); the result is a prefix or
// substring of it.
std::string heuristic_noun_phrase(const std::string &normalized);
PhraseSpan heuristic_noun_phrase_span(const std::string &normalized);

// "bottom left laptop", "the right most carrot", "top right corner of the
// table": after an optional determiner, a run of location words (left,
// right, top, bottom, upper, lower, middle, center, front, back, far, most,
// ...) followed by a word that does not open a post-modifier. The location
// words are pre-modifiers of the noun after them (spaCy's chunk is
// "bottom left laptop"); link-grammar reads them as verbs and adverbs
// ("bottom" alone, "left" a past participle), so the heuristic answers.
bool opens_with_location_premodifiers(const std::vector<WordSpan> &words);

// Prepositions: a word of this list inside a noun chunk ends it ("car
// behind bike" -> "car": link-grammar may read "behind" as a noun; "cup of
// coffee" -> "cup": it may read "cup of" as a quantity, as in "a lot of").
bool is_preposition(const std::string &lower_word);

// Words that open a post-modifier of a noun (prepositions, relative pronouns,
// conjunctions, copulas). Shared with the parser's post-correction.
bool opens_post_modifier(const std::string &lower_word);

// Determiners, possessives and numbers: words after which an "-ing" word is a
// pre-modifier ("the sitting man"), not a participle.
bool is_determiner(const std::string &lower_word);

}  // namespace refseg

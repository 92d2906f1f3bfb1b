// The fallback when no parser is available (built without link-grammar, no
// English dictionary, input the parser cannot take): referring expressions
// are mostly "pre-modifiers + head noun + post-modifiers", so the base noun
// phrase is the words before the first post-modifier: a preposition, a
// relative pronoun, a verb ("is", "-ing" after a noun), a conjunction or a
// comma. "man in the red shirt" -> "man", "left guy" -> "left guy",
// "woman holding umbrella" -> "woman". A leading preposition is skipped
// ("on the left" -> "the left"); when nothing is left the whole expression is
// the answer.
#pragma once

#include <string>

namespace refseg {

// `normalized` comes from normalize_expression(); the result is a prefix or
// substring of it.
std::string heuristic_noun_phrase(const std::string &normalized);

// Words that open a post-modifier of a noun (prepositions, relative pronouns,
// conjunctions, copulas). Shared with the parser's post-correction.
bool opens_post_modifier(const std::string &lower_word);

// Determiners, possessives and numbers: words after which an "-ing" word is a
// pre-modifier ("the sitting man"), not a participle.
bool is_determiner(const std::string &lower_word);

}  // namespace refseg

// The sentence as the authors' evaluation loop hands it to CLIP and to the
// phrase parser (Our_method_with_free_solo.py: `sentence.lower()`, spaCy's
// tokens re-joined with single spaces, whitespace tokens dropped): what
// preprocess=reference does to an expression before tokenizing it and
// before extracting its noun phrase.
//
// spaCy's English tokenizer is not reproduced in full; what is, is every
// split that changes CLIP's tokens or the words the parser sees in typical
// referring expressions (docs/models.md): whitespace, leading and trailing
// punctuation, the clitics 's 're 've 'll 'd 'm and n't (so "don't" ->
// "do n't", "can't" -> "ca n't", "won't" -> "wo n't"), "cannot" -> "can not",
// "gonna"/"gotta"/"wanna" -> "gon na"/"got ta"/"wan na", hyphens or
// commas between letters ("t-shirt" -> "t - shirt") and + - * ^ between
// digits ("2-3" -> "2 - 3"). A trailing period stays
// on a word that holds another one ("u.s."), as spaCy's abbreviations do.
#pragma once

#include <string>
#include <vector>

namespace refseg::text {

// The tokens, lower-cased as Python's str.lower() does (any script).
std::vector<std::string> reference_tokens(const std::string &sentence);
// The tokens joined with single spaces.
std::string reference_sentence(const std::string &sentence);

}  // namespace refseg::text

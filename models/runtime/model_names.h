// What a model lookup that found nothing can tell the user: the models that
// are installed, the nearest name to the one given, and whether
// gst-refseg-download can fetch it.
#pragma once

#include <string>
#include <vector>

namespace refseg {

// The names gst-refseg-download knows (OpenAI's models).
const std::vector<std::string> &downloadable_model_names();

// Every `.pt` file in `directories`, as the name to give (the file name
// without `.pt`; OpenAI's files by their OpenAI name, "ViT-B-32.pt" ->
// "ViT-B/32"), first directory first, each name once.
std::vector<std::string> installed_model_names(const std::vector<std::string> &directories);

// The candidate nearest to `name` by edit distance, ignoring case and
// treating '/', '-' and '_' alike; "" when none is within a third of the
// name's length (at least 2 edits).
std::string nearest_model_name(const std::string &name, const std::vector<std::string> &candidates);

// The lines added to "model 'X' not found": installed models, "did you
// mean", and the download command only for a name it can fetch.
std::string model_not_found_hint(const std::string &name,
                                 const std::vector<std::string> &directories);

}  // namespace refseg

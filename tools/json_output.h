// The JSON the command-line tools write: nlohmann-json documents, keys in
// the order they are set, numbers as float32 (a feature written is the
// float32 the program computed: nlohmann writes the shortest text that
// reads back as the same float32), NaN and infinity as null, and text that
// is not UTF-8 repaired (each invalid byte becomes U+FFFD), so any parser
// accepts the output.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace refseg::tools {

using Json = nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool,
                                  std::int64_t, std::uint64_t, float>;

// One line, or `indent` spaces per level when >= 0.
inline std::string dump_json(const Json &document, int indent = -1) {
  return document.dump(indent, ' ', false, Json::error_handler_t::replace);
}

template <typename T>
Json json_array(const T *values, std::size_t n) {
  return Json(std::vector<T>(values, values + n));
}

}  // namespace refseg::tools

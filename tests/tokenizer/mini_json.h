// Just enough JSON to read ../shared/clip/tokenizer_cases.json: objects,
// arrays, strings (with \uXXXX escapes and surrogate pairs), integers,
// true/false/null. Throws std::runtime_error with the offset on bad input.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace refseg_test {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;  // UTF-8
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  const JsonValue &at(const std::string &key) const;
};

JsonValue parse_json(const std::string &text);
std::string read_text_file(const std::string &path);  // throws when unreadable

}  // namespace refseg_test

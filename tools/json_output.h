// JSON pieces the command-line tools write: strings (escaped, always valid
// UTF-8) and float arrays that read back as the same float32 values.
#pragma once

#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>

#include "tokenizer/unicode_props.h"

namespace refseg::tools {

// A JSON string literal. Bytes that are not UTF-8 become U+FFFD (as the
// tokenizer reads them), so any parser accepts the output.
inline std::string json_string(const std::string &text) {
  const std::string utf8 = unicode::encode_utf8(unicode::decode_utf8(text));
  std::string out = "\"";
  for (unsigned char c : utf8) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + '"';
}

// A float written with 9 significant digits (max_digits10): parsing the
// text gives back the same float32, so features can be compared exactly.
// JSON has no NaN or infinity: those are written as null.
inline void write_float(std::ostream &out, float value) {
  if (!std::isfinite(value)) {
    out << "null";
    return;
  }
  std::ostringstream s;
  s.precision(std::numeric_limits<float>::max_digits10);
  s << value;
  out << s.str();
}

template <typename T>
void write_array(std::ostream &out, const T *values, std::size_t n) {
  out << '[';
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out << ',';
    if constexpr (std::is_floating_point_v<T>)
      write_float(out, static_cast<float>(values[i]));
    else
      out << values[i];
  }
  out << ']';
}

}  // namespace refseg::tools

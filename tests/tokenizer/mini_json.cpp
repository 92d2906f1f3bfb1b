#include "mini_json.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace refseg_test {
namespace {

class Parser {
 public:
  explicit Parser(const std::string &t) : t_(t) {}

  JsonValue document() {
    JsonValue v = value();
    skip_space();
    if (i_ != t_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string &what) const {
    throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
  }
  void skip_space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r'))
      ++i_;
  }
  void expect(char c) {
    skip_space();
    if (i_ >= t_.size() || t_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool consume(const char *word) {
    const std::string w(word);
    if (t_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }

  JsonValue value() {
    skip_space();
    if (i_ >= t_.size()) fail("unexpected end");
    JsonValue v;
    const char c = t_[i_];
    if (c == '{') {
      v.kind = JsonValue::Kind::kObject;
      ++i_;
      skip_space();
      if (i_ < t_.size() && t_[i_] == '}') return ++i_, v;
      do {
        skip_space();
        std::string key = string_literal();
        expect(':');
        v.object[key] = value();
        skip_space();
      } while (i_ < t_.size() && t_[i_] == ',' && ++i_);
      expect('}');
    } else if (c == '[') {
      v.kind = JsonValue::Kind::kArray;
      ++i_;
      skip_space();
      if (i_ < t_.size() && t_[i_] == ']') return ++i_, v;
      do {
        v.array.push_back(value());
        skip_space();
      } while (i_ < t_.size() && t_[i_] == ',' && ++i_);
      expect(']');
    } else if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      v.string = string_literal();
    } else if (consume("true")) {
      v.kind = JsonValue::Kind::kBool, v.boolean = true;
    } else if (consume("false")) {
      v.kind = JsonValue::Kind::kBool;
    } else if (consume("null")) {
    } else {
      char *end = nullptr;
      v.number = std::strtod(t_.c_str() + i_, &end);
      if (end == t_.c_str() + i_) fail("unexpected character");
      v.kind = JsonValue::Kind::kNumber;
      i_ = static_cast<std::size_t>(end - t_.c_str());
    }
    return v;
  }

  unsigned hex4() {
    if (i_ + 4 > t_.size()) fail("short \\u escape");
    const unsigned v = static_cast<unsigned>(std::stoul(t_.substr(i_, 4), nullptr, 16));
    i_ += 4;
    return v;
  }

  static void append_utf8(unsigned cp, std::string &out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string_literal() {
    if (i_ >= t_.size() || t_[i_] != '"') fail("expected a string");
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= t_.size()) fail("unterminated string");
      const char c = t_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= t_.size()) fail("unterminated escape");
      const char e = t_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && consume("\\u")) {
            const unsigned lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(cp, out);
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
  }

  const std::string &t_;
  std::size_t i_ = 0;
};

}  // namespace

const JsonValue &JsonValue::at(const std::string &key) const {
  auto it = object.find(key);
  if (it == object.end()) throw std::runtime_error("JSON: no key '" + key + "'");
  return it->second;
}

JsonValue parse_json(const std::string &text) {
  return Parser(text).document();
}

std::string read_text_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace refseg_test

#include "refseg_expression_list.h"

namespace refseg::gst {

static std::string trimmed(const std::string &s) {
  const char *space = " \t\r\n\v\f";
  const size_t start = s.find_first_not_of(space);
  if (start == std::string::npos) return "";
  return s.substr(start, s.find_last_not_of(space) - start + 1);
}

std::vector<std::string> split_expression_list(const std::string &list) {
  const char separator = list.find('\n') != std::string::npos ? '\n' : ';';
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t end = list.find(separator, start);
    const std::string e = trimmed(list.substr(start, end - start));
    if (!e.empty()) out.push_back(e);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string join_expression_list(const std::vector<std::string> &expressions) {
  bool has_semicolon = false;
  for (const std::string &e : expressions) has_semicolon |= e.find(';') != std::string::npos;
  const char *separator = has_semicolon ? "\n" : "; ";
  std::string out;
  for (const std::string &e : expressions) {
    if (trimmed(e).empty()) continue;
    if (!out.empty()) out += separator;
    std::string one = trimmed(e);
    for (char &c : one)
      if (c == '\n' || c == '\r') c = ' ';  // a newline would split it
    out += one;
  }
  return out;
}

}  // namespace refseg::gst

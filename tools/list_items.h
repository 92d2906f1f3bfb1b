// The items of a comma-separated option value ("fp32,bf16"), for the tools
// that parse with GOption (tool_options.h) and for the benchmarks that stay
// free of GLib (bench_encoder builds against LibTorch alone).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace refseg::tools {

// As std::getline reads them: "a,,b" has an empty item, a comma at the end
// ends the list, "" has no items.
inline std::vector<std::string> list_items(const std::string &text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

}  // namespace refseg::tools

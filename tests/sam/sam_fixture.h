// Shared by the SAM tests: the fixture directory, the reference outputs
// written by scripts/make_sam_fixtures.py, and writing a state dict the way
// torch.save does (torch::pickle_save writes the same zip format).
#pragma once

#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "sam/sam_checkpoint.h"

namespace refseg::sam::fixture {

inline std::string path(const std::string &name) {
  return std::string(SAM_FIXTURE_DIR) + "/" + name;
}

inline std::map<std::string, torch::Tensor> reference(const std::string &name) {
  std::map<std::string, torch::Tensor> out;
  for (auto &kv : read_state_dict(path(name))) out[kv.first] = kv.second;
  return out;
}

inline const torch::Tensor &entry(const std::map<std::string, torch::Tensor> &m,
                                  const std::string &key) {
  const auto it = m.find(key);
  if (it == m.end()) throw std::runtime_error("fixture has no " + key);
  return it->second;
}

// A torch.save'd dict of `tensors` at `file`.
inline void save_state_dict(const std::vector<std::pair<std::string, torch::Tensor>> &tensors,
                            const std::string &file) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto &kv : tensors) dict.insert(kv.first, kv.second);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The released layouts' names and shapes (released_layouts.txt) as a
// checkpoint of expanded zeros: the shapes without the gigabytes.
inline SamCheckpoint released_layout(const std::string &layout) {
  std::ifstream in(path("released_layouts.txt"));
  if (!in) throw std::runtime_error("cannot read released_layouts.txt");
  SamCheckpoint c;
  c.path = "released layout " + layout;
  std::string line;
  const auto zero = torch::zeros({1});
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, key;
    fields >> name >> key;
    if (name != layout) continue;
    std::vector<int64_t> shape;
    for (int64_t d; fields >> d;) shape.push_back(d);
    c.tensors.emplace_back(key, shape.empty() ? torch::scalar_tensor(0) : zero.expand(shape));
  }
  if (c.tensors.empty()) throw std::runtime_error("no layout " + layout);
  return c;
}

}  // namespace refseg::sam::fixture

#include "sam/sam_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>

#include "clip/zip_records.h"
#include "common/model_error.h"

namespace refseg::sam {
namespace {

std::string shape_of(const at::Tensor &t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

std::string first_line(const std::string &s) {
  return s.substr(0, s.find('\n'));
}

bool starts_with(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The part of a record name after its archive directory ("archive/data.pkl"
// -> "data.pkl").
std::string inner_name(const std::string &record) {
  const auto slash = record.find('/');
  return slash == std::string::npos ? record : record.substr(slash + 1);
}

std::string read_head(const std::string &path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(&head[0], static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

// What the file is, when it is not a zip archive, for the message.
std::string describe_not_zip(const std::string &head) {
  if (head.empty()) return "an empty file";
  if (starts_with(head, "PK\x03\x04"))
    return "a truncated or damaged zip archive (it starts like one but has no end-of-central-"
           "directory record)";
  if (static_cast<unsigned char>(head[0]) == 0x80)
    return "a bare pickle (torch.save's pre-1.6 format, not the zip format the released SAM "
           "checkpoints use; re-save it with torch.save(torch.load(f), f2))";
  return "not a zip archive (torch.save of a state dict expected)";
}

}  // namespace

const torch::Tensor *SamCheckpoint::find(const std::string &name) const {
  for (const auto &kv : tensors)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

const torch::Tensor &SamCheckpoint::at(const std::string &name) const {
  if (const auto *t = find(name)) return *t;
  throw ModelError(path + ": missing tensor " + name);
}

std::vector<std::string> SamCheckpoint::names_with_prefix(const std::string &prefix) const {
  std::vector<std::string> out;
  for (const auto &kv : tensors)
    if (starts_with(kv.first, prefix)) out.push_back(kv.first);
  return out;
}

SamCheckpoint read_sam_checkpoint(const std::string &path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError(path + ": cannot open the SAM checkpoint (missing or unreadable)");
  }
  std::optional<std::vector<clip::ZipRecord>> records;
  try {
    records = clip::read_zip_directory(path);
  } catch (const ModelError &e) {
    throw ModelError(std::string(e.what()) + " (truncated or damaged SAM checkpoint?)");
  }
  if (!records) throw ModelError(path + ": " + describe_not_zip(read_head(path, 8)));

  bool has_data_pkl = false, has_code = false, has_constants = false;
  for (const auto &r : *records) {
    const std::string inner = inner_name(r.name);
    has_data_pkl |= inner == "data.pkl";
    has_code |= starts_with(inner, "code/");
    has_constants |= inner == "constants.pkl";
  }
  if (has_code || has_constants)
    throw ModelError(path +
                     ": a TorchScript module (it has code/ and constants.pkl records), not a "
                     "torch.save'd SAM state dict (a CLIP or TorchScript proposal model?)");
  if (!has_data_pkl)
    throw ModelError(path + ": a zip archive without data.pkl: not a torch.save'd state dict");

  const auto failing = clip::records_failing_crc(path, *records);
  if (!failing.empty()) {
    std::string names;
    for (size_t i = 0; i < failing.size() && i < 3; ++i) names += (i ? ", " : "") + failing[i].name;
    if (failing.size() > 3) names += ", ...";
    throw ModelError(path + ": damaged: " + std::to_string(failing.size()) +
                     " record(s) do not match their CRC-32 (" + names + ")");
  }

  c10::IValue value;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    value =
        torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                          c10::nullopt, c10::nullopt, at::Device(at::kCPU), reader);
  } catch (const std::exception &e) {
    throw ModelError(path + ": cannot read it as a torch.save'd state dict (" +
                     first_line(e.what()) + ")");
  }
  if (!value.isGenericDict())
    throw ModelError(path + ": holds a " + value.tagKind() +
                     ", not a state dict (a dict of name -> tensor)");

  SamCheckpoint out;
  out.path = path;
  for (const auto &item : value.toGenericDict()) {
    if (!item.key().isString())
      throw ModelError(path + ": a state dict key is a " + item.key().tagKind() +
                       ", not a string: not a state dict");
    const std::string name = item.key().toStringRef();
    if (!item.value().isTensor())
      throw ModelError(path + ": entry " + name + " is a " + item.value().tagKind() +
                       ", not a tensor: not a state dict (a training checkpoint? the SAM "
                       "releases are the bare state dict)");
    out.tensors.emplace_back(name, item.value().toTensor());
  }
  for (const char *part : {"image_encoder.", "prompt_encoder.", "mask_decoder."})
    if (out.names_with_prefix(part).empty())
      throw ModelError(
          path + ": no " + std::string(part) + "* tensors: not a Segment Anything checkpoint (" +
          std::to_string(out.tensors.size()) + " tensors" +
          (out.tensors.empty() ? "" : ", the first " + out.tensors.front().first) + ")");
  return out;
}

namespace {

int64_t count_indexed(const SamCheckpoint &c, const std::string &prefix,
                      const std::string &suffix) {
  int64_t n = 0;
  while (c.has(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

const torch::Tensor &need(const SamCheckpoint &c, const std::string &name, int64_t dim) {
  const torch::Tensor &t = c.at("image_encoder." + name);
  if (t.dim() != dim)
    throw ModelError(c.path + ": image_encoder." + name + " has shape " + shape_of(t) +
                     ", expected " + std::to_string(dim) + " dimensions");
  return t;
}

SamArchitecture tell_vit(const SamCheckpoint &c) {
  SamArchitecture a;
  a.encoder = SamEncoderKind::ViT;
  const auto &proj = need(c, "patch_embed.proj.weight", 4);  // [D, 3, 16, 16]
  a.embed_dim = proj.size(0);
  a.patch_size = proj.size(2);
  if (proj.size(1) != 3 || proj.size(3) != a.patch_size)
    throw ModelError(c.path + ": image_encoder.patch_embed.proj.weight has shape " +
                     shape_of(proj) + ", expected [D, 3, P, P]");
  const auto &pos = need(c, "pos_embed", 4);  // [1, 64, 64, D]
  if (pos.size(0) != 1 || pos.size(1) != pos.size(2) || pos.size(3) != a.embed_dim)
    throw ModelError(c.path + ": image_encoder.pos_embed has shape " + shape_of(pos) +
                     ", expected [1, S, S, " + std::to_string(a.embed_dim) + "]");
  a.embedding_size = pos.size(1);
  a.image_size = a.embedding_size * a.patch_size;
  a.depth = count_indexed(c, "image_encoder.blocks.", ".attn.qkv.weight");
  if (a.depth == 0) throw ModelError(c.path + ": image_encoder has no blocks.N.attn.qkv.weight");
  a.mlp_dim = need(c, "blocks.0.mlp.lin1.weight", 2).size(0);
  // Heads: rel_pos_h is [2 * window - 1, head_dim] in windowed blocks and
  // [2 * (image_size / 16) - 1, head_dim] in the global ones.
  int64_t head_dim = 0, window = 0;
  for (int64_t i = 0; i < a.depth; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    const auto &rel_h = need(c, b + "attn.rel_pos_h", 2);
    if (head_dim == 0) head_dim = rel_h.size(1);
    if (rel_h.size(1) != head_dim || a.embed_dim % head_dim != 0)
      throw ModelError(c.path + ": image_encoder." + b + "attn.rel_pos_h has shape " +
                       shape_of(rel_h) + ", disagreeing with the other blocks' head size " +
                       std::to_string(head_dim));
    const int64_t side = (rel_h.size(0) + 1) / 2;
    if (side == a.embedding_size) {
      a.global_attn_indexes.push_back(i);
    } else {
      if (window != 0 && side != window)
        throw ModelError(c.path + ": image_encoder." + b + "attn.rel_pos_h has shape " +
                         shape_of(rel_h) + ": a window of " + std::to_string(side) +
                         " where the other blocks have " + std::to_string(window));
      window = side;
    }
  }
  a.num_heads = a.embed_dim / head_dim;
  a.window_size = window == 0 ? 14 : window;
  a.out_chans = need(c, "neck.0.weight", 4).size(0);
  const bool b = a.embed_dim == 768 && a.depth == 12 && a.num_heads == 12 &&
                 a.global_attn_indexes == std::vector<int64_t>{2, 5, 8, 11};
  const bool l = a.embed_dim == 1024 && a.depth == 24 && a.num_heads == 16 &&
                 a.global_attn_indexes == std::vector<int64_t>{5, 11, 17, 23};
  const bool h = a.embed_dim == 1280 && a.depth == 32 && a.num_heads == 16 &&
                 a.global_attn_indexes == std::vector<int64_t>{7, 15, 23, 31};
  a.name = b ? "vit_b" : l ? "vit_l" : h ? "vit_h" : "vit(custom)";
  return a;
}

SamArchitecture tell_tiny_vit(const SamCheckpoint &c) {
  SamArchitecture a;
  a.encoder = SamEncoderKind::TinyViT;
  a.patch_size = 4;  // the conv stem's two stride-2 convolutions
  int64_t n_layers = 0;
  while (!c.names_with_prefix("image_encoder.layers." + std::to_string(n_layers) + ".").empty())
    ++n_layers;
  if (n_layers < 2)
    throw ModelError(c.path + ": image_encoder.layers.* has " + std::to_string(n_layers) +
                     " stage(s); TinyViT has an MBConv stage and attention stages");
  for (int64_t s = 0; s < n_layers; ++s) {
    const std::string L = "layers." + std::to_string(s) + ".";
    if (s == 0) {
      const auto &c1 = need(c, L + "blocks.0.conv1.c.weight", 4);  // [hidden, dim, 1, 1]
      a.tiny_mbconv_hidden = c1.size(0);
      a.tiny_embed_dims.push_back(c1.size(1));
      a.tiny_depths.push_back(
          count_indexed(c, "image_encoder." + L + "blocks.", ".conv1.c.weight"));
      a.tiny_num_heads.push_back(0);
      a.tiny_window_sizes.push_back(0);
      a.tiny_mlp_dims.push_back(0);
      continue;
    }
    const auto &qkv = need(c, L + "blocks.0.attn.qkv.weight", 2);  // [3 * h * kd(=d), dim]
    const int64_t dim = qkv.size(1);
    const auto &biases = need(c, L + "blocks.0.attn.attention_biases", 2);  // [heads, N]
    const int64_t heads = biases.size(0);
    const int64_t offsets = biases.size(1);
    // offsets = window * window for the distinct |dx|,|dy| pairs.
    int64_t window = 0;
    for (int64_t w = 1; w * w <= offsets; ++w)
      if (w * w == offsets) window = w;
    if (window == 0 || qkv.size(0) != 3 * dim)
      throw ModelError(c.path + ": image_encoder." + L + "blocks.0.attn has qkv " + shape_of(qkv) +
                       " and attention_biases " + shape_of(biases) + ": not TinyViT's attention");
    a.tiny_embed_dims.push_back(dim);
    a.tiny_depths.push_back(count_indexed(c, "image_encoder." + L + "blocks.", ".attn.qkv.weight"));
    a.tiny_num_heads.push_back(heads);
    a.tiny_window_sizes.push_back(window);
    a.tiny_mlp_dims.push_back(need(c, L + "blocks.0.mlp.fc1.weight", 2).size(0));
  }
  a.out_chans = need(c, "neck.0.weight", 4).size(0);
  a.embed_dim = a.tiny_embed_dims.back();
  a.depth = 0;
  for (auto d : a.tiny_depths) a.depth += d;
  const bool mobile = a.tiny_embed_dims == std::vector<int64_t>{64, 128, 160, 320} &&
                      a.tiny_depths == std::vector<int64_t>{2, 2, 6, 2} &&
                      a.tiny_num_heads == std::vector<int64_t>{0, 4, 5, 10} &&
                      a.tiny_window_sizes == std::vector<int64_t>{0, 7, 14, 7};
  a.name = mobile ? "tiny_vit" : "tiny_vit(custom)";
  return a;
}

}  // namespace

SamArchitecture tell_architecture(const SamCheckpoint &c) {
  if (c.has("image_encoder.patch_embed.proj.weight") && c.has("image_encoder.pos_embed"))
    return tell_vit(c);
  if (c.has("image_encoder.patch_embed.seq.0.c.weight")) return tell_tiny_vit(c);
  throw ModelError(c.path +
                   ": the image_encoder.* tensors are neither SAM's ViT (patch_embed.proj, "
                   "pos_embed) nor MobileSAM's TinyViT (patch_embed.seq.0.c)");
}

void load_parameters(torch::nn::Module &module, const SamCheckpoint &c, const std::string &prefix) {
  std::map<std::string, const torch::Tensor *> wanted;
  for (const auto &kv : c.tensors)
    if (starts_with(kv.first, prefix)) wanted[kv.first] = &kv.second;
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto &p : module.named_parameters(/*recurse=*/true))
    targets.emplace_back(p.key(), p.value());
  for (const auto &b : module.named_buffers(/*recurse=*/true))
    targets.emplace_back(b.key(), b.value());
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  for (auto &t : targets) {
    const std::string name = prefix + t.first;
    const auto it = wanted.find(name);
    if (it == wanted.end()) throw ModelError(c.path + ": missing tensor " + name);
    const torch::Tensor &src = *it->second;
    if (src.sizes() != t.second.sizes())
      throw ModelError(c.path + ": tensor " + name + " has shape " + shape_of(src) + ", expected " +
                       shape_of(t.second));
    if (src.is_floating_point() && !torch::isfinite(src).all().item<bool>())
      throw ModelError(c.path + ": tensor " + name + " holds NaN or Inf values");
    t.second.copy_(src);
    used.insert(name);
  }
  for (const auto &kv : wanted)
    if (!used.count(kv.first))
      throw ModelError(c.path + ": unexpected tensor " + kv.first + " (shape " +
                       shape_of(*kv.second) +
                       "): the model built from the checkpoint has no such "
                       "parameter");
}

}  // namespace refseg::sam

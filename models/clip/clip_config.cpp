#include "clip/clip_config.h"

#include <cmath>
#include <set>

#include "common/model_error.h"

namespace refseg::clip {
namespace {

bool starts_with(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

const at::Tensor &require(const NamedTensors &t, const std::string &name, int64_t dims,
                          const std::string &source) {
  auto it = t.find(name);
  if (it == t.end()) throw ModelError(source + ": missing tensor " + name);
  if (it->second.dim() != dims)
    throw ModelError(source + ": tensor " + name + " has " + std::to_string(it->second.dim()) +
                     " dimensions, expected " + std::to_string(dims));
  return it->second;
}

// Number of blocks under `prefix` (e.g. "transformer.resblocks."): the
// highest index + 1, so a gap shows up later as a missing tensor.
int count_indexed(const NamedTensors &t, const std::string &prefix) {
  int n = 0;
  for (const auto &kv : t) {
    if (!starts_with(kv.first, prefix)) continue;
    const std::string rest = kv.first.substr(prefix.size());
    const auto dot = rest.find('.');
    try {
      n = std::max(n, std::stoi(rest.substr(0, dot)) + 1);
    } catch (const std::exception &) {
    }
  }
  return n;
}

int square_root_of_tokens(const at::Tensor &pos, const std::string &name,
                          const std::string &source) {
  const int64_t tokens = pos.size(0) - 1;
  const int g = static_cast<int>(std::lround(std::sqrt(static_cast<double>(tokens))));
  if (tokens < 1 || static_cast<int64_t>(g) * g != tokens)
    throw ModelError(source + ": " + name + " has " + std::to_string(pos.size(0)) +
                     " rows, expected a square grid + 1");
  return g;
}

}  // namespace

ClipConfig infer_clip_config(const NamedTensors &t, const std::string &source) {
  bool has_visual = false, has_vit = false, has_resnet = false;
  for (const auto &kv : t) {
    has_visual |= starts_with(kv.first, "visual.");
    has_vit |= starts_with(kv.first, "visual.transformer.") || kv.first == "visual.proj" ||
               kv.first == "visual.class_embedding";
    has_resnet |=
        starts_with(kv.first, "visual.layer1.") || starts_with(kv.first, "visual.attnpool.");
  }
  if (!has_visual || !t.count("token_embedding.weight"))
    throw ModelError(source +
                     ": not a CLIP model (expected visual.* and token_embedding.weight tensors)");

  ClipConfig c;
  c.vision_is_vit = has_vit || !has_resnet;
  if (c.vision_is_vit) {
    require(t, "visual.proj", 2, source);
    const auto &conv = require(t, "visual.conv1.weight", 4, source);
    const auto &pos = require(t, "visual.positional_embedding", 2, source);
    c.vision_width = static_cast<int>(conv.size(0));
    c.vision_patch_size = static_cast<int>(conv.size(3));
    c.vision_layers = count_indexed(t, "visual.transformer.resblocks.");
    c.image_resolution =
        c.vision_patch_size * square_root_of_tokens(pos, "visual.positional_embedding", source);
    if (c.vision_layers == 0)
      throw ModelError(source +
                       ": missing tensor visual.transformer.resblocks.0.attn.in_proj_weight");
  } else {
    for (int b = 0; b < 4; ++b) {
      c.resnet_layers[b] = count_indexed(t, "visual.layer" + std::to_string(b + 1) + ".");
      if (c.resnet_layers[b] == 0)
        throw ModelError(source + ": missing tensor visual.layer" + std::to_string(b + 1) +
                         ".0.conv1.weight");
    }
    c.vision_width =
        static_cast<int>(require(t, "visual.layer1.0.conv1.weight", 4, source).size(0));
    const auto &pos = require(t, "visual.attnpool.positional_embedding", 2, source);
    c.image_resolution =
        32 * square_root_of_tokens(pos, "visual.attnpool.positional_embedding", source);
  }

  c.embed_dim = static_cast<int>(require(t, "text_projection", 2, source).size(1));
  c.context_length = static_cast<int>(require(t, "positional_embedding", 2, source).size(0));
  c.vocab_size = static_cast<int>(require(t, "token_embedding.weight", 2, source).size(0));
  c.text_width = static_cast<int>(require(t, "ln_final.weight", 1, source).size(0));
  c.text_layers = count_indexed(t, "transformer.resblocks.");
  if (c.text_layers == 0)
    throw ModelError(source + ": missing tensor transformer.resblocks.0.attn.in_proj_weight");
  if (c.text_width % 64 != 0 || (c.vision_is_vit && c.vision_width % 64 != 0) ||
      (!c.vision_is_vit && (c.vision_width * 32) % 64 != 0))
    throw ModelError(source + ": widths must be multiples of 64 (64 channels per attention head)");

  // The non-weight entries must agree with what the shapes say.
  auto check_entry = [&](const char *name, int inferred) {
    auto it = t.find(name);
    if (it == t.end() || it->second.numel() != 1) return;
    const int64_t v = it->second.item<int64_t>();
    if (v != inferred)
      throw ModelError(source + ": " + name + " is " + std::to_string(v) +
                       " but the tensor shapes give " + std::to_string(inferred));
  };
  check_entry("input_resolution", c.image_resolution);
  check_entry("context_length", c.context_length);
  check_entry("vocab_size", c.vocab_size);
  return c;
}

}  // namespace refseg::clip

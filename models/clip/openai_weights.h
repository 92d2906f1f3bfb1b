// Reading and writing CLIP weights in the layout of OpenAI's released .pt
// files: TorchScript archives whose parameters/buffers carry the state-dict
// names (visual.conv1.weight, transformer.resblocks.0.attn.in_proj_weight,
// ...), stored in fp16, plus input_resolution/context_length/vocab_size.
// Their methods hard-code CUDA and fp16, so only the tensors are read.
#pragma once

#include <memory>
#include <string>

#include "clip/clip_config.h"

namespace refseg::clip {

class ClipModel;

// Loads a CLIP archive on the CPU in fp32. Throws refseg::ModelError naming
// the file and the problem: missing file, not a TorchScript archive, not a
// CLIP model, missing tensor X, shape mismatch for X (expected/found).
std::shared_ptr<ClipModel> load_openai_clip(const std::string &path);

// Every parameter and buffer of a TorchScript archive by its dotted name,
// plus tensor/int attributes named input_resolution, context_length, vocab_size.
NamedTensors read_torchscript_tensors(const std::string &path);

// Builds a model from named tensors (any floating dtype; converted to fp32).
std::shared_ptr<ClipModel> clip_from_tensors(const NamedTensors &tensors,
                                             const std::string &source);

// Writes `model` in OpenAI's layout (nested submodules, same names, fp16 when
// `fp16`), so load_openai_clip() and OpenAI's build_model() read it back.
void save_openai_layout(const ClipModel &model, const std::string &path, bool fp16 = true);

// Writes arbitrary named tensors as a method-less TorchScript archive with
// one submodule per dotted name component; running_mean/running_var/
// num_batches_tracked and the top-level metadata entries become buffers,
// everything else parameters.
void save_tensor_archive(const NamedTensors &tensors, const std::string &path);

}  // namespace refseg::clip

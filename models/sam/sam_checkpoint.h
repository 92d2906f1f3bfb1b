// Reading the Segment Anything family's released checkpoints exactly as they
// are downloaded: sam_vit_b_01ec64.pth, sam_vit_l_0b3195.pth,
// sam_vit_h_4b8939.pth and MobileSAM's mobile_sam.pt are each a torch.save of
// the Sam module's state dict (a zip archive holding data.pkl and one record
// per storage). The architecture is told from the keys and the shapes, never
// from the file name. Anything else (a truncated file, not a zip/pickle, a
// TorchScript module, a CLIP archive, wrong shapes, NaN/Inf) is refused with a
// refseg::ModelError naming the file and what is wrong.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace refseg::sam {

struct SamCheckpoint {
  std::string path;
  // In the file's order; names as in the state dict ("image_encoder.
  // patch_embed.proj.weight", "mask_decoder.iou_prediction_head.layers.0.bias").
  std::vector<std::pair<std::string, torch::Tensor>> tensors;

  // The tensor named `name`, or nullptr.
  const torch::Tensor *find(const std::string &name) const;
  // The tensor named `name`; throws refseg::ModelError naming the file and the
  // tensor when it is not there.
  const torch::Tensor &at(const std::string &name) const;
  // The same, and it must have `dims` dimensions (else a ModelError naming
  // the file, the tensor, its shape and the dimensions expected).
  const torch::Tensor &at(const std::string &name, int64_t dims) const;
  bool has(const std::string &name) const { return find(name) != nullptr; }
  // How many of prefix + "0" + suffix, prefix + "1" + suffix, ... there are
  // in a row: the depth of a stack of layers.
  int64_t count_indexed(const std::string &prefix, const std::string &suffix) const;
  // Every name starting with `prefix`, in the file's order.
  std::vector<std::string> names_with_prefix(const std::string &prefix) const;
};

// The name -> tensor entries of any torch.save'd dict of tensors (the zip
// format), in the file's order; every check of read_sam_checkpoint below
// except the SAM keys.
std::vector<std::pair<std::string, torch::Tensor>> read_state_dict(const std::string &path);

// Reads a torch.save'd SAM state dict. Throws refseg::ModelError naming the file:
// missing/unreadable, truncated, not a zip archive, a TorchScript module
// (or a CLIP archive), not a dict of tensors, no SAM image encoder/prompt
// encoder/mask decoder keys.
SamCheckpoint read_sam_checkpoint(const std::string &path);

enum class SamEncoderKind { ViT, TinyViT };

struct SamArchitecture {
  SamEncoderKind encoder = SamEncoderKind::ViT;
  std::string name;  // "vit_b", "vit_l", "vit_h", "tiny_vit", or "vit(custom)"

  // Both encoders.
  int64_t image_size = 1024;    // input side after ResizeLongestSide + padding
  int64_t out_chans = 256;      // neck channels = prompt embedding dim
  int64_t embedding_size = 64;  // image_size / 16: embedding grid side

  // ViT (SAM): patch 16, absolute + decomposed relative positions, windows of
  // `window_size` except the blocks in `global_attn_indexes`.
  int64_t patch_size = 16;
  int64_t embed_dim = 0;
  int64_t depth = 0;
  int64_t num_heads = 0;
  int64_t mlp_dim = 0;  // embed_dim * mlp_ratio (4 in the releases)
  int64_t window_size = 14;
  std::vector<int64_t> global_attn_indexes;

  // TinyViT (MobileSAM): one entry per stage (stage 0 is the MBConv stage).
  std::vector<int64_t> tiny_embed_dims;    // {64, 128, 160, 320}
  std::vector<int64_t> tiny_depths;        // {2, 2, 6, 2}
  std::vector<int64_t> tiny_num_heads;     // {2, 4, 5, 10}
  std::vector<int64_t> tiny_window_sizes;  // {7, 7, 14, 7}
  std::vector<int64_t> tiny_mlp_dims;      // per stage, dim * mlp_ratio (4)
  int64_t tiny_mbconv_hidden = 0;          // stage 0's expanded channels (dim * 4)
  int64_t tiny_num_classes = 1000;         // TinyViT's classifier head (unused by SAM)
};

// Told from the "image_encoder." keys and shapes. Throws refseg::ModelError
// naming the file when the encoder is neither layout or its tensors disagree.
SamArchitecture tell_architecture(const SamCheckpoint &checkpoint);

// Copies every parameter and buffer of `module` from the checkpoint tensor
// named prefix + its dotted name (converted to the module tensor's dtype and
// device). Refused with a ModelError naming the file and the tensor: missing
// tensor, a checkpoint tensor under `prefix` the module does not have,
// expected vs found shape, NaN or Inf values.
void load_parameters(torch::nn::Module &module, const SamCheckpoint &checkpoint,
                     const std::string &prefix);

}  // namespace refseg::sam

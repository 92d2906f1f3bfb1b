// Reading the SAM family's checkpoints: each released layout (small random
// fixtures in tests/fixtures/sam written by scripts/make_sam_fixtures.py, and
// the released files' names and shapes for ViT-B/L/H and MobileSAM) and
// every refused file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/model_error.h"
#include "sam/sam_checkpoint.h"
#include "sam/sam_image_encoder.h"
#include "sam_fixture.h"

using refseg::ModelError;
using namespace refseg::sam;
namespace fx = refseg::sam::fixture;

namespace {

std::string temp_path(const std::string &name) {
  return ::testing::TempDir() + "/sam_ckpt_" + name;
}

void write_file(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The message of the ModelError that `f` throws ("" when none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

bool has(const std::string &msg, const std::string &part) {
  return msg.find(part) != std::string::npos;
}

const std::string kVit = "sam_vit_small.pth";
const std::string kTiny = "mobile_sam_small.pt";

// The small ViT fixture's tensors with `edit` applied, written to a file.
template <typename Edit>
std::string edited_vit(const std::string &name, Edit edit) {
  auto tensors = read_state_dict(fx::path(kVit));
  edit(tensors);
  const std::string p = temp_path(name);
  fx::save_state_dict(tensors, p);
  return p;
}

torch::Tensor &tensor_named(std::vector<std::pair<std::string, torch::Tensor>> &t,
                            const std::string &name) {
  for (auto &kv : t)
    if (kv.first == name) return kv.second;
  throw std::runtime_error("no " + name);
}

// The load of the image encoder, as a user's file goes through it.
void load_encoder(const std::string &path) {
  load_image_encoder(read_sam_checkpoint(path));
}

}  // namespace

// ------------------------------------------------------------ the layouts

TEST(SamCheckpoint, ReadsTheSmallViTLayout) {
  const SamCheckpoint c = read_sam_checkpoint(fx::path(kVit));
  EXPECT_EQ(c.path, fx::path(kVit));
  EXPECT_FALSE(c.names_with_prefix("prompt_encoder.").empty());
  EXPECT_FALSE(c.names_with_prefix("mask_decoder.").empty());
  const SamArchitecture a = tell_architecture(c);
  EXPECT_EQ(a.encoder, SamEncoderKind::ViT);
  EXPECT_EQ(a.name, "vit(custom)");
  EXPECT_EQ(a.embed_dim, 16);
  EXPECT_EQ(a.depth, 4);
  EXPECT_EQ(a.num_heads, 2);
  EXPECT_EQ(a.mlp_dim, 64);
  EXPECT_EQ(a.window_size, 14);
  EXPECT_EQ(a.global_attn_indexes, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(a.out_chans, 16);
  EXPECT_EQ(a.image_size, 1024);
  EXPECT_EQ(a.embedding_size, 64);
  auto encoder = load_image_encoder(c);
  // Every image_encoder tensor of the file went into the module.
  EXPECT_EQ(encoder->named_parameters().size() + encoder->named_buffers().size(),
            c.names_with_prefix("image_encoder.").size());
}

TEST(SamCheckpoint, ReadsTheSmallMobileSamLayoutStoredInHalf) {
  const SamCheckpoint c = read_sam_checkpoint(fx::path(kTiny));
  EXPECT_EQ(c.at("image_encoder.neck.0.weight").scalar_type(), at::kHalf);
  const SamArchitecture a = tell_architecture(c);
  EXPECT_EQ(a.encoder, SamEncoderKind::TinyViT);
  EXPECT_EQ(a.name, "tiny_vit(custom)");
  EXPECT_EQ(a.tiny_embed_dims, (std::vector<int64_t>{16, 24, 32, 320}));
  EXPECT_EQ(a.tiny_depths, (std::vector<int64_t>{1, 1, 2, 1}));
  EXPECT_EQ(a.tiny_num_heads, (std::vector<int64_t>{0, 2, 2, 10}));
  EXPECT_EQ(a.tiny_window_sizes, (std::vector<int64_t>{0, 7, 14, 7}));
  EXPECT_EQ(a.tiny_mlp_dims, (std::vector<int64_t>{0, 24, 32, 320}));
  EXPECT_EQ(a.tiny_mbconv_hidden, 64);
  EXPECT_EQ(a.tiny_num_classes, 10);
  EXPECT_EQ(a.out_chans, 16);
  auto encoder = load_image_encoder(c);
  EXPECT_EQ(encoder->named_parameters().size() + encoder->named_buffers().size(),
            c.names_with_prefix("image_encoder.").size());
  // Loaded in fp32 whatever the file's dtype.
  for (const auto &p : encoder->named_parameters()) EXPECT_EQ(p.value().scalar_type(), at::kFloat);
}

// The released files' names and shapes (from the reference's builders):
// told apart from keys and shapes alone, and the modules built for them
// have exactly the released encoder's tensors.
struct Released {
  const char *layout;
  SamEncoderKind kind;
  int64_t embed_dim, depth, heads;
  std::vector<int64_t> global;
};

class SamReleasedLayout : public ::testing::TestWithParam<Released> {};

TEST_P(SamReleasedLayout, IsToldFromKeysAndShapes) {
  const Released r = GetParam();
  const SamCheckpoint c = fx::released_layout(r.layout);
  const SamArchitecture a = tell_architecture(c);
  EXPECT_EQ(a.name, r.layout);
  EXPECT_EQ(a.encoder, r.kind);
  EXPECT_EQ(a.out_chans, 256);
  EXPECT_EQ(a.embedding_size, 64);
  if (r.kind == SamEncoderKind::ViT) {
    EXPECT_EQ(a.embed_dim, r.embed_dim);
    EXPECT_EQ(a.depth, r.depth);
    EXPECT_EQ(a.num_heads, r.heads);
    EXPECT_EQ(a.mlp_dim, 4 * r.embed_dim);
    EXPECT_EQ(a.global_attn_indexes, r.global);
    EXPECT_EQ(a.window_size, 14);
  } else {
    EXPECT_EQ(a.tiny_embed_dims, (std::vector<int64_t>{64, 128, 160, 320}));
    EXPECT_EQ(a.tiny_depths, (std::vector<int64_t>{2, 2, 6, 2}));
    EXPECT_EQ(a.tiny_num_classes, 1000);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Released, SamReleasedLayout,
    ::testing::Values(Released{"vit_b", SamEncoderKind::ViT, 768, 12, 12, {2, 5, 8, 11}},
                      Released{"vit_l", SamEncoderKind::ViT, 1024, 24, 16, {5, 11, 17, 23}},
                      Released{"vit_h", SamEncoderKind::ViT, 1280, 32, 16, {7, 15, 23, 31}},
                      Released{"tiny_vit", SamEncoderKind::TinyViT, 320, 12, 0, {}}),
    [](const auto &info) { return std::string(info.param.layout); });

// ViT-B and MobileSAM at full size: the module's names and shapes are the
// released file's, one for one (ViT-L/H differ only in counts and widths).
TEST(SamCheckpoint, FullSizeModulesHaveTheReleasedEncoderTensors) {
  for (const char *layout : {"vit_b", "tiny_vit"}) {
    SCOPED_TRACE(layout);
    const SamCheckpoint c = fx::released_layout(layout);
    auto encoder = build_image_encoder(tell_architecture(c));
    std::map<std::string, std::vector<int64_t>> module, file;
    for (const auto &p : encoder->named_parameters())
      module["image_encoder." + p.key()] = p.value().sizes().vec();
    for (const auto &b : encoder->named_buffers())
      module["image_encoder." + b.key()] = b.value().sizes().vec();
    for (const auto &name : c.names_with_prefix("image_encoder."))
      file[name] = c.at(name).sizes().vec();
    EXPECT_EQ(module, file);
    // And loading them (expanded zeros: the copy is cheap) passes.
    EXPECT_NO_THROW(load_parameters(*encoder, c, "image_encoder."));
  }
}

// ------------------------------------------------------------ refusals

TEST(SamCheckpoint, MissingFileIsRefusedNamingIt) {
  const std::string path = temp_path("does_not_exist.pth");
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "cannot open")) << msg;
}

TEST(SamCheckpoint, NotAZipIsRefused) {
  const std::string path = temp_path("text.pth");
  write_file(path, "this is not a checkpoint\n");
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "not a zip archive")) << msg;
}

TEST(SamCheckpoint, EmptyFileIsRefused) {
  const std::string path = temp_path("empty.pth");
  write_file(path, "");
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "empty file")) << msg;
}

TEST(SamCheckpoint, BarePickleIsRefusedAsTheOldFormat) {
  const std::string path = temp_path("legacy.pth");
  write_file(path, std::string("\x80\x02\x8a\x0a", 4) + std::string(64, '\0'));
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "bare pickle")) << msg;
}

TEST(SamCheckpoint, TruncatedFileIsRefused) {
  const std::string bytes = read_file(fx::path(kVit));
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t keep : {bytes.size() / 2, bytes.size() - 10, size_t(100)}) {
    SCOPED_TRACE(keep);
    const std::string path = temp_path("truncated.pth");
    write_file(path, bytes.substr(0, keep));
    const std::string msg = error_of([&] { read_sam_checkpoint(path); });
    EXPECT_TRUE(has(msg, path)) << msg;
    EXPECT_TRUE(has(msg, "truncated")) << msg;
  }
}

TEST(SamCheckpoint, FlippedByteInATensorIsRefusedByItsCrc) {
  std::string bytes = read_file(fx::path(kVit));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  const std::string path = temp_path("flipped.pth");
  write_file(path, bytes);
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "CRC-32")) << msg;
}

TEST(SamCheckpoint, TorchScriptModuleIsRefused) {
  // A CLIP archive in OpenAI's layout: a TorchScript module.
  const std::string path = std::string(REFSEG_SOURCE_DIR) + "/tests/fixtures/clip/tiny_vit.pt";
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "TorchScript module")) << msg;
}

TEST(SamCheckpoint, AnotherModelsStateDictIsRefused) {
  const std::string path = temp_path("other_model.pth");
  fx::save_state_dict(
      {{"conv1.weight", torch::zeros({4, 3, 3, 3})}, {"fc.weight", torch::zeros({10, 4})}}, path);
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "not a Segment Anything checkpoint")) << msg;
  EXPECT_TRUE(has(msg, "conv1.weight")) << msg;
}

TEST(SamCheckpoint, TrainingCheckpointWithNestedDictIsRefused) {
  c10::impl::GenericDict outer(c10::StringType::get(), c10::AnyType::get());
  c10::Dict<std::string, at::Tensor> inner;
  inner.insert("image_encoder.pos_embed", torch::zeros({1, 4, 4, 8}));
  outer.insert("model", inner);
  outer.insert("epoch", c10::IValue(int64_t(3)));
  const auto bytes = torch::pickle_save(c10::IValue(outer));
  const std::string path = temp_path("training.pth");
  write_file(path, std::string(bytes.begin(), bytes.end()));
  const std::string msg = error_of([&] { read_sam_checkpoint(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "entry model is a dict, not a tensor")) << msg;
}

TEST(SamCheckpoint, WrongShapeIsRefusedNamingTensorAndShapes) {
  const std::string path = edited_vit("wrong_shape.pth", [](auto &t) {
    tensor_named(t, "image_encoder.blocks.2.mlp.lin2.weight") = torch::zeros({16, 32});
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(
      has(msg, "image_encoder.blocks.2.mlp.lin2.weight has shape [16, 32], expected [16, 64]"))
      << msg;
}

TEST(SamCheckpoint, InconsistentArchitectureIsRefused) {
  // One block's relative position table of another window size.
  const std::string path = edited_vit("odd_window.pth", [](auto &t) {
    tensor_named(t, "image_encoder.blocks.2.attn.rel_pos_h") = torch::zeros({13, 8});
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "image_encoder.blocks.2.attn.rel_pos_h has shape [13, 8]")) << msg;
}

TEST(SamCheckpoint, NaNIsRefusedNamingTheTensor) {
  const std::string path = edited_vit("nan.pth", [](auto &t) {
    auto w = tensor_named(t, "image_encoder.neck.2.weight").clone();
    w.view(-1)[5] = std::numeric_limits<float>::quiet_NaN();
    tensor_named(t, "image_encoder.neck.2.weight") = w;
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "image_encoder.neck.2.weight holds NaN or Inf")) << msg;
}

TEST(SamCheckpoint, InfIsRefusedNamingTheTensor) {
  const std::string path = edited_vit("inf.pth", [](auto &t) {
    auto w = tensor_named(t, "image_encoder.pos_embed").clone();
    w.view(-1)[0] = std::numeric_limits<float>::infinity();
    tensor_named(t, "image_encoder.pos_embed") = w;
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, "image_encoder.pos_embed holds NaN or Inf")) << msg;
}

TEST(SamCheckpoint, MissingTensorIsRefused) {
  const std::string path = edited_vit("missing.pth", [](auto &t) {
    for (auto it = t.begin(); it != t.end(); ++it)
      if (it->first == "image_encoder.blocks.1.norm2.bias") {
        t.erase(it);
        break;
      }
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "missing tensor image_encoder.blocks.1.norm2.bias")) << msg;
}

TEST(SamCheckpoint, UnexpectedTensorIsRefused) {
  const std::string path = edited_vit("unexpected.pth", [](auto &t) {
    t.emplace_back("image_encoder.blocks.0.attn.extra", torch::zeros({3}));
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "unexpected tensor image_encoder.blocks.0.attn.extra")) << msg;
}

TEST(SamCheckpoint, NeitherEncoderLayoutIsRefused) {
  const std::string path = edited_vit("no_patch_embed.pth", [](auto &t) {
    for (auto &kv : t)
      if (kv.first.rfind("image_encoder.patch_embed.", 0) == 0)
        kv.first = "image_encoder.stem." + kv.first.substr(26);
  });
  const std::string msg = error_of([&] { load_encoder(path); });
  EXPECT_TRUE(has(msg, path)) << msg;
  EXPECT_TRUE(has(msg, "neither SAM's ViT")) << msg;
}

TEST(SamCheckpoint, LookupOfAnAbsentTensorNamesFileAndTensor) {
  const SamCheckpoint c = read_sam_checkpoint(fx::path(kTiny));
  EXPECT_EQ(c.find("image_encoder.nothing"), nullptr);
  const std::string msg = error_of([&] { c.at("image_encoder.nothing"); });
  EXPECT_TRUE(has(msg, fx::path(kTiny))) << msg;
  EXPECT_TRUE(has(msg, "image_encoder.nothing")) << msg;
}

// The prompt encoder and mask decoder against segment-anything's own
// (scripts/make_sam_fixtures.py, decoder_outputs): for the small random
// checkpoints of both layouts, low-resolution mask logits and IoU
// predictions for point, point-pair, box and box+point prompts, multimask
// and single, decoded in one batch against one prepared frame.
#include <gtest/gtest.h>

#include <string>

#include <ATen/ATen.h>

#include "common/model_error.h"
#include "sam/mask_decoder.h"
#include "sam/prompt_encoder.h"
#include "sam/sam_checkpoint.h"
#include "sam_fixture.h"

using namespace refseg::sam;

namespace {

struct Loaded {
  SamCheckpoint ckpt;
  PromptEncoder prompt{nullptr};
  MaskDecoder decoder{nullptr};
};

Loaded load(const std::string &file) {
  Loaded l;
  l.ckpt = read_sam_checkpoint(fixture::path(file));
  const SamArchitecture arch = tell_architecture(l.ckpt);
  l.prompt = PromptEncoder(tell_prompt_encoder(l.ckpt, arch.embedding_size, arch.image_size));
  load_parameters(*l.prompt, l.ckpt, "prompt_encoder.");
  l.decoder = MaskDecoder(tell_mask_decoder(l.ckpt));
  load_parameters(*l.decoder, l.ckpt, "mask_decoder.");
  return l;
}

// max |a - b| <= atol + rtol |b|, reporting the worst element.
::testing::AssertionResult close(const at::Tensor &a, const at::Tensor &b, double atol,
                                 double rtol) {
  if (a.sizes() != b.sizes())
    return ::testing::AssertionFailure() << "shape " << a.sizes() << " vs " << b.sizes();
  auto excess = (a - b).abs() - (atol + rtol * b.abs());
  const double worst = excess.max().item<double>();
  if (worst <= 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |a - b| = " << (a - b).abs().max().item<double>()
                                       << " (max |b| " << b.abs().max().item<double>() << ")";
}

const int64_t kStride = 3;  // decoder_outputs stores logits at [..., ::3, ::3]

void check_layout(const std::string &ckpt_file, const std::string &stem) {
  Loaded l = load(ckpt_file);
  const auto ref = fixture::reference(stem + "_decoder_reference.pt");
  ASSERT_TRUE(close(l.prompt->dense_pe(), fixture::entry(ref, "dense_pe"), 1e-5, 1e-5));
  const DecoderFrame frame = l.decoder->prepare(fixture::entry(ref, "embedding"),
                                                l.prompt->dense_pe(), l.prompt->dense_no_mask());
  at::NoGradGuard no_grad;
  const auto get = [&](const std::string &k) {
    const auto it = ref.find(k);
    return it == ref.end() ? at::Tensor() : it->second;
  };
  int cases = 0;
  for (const std::string name : {"points", "pairs", "boxes", "box_point"}) {
    const at::Tensor sparse =
        l.prompt->sparse(get(name + "_coords"), get(name + "_labels"), get(name + "_boxes"));
    for (const bool multi : {true, false}) {
      const std::string tag = name + (multi ? "_multi" : "_single");
      SCOPED_TRACE(stem + " " + tag);
      const DecodedMasks out = l.decoder->decode(frame, sparse, multi);
      const at::Tensor &iou = fixture::entry(ref, tag + "_iou");
      const at::Tensor &low = fixture::entry(ref, tag + "_low");
      EXPECT_EQ(out.logits.size(1), multi ? 3 : 1);
      EXPECT_TRUE(close(out.iou, iou, 1e-4, 1e-4));
      const at::Tensor mine =
          out.logits.slice(2, 0, c10::nullopt, kStride).slice(3, 0, c10::nullopt, kStride);
      const double scale = std::max(1.0, low.abs().max().item<double>());
      EXPECT_TRUE(close(mine, low, 1e-4 * scale, 1e-4));
      if (tag == "points_multi") {
        EXPECT_TRUE(
            close(out.logits[0], fixture::entry(ref, tag + "_low_full0"), 1e-4 * scale, 1e-4));
      }
      ++cases;
    }
  }
  EXPECT_EQ(cases, 8);
}

}  // namespace

TEST(SamMaskDecoder, VitLayoutEqualsReference) {
  check_layout("sam_vit_small.pth", "sam_vit_small");
}

TEST(SamMaskDecoder, MobileSamLayoutEqualsReference) {
  check_layout("mobile_sam_small.pt", "mobile_sam_small");
}

// One prompt at a time gives what the batch gives (nothing leaks between
// prompts of a batch through the shared first-block projections).
TEST(SamMaskDecoder, BatchEqualsOneByOne) {
  Loaded l = load("sam_vit_small.pth");
  const auto ref = fixture::reference("sam_vit_small_decoder_reference.pt");
  const DecoderFrame frame = l.decoder->prepare(fixture::entry(ref, "embedding"),
                                                l.prompt->dense_pe(), l.prompt->dense_no_mask());
  at::NoGradGuard no_grad;
  const at::Tensor sparse = l.prompt->sparse(fixture::entry(ref, "points_coords"),
                                             fixture::entry(ref, "points_labels"), at::Tensor());
  const DecodedMasks all = l.decoder->decode(frame, sparse, true);
  for (int64_t i = 0; i < sparse.size(0); ++i) {
    const DecodedMasks one = l.decoder->decode(frame, sparse.narrow(0, i, 1), true);
    EXPECT_TRUE(close(one.logits, all.logits.narrow(0, i, 1), 1e-5, 1e-5)) << i;
    EXPECT_TRUE(close(one.iou, all.iou.narrow(0, i, 1), 1e-6, 1e-5)) << i;
  }
}

// bf16 (image tokens and upscaling in bf16, their norms and the tokens'
// side fp32) decodes what the reference decodes in fp32 to bf16's rounding:
// the same masks where a logit is not near the threshold, IoU predictions
// within 0.01 of the scale of the reference's; logits within 8% of their
// largest (5.4% seen on the small ViT layout, 3% from the upscaling alone).
TEST(SamMaskDecoder, Bf16DecodesTheReferenceMasks) {
  for (const std::string stem : {"sam_vit_small", "mobile_sam_small"}) {
    SCOPED_TRACE(stem);
    Loaded l = load(stem == "sam_vit_small" ? "sam_vit_small.pth" : "mobile_sam_small.pt");
    l.decoder->set_bf16(true);
    const auto ref = fixture::reference(stem + "_decoder_reference.pt");
    const DecoderFrame frame = l.decoder->prepare(fixture::entry(ref, "embedding"),
                                                  l.prompt->dense_pe(), l.prompt->dense_no_mask());
    at::NoGradGuard no_grad;
    const at::Tensor sparse = l.prompt->sparse(fixture::entry(ref, "points_coords"),
                                               fixture::entry(ref, "points_labels"), at::Tensor());
    const DecodedMasks out = l.decoder->decode(frame, sparse, true);
    const at::Tensor &iou = fixture::entry(ref, "points_multi_iou");
    const at::Tensor &low = fixture::entry(ref, "points_multi_low");
    const at::Tensor mine =
        out.logits.slice(2, 0, c10::nullopt, kStride).slice(3, 0, c10::nullopt, kStride);
    const double scale = low.abs().max().item<double>();
    const at::Tensor clear = low.abs() > 0.05 * scale;
    const double agree = ((mine > 0) == (low > 0)).logical_and(clear).sum().item<double>() /
                         clear.sum().item<double>();
    std::printf(
        "%s bf16: logits max |diff| %.4g of max %.4g, sign agreement %.6f, iou max |diff| %.4g of "
        "%.4g\n",
        stem.c_str(), (mine - low).abs().max().item<double>(), scale, agree,
        (out.iou - iou).abs().max().item<double>(), iou.abs().max().item<double>());
    EXPECT_EQ(agree, 1.0);
    EXPECT_TRUE(close(mine, low, 0.08 * scale, 0.0));
    EXPECT_TRUE(close(out.iou, iou, 0.01 * std::max(1.0, iou.abs().max().item<double>()), 0.0));
  }
}

// The released layouts' decoder: width 256, 8 heads, MLP 2048, 4 mask tokens.
TEST(SamMaskDecoder, ReleasedLayoutsAreTold) {
  for (const std::string layout : {"vit_b", "vit_l", "vit_h", "tiny_vit"}) {
    SCOPED_TRACE(layout);
    const SamCheckpoint c = fixture::released_layout(layout);
    const MaskDecoderConfig d = tell_mask_decoder(c);
    EXPECT_EQ(d.dim, 256);
    EXPECT_EQ(d.heads, 8);
    EXPECT_EQ(d.mlp_dim, 2048);
    EXPECT_EQ(d.depth, 2);
    EXPECT_EQ(d.downsample, 2);
    EXPECT_EQ(d.num_mask_tokens, 4);
    EXPECT_EQ(d.iou_head_depth, 3);
    const PromptEncoderConfig p = tell_prompt_encoder(c, 64, 1024);
    EXPECT_EQ(p.embed_dim, 256);
    EXPECT_EQ(p.mask_in_chans, 16);
    // Every released decoder/prompt tensor has a module parameter of its shape.
    MaskDecoder decoder(d);
    PromptEncoder prompt(p);
    size_t n = 0;
    for (const auto &kv : decoder->named_parameters()) {
      const torch::Tensor *t = c.find("mask_decoder." + kv.key());
      ASSERT_NE(t, nullptr) << kv.key();
      EXPECT_EQ(t->sizes(), kv.value().sizes()) << kv.key();
      ++n;
    }
    for (const auto &kv : prompt->named_parameters()) {
      const torch::Tensor *t = c.find("prompt_encoder." + kv.key());
      ASSERT_NE(t, nullptr) << kv.key();
      EXPECT_EQ(t->sizes(), kv.value().sizes()) << kv.key();
      ++n;
    }
    EXPECT_EQ(n + 1 /* the Gaussian matrix buffer */,
              c.names_with_prefix("mask_decoder.").size() +
                  c.names_with_prefix("prompt_encoder.").size());
  }
}

TEST(SamMaskDecoder, MissingDecoderTensorIsRefusedNamingIt) {
  SamCheckpoint c = read_sam_checkpoint(fixture::path("sam_vit_small.pth"));
  for (auto it = c.tensors.begin(); it != c.tensors.end(); ++it)
    if (it->first == "mask_decoder.iou_token.weight") {
      c.tensors.erase(it);
      break;
    }
  try {
    tell_mask_decoder(c);
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("mask_decoder.iou_token.weight"), std::string::npos)
        << e.what();
  }
}

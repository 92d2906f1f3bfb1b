// The decoder's fused passes against the ATen ops they replace
// (sam/decoder_kernels.h), in fp32 and bf16: the upscaling's at the released
// width (C/4 = 64, C/8 = 32 channels, three multimask outputs) and a
// narrower one, the LayerNorm's sums over rows in the layouts it uses them.
#include <gtest/gtest.h>

#include "sam/decoder_kernels.h"

#include <utility>
#include <vector>

namespace refseg::sam {
namespace {

struct NormInputs {
  at::Tensor y, alpha, frame, bias, weight, norm_bias;
};

NormInputs norm_inputs(int64_t B, int64_t N, int64_t G, int64_t C, at::ScalarType dt) {
  at::manual_seed(11);
  return {at::randn({B, N, G * C}).mul_(3.0).to(dt),
          at::rand({B, N}).add_(0.25),
          at::randn({N, G * C}).to(dt),
          at::randn({G * C}),
          at::randn({C}),
          at::randn({C})};
}

at::Tensor run_norm(const NormInputs &in, FusedKernel k) {
  return norm_gelu(in.y, in.alpha, in.frame, in.bias, in.weight, in.norm_bias, 1e-6, k);
}

double max_error(const at::Tensor &a, const at::Tensor &b) {
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

TEST(DecoderKernels, NormGeluEqualsTheAtenOps) {
  if (!fused_kernels_available()) GTEST_SKIP() << "no AVX-512 or no SLEEF: ATen ops only";
  for (int64_t C : {64, 32}) {
    const NormInputs in = norm_inputs(2, 100, 4, C, at::kFloat);
    const at::Tensor fused = run_norm(in, FusedKernel::automatic);
    const at::Tensor ref = run_norm(in, FusedKernel::aten);
    ASSERT_EQ(fused.sizes(), ref.sizes());
    EXPECT_LT(max_error(fused, ref), 1e-5) << "C " << C;
  }
}

TEST(DecoderKernels, NormGeluInBf16) {
  if (!fused_kernels_available()) GTEST_SKIP() << "no AVX-512 or no SLEEF: ATen ops only";
  const NormInputs in = norm_inputs(2, 100, 4, 64, at::kBFloat16);
  const at::Tensor fused = run_norm(in, FusedKernel::automatic);
  EXPECT_EQ(fused.scalar_type(), at::kBFloat16);
  // The ATen ops round the sum to bf16 before the norm; the pass does not.
  // Both are within bf16's rounding of the fp32 result of the same inputs.
  NormInputs wide = in;
  wide.y = in.y.to(at::kFloat);
  wide.frame = in.frame.to(at::kFloat);
  const at::Tensor exact = run_norm(wide, FusedKernel::aten);
  const double scale = exact.abs().max().item<double>();
  EXPECT_LT(max_error(fused, exact), scale * 8e-3);
  EXPECT_LE(max_error(fused, exact), max_error(run_norm(in, FusedKernel::aten), exact));
}

TEST(DecoderKernels, MaskProductEqualsTheAtenOps) {
  if (!fused_kernels_available()) GTEST_SKIP() << "no AVX-512 or no SLEEF: ATen ops only";
  const int64_t h = 6, w = 5;
  for (int64_t K : {3, 1}) {
    for (auto dt : {at::kFloat, at::kBFloat16}) {
      at::manual_seed(12);
      const at::Tensor z = at::randn({2, h * w * 16, 32}).mul_(2.0).to(dt);
      const at::Tensor hyper = at::randn({2, K, 32});
      at::Tensor fused = at::full({2, K, 4 * h, 4 * w}, NAN), ref = fused.clone();
      gelu_mask_product(z, hyper, h, w, fused, FusedKernel::automatic);
      gelu_mask_product(z, hyper, h, w, ref, FusedKernel::aten);
      // Every pixel written (the NaN fill gone), each where the ATen ops put it.
      EXPECT_FALSE(fused.isnan().any().item<bool>());
      // bf16: the ATen ops round the activations and the logits to bf16.
      const double tol = dt == at::kFloat ? 1e-5 : 0.02 * ref.abs().max().item<double>();
      EXPECT_LT(max_error(fused, ref), tol) << "K " << K << " " << c10::toString(dt);
    }
  }
}

TEST(DecoderKernels, DotOverRowsEqualsTheAtenOps) {
  if (!fused_kernels_available()) GTEST_SKIP() << "no AVX-512 or no SLEEF: ATen ops only";
  at::manual_seed(13);
  // [B, M, N]; [B, H, T, N] read through a transposed [H, B, T, N]; a
  // broadcast [M, N] (stride 0 over B) against a narrowed block of rows; a
  // column count not a multiple of the pass's 256-cell tiles.
  const at::Tensor a3 = at::randn({3, 10, 4096}), b3 = at::randn({3, 10, 4096});
  const at::Tensor a4 = at::randn({3, 4, 5, 272}), d4 = at::randn({4, 3, 5, 272}).transpose(0, 1);
  const at::Tensor rows = at::randn({2, 4096}).unsqueeze(0).expand({3, -1, -1});
  const at::Tensor coeff = at::randn({3, 12, 4096}).narrow(1, 4, 2);
  const std::vector<std::pair<at::Tensor, at::Tensor>> cases = {{a3, b3}, {a4, d4}, {coeff, rows}};
  for (const auto &[a, b] : cases) {
    const at::Tensor fused = dot_over_rows(a, b), ref = dot_over_rows(a, b, FusedKernel::aten);
    ASSERT_EQ(fused.sizes(), ref.sizes());
    EXPECT_LT(max_error(fused, ref), 1e-4) << a.sizes();
    // bf16 inputs: exact products summed in fp32, so equal to fp32 sums of
    // the same bf16 values.
    const at::Tensor ab = a.to(at::kBFloat16), bb = b.to(at::kBFloat16);
    EXPECT_LT(max_error(dot_over_rows(ab, bb),
                        dot_over_rows(ab.to(at::kFloat), bb.to(at::kFloat), FusedKernel::aten)),
              1e-4)
        << a.sizes();
  }
}

TEST(DecoderKernels, OtherShapesFallBackToAten) {
  // 24 channels do not fill AVX-512 vectors: the ATen ops run, same result.
  const NormInputs in = norm_inputs(1, 10, 4, 24, at::kFloat);
  EXPECT_LT(max_error(run_norm(in, FusedKernel::automatic), run_norm(in, FusedKernel::aten)), 1e-6);
}

}  // namespace
}  // namespace refseg::sam

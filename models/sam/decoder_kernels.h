// Fused passes of the mask decoder over its largest per-prompt arrays. The
// output upscaling after each transposed convolution, as two passes over a
// prompt's upscaled planes:
//
//   norm_gelu:          GELU(LayerNorm(y + alpha o frame + bias)), the first
//                       convolution's factored output normalised per pixel;
//   gelu_mask_product:  GELU(z) . hyper, the second convolution's output
//                       activated and multiplied by the hypernetwork's
//                       vectors, written as masks at 4x the embedding's size.
//
// As ATen ops each step is several passes over planes of millions of values
// (adds, type conversions, the norm, the activation, a skinny matmul and a
// reordering copy), which cost more than the matmuls around them. Where the
// CPU has AVX-512 (and the build found SLEEF, the vector maths library whose
// exp the pass's erf uses) each is one pass that reads its input once and
// computes in fp32; elsewhere, and for tensors not on the CPU, the same ATen
// ops run. Both compute the same function (tests/sam/test_decoder_kernels):
// tools/bench_sam, MobileSAM bf16, one run: upscaling 242 ms per 64 prompts
// against 324-350 as ATen ops.
//
// And the factored LayerNorm's sums over the coefficient rows
// (sam/factored_image_tokens.h), dot_over_rows: one pass over two arrays of
// [rows, cells] per prompt instead of a product array and its sum.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace refseg::sam {

enum class FusedKernel {
  automatic,  // the fused pass where available, else ATen ops
  aten,       // ATen ops always (the reference the fused passes are tested against)
};

// Whether this build and CPU run the fused passes.
bool fused_kernels_available();

// y [B, N, G C] (bf16 or fp32): the first transposed convolution's per-prompt
// part for N cells, each with G children of C channels; frame [N, G C] in
// y's type: the frame part, scaled per prompt and cell by alpha [B, N]
// (fp32); bias [G C]. Returns GELU(LayerNorm over each child's C channels
// with weight, norm_bias [C] and eps) as [B, N, G C] in y's type.
at::Tensor norm_gelu(const at::Tensor &y, const at::Tensor &alpha, const at::Tensor &frame,
                     const at::Tensor &bias, const at::Tensor &weight, const at::Tensor &norm_bias,
                     double eps, FusedKernel kernel = FusedKernel::automatic);

// z [B, h w 16, C] (bf16 or fp32), the second convolution's output with its
// bias, rows ordered (i, j, di, dj, ei, ej) for the pixel
// (4i + 2di + ei, 4j + 2dj + ej); hyper [B, K, C] (fp32). Writes
// GELU(z) . hyper_k into out [B, K, 4h, 4w] (fp32, contiguous).
void gelu_mask_product(const at::Tensor &z, const at::Tensor &hyper, int64_t h, int64_t w,
                       at::Tensor &out, FusedKernel kernel = FusedKernel::automatic);

// a, b [B, M, N] or [B, H, T, N] (bf16 or fp32 each, any strides but the
// cells' dimension N contiguous; a stride of 0 broadcasts): the sum over the
// rows of their products, [B, N] fp32. The fused pass accumulates exact
// products in fp32; the ATen ops round them (and the bf16 sum) to the inputs'
// type.
at::Tensor dot_over_rows(const at::Tensor &a, const at::Tensor &b,
                         FusedKernel kernel = FusedKernel::automatic);

}  // namespace refseg::sam

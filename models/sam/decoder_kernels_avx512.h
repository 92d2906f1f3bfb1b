// The fused upscaling passes of sam/decoder_kernels.h in AVX-512, compiled
// alone with -mavx512f and called only where the CPU has it. The interface
// is plain pointers and row ranges on purpose: nothing here may instantiate
// a template that another translation unit also instantiates, or the linker
// could keep this file's AVX-512 copy for every caller.
#pragma once

#include <cstdint>

namespace refseg::sam::avx512 {

struct NormGeluPass {
  const void *y;                                   // [B, N, G C], bf16 bits or fp32
  const void *frame;                               // [N, G C], y's type
  const float *alpha, *bias, *weight, *norm_bias;  // [B, N], [G C], [C], [C]
  void *out;                                       // [B, N, G C], y's type
  int64_t cells, groups, channels;                 // N, G, C (C a multiple of 16, at most 256)
  float eps;
  bool bf16;
};
// Rows [begin, end) of the B N (prompt, cell) rows.
void norm_gelu_rows(const NormGeluPass &p, int64_t begin, int64_t end);

struct MaskProductPass {
  const void *z;                  // [B, h w 16, C], bf16 bits or fp32
  const float *hyper;             // [B, K, C]
  float *out;                     // [B, K, 4h, 4w]
  int64_t h, w, channels, masks;  // C a multiple of 16 (at most 64), K at most 4
  bool bf16;
};
// Rows [begin, end) of the B h (prompt, embedding row) rows.
void gelu_mask_product_rows(const MaskProductPass &p, int64_t begin, int64_t end);

struct RowDotPass {
  const void *a, *b;  // [B, H, T, N] with these element strides for B, H, T; N contiguous
  int64_t a_strides[3], b_strides[3];
  bool a_bf16, b_bf16;
  int64_t heads, tokens, cells;  // H, T, N (N a multiple of 16)
  float *out;                    // [B, N]
};
// Tiles [begin, end) of the B x (N / kRowDotTile) (prompt, cell tile) tiles.
constexpr int64_t kRowDotTile = 256;
void dot_over_rows_tiles(const RowDotPass &p, int64_t begin, int64_t end);

}  // namespace refseg::sam::avx512

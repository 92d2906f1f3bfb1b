// Compiled with -mavx512f (models/sam/meson.build); see the header for why
// this file holds nothing but the two passes and file-local helpers.
#include "sam/decoder_kernels_avx512.h"

#include <immintrin.h>
#include <sleef.h>

#include <cmath>

namespace refseg::sam::avx512 {
namespace {

inline __m512 load16(const void *base, int64_t index, bool bf16) {
  if (!bf16) return _mm512_loadu_ps(static_cast<const float *>(base) + index);
  const __m256i h = _mm256_loadu_si256(
      reinterpret_cast<const __m256i *>(static_cast<const uint16_t *>(base) + index));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// fp32 to bf16 rounding to nearest even, NaN kept quiet: c10::BFloat16's
// rounding, so a bf16 result equals ATen's conversion of the same fp32 value.
inline void store16(void *base, int64_t index, __m512 v, bool bf16) {
  if (!bf16) {
    _mm512_storeu_ps(static_cast<float *>(base) + index, v);
    return;
  }
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(
      _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff))), 16);
  r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), r, _mm512_set1_epi32(0x7fc0));
  _mm256_storeu_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(base) + index),
                      _mm512_cvtepi32_epi16(r));
}

// erf by Abramowitz & Stegun 7.1.26: 1 - t (a1 + t (a2 + ... a5 t)) exp(-x^2)
// with t = 1 / (1 + p |x|), odd in x; its error, at most 1.5e-7, is below
// the fp32 rounding of the GELU it feeds. SLEEF's 1-ulp erff costs about
// four times as much (2.5 ns a value on this machine against exp's 0.4).
inline __m512 erf(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign_bit = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), sign_bit);
  const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign_bit, _mm512_castps_si512(x)));
  const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.3275911f), ax, one));
  __m512 poly = _mm512_set1_ps(1.061405429f);
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
  poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
  const __m512 e =
      Sleef_expf16_u10avx512f(_mm512_mul_ps(ax, _mm512_sub_ps(_mm512_setzero_ps(), ax)));
  const __m512 r = _mm512_fnmadd_ps(_mm512_mul_ps(poly, t), e, one);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(r), sign));
}

// The exact (erf) GELU in ATen's order of operations: x 0.5 (1 + erf(x / sqrt 2)).
inline __m512 gelu(__m512 x) {
  const __m512 e = erf(_mm512_mul_ps(x, _mm512_set1_ps(float(M_SQRT1_2))));
  return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)),
                       _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// Lane i of the result is the sum of v[i]'s 16 lanes: pairs, then quads
// within each 128-bit lane, then across the four 128-bit lanes.
inline __m512 transposed_sums(const __m512 v[16]) {
  __m512 a[8], b[4];
  for (int i = 0; i < 8; ++i)
    a[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                         _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; ++i) {
    const __m512d x = _mm512_castps_pd(a[2 * i]), y = _mm512_castps_pd(a[2 * i + 1]);
    b[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
  }
  // b[i]'s 128-bit lane L holds sources 4i..4i+3 summed over lane L.
  const __m512 u0 = _mm512_add_ps(_mm512_shuffle_f32x4(b[0], b[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(b[0], b[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 u1 = _mm512_add_ps(_mm512_shuffle_f32x4(b[2], b[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(b[2], b[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(u0, u1, _MM_SHUFFLE(3, 1, 3, 1)));
}

constexpr int kMaxChannelVectors = 16;  // C at most 256
constexpr int kMaxMaskVectors = 4;      // C at most 64
constexpr int kMaxMasks = 4;

}  // namespace

void norm_gelu_rows(const NormGeluPass &p, int64_t begin, int64_t end) {
  const int64_t C = p.channels, G = p.groups, q = C / 16;
  const __m512 inv_c = _mm512_set1_ps(1.0f / static_cast<float>(C));
  __m512 v[kMaxChannelVectors];
  for (int64_t row = begin; row < end; ++row) {
    const int64_t cell = row % p.cells;
    const __m512 a = _mm512_set1_ps(p.alpha[row]);
    for (int64_t g = 0; g < G; ++g) {
      const int64_t at = (row * G + g) * C, fat = (cell * G + g) * C;
      __m512 sum = _mm512_setzero_ps();
      for (int64_t k = 0; k < q; ++k) {
        v[k] = _mm512_add_ps(_mm512_fmadd_ps(a, load16(p.frame, fat + 16 * k, p.bf16),
                                             load16(p.y, at + 16 * k, p.bf16)),
                             _mm512_loadu_ps(p.bias + g * C + 16 * k));
        sum = _mm512_add_ps(sum, v[k]);
      }
      const float mean = _mm512_reduce_add_ps(_mm512_mul_ps(sum, inv_c));
      __m512 squares = _mm512_setzero_ps();
      for (int64_t k = 0; k < q; ++k) {
        const __m512 d = _mm512_sub_ps(v[k], _mm512_set1_ps(mean));
        squares = _mm512_fmadd_ps(d, d, squares);
      }
      const float var = _mm512_reduce_add_ps(squares) / static_cast<float>(C);
      const float rstd = 1.0f / __builtin_sqrtf(var + p.eps);
      // ATen's order: (x rstd - rstd mean) weight + bias.
      const __m512 scale = _mm512_set1_ps(rstd), shift = _mm512_set1_ps(-rstd * mean);
      for (int64_t k = 0; k < q; ++k) {
        const __m512 x =
            _mm512_fmadd_ps(_mm512_fmadd_ps(v[k], scale, shift), _mm512_loadu_ps(p.weight + 16 * k),
                            _mm512_loadu_ps(p.norm_bias + 16 * k));
        store16(p.out, at + 16 * k, gelu(x), p.bf16);
      }
    }
  }
}

void gelu_mask_product_rows(const MaskProductPass &p, int64_t begin, int64_t end) {
  const int64_t C = p.channels, q = C / 16, K = p.masks, h = p.h, w = p.w, W = 4 * w;
  // Lane (di, dj, ei, ej) of a cell's 16 children to the row-major 4x4 block:
  // block position (2 di + ei, 2 dj + ej) reads lane di 8 + dj 4 + ei 2 + ej.
  alignas(64) int32_t order[16];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      order[r * 4 + c] = (r >> 1) * 8 + (c >> 1) * 4 + (r & 1) * 2 + (c & 1);
  const __m512i block_order = _mm512_load_si512(order);
  __m512 hyper[kMaxMasks][kMaxMaskVectors], partial[kMaxMasks][16];
  for (int64_t row = begin; row < end; ++row) {
    const int64_t b = row / h, i = row % h;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t v = 0; v < q; ++v)
        hyper[k][v] = _mm512_loadu_ps(p.hyper + (b * K + k) * C + 16 * v);
    for (int64_t j = 0; j < w; ++j) {
      const int64_t first = ((b * h + i) * w + j) * 16;
      for (int child = 0; child < 16; ++child) {
        __m512 g[kMaxMaskVectors];
        for (int64_t v = 0; v < q; ++v)
          g[v] = gelu(load16(p.z, (first + child) * C + 16 * v, p.bf16));
        for (int64_t k = 0; k < K; ++k) {
          __m512 s = _mm512_mul_ps(g[0], hyper[k][0]);
          for (int64_t v = 1; v < q; ++v) s = _mm512_fmadd_ps(g[v], hyper[k][v], s);
          partial[k][child] = s;
        }
      }
      for (int64_t k = 0; k < K; ++k) {
        const __m512 block = _mm512_permutexvar_ps(block_order, transposed_sums(partial[k]));
        float *o = p.out + ((b * K + k) * 4 * h + 4 * i) * W + 4 * j;
        _mm_storeu_ps(o, _mm512_extractf32x4_ps(block, 0));
        _mm_storeu_ps(o + W, _mm512_extractf32x4_ps(block, 1));
        _mm_storeu_ps(o + 2 * W, _mm512_extractf32x4_ps(block, 2));
        _mm_storeu_ps(o + 3 * W, _mm512_extractf32x4_ps(block, 3));
      }
    }
  }
}

void dot_over_rows_tiles(const RowDotPass &p, int64_t begin, int64_t end) {
  const int64_t tiles = (p.cells + kRowDotTile - 1) / kRowDotTile;
  for (int64_t task = begin; task < end; ++task) {
    const int64_t b = task / tiles, first = (task % tiles) * kRowDotTile;
    const int64_t left = p.cells - first, q = (left < kRowDotTile ? left : kRowDotTile) / 16;
    __m512 acc[kRowDotTile / 16];
    for (int64_t v = 0; v < q; ++v) acc[v] = _mm512_setzero_ps();
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t t = 0; t < p.tokens; ++t) {
        const int64_t ao = b * p.a_strides[0] + h * p.a_strides[1] + t * p.a_strides[2] + first,
                      bo = b * p.b_strides[0] + h * p.b_strides[1] + t * p.b_strides[2] + first;
        for (int64_t v = 0; v < q; ++v)
          acc[v] = _mm512_fmadd_ps(load16(p.a, ao + 16 * v, p.a_bf16),
                                   load16(p.b, bo + 16 * v, p.b_bf16), acc[v]);
      }
    for (int64_t v = 0; v < q; ++v) _mm512_storeu_ps(p.out + b * p.cells + first + 16 * v, acc[v]);
  }
}

}  // namespace refseg::sam::avx512

// The mask decoder's per-prompt image tokens in factored form.
//
// In SAM's two-way transformer every prompt owns its own [N, C] image
// tokens (N = 64 x 64 embedding cells), but they differ from the frame's
// embedding only by low-rank terms: an image-to-token attention adds, per
// cell, a mix of H x T rows (T tokens, H heads: each token's value through
// out_proj), and a LayerNorm rescales each cell and adds constant rows. So
// every cell r of a prompt's tokens is exactly
//
//     keys_r = alpha_r * F_r + sum_j w_rj * E_j
//
// with F the frame part (the embedding with the LayerNorms' weights
// applied, the same for every prompt), alpha and w [N, m] per prompt, and E
// [m, C] (m about 2 H T) per prompt. What the decoder does to the tokens is
// linear in them or needs only their per-cell mean and variance:
//  - a projection W keys_r = alpha_r (W F_r) + w_r (W E^T): W F is computed
//    once per frame, W E^T is m x C per prompt;
//  - a LayerNorm's statistics come from |F_r - mean|^2 (per frame), the
//    products E_j . F_r, which go through each head's c-wide value space
//    (E_j = Wo_h v_ht: v_ht . (Wo_h^T F_r), with Wo_h^T F per frame), and the
//    m x m Gram matrix of E.
// A prompt's work on the image side drops from O(N C) per product to
// O(N m) with m < C, and the [N, C] tokens are never formed. The algebra
// is exact; results equal the direct computation to float rounding
// (tests/sam against segment-anything's own decoder).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace refseg::sam {

// One prompt batch's image tokens: keys[b, r] = alpha[b, r] F_r + sum_j wt[b, j, r] rows[b, j].
struct FactoredTokens {
  at::Tensor alpha;  // [B, N]; undefined means 1 (the embedding as it is)
  // [B, m, N]: the rows' coefficients, cells contiguous, in the compute
  // type (the frame projections': fp32, or bf16 for the big per-prompt
  // products); undefined while m = 0. LayerNorm statistics sum in fp32.
  at::Tensor wt;
  at::Tensor rows;  // [B, m, C]
  // What the rows are, in order: a head block is one image-to-token
  // attention's H x T value rows (layer `layer`, values v [B, H, T, c]); a
  // constant block (layer -1) a LayerNorm's weight and bias rows, the same
  // for every prompt.
  struct Block {
    int layer = -1;
    int64_t begin = 0, size = 0;
    at::Tensor v;
  };
  std::vector<Block> blocks;

  int64_t batch() const { return alpha.defined() ? alpha.size(0) : -1; }
  int64_t width() const { return rows.defined() ? rows.size(1) : 0; }  // m
};

// A projection of the frame part for one attention, per head [H, N, c]:
// `frame` = F W^T, `pe` = pe W^T + bias where the bias matters (queries of
// an image-to-token attention; a key bias shifts a query's scores alike,
// which softmax ignores).
struct FrameProjection {
  at::Tensor frame, pe;
};

// What a LayerNorm of the tokens needs of the frame: F's per-cell mean [N]
// and centred square norm [N], the centred F [N, C], and per head block
// present at that norm (index = its layer) the products with the values'
// space, (g o Fc) Wo as [H, N, c], and (g o Fc) . bo / H as [N], where g is
// the product of the LayerNorm weights the block has been through.
struct FrameNormTerms {
  at::Tensor mean, centred_square, centred;
  std::vector<at::Tensor> head_values, head_bias;
  // Per constant block before this norm, in order: its rows . centred F,
  // [size, N] (the rows are weights, the same for every prompt).
  std::vector<at::Tensor> constant_dots;
};

// constant_dots for one constant block's rows [n, C], as they are at this norm.
void add_constant_terms(FrameNormTerms &terms, const at::Tensor &rows);

// (g o centred) Wo and (g o centred) . bo / H for one head block, for
// FrameNormTerms: out_weight [C, H c], out_bias [C], g [C] or undefined.
void add_head_terms(FrameNormTerms &terms, const at::Tensor &g, const at::Tensor &out_weight,
                    const at::Tensor &out_bias, int64_t heads);
// mean, centred, centred_square of the frame part F [N, C].
FrameNormTerms frame_norm_terms(const at::Tensor &frame);

// x [N, C] W^T (+ bias) as [H, N, c].
at::Tensor project_heads(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                         int64_t heads);

// Token-to-image attention (keys = tokens + pe, values = tokens): qh [B, H,
// T, c] the tokens' queries through q_proj, scaled by 1/sqrt(c); key
// projection (frame, pe) and value projection `value` (frame only) of the
// frame part; wk, wv [H c, C] and bv [H c] the key and value projections.
// Returns the attention's output before out_proj, [B, T, H c].
at::Tensor factored_token_to_image(const at::Tensor &qh, const FactoredTokens &tokens,
                                   const FrameProjection &key, const at::Tensor &value,
                                   const at::Tensor &wk, const at::Tensor &wv,
                                   const at::Tensor &bv);

// tokens += image-to-token attention (queries = tokens + pe, keys and
// values = the T prompt tokens): kh [B, H, T, c] the tokens' keys through
// k_proj scaled by 1/sqrt(c), vh [B, H, T, c] their values through v_proj;
// `query` the frame part's query projection (pe with q_proj's bias); wq
// [H c, C]; wo [C, H c] and bo [C] the output projection. Appends one head
// block for `layer`.
void factored_add_image_to_token(FactoredTokens &tokens, const at::Tensor &kh, const at::Tensor &vh,
                                 const FrameProjection &query, const at::Tensor &wq,
                                 const at::Tensor &wo, const at::Tensor &bo, int layer);

// tokens = LayerNorm(tokens) over C (weight, bias [C], eps), with the frame
// terms of the frame part the tokens currently hold. The frame part becomes
// weight o F (the caller's next FrameNormTerms and projections use that);
// appends one constant block.
void factored_layer_norm(FactoredTokens &tokens, const FrameNormTerms &frame,
                         const at::Tensor &weight, const at::Tensor &bias, double eps);

}  // namespace refseg::sam

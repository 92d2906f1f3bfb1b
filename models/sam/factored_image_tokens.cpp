#include "sam/factored_image_tokens.h"

#include <ATen/ATen.h>

#include "sam/decoder_kernels.h"

namespace refseg::sam {

at::Tensor project_heads(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                         int64_t heads) {
  const int64_t N = x.size(0), c = weight.size(0) / heads;
  at::Tensor y = bias.defined() ? at::addmm(bias, x, weight.t()) : at::mm(x, weight.t());
  return y.view({N, heads, c}).transpose(0, 1).contiguous();
}

FrameNormTerms frame_norm_terms(const at::Tensor &frame) {
  FrameNormTerms t;
  t.mean = frame.mean(-1);
  t.centred = frame - t.mean.unsqueeze(-1);
  t.centred_square = t.centred.square().sum(-1);
  return t;
}

void add_constant_terms(FrameNormTerms &t, const at::Tensor &rows) {
  t.constant_dots.push_back(at::mm(rows, t.centred.t()));
}

void add_head_terms(FrameNormTerms &t, const at::Tensor &g, const at::Tensor &wo,
                    const at::Tensor &bo, int64_t heads) {
  const at::Tensor x = g.defined() ? t.centred * g : t.centred;
  const int64_t N = x.size(0), c = wo.size(1) / heads;
  t.head_values.push_back(at::mm(x, wo).view({N, heads, c}).transpose(0, 1).contiguous());
  t.head_bias.push_back(at::mv(x, bo) / static_cast<double>(heads));
}

namespace {

// Scores of per-head vectors x [B, H, T, c] against the frame part's
// projection: alpha_r (x . frame_r) + x . pe_r, as [H, B, T, N]. Both
// products share the frame's [H, N, c] across prompts (one bmm each).
at::Tensor frame_scores(const FactoredTokens &t, const FrameProjection &p, const at::Tensor &x) {
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), c = x.size(3), N = p.frame.size(1);
  const at::Tensor xh = x.transpose(0, 1).reshape({H, B * T, c}).to(p.frame.scalar_type());
  at::Tensor s = at::bmm(xh, p.frame.transpose(1, 2));  // [H, B T, N]
  if (t.alpha.defined()) s.view({H, B, T, N}).mul_(t.alpha.view({1, B, 1, N}).to(s.scalar_type()));
  s.baddbmm_(xh, p.pe.transpose(1, 2));
  return s.view({H, B, T, N});
}

// The rows' share of the same scores, added: (W_h E_j) . x_ht summed over
// the rows with each cell's coefficients.
void add_row_scores(at::Tensor &s, const FactoredTokens &t, const at::Tensor &weight,
                    const at::Tensor &x) {
  const int64_t B = x.size(0), H = x.size(1), T = x.size(2), c = x.size(3), m = t.width(),
                N = s.size(3);
  const auto ct = t.wt.scalar_type();
  // The rows through the projection, then [B, H, T, c] x [B, H, c, m] ->
  // [B, H T, m], in the coefficients' type: bf16 runs the B H small
  // products as one oneDNN call (fp32 as B H BLAS calls).
  const at::Tensor er =
      at::matmul(t.rows.to(ct), weight.t().to(ct)).view({B, m, H, c}).transpose(1, 2);
  const at::Tensor xr = at::matmul(x.to(ct), er.transpose(2, 3)).reshape({B, H * T, m});
  s.add_(at::bmm(xr, t.wt).view({B, H, T, N}).transpose(0, 1));
}

}  // namespace

at::Tensor factored_token_to_image(const at::Tensor &qh, const FactoredTokens &t,
                                   const FrameProjection &key, const at::Tensor &value,
                                   const at::Tensor &wk, const at::Tensor &wv,
                                   const at::Tensor &bv) {
  const int64_t B = qh.size(0), H = qh.size(1), T = qh.size(2), c = qh.size(3),
                N = key.frame.size(1), m = t.width();
  at::Tensor s = frame_scores(t, key, qh);  // [H, B, T, N]
  if (m > 0) add_row_scores(s, t, wk, qh);
  const at::Tensor p = at::softmax(s, -1);
  // Values: sum_r p_r (alpha_r Wv F_r + w_r Wv E) + bv (each row of p sums to 1).
  const at::Tensor pa = t.alpha.defined() ? p * t.alpha.view({1, B, 1, N}).to(p.scalar_type()) : p;
  at::Tensor o = at::bmm(pa.view({H, B * T, N}), value)  // [H, B T, c]
                     .to(at::kFloat)
                     .view({H, B, T, c})
                     .transpose(0, 1);  // [B, H, T, c]
  if (m > 0) {
    const at::Tensor pb = p.transpose(0, 1).reshape({B, H * T, N});
    const auto ct = t.wt.scalar_type();
    const at::Tensor pw = at::bmm(pb, t.wt.transpose(1, 2)).view({B, H, T, m});
    const at::Tensor ev =
        at::matmul(t.rows.to(ct), wv.t().to(ct)).view({B, m, H, c}).transpose(1, 2);
    o = o + at::matmul(pw, ev).to(at::kFloat);  // [B, H, T, m] x [B, H, m, c]
  }
  return (o + bv.view({1, H, 1, c})).transpose(1, 2).reshape({B, T, H * c});
}

void factored_add_image_to_token(FactoredTokens &t, const at::Tensor &kh, const at::Tensor &vh,
                                 const FrameProjection &query, const at::Tensor &wq,
                                 const at::Tensor &wo, const at::Tensor &bo, int layer) {
  const int64_t B = kh.size(0), H = kh.size(1), T = kh.size(2), c = kh.size(3),
                N = query.frame.size(1), C = wo.size(0), m = t.width();
  at::Tensor s = frame_scores(t, query, kh);  // [H, B, T, N]
  if (m > 0) add_row_scores(s, t, wq, kh);
  // Softmax over the T tokens, with the cells as the contiguous inner dimension.
  const at::Tensor p = at::softmax(s, 2).transpose(0, 1).reshape({B, H * T, N});
  // The block's rows: each head's values through its slice of out_proj,
  // with a 1/H share of the bias (a cell's weights over one head's T rows
  // sum to 1, so the H shares add up to the bias).
  // [H, B T, c] x [H, c, C]: one product per head (a [B, H, T, c] x
  // [1, H, c, C] matmul would be B H of them).
  const at::Tensor u =
      at::bmm(vh.transpose(0, 1).reshape({H, B * T, c}), wo.view({C, H, c}).permute({1, 2, 0}))
          .view({H, B, T, C})
          .transpose(0, 1)
          .add(bo / static_cast<double>(H))
          .reshape({B, H * T, C});
  FactoredTokens::Block block{layer, m, H * T, vh};
  if (m == 0) {
    t.rows = u;
    t.wt = p;
  } else {
    t.rows = at::cat({t.rows, u}, 1);
    t.wt = at::cat({t.wt, p}, 1);
  }
  if (!t.alpha.defined()) t.alpha = at::ones({B, N}, u.options());
  t.blocks.push_back(std::move(block));
}

void factored_layer_norm(FactoredTokens &t, const FrameNormTerms &f, const at::Tensor &weight,
                         const at::Tensor &bias, double eps) {
  const int64_t B = t.wt.size(0), N = t.wt.size(2), m = t.width(), C = t.rows.size(2);
  const auto ct = t.wt.scalar_type();
  // Sums over the rows of products with the coefficients: dot_over_rows, in
  // one pass with fp32 sums whatever the coefficients' type; [B, N] fp32.
  const at::Tensor row_mean = t.rows.mean(-1);  // [B, m]
  const at::Tensor mean =
      t.alpha * f.mean.unsqueeze(0) +
      at::bmm(row_mean.unsqueeze(1).to(ct), t.wt).squeeze(1).to(at::kFloat);  // [B, N]
  // sum_j w_rj (E_j . centred F_r), [B, N], block by block: a constant
  // block's products are the frame's, a head block's go through the
  // values' space.
  at::Tensor cross = at::zeros({B, N}, t.alpha.options());
  size_t constants = 0;
  for (const auto &b : t.blocks) {
    const at::Tensor wb = t.wt.narrow(1, b.begin, b.size);  // [B, size, N]
    if (b.layer < 0) {
      const at::Tensor &dots = f.constant_dots.at(constants++);  // [2, N]
      cross.add_(dot_over_rows(wb, dots.unsqueeze(0).expand({B, -1, -1})));
    } else {
      const at::Tensor &hv = f.head_values.at(static_cast<size_t>(b.layer));  // [H, N, c]
      const int64_t H = hv.size(0), c = hv.size(2), T = b.size / H;
      // [H, B T, c] x [H, c, N] -> [H, B, T, N]
      const at::Tensor d =
          at::bmm(b.v.transpose(0, 1).reshape({H, B * T, c}).to(ct), hv.transpose(1, 2))
              .view({H, B, T, N})
              .add_(f.head_bias.at(static_cast<size_t>(b.layer)).view({1, 1, 1, N}).to(ct));
      cross.add_(dot_over_rows(wb.view({B, H, T, N}), d.transpose(0, 1)));
    }
  }
  const at::Tensor centred_rows = t.rows - row_mean.unsqueeze(-1);
  const at::Tensor gram = at::bmm(centred_rows, centred_rows.transpose(1, 2));  // [B, m, m]
  // |alpha Fc + w Ec|^2 = alpha^2 |Fc|^2 + 2 alpha w . (E Fc) + w G w
  const at::Tensor square = t.alpha.square() * f.centred_square.unsqueeze(0) +
                            2.0 * t.alpha * cross + dot_over_rows(at::bmm(gram.to(ct), t.wt), t.wt);
  const at::Tensor inv = at::rsqrt(square / static_cast<double>(C) + eps);  // [B, N]
  // weight o (x - mean) / sigma + bias: the frame part scaled by weight, the
  // rows too, and two constant rows (weight with -mean/sigma, bias with 1).
  t.alpha = t.alpha * inv;
  // Written in place of a product and a concatenation: one pass.
  at::Tensor wt = at::empty({B, m + 2, N}, t.wt.options());
  at::Tensor scaled = wt.narrow(1, 0, m);
  at::mul_out(scaled, t.wt, inv.unsqueeze(1).to(ct));
  wt.select(1, m).copy_(-mean * inv);
  wt.select(1, m + 1).fill_(1);
  t.wt = wt;
  t.rows = at::cat({t.rows * weight, weight.view({1, 1, C}).expand({B, 1, C}),
                    bias.view({1, 1, C}).expand({B, 1, C})},
                   1);
  t.blocks.push_back({-1, m, 2, at::Tensor()});
}

}  // namespace refseg::sam

// The factored image tokens (sam/factored_image_tokens.h) against the same
// operations on the tokens written out ([B, N, C]): two image-to-token
// attentions, each followed by a LayerNorm, and token-to-image attentions
// at every stage, on random data with the decoder's structure (8 heads,
// the frame's part weighted per cell, LayerNorm weights far from 1 and
// biases far from 0 so that a misplaced weight or mean shows).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include "sam/factored_image_tokens.h"

using namespace refseg::sam;

namespace {

constexpr int64_t B = 3, N = 50, C = 32, H = 4, c = 4, I = H * c, T = 5;

struct Attention {
  at::Tensor wq, bq, wk, bk, wv, bv, wo, bo;
  explicit Attention(int64_t seed) {
    at::manual_seed(seed);
    wq = at::randn({I, C}) * 0.3, bq = at::randn({I}) * 0.3;
    wk = at::randn({I, C}) * 0.3, bk = at::randn({I}) * 0.3;
    wv = at::randn({I, C}) * 0.3, bv = at::randn({I}) * 0.3;
    wo = at::randn({C, I}) * 0.3, bo = at::randn({C}) * 0.3;
  }
};

struct Norm {
  at::Tensor weight, bias;
  explicit Norm(int64_t seed) {
    at::manual_seed(seed);
    weight = 1.5 + at::rand({C});
    bias = at::randn({C});
  }
};

at::Tensor heads(const at::Tensor &x) {  // [B, n, I] -> [B, H, n, c]
  return x.view({x.size(0), x.size(1), H, c}).transpose(1, 2);
}

// The written-out tokens [B, N, C] of the factored ones over frame part F.
at::Tensor written_out(const FactoredTokens &t, const at::Tensor &frame) {
  at::Tensor k = t.alpha.defined() ? t.alpha.unsqueeze(-1) * frame.unsqueeze(0)
                                   : frame.unsqueeze(0).expand({B, N, C});
  if (t.width() > 0) k = k + at::bmm(t.wt.transpose(1, 2), t.rows);
  return k;
}

FrameProjection projection(const at::Tensor &frame, const at::Tensor &pe, const at::Tensor &w,
                           const at::Tensor &pe_bias) {
  return {project_heads(frame, w, at::Tensor(), H), project_heads(pe, w, pe_bias, H)};
}

::testing::AssertionResult close(const at::Tensor &a, const at::Tensor &b) {
  const double d = (a - b).abs().max().item<double>(), s = b.abs().max().item<double>();
  if (d <= 1e-4 * std::max(1.0, s)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |a - b| " << d << " of max |b| " << s;
}

}  // namespace

TEST(FactoredImageTokens, EqualTheWrittenOutTokens) {
  at::manual_seed(1);
  const at::Tensor embedding = at::randn({N, C}) + 0.5, pe = at::randn({N, C});
  const Attention t2i[3] = {Attention(10), Attention(11), Attention(12)};
  const Attention i2t[2] = {Attention(20), Attention(21)};
  const Norm norm[2] = {Norm(30), Norm(31)};

  FactoredTokens tokens;
  at::Tensor frame = embedding;  // the frame part at the current stage
  std::vector<at::Tensor> weights;
  for (int layer = 0; layer <= 2; ++layer) {
    SCOPED_TRACE(layer);
    const at::Tensor keys = written_out(tokens, frame);
    // Token-to-image attention against the written-out tokens.
    const Attention &a = t2i[layer];
    const at::Tensor qh = heads(at::randn({B, T, I}));
    const at::Tensor s =
        at::matmul(qh, heads(at::matmul(keys + pe, a.wk.t()) + a.bk).transpose(2, 3));
    const at::Tensor want = at::matmul(at::softmax(s, -1), heads(at::matmul(keys, a.wv.t()) + a.bv))
                                .transpose(1, 2)
                                .reshape({B, T, I});
    const at::Tensor got =
        factored_token_to_image(qh, tokens, projection(frame, pe, a.wk, {}),
                                project_heads(frame, a.wv, {}, H), a.wk, a.wv, a.bv);
    EXPECT_TRUE(close(got, want));
    if (layer == 2) break;

    // Image-to-token attention: keys += out_proj(softmax over T of the
    // image's queries against the tokens' keys) @ the tokens' values.
    const Attention &b = i2t[layer];
    const at::Tensor kh = heads(at::randn({B, T, I})), vh = heads(at::randn({B, T, I}));
    const at::Tensor qi = heads(at::matmul(keys + pe, b.wq.t()) + b.bq);  // [B, H, N, c]
    const at::Tensor o = at::matmul(at::softmax(at::matmul(qi, kh.transpose(2, 3)), -1), vh);
    const at::Tensor added =
        keys + at::matmul(o.transpose(1, 2).reshape({B, N, I}), b.wo.t()) + b.bo;
    factored_add_image_to_token(tokens, kh, vh, projection(frame, pe, b.wq, b.bq), b.wq, b.wo, b.bo,
                                layer);
    EXPECT_TRUE(close(written_out(tokens, frame), added));

    // The LayerNorm, with the frame terms the decoder prepares per frame.
    FrameNormTerms terms = frame_norm_terms(frame);
    for (int i = 0; i <= layer; ++i) {
      at::Tensor g;
      for (int j = i; j < layer; ++j) g = g.defined() ? g * weights[j] : weights[j];
      add_head_terms(terms, g, i2t[i].wo, i2t[i].bo, H);
    }
    for (int j = 0; j < layer; ++j)
      add_constant_terms(terms, at::stack({norm[j].weight, norm[j].bias}, 0) *
                                    (j + 1 < layer ? weights[j + 1] : at::ones({C})));
    factored_layer_norm(tokens, terms, norm[layer].weight, norm[layer].bias, 1e-5);
    weights.push_back(norm[layer].weight);
    frame = frame * norm[layer].weight;
    EXPECT_TRUE(close(written_out(tokens, frame),
                      at::layer_norm(added, {C}, norm[layer].weight, norm[layer].bias, 1e-5)));
  }
}

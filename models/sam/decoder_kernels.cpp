#include "sam/decoder_kernels.h"

#include <ATen/Parallel.h>

#include <vector>

#include "clip/precision.h"
#ifdef REFSEG_AVX512_KERNELS
#include "sam/decoder_kernels_avx512.h"
#endif

namespace refseg::sam {
namespace {

bool fused_type(const at::Tensor &t) {
  return t.device().is_cpu() && (t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16);
}

bool use_fused(FusedKernel kernel) {
  return kernel == FusedKernel::automatic && fused_kernels_available();
}

at::Tensor norm_gelu_aten(const at::Tensor &y, const at::Tensor &alpha, const at::Tensor &frame,
                          const at::Tensor &bias, const at::Tensor &weight,
                          const at::Tensor &norm_bias, double eps) {
  const auto dt = y.scalar_type();
  const int64_t C = weight.size(0);
  at::Tensor v = (y + alpha.unsqueeze(-1).to(dt) * frame).add_(bias.to(dt)).view({-1, C});
  // LayerNorm in fp32 whatever the type: LibTorch 1.13's bf16 LayerNorm on
  // the CPU is 3x slower than its fp32 one.
  v = at::gelu(at::layer_norm(v.to(at::kFloat), {C}, weight, norm_bias, eps)).to(dt);
  return v.view(y.sizes());
}

void gelu_mask_product_aten(const at::Tensor &z, const at::Tensor &hyper, int64_t h, int64_t w,
                            at::Tensor &out) {
  const int64_t B = z.size(0), K = hyper.size(1);
  // The product in z's type: bf16 rounds each logit once (2^-9 of its size)
  // instead of converting the 16 h w x C planes.
  const at::Tensor m =
      at::bmm(at::gelu(z), hyper.transpose(1, 2).to(z.scalar_type())).to(at::kFloat);
  out.view({B, K, h, 2, 2, w, 2, 2})
      .copy_(m.view({B, h, w, 2, 2, 2, 2, K}).permute({0, 7, 1, 3, 5, 2, 4, 6}));
}

at::Tensor dot_over_rows_aten(const at::Tensor &a, const at::Tensor &b) {
  const std::vector<int64_t> rows =
      a.dim() == 3 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2};
  return (a * b).sum(rows).to(at::kFloat);
}

}  // namespace

bool fused_kernels_available() {
#ifdef REFSEG_AVX512_KERNELS
  static const bool available = clip::detect_cpu_features().avx512;
  return available;
#else
  return false;
#endif
}

at::Tensor norm_gelu(const at::Tensor &y, const at::Tensor &alpha, const at::Tensor &frame,
                     const at::Tensor &bias, const at::Tensor &weight, const at::Tensor &norm_bias,
                     double eps, FusedKernel kernel) {
  const int64_t C = weight.size(0);
  const bool fits = fused_type(y) && frame.scalar_type() == y.scalar_type() && C % 16 == 0 &&
                    C <= 256 && y.size(2) % C == 0;
  if (!use_fused(kernel) || !fits)
    return norm_gelu_aten(y, alpha, frame, bias, weight, norm_bias, eps);
#ifdef REFSEG_AVX512_KERNELS
  const at::Tensor yc = y.contiguous(), fc = frame.contiguous();
  const at::Tensor ac = alpha.to(at::kFloat).contiguous(), bc = bias.to(at::kFloat).contiguous(),
                   wc = weight.to(at::kFloat).contiguous(),
                   nc = norm_bias.to(at::kFloat).contiguous();
  at::Tensor out = at::empty_like(yc);
  avx512::NormGeluPass p{yc.data_ptr(),           fc.data_ptr(),
                         ac.data_ptr<float>(),    bc.data_ptr<float>(),
                         wc.data_ptr<float>(),    nc.data_ptr<float>(),
                         out.data_ptr(),          y.size(1),
                         y.size(2) / C,           C,
                         static_cast<float>(eps), y.scalar_type() == at::kBFloat16};
  at::parallel_for(0, y.size(0) * y.size(1), 256,
                   [&](int64_t begin, int64_t end) { avx512::norm_gelu_rows(p, begin, end); });
  return out;
#else
  return norm_gelu_aten(y, alpha, frame, bias, weight, norm_bias, eps);
#endif
}

void gelu_mask_product(const at::Tensor &z, const at::Tensor &hyper, int64_t h, int64_t w,
                       at::Tensor &out, FusedKernel kernel) {
  const int64_t C = z.size(2), K = hyper.size(1);
  const bool fits = fused_type(z) && C % 16 == 0 && C <= 64 && K <= 4 && out.is_contiguous() &&
                    out.scalar_type() == at::kFloat;
  if (!use_fused(kernel) || !fits) return gelu_mask_product_aten(z, hyper, h, w, out);
#ifdef REFSEG_AVX512_KERNELS
  const at::Tensor zc = z.contiguous(), hc = hyper.to(at::kFloat).contiguous();
  avx512::MaskProductPass p{zc.data_ptr(),
                            hc.data_ptr<float>(),
                            out.data_ptr<float>(),
                            h,
                            w,
                            C,
                            K,
                            z.scalar_type() == at::kBFloat16};
  at::parallel_for(0, z.size(0) * h, 4, [&](int64_t begin, int64_t end) {
    avx512::gelu_mask_product_rows(p, begin, end);
  });
#endif
}

at::Tensor dot_over_rows(const at::Tensor &a, const at::Tensor &b, FusedKernel kernel) {
  TORCH_CHECK(a.dim() == b.dim() && (a.dim() == 3 || a.dim() == 4),
              "dot_over_rows: [B, M, N] or [B, H, T, N]");
  const int64_t N = a.size(-1);
  const bool fits = fused_type(a) && fused_type(b) && a.sizes() == b.sizes() && a.stride(-1) == 1 &&
                    b.stride(-1) == 1 && N % 16 == 0;
  if (!use_fused(kernel) || !fits) return dot_over_rows_aten(a, b);
#ifdef REFSEG_AVX512_KERNELS
  const at::Tensor a4 = a.dim() == 3 ? a.unsqueeze(1) : a, b4 = b.dim() == 3 ? b.unsqueeze(1) : b;
  at::Tensor out = at::empty({a.size(0), N}, a.options().dtype(at::kFloat));
  avx512::RowDotPass p{a4.data_ptr(),
                       b4.data_ptr(),
                       {a4.stride(0), a4.stride(1), a4.stride(2)},
                       {b4.stride(0), b4.stride(1), b4.stride(2)},
                       a.scalar_type() == at::kBFloat16,
                       b.scalar_type() == at::kBFloat16,
                       a4.size(1),
                       a4.size(2),
                       N,
                       out.data_ptr<float>()};
  const int64_t tiles = (N + avx512::kRowDotTile - 1) / avx512::kRowDotTile;
  at::parallel_for(0, a.size(0) * tiles, 1,
                   [&](int64_t begin, int64_t end) { avx512::dot_over_rows_tiles(p, begin, end); });
  return out;
#else
  return dot_over_rows_aten(a, b);
#endif
}

}  // namespace refseg::sam

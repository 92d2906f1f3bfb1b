#include "clip/packed_linear.h"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <algorithm>

#include "common/model_error.h"

namespace refseg::clip {
namespace {

// Both operators are registered by libtorch_cpu when it loads.
const c10::OperatorHandle &prepack_op() {
  static const c10::OperatorHandle op =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
  return op;
}

const c10::OperatorHandle &dynamic_linear_op() {
  static const c10::OperatorHandle op =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
  return op;
}

bool has_onednn_qengine() {
  const auto engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end();
}

// The engine is ATen's process-wide setting and decides which packed
// format linear_prepack builds; the packed weights then carry their own
// kernels. So it is switched only around packing, and put back.
class QEngineForPacking {
 public:
  QEngineForPacking() : previous_(at::globalContext().qEngine()) {
    if (has_onednn_qengine()) at::globalContext().setQEngine(at::QEngine::ONEDNN);
    if (at::globalContext().qEngine() == at::QEngine::NoQEngine)
      throw ModelError("precision int8: this LibTorch has no quantized engine");
  }
  ~QEngineForPacking() {
    if (previous_ != at::QEngine::NoQEngine) at::globalContext().setQEngine(previous_);
  }

 private:
  at::QEngine previous_;
};

}  // namespace

std::string int8_engine_name() {
  if (has_onednn_qengine()) return "oneDNN";
  const at::QEngine engine = at::globalContext().qEngine();
  return engine == at::QEngine::NoQEngine ? "none" : c10::toString(engine);
}

PackedLinear::PackedLinear(const at::Tensor &weight, const at::Tensor &bias, Precision precision)
    : precision_(precision), out_features_(weight.size(0)) {
  if (precision == Precision::kFp32) {
    if (!at::hasMKLDNN()) throw ModelError("fp32 on oneDNN: this LibTorch has no oneDNN");
    weight_ = weight.detach().to(at::kFloat).contiguous();
    bias_ = bias.detach().to(at::kFloat).contiguous();
    return;
  }
  if (precision == Precision::kBf16 || precision == Precision::kFp16) {
    const auto dtype = precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf;
    weight_ = weight.detach().to(dtype).contiguous();
    bias_ = bias.detach().to(dtype).contiguous();
    return;
  }
  if (precision != Precision::kInt8)
    throw ModelError(std::string("PackedLinear: nothing to pack for precision ") +
                     precision_name(precision));
  QEngineForPacking engine;
  const at::Tensor w = weight.detach().to(at::kFloat).contiguous();
  // Symmetric per output channel: the largest |w| of a row maps to 127.
  // The largest |w| of each row, without a copy of |w| (amax and amin
  // apart: LibTorch 1.13's aminmax over a dimension is 8 times slower).
  const at::Tensor scales =
      at::maximum(w.amax(1), w.amin(1).neg()).div(127.0).clamp_min(1e-12).to(at::kDouble);
  const at::Tensor zeros = at::zeros({w.size(0)}, at::kLong);
  // What quantize_per_channel computes (round half to even of w times the
  // float reciprocal of its row's scale, clamped), in vectorized passes:
  // LibTorch 1.13 quantizes element by element, most of a ViT-B/32's
  // int8 load.
  const at::Tensor inverse = at::reciprocal(scales.to(at::kFloat)).unsqueeze(1);
  const at::Tensor values = w.mul(inverse).round_().clamp_(-128, 127).to(at::kChar);
  const at::Tensor q = at::_make_per_channel_quantized_tensor(values, scales, zeros, 0);
  torch::jit::Stack stack{q, c10::optional<at::Tensor>(bias.detach().to(at::kFloat).contiguous())};
  prepack_op().callBoxed(&stack);
  packed_ = std::move(stack.at(0));
}

at::Tensor PackedLinear::forward(const at::Tensor &x) const {
  auto sizes = x.sizes().vec();
  sizes.back() = out_features_;
  const auto rows = x.reshape({-1, x.size(-1)});
  if (precision_ == Precision::kFp32)
    return at::mkldnn_linear(rows.to(at::kFloat).contiguous().to_mkldnn(), weight_, bias_)
        .to_dense()
        .view(sizes);
  if (weight_.defined())
    return at::addmm(bias_, rows.to(weight_.scalar_type()), weight_.t()).view(sizes);
  torch::jit::Stack stack{rows.to(at::kFloat).contiguous(), packed_, false};
  dynamic_linear_op().callBoxed(&stack);
  return stack.at(0).toTensor().view(sizes);
}

}  // namespace refseg::clip

// fp32 linears on oneDNN: when the runtime chooses them (an OpenBLAS that did
// not recognise the CPU), and that they compute the same features as the
// BLAS path on the committed fixtures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/record_function.h>

#include <set>
#include <string>

#include "clip/clip_model.h"
#include "clip/fp32_matmul.h"
#include "clip/global_local_encoder.h"
#include "clip/inference_threads.h"
#include "clip/openai_weights.h"
#include "common/model_error.h"
#include "fixtures.h"

using namespace refseg;
using namespace refseg::clip;

namespace {

CpuFeatures avx512_cpu() {
  CpuFeatures f;
  f.avx2 = f.avx512 = true;
  return f;
}

CpuFeatures avx2_cpu() {
  CpuFeatures f;
  f.avx2 = true;
  return f;
}

// The names of the ATen operators dispatched on this thread while it lives
// (RecordFunction's thread-local callback), so a test can tell which
// kernels ran, not only that the numbers agree.
class DispatchedOps {
 public:
  DispatchedOps()
      : handle_(at::addThreadLocalCallback(
            at::RecordFunctionCallback(&record).scopes({at::RecordScope::FUNCTION}))) {
    names().clear();
  }
  ~DispatchedOps() { at::removeCallback(handle_); }
  bool saw(const std::string &name) const { return names().count(name) > 0; }

 private:
  static std::set<std::string> &names() {
    thread_local std::set<std::string> seen;
    return seen;
  }
  static std::unique_ptr<at::ObserverContext> record(const at::RecordFunction &fn) {
    names().insert(fn.name());
    return nullptr;
  }
  at::CallbackHandle handle_;
};

double min_cosine(const at::Tensor &a, const at::Tensor &b) {
  return at::cosine_similarity(a.to(at::kDouble), b.to(at::kDouble), 1).min().item<double>();
}

}  // namespace

TEST(OpenblasCores, KnownNamesByTheirWidestInstructions) {
  EXPECT_EQ(openblas_core_isa_level("Prescott"), 1);
  EXPECT_EQ(openblas_core_isa_level("Nehalem"), 1);
  EXPECT_EQ(openblas_core_isa_level("Sandybridge"), 2);
  EXPECT_EQ(openblas_core_isa_level("Haswell"), 3);
  EXPECT_EQ(openblas_core_isa_level("Zen"), 3);
  EXPECT_EQ(openblas_core_isa_level("SkylakeX"), 4);
  EXPECT_EQ(openblas_core_isa_level("cooperlake"), 4);  // names compare without case
  EXPECT_EQ(openblas_core_isa_level(""), 0);
  EXPECT_EQ(openblas_core_isa_level("SomeFutureCore"), 0);
}

TEST(ChooseFp32Matmul, OneDnnOnlyWhenOpenblasFellBackBelowTheCpu) {
  // The case measured: OpenBLAS 0.3.21 on a CPU it does not know.
  const auto unknown_cpu = choose_fp32_matmul(avx512_cpu(), true, "Prescott", true);
  EXPECT_EQ(unknown_cpu.engine, Fp32Matmul::kOneDnn);
  EXPECT_NE(unknown_cpu.reason.find("Prescott"), std::string::npos) << unknown_cpu.reason;
  EXPECT_NE(unknown_cpu.reason.find("AVX-512"), std::string::npos) << unknown_cpu.reason;
  EXPECT_EQ(choose_fp32_matmul(avx2_cpu(), true, "Core2", true).engine, Fp32Matmul::kOneDnn);
  // Kernels with AVX2 stay: measured at 85% of their matmul rate (Zen 4).
  EXPECT_EQ(choose_fp32_matmul(avx512_cpu(), true, "Haswell", true).engine, Fp32Matmul::kBlas);
  EXPECT_EQ(choose_fp32_matmul(avx512_cpu(), true, "SkylakeX", true).engine, Fp32Matmul::kBlas);
  // A CPU without AVX2 is what the old kernels are for.
  EXPECT_EQ(choose_fp32_matmul(CpuFeatures{}, true, "Prescott", true).engine, Fp32Matmul::kBlas);
  // Not OpenBLAS, an unknown core name, or no oneDNN: the BLAS, saying so.
  EXPECT_EQ(choose_fp32_matmul(avx512_cpu(), false, "", true).engine, Fp32Matmul::kBlas);
  EXPECT_EQ(choose_fp32_matmul(avx512_cpu(), true, "SomeFutureCore", true).engine,
            Fp32Matmul::kBlas);
  const auto no_onednn = choose_fp32_matmul(avx512_cpu(), true, "Prescott", false);
  EXPECT_EQ(no_onednn.engine, Fp32Matmul::kBlas);
  EXPECT_NE(no_onednn.reason.find("no oneDNN"), std::string::npos) << no_onednn.reason;
}

TEST(ChooseFp32Matmul, NamesRoundTripAndOthersAreRefused) {
  for (Fp32Matmul e : {Fp32Matmul::kBlas, Fp32Matmul::kOneDnn})
    EXPECT_EQ(parse_fp32_matmul(fp32_matmul_name(e)), e);
  EXPECT_THROW(parse_fp32_matmul("mkl"), ModelError);
}

TEST(ChooseFp32Matmul, OneDnnRunsOnLibTorchsThreadPool) {
  EXPECT_EQ(thread_policy_for(Precision::kFp32), ThreadPolicy::kBlasPool);
  EXPECT_EQ(thread_policy_for(Precision::kFp32, Fp32Matmul::kOneDnn), ThreadPolicy::kTorchPool);
  EXPECT_EQ(thread_policy_for(Precision::kBf16, Fp32Matmul::kBlas), ThreadPolicy::kTorchPool);
}

TEST(SetPrecision, OneDnnIsForFp32OnlyAndBlasComesBackExactly) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  auto reference = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  model->set_precision(Precision::kBf16, Fp32Matmul::kOneDnn);
  EXPECT_EQ(model->fp32_matmul(), Fp32Matmul::kBlas);  // ignored in a low precision
  model->set_precision(Precision::kFp32, Fp32Matmul::kOneDnn);
  EXPECT_EQ(model->fp32_matmul(), Fp32Matmul::kOneDnn);
  model->set_precision(Precision::kFp32, Fp32Matmul::kBlas);
  const auto tokens = fixtures::parity_tensors("tiny_vit").at("text");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->encode_text(tokens), reference->encode_text(tokens)));
}

class Fp32OnOneDnn : public ::testing::TestWithParam<const char *> {};

// The same fp32 arithmetic in another order of sums: within float rounding.
TEST_P(Fp32OnOneDnn, FeaturesEqualTheBlasPathToFloatRounding) {
  if (!at::hasMKLDNN()) GTEST_SKIP() << "this LibTorch has no oneDNN";
  const std::string fixture = GetParam();
  auto blas = load_openai_clip(fixtures::fixture_path(fixture + ".pt"));
  auto onednn = load_openai_clip(fixtures::fixture_path(fixture + ".pt"));
  onednn->set_precision(Precision::kFp32, Fp32Matmul::kOneDnn);
  const fixtures::Frame frame(96, 72, 3);
  const auto masks = fixtures::two_masks(frame.width, frame.height);
  const MaskFeatures ref = GlobalLocalEncoder(blas, 2).encode(frame.view(), masks);
  MaskFeatures got;
  at::Tensor text, text_ref;
  const auto tokens = fixtures::parity_tensors(fixture).at("text");
  torch::NoGradGuard no_grad;
  // Which kernels ran: oneDNN's inner product for the transformer linears
  // (the text tower's and a ViT image tower's; a ResNet tower is not packed).
  const bool vit = onednn->config().vision_is_vit;
  {
    const DispatchedOps ops;
    got = GlobalLocalEncoder(onednn, 2).encode(frame.view(), masks);
    EXPECT_EQ(ops.saw("aten::mkldnn_linear"), vit);
  }
  {
    const DispatchedOps ops;
    text = onednn->encode_text(tokens);
    EXPECT_TRUE(ops.saw("aten::mkldnn_linear")) << "the oneDNN path did not run oneDNN";
  }
  {
    const DispatchedOps ops;
    GlobalLocalEncoder(blas, 2).encode(frame.view(), masks);
    text_ref = blas->encode_text(tokens);
    EXPECT_FALSE(ops.saw("aten::mkldnn_linear")) << "the BLAS path ran oneDNN";
  }
  EXPECT_GE(min_cosine(got.global, ref.global), 0.999999);
  EXPECT_GE(min_cosine(got.local, ref.local), 0.999999);
  EXPECT_GE(min_cosine(text, text_ref), 0.999999);
  EXPECT_TRUE(torch::allclose(got.global, ref.global, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(text, text_ref, 1e-4, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Fp32OnOneDnn, ::testing::Values("tiny_vit", "tiny_rn"));

// Precision modes: what each resolves to on a device, and how far each low
// precision's features are from fp32 on the committed fixtures (the
// tolerances are the ones docs/accuracy.md states).
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/openai_weights.h"
#include "clip/precision.h"
#include "common/model_error.h"
#include "fixtures.h"

using namespace refseg;
using namespace refseg::clip;
using refseg::clip::fixtures::Frame;

namespace {

std::vector<RegionMask> some_masks(int width, int height) {
  std::vector<RegionMask> masks;
  for (int i = 0; i < 5; ++i) {
    RegionMask m;
    m.box = {i * width / 8, (i % 3) * height / 5, width / 2, height / 2};
    m.pixels.resize(static_cast<size_t>(m.box.width) * m.box.height);
    for (int y = 0; y < m.box.height; ++y)
      for (int x = 0; x < m.box.width; ++x)
        m.pixels[static_cast<size_t>(y) * m.box.width + x] = (x + y + i) % 7 < 5 ? 255 : 0;
    masks.push_back(std::move(m));
  }
  return masks;
}

double min_cosine(const at::Tensor &a, const at::Tensor &b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  EXPECT_EQ(a.scalar_type(), at::kFloat);
  return at::cosine_similarity(a.to(at::kDouble), b.to(at::kDouble), 1).min().item<double>();
}

CpuFeatures plain_cpu() {
  return {};
}

CpuFeatures zen4_like() {
  CpuFeatures f;
  f.avx512 = f.avx512_bf16 = f.avx512_vnni = f.onednn_int8 = true;
  return f;
}

CpuFeatures amx_cpu() {
  CpuFeatures f = zen4_like();
  f.amx_bf16 = f.amx_int8 = true;
  return f;
}

}  // namespace

TEST(PrecisionNames, RoundTripAndRejectOthersNamingTheChoices) {
  for (Precision p :
       {Precision::kAuto, Precision::kFp32, Precision::kBf16, Precision::kInt8, Precision::kFp16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  try {
    parse_precision("float16");
    FAIL() << "no error";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("fp32, bf16, int8, fp16 or auto"), std::string::npos)
        << e.what();
  }
}

TEST(ChoosePrecision, ModesTheDeviceCannotRunAreErrorsThatSayWhatToUse) {
  try {
    choose_precision(Precision::kFp16, false, amx_cpu());
    FAIL() << "fp16 on the CPU accepted";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("needs a CUDA device"), std::string::npos) << e.what();
  }
  EXPECT_THROW(choose_precision(Precision::kInt8, true, amx_cpu()), ModelError);
}

TEST(ChoosePrecision, ASlowModeRunsButSaysWhy) {
  const auto bf16 = choose_precision(Precision::kBf16, false, plain_cpu());
  EXPECT_EQ(bf16.precision, Precision::kBf16);
  EXPECT_NE(bf16.note.find("no native bf16"), std::string::npos) << bf16.note;
  const auto int8 = choose_precision(Precision::kInt8, false, plain_cpu());
  EXPECT_EQ(int8.precision, Precision::kInt8);
  EXPECT_NE(int8.note.find("oneDNN"), std::string::npos) << int8.note;
  CpuFeatures no_vnni = zen4_like();
  no_vnni.avx512_vnni = false;
  EXPECT_NE(choose_precision(Precision::kInt8, false, no_vnni).note.find("VNNI"),
            std::string::npos);
  EXPECT_TRUE(choose_precision(Precision::kBf16, false, zen4_like()).note.empty());
  EXPECT_TRUE(choose_precision(Precision::kInt8, false, zen4_like()).note.empty());
  EXPECT_TRUE(choose_precision(Precision::kFp32, false, plain_cpu()).note.empty());
}

TEST(ChoosePrecision, AutoPicksTheMeasuredFastestAcceptableMode) {
  EXPECT_EQ(choose_precision(Precision::kAuto, true, plain_cpu()).precision, Precision::kFp16);
  EXPECT_EQ(choose_precision(Precision::kAuto, false, plain_cpu()).precision, Precision::kFp32);
  EXPECT_EQ(choose_precision(Precision::kAuto, false, amx_cpu()).precision, Precision::kBf16);
  EXPECT_EQ(choose_precision(Precision::kAuto, false, zen4_like()).precision, Precision::kInt8);
  for (auto cpu : {plain_cpu(), zen4_like(), amx_cpu()})
    EXPECT_TRUE(choose_precision(Precision::kAuto, false, cpu).note.empty());
}

TEST(SetPrecision, Fp16OnTheCpuIsRefusedAndTheModelStaysFp32) {
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  EXPECT_THROW(model->set_precision(Precision::kFp16), ModelError);
  EXPECT_THROW(model->set_precision(Precision::kAuto), ModelError);
  EXPECT_EQ(model->precision(), Precision::kFp32);
}

TEST(SetPrecision, ParametersAndStateDictKeysAreUnchanged) {
  auto reference = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  model->set_precision(Precision::kBf16);
  const auto a = reference->named_parameters(), b = model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto &item : a) {
    ASSERT_TRUE(b.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
  }
  // Back to fp32: exactly the fp32 model again.
  model->set_precision(Precision::kFp32);
  const auto tokens = fixtures::parity_tensors("tiny_vit").at("text");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->encode_text(tokens), reference->encode_text(tokens)));
}

// Tolerances: min cosine to fp32 over 5 masks and the fixture's texts, as
// docs/accuracy.md records them for the fixtures.
struct Case {
  const char *fixture;
  Precision precision;
  double min_cos;
};

class LowPrecision : public ::testing::TestWithParam<Case> {};

TEST_P(LowPrecision, FeaturesStayWithinTheirToleranceOfFp32) {
  const Case c = GetParam();
  // supportedQEngines() always lists NoQEngine.
  if (c.precision == Precision::kInt8 && at::globalContext().supportedQEngines().size() <= 1)
    GTEST_SKIP() << "this LibTorch has no quantized engine";
  auto fp32 = load_openai_clip(fixtures::fixture_path(std::string(c.fixture) + ".pt"));
  auto low = load_openai_clip(fixtures::fixture_path(std::string(c.fixture) + ".pt"));
  low->set_precision(c.precision);
  const Frame frame(96, 72, 3);
  const auto masks = some_masks(frame.width, frame.height);
  const MaskFeatures ref = GlobalLocalEncoder(fp32, 2).encode(frame.view(), masks);
  const MaskFeatures got = GlobalLocalEncoder(low, 2).encode(frame.view(), masks);
  const auto tokens = fixtures::parity_tensors(c.fixture).at("text");
  torch::NoGradGuard no_grad;
  const double global = min_cosine(got.global, ref.global),
               local = min_cosine(got.local, ref.local),
               text = min_cosine(low->encode_text(tokens), fp32->encode_text(tokens));
  std::printf("%s %s: min cosine to fp32: global %.6f, local %.6f, text %.6f\n", c.fixture,
              precision_name(c.precision), global, local, text);
  EXPECT_GE(global, c.min_cos);
  EXPECT_GE(local, c.min_cos);
  EXPECT_GE(text, c.min_cos);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LowPrecision,
                         ::testing::Values(Case{"tiny_vit", Precision::kBf16, 0.9999},
                                           Case{"tiny_vit", Precision::kInt8, 0.9995},
                                           Case{"tiny_rn", Precision::kBf16, 0.9999},
                                           Case{"tiny_rn", Precision::kInt8, 0.9995}));

// precision=auto's remembered choices (runtime/precision_memory.h) and the
// runtime's load in the background (RuntimeOptions::background).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <ATen/ATen.h>

#include "clip/openai_weights.h"
#include "clip/precision.h"
#include "common/model_error.h"
#include "runtime/auto_precision_start.h"
#include "runtime/clip_runtime.h"
#include "runtime/precision_memory.h"

namespace fs = std::filesystem;

namespace {

using refseg::PrecisionKey;
using refseg::PrecisionMemory;
using refseg::RememberedPrecision;
using refseg::clip::Precision;

std::string test_clip() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  if (!path) throw std::runtime_error("REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

// A fresh directory per test, removed after it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string &name)
      : path(fs::temp_directory_path() /
             ("refseg-precision-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

PrecisionKey key() {
  return {"/models/ViT-B-32.pt", "353976522 bytes, records 0123456789abcdef", "cpu",
          "AMD EPYC, 2 logical cores, avx2 avx512 avx512_bf16 avx512_vnni no-amx",
          "LibTorch 1.13.0, BLAS OpenBLAS 0.3.21, gst-refseg 0.1.0"};
}

std::string read(const fs::path &file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PrecisionMemory, WrittenAndReadBack) {
  TempDir dir("written");
  const PrecisionMemory memory((dir.path / "gst-refseg").string());  // created by remember()
  EXPECT_FALSE(memory.recall(key()).has_value());
  std::string warning;
  ASSERT_TRUE(memory.remember(key(), {Precision::kInt8, "fp32 143 ms, int8 58 ms"}, &warning))
      << warning;
  EXPECT_TRUE(fs::exists(memory.file()));
  EXPECT_EQ(fs::path(memory.file()).filename(), "precision-choices.json");
  const auto back = PrecisionMemory((dir.path / "gst-refseg").string()).recall(key(), &warning);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->precision, Precision::kInt8);
  EXPECT_EQ(back->measured, "fp32 143 ms, int8 58 ms");
  EXPECT_TRUE(warning.empty()) << warning;
  // A new choice for the same key replaces the old one.
  ASSERT_TRUE(memory.remember(key(), {Precision::kBf16, "again"}));
  EXPECT_EQ(memory.recall(key())->precision, Precision::kBf16);
  EXPECT_EQ(read(memory.file()).find("int8"), std::string::npos);
}

TEST(PrecisionMemory, IgnoredWhenModelCpuDeviceOrLibrariesDiffer) {
  TempDir dir("differ");
  const PrecisionMemory memory(dir.path.string());
  ASSERT_TRUE(memory.remember(key(), {Precision::kBf16, ""}));
  PrecisionKey other = key();
  other.model = "/models/ViT-B-16.pt";
  EXPECT_FALSE(memory.recall(other).has_value());
  other = key();
  other.content = "353976522 bytes, records fedcba9876543210";  // the same path, replaced
  EXPECT_FALSE(memory.recall(other).has_value());
  other = key();
  other.cpu = "Intel Xeon, 2 logical cores, avx2 avx512 amx_bf16 amx_int8";
  EXPECT_FALSE(memory.recall(other).has_value());
  other = key();
  other.libraries = "LibTorch 2.1.0, BLAS OpenBLAS 0.3.21, gst-refseg 0.1.0";
  EXPECT_FALSE(memory.recall(other).has_value());
  other = key();
  other.device = "cuda:0";
  EXPECT_FALSE(memory.recall(other).has_value());
  // Each key keeps its own choice.
  other = key();
  other.cpu = "another CPU";
  ASSERT_TRUE(memory.remember(other, {Precision::kInt8, ""}));
  EXPECT_EQ(memory.recall(key())->precision, Precision::kBf16);
  EXPECT_EQ(memory.recall(other)->precision, Precision::kInt8);
}

TEST(PrecisionMemory, ACorruptFileIsIgnoredWithAWarningAndReplaced) {
  TempDir dir("corrupt");
  const PrecisionMemory memory(dir.path.string());
  for (const char *content : {"{\"format\": 1, \"entries\": [", "not json at all", "[1, 2, 3]",
                              "{\"format\": 99, \"entries\": []}"}) {
    fs::create_directories(dir.path);
    std::ofstream(memory.file(), std::ios::trunc) << content;
    std::string warning;
    EXPECT_FALSE(memory.recall(key(), &warning).has_value()) << content;
    EXPECT_NE(warning.find(memory.file()), std::string::npos) << warning;
    EXPECT_NE(warning.find("ignored"), std::string::npos) << warning;
  }
  // The next choice rewrites it.
  std::string warning;
  ASSERT_TRUE(memory.remember(key(), {Precision::kInt8, ""}, &warning)) << warning;
  warning.clear();
  EXPECT_EQ(memory.recall(key(), &warning)->precision, Precision::kInt8);
  EXPECT_TRUE(warning.empty()) << warning;
}

TEST(PrecisionMemory, AnEntryWithAnUnknownPrecisionIsIgnoredWithAWarning) {
  TempDir dir("entry");
  const PrecisionMemory memory(dir.path.string());
  ASSERT_TRUE(memory.remember(key(), {Precision::kBf16, ""}));
  std::string text = read(memory.file());
  const auto at = text.find("\"bf16\"");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 6, "\"int4\"");
  std::ofstream(memory.file(), std::ios::trunc) << text;
  std::string warning;
  EXPECT_FALSE(memory.recall(key(), &warning).has_value());
  EXPECT_NE(warning.find("ignored"), std::string::npos) << warning;
}

TEST(PrecisionMemory, WithoutADirectoryNothingIsRememberedAndAnUnwritableOneWarns) {
  const PrecisionMemory none("");
  EXPECT_TRUE(none.file().empty());
  EXPECT_FALSE(none.remember(key(), {Precision::kBf16, ""}));
  EXPECT_FALSE(none.recall(key()).has_value());

  TempDir dir("unwritable");
  fs::create_directories(dir.path);
  std::ofstream(dir.path / "file") << "x";  // a file where the directory should be
  const PrecisionMemory blocked((dir.path / "file" / "gst-refseg").string());
  std::string warning;
  EXPECT_FALSE(blocked.remember(key(), {Precision::kBf16, ""}, &warning));
  EXPECT_NE(warning.find("cannot write"), std::string::npos) << warning;
}

TEST(PrecisionMemory, TheFingerprintFollowsTheContent) {
  TempDir dir("fingerprint");
  fs::create_directories(dir.path);
  const fs::path copy = dir.path / "copy.pt";
  fs::copy_file(test_clip(), copy);
  EXPECT_EQ(refseg::model_fingerprint(test_clip()), refseg::model_fingerprint(copy.string()));
  // Other weights in the same layout: another fingerprint.
  refseg::clip::NamedTensors tensors = refseg::clip::read_torchscript_tensors(test_clip());
  tensors["ln_final.bias"] = tensors["ln_final.bias"].add(1);
  const fs::path changed = dir.path / "changed.pt";
  refseg::clip::save_tensor_archive(tensors, changed.string());
  EXPECT_NE(refseg::model_fingerprint(test_clip()), refseg::model_fingerprint(changed.string()));
  EXPECT_THROW(refseg::model_fingerprint((dir.path / "missing.pt").string()), refseg::ModelError);
  EXPECT_NE(refseg::current_cpu().find("logical cores"), std::string::npos);
  EXPECT_NE(refseg::current_libraries().find("LibTorch"), std::string::npos);
}

// With a cache directory, auto takes the remembered choice without timing
// anything; what it measures when nothing is remembered is written there.
TEST(PrecisionMemory, TheRuntimeRemembersAndTakesAutosChoice) {
  const refseg::clip::CpuFeatures cpu = refseg::clip::detect_cpu_features();
  if (!cpu.fast_bf16() && !cpu.fast_int8())
    GTEST_SKIP() << "auto measures only on a CPU with fast bf16 or int8 ("
                 << refseg::clip::describe(cpu) << ")";
  TempDir dir("runtime");
  refseg::RuntimeOptions options;
  options.precision = Precision::kAuto;
  options.precision_cache_dir = dir.path.string();
  Precision measured;
  {
    auto runtime = refseg::acquire_clip_runtime(test_clip(), options);
    measured = runtime->precision();
    EXPECT_NE(runtime->load_report().find("measured"), std::string::npos) << runtime->load_report();
  }
  const PrecisionMemory memory(dir.path.string());
  const PrecisionKey key{test_clip(), refseg::model_fingerprint(test_clip()), "cpu",
                         refseg::current_cpu(), refseg::current_libraries()};
  ASSERT_TRUE(memory.recall(key).has_value()) << read(memory.file());
  EXPECT_EQ(memory.recall(key)->precision, measured);
  // Another choice stored for this key is what the next load takes.
  const Precision other = measured != Precision::kFp32 ? Precision::kFp32
                          : cpu.fast_bf16()            ? Precision::kBf16
                                                       : Precision::kInt8;
  ASSERT_TRUE(memory.remember(key, {other, "planted by the test"}));
  auto runtime = refseg::acquire_clip_runtime(test_clip(), options);
  EXPECT_EQ(runtime->precision(), other);
  EXPECT_NE(runtime->load_report().find("remembered"), std::string::npos) << runtime->load_report();
}

// A live load starts in bf16 where the CPU has it (fp32 elsewhere) unless
// a choice as cheap to prepare is remembered; int8 and measuring wait for
// the first analysis.
TEST(AutoPrecisionStart, StartsCheapAndSettlesAfterTheFirstAnalysis) {
  refseg::clip::CpuFeatures bf16_cpu, plain_cpu;
  bf16_cpu.avx2 = bf16_cpu.avx512 = bf16_cpu.avx512_bf16 = true;
  plain_cpu.avx2 = true;
  const auto unknown = refseg::plan_auto_precision_start(std::nullopt, bf16_cpu);
  EXPECT_EQ(unknown.first, Precision::kBf16);
  EXPECT_TRUE(unknown.measure_then);
  EXPECT_TRUE(unknown.settles());
  EXPECT_EQ(refseg::plan_auto_precision_start(std::nullopt, plain_cpu).first, Precision::kFp32);
  const auto int8 = refseg::plan_auto_precision_start(Precision::kInt8, bf16_cpu);
  EXPECT_EQ(int8.first, Precision::kBf16);
  ASSERT_TRUE(int8.then.has_value());
  EXPECT_EQ(*int8.then, Precision::kInt8);
  EXPECT_FALSE(int8.measure_then);
  for (const Precision cheap : {Precision::kBf16, Precision::kFp32}) {
    const auto start = refseg::plan_auto_precision_start(cheap, bf16_cpu);
    EXPECT_EQ(start.first, cheap);
    EXPECT_FALSE(start.settles());
  }
}

// In the background (live) auto is ready in its starting precision, then
// settles (measures and remembers, or takes the remembered int8) and encodes
// what a load asked for that precision encodes.
TEST(BackgroundLoad, AutoStartsCheapThenSettlesToWhatItMeasuresOrRemembers) {
  const refseg::clip::CpuFeatures cpu = refseg::clip::detect_cpu_features();
  if (!cpu.fast_bf16() && !cpu.fast_int8())
    GTEST_SKIP() << "auto measures only on a CPU with fast bf16 or int8 ("
                 << refseg::clip::describe(cpu) << ")";
  const Precision first = cpu.fast_bf16() ? Precision::kBf16 : Precision::kFp32;
  TempDir dir("settle");
  refseg::RuntimeOptions options;
  options.precision = Precision::kAuto;
  options.precision_cache_dir = dir.path.string();
  options.background = true;
  const PrecisionMemory memory(dir.path.string());
  const PrecisionKey key{test_clip(), refseg::model_fingerprint(test_clip()), "cpu",
                         refseg::current_cpu(), refseg::current_libraries()};
  {
    auto runtime = refseg::acquire_clip_runtime(test_clip(), options);
    EXPECT_EQ(runtime->precision(), first);
    EXPECT_NE(runtime->load_report().find("auto settles after the first analysis (measuring)"),
              std::string::npos)
        << runtime->load_report();
    EXPECT_FALSE(memory.recall(key).has_value());
    const std::string settled = runtime->settle_report();
    EXPECT_NE(settled.find("measured"), std::string::npos) << settled;
    ASSERT_TRUE(memory.recall(key).has_value()) << read(memory.file());
    EXPECT_EQ(memory.recall(key)->precision, runtime->precision());
    EXPECT_EQ(runtime->claim_settle_report(), settled);
    EXPECT_EQ(runtime->claim_settle_report(), "");  // once
  }
  if (!cpu.fast_int8()) return;
  ASSERT_TRUE(memory.remember(key, {Precision::kInt8, "planted by the test"}));
  auto runtime = refseg::acquire_clip_runtime(test_clip(), options);
  EXPECT_EQ(runtime->precision(), first);
  const std::string settled = runtime->settle_report();
  EXPECT_NE(settled.find("precision int8 remembered"), std::string::npos) << settled;
  EXPECT_EQ(runtime->precision(), Precision::kInt8);
  refseg::RuntimeOptions int8_options;
  int8_options.precision = Precision::kInt8;
  auto int8_runtime = refseg::acquire_clip_runtime(test_clip(), int8_options);
  const std::vector<float> a = runtime->encode_text("a red square"),
                           b = int8_runtime->encode_text("a red square");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
}

TEST(BackgroundLoad, ReadyAfterwardsAndFeaturesEqualAForegroundLoad) {
  refseg::RuntimeOptions options;
  options.background = true;
  std::vector<float> background_feature;
  {
    auto runtime = refseg::acquire_clip_runtime(test_clip(), options);
    EXPECT_GT(runtime->embed_dim(), 0);                         // known before the model is built
    background_feature = runtime->encode_text("a red square");  // waits for it
    EXPECT_TRUE(runtime->ready());
    EXPECT_NE(runtime->load_report().find("read and checked"), std::string::npos);
  }
  auto runtime = refseg::acquire_clip_runtime(test_clip(), {});
  EXPECT_TRUE(runtime->ready());
  EXPECT_EQ(runtime->encode_text("a red square"), background_feature);
}

// What the background part finds wrong (a tensor missing) comes from the
// calls that need the model, naming the file and the tensor; what the
// foreground part finds fails acquire itself.
TEST(BackgroundLoad, AFailureIsThrownByTheCallsThatNeedTheModel) {
  TempDir dir("failure");
  fs::create_directories(dir.path);
  refseg::clip::NamedTensors tensors = refseg::clip::read_torchscript_tensors(test_clip());
  tensors.erase("visual.ln_post.bias");
  const fs::path broken = dir.path / "broken.pt";
  refseg::clip::save_tensor_archive(tensors, broken.string());
  const fs::path vocab = fs::path(test_clip()).replace_extension("").string() + ".vocab.txt.gz";
  fs::copy_file(vocab, dir.path / "broken.vocab.txt.gz");

  refseg::RuntimeOptions options;
  options.background = true;
  auto runtime = refseg::acquire_clip_runtime(broken.string(), options);
  try {
    runtime->encode_text("a red square");
    FAIL() << "a model without visual.ln_post.bias encoded a text";
  } catch (const refseg::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("visual.ln_post.bias"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("broken.pt"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(runtime->ready());
  EXPECT_THROW(runtime->wait_until_ready(), refseg::ModelError);
  EXPECT_THROW(runtime->precision(), refseg::ModelError);

  std::ofstream(dir.path / "junk.pt") << "this is not a zip archive";
  fs::copy_file(vocab, dir.path / "junk.vocab.txt.gz");
  EXPECT_THROW(refseg::acquire_clip_runtime((dir.path / "junk.pt").string(), options),
               refseg::ModelError);
}

}  // namespace

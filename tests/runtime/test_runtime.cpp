// The model runtime the elements share: lookup by name, the registry that
// loads a model once per process, and the worker thread inference runs on.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include "busy_cores.h"
#include "common/model_error.h"
#include "runtime/clip_runtime.h"
#include "runtime/feature_reuse.h"
#include "runtime/inference_worker.h"
#include "runtime/model_locator.h"
#include "runtime/model_names.h"

namespace fs = std::filesystem;

namespace {

std::string test_clip() {
  const char *path = std::getenv("REFSEG_TEST_CLIP");
  if (!path) throw std::runtime_error("REFSEG_TEST_CLIP is not set (meson test sets it)");
  return path;
}

// A models directory holding a copy of the test model under `name`.
struct ModelsDir {
  fs::path dir = fs::temp_directory_path() / ("refseg-models-" + std::to_string(::getpid()));
  explicit ModelsDir(const std::string &file) {
    fs::create_directories(dir);
    const fs::path src = test_clip();
    fs::copy_file(src, dir / file, fs::copy_options::overwrite_existing);
    fs::copy_file(src.parent_path() / (src.stem().string() + ".vocab.txt.gz"),
                  dir / (fs::path(file).stem().string() + ".vocab.txt.gz"),
                  fs::copy_options::overwrite_existing);
    setenv("REFSEG_MODELS_DIR", dir.c_str(), 1);
  }
  ~ModelsDir() {
    unsetenv("REFSEG_MODELS_DIR");
    fs::remove_all(dir);
  }
};

TEST(ModelLocator, OpenAiNamesMapToTheirFileNames) {
  ModelsDir models("ViT-B-32.pt");
  EXPECT_EQ(refseg::locate_clip_model("ViT-B/32"), (models.dir / "ViT-B-32.pt").string());
  EXPECT_EQ(refseg::locate_clip_model("ViT-B-32.pt"), (models.dir / "ViT-B-32.pt").string());
  EXPECT_EQ(refseg::locate_vocabulary((models.dir / "ViT-B-32.pt").string()),
            (models.dir / "ViT-B-32.vocab.txt.gz").string());
}

TEST(ModelLocator, AMissingModelSaysWhereItLooked) {
  ModelsDir models("other.pt");
  try {
    refseg::locate_clip_model("RN50");
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'RN50' not found"), std::string::npos) << message;
    EXPECT_NE(message.find((models.dir / "RN50.pt").string()), std::string::npos) << message;
    EXPECT_NE(message.find("gst-refseg-download RN50"), std::string::npos) << message;
  }
  EXPECT_THROW(refseg::locate_clip_model(""), refseg::ModelError);
  EXPECT_THROW(refseg::locate_clip_model("/no/such/dir/model.pt"), refseg::ModelError);
}

// A typo names the installed model it is nearest to, and never sends the
// user to a download script that does not know the name.
TEST(ModelLocator, AMisspelledModelListsTheInstalledOnesAndSuggestsTheNearest) {
  ModelsDir models("my-model.pt");
  try {
    refseg::locate_clip_model("My_Modle");
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("installed models: my-model"), std::string::npos) << message;
    EXPECT_NE(message.find("did you mean 'my-model'?"), std::string::npos) << message;
    EXPECT_EQ(message.find("gst-refseg-download My_Modle"), std::string::npos) << message;
  }
  try {
    refseg::locate_clip_model("vit-b/23");
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    // OpenAI's name, not installed: the suggestion says how to fetch it.
    const std::string message = e.what();
    EXPECT_NE(message.find("did you mean 'ViT-B/32'? (not installed: gst-refseg-download "
                           "ViT-B/32 fetches it)"),
              std::string::npos)
        << message;
  }
  try {
    refseg::locate_clip_model("banana");
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find("did you mean"), std::string::npos) << message;
    EXPECT_NE(message.find("OpenAI's models (RN50, ViT-B/32, ViT-B/16, ViT-L/14)"),
              std::string::npos)
        << message;
  }
}

TEST(ModelNames, NearestIgnoresCaseAndSeparatorsAndRefusesFarNames) {
  const std::vector<std::string> names = {"refseg-tiny", "ViT-B/32", "RN50"};
  EXPECT_EQ(refseg::nearest_model_name("refseg_tiny", names), "refseg-tiny");
  EXPECT_EQ(refseg::nearest_model_name("REFSEG-TINY.pt", names), "refseg-tiny");
  EXPECT_EQ(refseg::nearest_model_name("vit-b-32", names), "ViT-B/32");
  EXPECT_EQ(refseg::nearest_model_name("rn5", names), "RN50");
  EXPECT_EQ(refseg::nearest_model_name("resnet101", names), "");
  EXPECT_EQ(refseg::nearest_model_name("x", {}), "");
}

TEST(ModelNames, InstalledNamesAreTheFilesAsTheyAreGiven) {
  ModelsDir models("ViT-B-32.pt");
  std::ofstream(models.dir / "notes.txt") << "not a model";
  const std::vector<std::string> names = refseg::installed_model_names({models.dir.string()});
  EXPECT_EQ(names, std::vector<std::string>{"ViT-B/32"});
  EXPECT_TRUE(refseg::installed_model_names({"/no/such/dir"}).empty());
}

TEST(ModelLocator, AModelWithoutVocabularyIsRefused) {
  const fs::path lone = fs::temp_directory_path() / "refseg-lone" / "lone.pt";
  fs::create_directories(lone.parent_path());
  std::ofstream(lone) << "x";
  setenv("REFSEG_MODELS_DIR", lone.parent_path().c_str(), 1);
  setenv("HOME", lone.parent_path().c_str(), 1);  // keep the user's own models out of it
  unsetenv("REFSEG_CLIP_VOCAB");
  EXPECT_THROW(refseg::locate_vocabulary(lone.string()), refseg::ModelError);
  unsetenv("REFSEG_MODELS_DIR");
  fs::remove_all(lone.parent_path());
}

TEST(ModelLocator, ACalibratedThresholdIsReadFromBesideTheWeights) {
  const fs::path dir =
      fs::temp_directory_path() / ("refseg-threshold-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string weights = (dir / "m.pt").string();
  EXPECT_FALSE(refseg::read_score_threshold(weights).has_value()) << "no file: no threshold";
  std::ofstream(dir / "m.threshold") << "# how it was measured\n  42.5 \n";
  ASSERT_TRUE(refseg::read_score_threshold(weights).has_value());
  EXPECT_FLOAT_EQ(*refseg::read_score_threshold(weights), 42.5f);
  for (const char *bad : {"forty\n", "42 43\n", "300\n", "# only a comment\n", "nan\n"}) {
    std::ofstream(dir / "m.threshold") << bad;
    try {
      refseg::read_score_threshold(weights);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const refseg::ModelError &e) {
      EXPECT_NE(std::string(e.what()).find("m.threshold"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

TEST(ModelLocator, ACalibratedSpreadIsReadFromBesideTheWeights) {
  const fs::path dir = fs::temp_directory_path() / ("refseg-spread-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string weights = (dir / "m.pt").string();
  EXPECT_FALSE(refseg::read_score_spread(weights).has_value()) << "no file: no spread";
  std::ofstream(dir / "m.spread") << "# half the median gap\n11.7\n";
  ASSERT_TRUE(refseg::read_score_spread(weights).has_value());
  EXPECT_FLOAT_EQ(*refseg::read_score_spread(weights), 11.7f);
  for (const char *bad : {"wide\n", "-1\n", "1 2\n", "# nothing\n", "inf\n"}) {
    std::ofstream(dir / "m.spread") << bad;
    try {
      refseg::read_score_spread(weights);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const refseg::ModelError &e) {
      EXPECT_NE(std::string(e.what()).find("m.spread"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

TEST(Registry, ElementsNamingOneModelShareOneCopyFreedWithTheLastUser) {
  ModelsDir models("shared.pt");
  auto a = refseg::acquire_clip_runtime("shared");
  auto b = refseg::acquire_clip_runtime((models.dir / "shared.pt").string());
  EXPECT_EQ(a.get(), b.get()) << "a name and its path are one model";
  std::weak_ptr<refseg::ClipRuntime> watch = a;
  a.reset();
  EXPECT_FALSE(watch.expired()) << "still used by b";
  b.reset();
  EXPECT_TRUE(watch.expired()) << "freed with its last user";
}

TEST(Registry, ConcurrentAcquiresLoadOnce) {
  ModelsDir models("concurrent.pt");
  std::vector<std::shared_ptr<refseg::ClipRuntime>> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++)
    threads.emplace_back([&, i] { got[i] = refseg::acquire_clip_runtime("concurrent"); });
  for (auto &t : threads) t.join();
  for (const auto &r : got) EXPECT_EQ(r.get(), got[0].get());
}

TEST(Runtime, TextEmbeddingsAreCachedAndDeterministic) {
  auto clip = refseg::acquire_clip_runtime(test_clip());
  const auto first = clip->encode_text("the red circle");
  ASSERT_EQ(first.size(), static_cast<size_t>(clip->embed_dim()));
  EXPECT_EQ(clip->encode_text("the red circle"), first);
  EXPECT_NE(clip->encode_text("the blue square"), first);
}

// An RGB frame of seeded noise and five overlapping box masks.
struct Scene {
  int width = 64, height = 48;
  std::vector<uint8_t> rgb = std::vector<uint8_t>(64 * 48 * 3);
  std::vector<refseg::RegionMask> masks;
  Scene() {
    uint32_t x = 12345;
    for (auto &p : rgb) p = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
    for (int i = 0; i < 5; ++i) {
      refseg::RegionMask m;
      m.box = {i * 8, (i % 2) * 16, 24, 24};
      m.pixels.assign(24 * 24, 255);
      masks.push_back(m);
    }
  }
  refseg::ImageView view() const {
    return {rgb.data(), width, height, width * 3, refseg::PixelLayout::RGB};
  }
};

TEST(Runtime, LocalCropsEncodeTheBestProposalsExactlyAndScoreTheRestOnTheirGlobalFeature) {
  auto clip = refseg::acquire_clip_runtime(test_clip());
  const Scene scene;
  const refseg::EncodedMasks all = clip->encode_masks(scene.view(), scene.masks, 2);
  EXPECT_EQ(all.local_crops, scene.masks.size());
  refseg::LocalCrops crops;
  crops.k = 2;
  crops.texts = {clip->encode_text("the red circle")};
  const refseg::EncodedMasks some = clip->encode_masks(scene.view(), scene.masks, 2, crops);
  ASSERT_EQ(some.count, all.count);
  EXPECT_EQ(some.local_crops, 2u);
  EXPECT_EQ(some.global, all.global);
  size_t cropped = 0;
  for (size_t i = 0; i < some.count; ++i) {
    const auto row = [&](const std::vector<float> &v) {
      return std::vector<float>(v.begin() + i * some.dim, v.begin() + (i + 1) * some.dim);
    };
    if (row(some.local) == row(some.global)) continue;  // no crop pass: the global feature
    ++cropped;
    // A cropped mask's local feature is the full computation's (to float
    // rounding: the batch holds other masks).
    for (size_t d = 0; d < some.dim; ++d)
      EXPECT_NEAR(row(some.local)[d], row(all.local)[d], 1e-4) << "mask " << i;
  }
  EXPECT_EQ(cropped, 2u);
}

TEST(Runtime, AFrameRepeatedExactlyReusesFeaturesEqualToAFreshAnalysis) {
  auto clip = refseg::acquire_clip_runtime(test_clip());
  const Scene scene;
  const refseg::EncodedMasks fresh = clip->encode_masks(scene.view(), scene.masks, 2);
  refseg::FeatureReuse reuse;
  const refseg::EncodedMasks first = clip->encode_masks(scene.view(), scene.masks, 2, {}, &reuse);
  EXPECT_EQ(first.reused_local + first.reused_global, 0u);
  const refseg::EncodedMasks again = clip->encode_masks(scene.view(), scene.masks, 2, {}, &reuse);
  EXPECT_EQ(again.reused_local, scene.masks.size());
  EXPECT_EQ(again.reused_global, scene.masks.size());
  EXPECT_EQ(again.global, fresh.global);
  EXPECT_EQ(again.local, fresh.local);
}

TEST(Runtime, AChangedRegionIsEncodedAgain) {
  auto clip = refseg::acquire_clip_runtime(test_clip());
  Scene scene;
  refseg::FeatureReuse reuse;
  const refseg::EncodedMasks before = clip->encode_masks(scene.view(), scene.masks, 2, {}, &reuse);
  // Repaint the top-left corner: inside mask 0's box only.
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c)
        scene.rgb[(static_cast<size_t>(y) * scene.width + x) * 3 + c] ^= 0xff;
  const refseg::EncodedMasks after = clip->encode_masks(scene.view(), scene.masks, 2, {}, &reuse);
  const refseg::EncodedMasks fresh = clip->encode_masks(scene.view(), scene.masks, 2);
  EXPECT_EQ(after.reused_local, scene.masks.size() - 1);  // every mask but 0 kept its crop
  EXPECT_EQ(after.reused_global, 0u);                     // the frame changed: no global kept
  const size_t dim = after.dim;
  for (size_t d = 0; d < dim; ++d) {
    EXPECT_NEAR(after.local[d], fresh.local[d], 1e-4);  // mask 0: encoded again
    EXPECT_NEAR(after.global[d], fresh.global[d], 1e-4);
  }
  EXPECT_NE(std::vector<float>(after.local.begin(), after.local.begin() + dim),
            std::vector<float>(before.local.begin(), before.local.begin() + dim));
}

TEST(Runtime, AnalysesReportTheThreadsTheyRanOn) {
  const Scene scene;
  {
    auto fixed = refseg::acquire_clip_runtime(test_clip(), {1});
    EXPECT_EQ(fixed->encode_masks(scene.view(), scene.masks, 2).threads, 1);
  }
  // threads=0: the core budget's choice, between one and every core.
  auto adaptive = refseg::acquire_clip_runtime(test_clip(), {0});
  const int threads = adaptive->encode_masks(scene.view(), scene.masks, 2).threads;
  EXPECT_GE(threads, 1);
  EXPECT_LE(threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

// threads = every core while other processes keep every core busy: the
// runtime finds it within a few analyses and says so once (the encoder
// posts it as a warning); under threads=0 it adapts instead, and says
// nothing.
TEST(Runtime, AFixedThreadCountOnBusyCoresIsToldOnce) {
  const int cores = refseg::test::machine_cores();
  if (cores < 2) GTEST_SKIP() << "one core: no count can exceed the idle ones";
  const Scene scene;
  // One mask: an analysis on threads that share busy cores takes seconds.
  const std::vector<refseg::RegionMask> mask(scene.masks.begin(), scene.masks.begin() + 1);
  // Runs analyses beside `cores` busy processes for up to `seconds`, or
  // until the runtime has something to say; returns what it said.
  auto run_beside_busy_cores = [&](refseg::ClipRuntime &clip, double seconds) {
    const refseg::test::BusyCores busy(cores);
    std::string said;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (said.empty() && std::chrono::steady_clock::now() < until) {
      clip.encode_masks(scene.view(), mask, 2);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      said = clip.claim_threads_note();
    }
    return said;
  };
  {
    auto fixed = refseg::acquire_clip_runtime(test_clip(), {cores});
    EXPECT_EQ(fixed->claim_threads_note(), "");
    const std::string note = run_beside_busy_cores(*fixed, 20);
    EXPECT_NE(note.find("threads=" + std::to_string(cores)), std::string::npos) << note;
    EXPECT_EQ(run_beside_busy_cores(*fixed, 1), "") << "told twice";
  }
  auto adaptive = refseg::acquire_clip_runtime(test_clip(), {0});
  EXPECT_EQ(run_beside_busy_cores(*adaptive, 1.5), "") << "threads=0 adapts instead";
}

TEST(Runtime, AnUnusableDeviceIsRefusedByName) {
  std::string why;
  EXPECT_TRUE(refseg::device_available("cpu", &why));
  EXPECT_THROW(refseg::device_available("gpu-please", &why), refseg::ModelError);
  try {
    refseg::acquire_clip_runtime(test_clip(), {0, "cuda:9"});
    FAIL() << "no error";
  } catch (const refseg::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("cuda:9"), std::string::npos) << e.what();
  }
}

TEST(InferenceWorker, RunsEveryJobOnItsOneThreadAndRethrows) {
  std::thread::id setup_thread;
  refseg::InferenceWorker worker([&] { setup_thread = std::this_thread::get_id(); });
  std::set<std::thread::id> seen;
  std::mutex m;
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; i++)
    callers.emplace_back([&] {
      for (int j = 0; j < 50; j++) {
        const auto id = worker.run([] { return std::this_thread::get_id(); });
        std::lock_guard<std::mutex> lock(m);
        seen.insert(id);
      }
    });
  for (auto &t : callers) t.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(*seen.begin(), setup_thread);
  EXPECT_NE(*seen.begin(), std::this_thread::get_id());
  EXPECT_EQ(worker.run([] { return 6 * 7; }), 42);
  EXPECT_THROW(worker.run([]() -> int { throw refseg::ModelError("bad input"); }),
               refseg::ModelError);
}

}  // namespace

// preprocess=reference, step by step, against what the authors' code
// computes: tests/fixtures/reference/*.txt, written with torchvision and
// Pillow by scripts/make_reference_fixtures.py (which says which line of
// their code each step follows). The frames and masks are rebuilt here from
// the same integer formulas.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "clip/clip_model.h"
#include "clip/global_local_encoder.h"
#include "clip/image_preprocess.h"
#include "clip/openai_weights.h"
#include "clip/preprocess_mode.h"
#include "clip/reference_preprocess.h"
#include "common/model_error.h"
#include "fixtures.h"
#include "reference_fixture.h"

using namespace refseg;
using namespace refseg::clip;
using namespace refseg::clip::reference_fixture;

namespace {

constexpr int64_t kResolution = 224;  // ViT-B/32, as the script writes them
constexpr int kGrid = 7;
// Float steps: the same float32 operations as torchvision's, so they agree
// to rounding; an indexing or weighting mistake moves values by 1e-2 or more.
constexpr double kFloatTolerance = 2e-5;

// Compares a tensor (any dtype) with a fixture's .shape/.idx/.val/.sum.
void expect_sampled(const Entries &e, const std::string &key, const at::Tensor &actual,
                    double tolerance) {
  const auto &shape = entry(e, key + ".shape");
  ASSERT_EQ(actual.dim(), static_cast<int64_t>(shape.size())) << key;
  for (size_t d = 0; d < shape.size(); ++d)
    ASSERT_EQ(actual.size(static_cast<int64_t>(d)), static_cast<int64_t>(shape[d])) << key;
  const auto flat = actual.to(at::kDouble).contiguous().view({-1});
  const double *v = flat.data_ptr<double>();
  const auto &idx = entry(e, key + ".idx"), &val = entry(e, key + ".val");
  ASSERT_EQ(idx.size(), val.size());
  for (size_t i = 0; i < idx.size(); ++i)
    ASSERT_NEAR(v[static_cast<int64_t>(idx[i])], val[i], tolerance)
        << key << " at flat index " << idx[i];
  // The sum covers every element the samples miss.
  EXPECT_NEAR(flat.sum().item<double>(), entry(e, key + ".sum")[0],
              tolerance * static_cast<double>(flat.numel()))
      << key << " sum";
}

class ReferenceFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    e = read_fixture(GetParam());
    const auto &size = entry(e, "frame");
    frame = std::make_unique<SyntheticFrame>(static_cast<int>(size[0]), static_cast<int>(size[1]));
  }
  std::vector<RegionMask> masks() const { return fixture_masks(e); }
  Entries e;
  std::unique_ptr<SyntheticFrame> frame;
};

TEST_P(ReferenceFixture, FrameIsTheScriptsFrame) {
  double sum = 0;
  for (uint8_t b : frame->rgb) sum += b;
  EXPECT_EQ(sum, entry(e, "frame.sum")[0]);
  EXPECT_GE(masks().size(), 2u);
}

TEST_P(ReferenceFixture, PillowBilinearResizeIsExact) {
  for (const std::string key : {"pil.down", "pil.width", "pil.up"}) {
    const auto &size = entry(e, key + ".size");
    const int w = static_cast<int>(size[0]), h = static_cast<int>(size[1]);
    auto bytes = pil_bilinear_resize(frame->view(), w, h);
    ASSERT_EQ(bytes.size(), static_cast<size_t>(w) * h * 3) << key;
    const auto t = at::from_blob(bytes.data(), {h, w, 3}, at::kByte);
    if (e.count(key)) {
      const auto &expected = entry(e, key);
      ASSERT_EQ(expected.size(), bytes.size()) << key;
      for (size_t i = 0; i < bytes.size(); ++i)
        ASSERT_EQ(bytes[i], expected[i]) << key << " at byte " << i;
    } else {
      expect_sampled(e, key, t, 0.0);
    }
  }
}

TEST_P(ReferenceFixture, ShortSide800AsTorchvisionResizes) {
  const auto [w, h] = short_side_size(frame->width, frame->height, 800);
  const auto &expected = entry(e, "size800");
  EXPECT_EQ(w, expected[0]);
  EXPECT_EQ(h, expected[1]);
  auto bytes = pil_bilinear_resize(frame->view(), w, h);
  expect_sampled(e, "bytes800", at::from_blob(bytes.data(), {h, w, 3}, at::kByte), 0.0);
}

TEST_P(ReferenceFixture, FrameIsNormalisedWithImageNetStatistics) {
  expect_sampled(e, "frame800", reference_frame(frame->view())[0], 1e-6);
}

TEST_P(ReferenceFixture, GlobalInputIsTheTensorResizedWithoutAntialias) {
  const auto frame800 = reference_frame(frame->view());
  expect_sampled(e, "global", reference_global_image(frame800, kResolution)[0], kFloatTolerance);
}

TEST_P(ReferenceFixture, RestoredFrameIsThe800ImageAtFrameSize) {
  const auto frame800 = reference_frame(frame->view());
  expect_sampled(e, "restored", resize_no_antialias(frame800, frame->height, frame->width)[0],
                 kFloatTolerance);
}

// Whether some cell of a grid x grid partition of the frame holds pixels
// both inside and outside the mask: a mask off the patch grid, where the
// reduction (not just any reduction) decides the grid values.
bool cuts_patches(const RegionMask &m, int width, int height, int grid) {
  for (int gy = 0; gy < grid; ++gy)
    for (int gx = 0; gx < grid; ++gx) {
      bool in = false, out = false;
      for (int y = gy * height / grid; y < (gy + 1) * height / grid; ++y)
        for (int x = gx * width / grid; x < (gx + 1) * width / grid; ++x)
          (m.contains(x, y) ? in : out) = true;
      if (in && out) return true;
    }
  return false;
}

TEST_P(ReferenceFixture, MaskGridIsTheirBilinearReduction) {
  const auto all = masks();
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(cuts_patches(all[i], frame->width, frame->height, kGrid)) << "mask " << i;
    const auto grid = mask_on_grid(all[i], frame->width, frame->height, kGrid);
    const auto &expected = entry(e, "grid" + std::to_string(i));
    ASSERT_EQ(grid.size(), expected.size());
    // mask_on_grid weighs the four taps in its own order: float rounding
    // apart (measured up to 2e-6), the same values.
    for (size_t j = 0; j < grid.size(); ++j)
      EXPECT_NEAR(grid[j], expected[j], 1e-5) << "mask " << i << " cell " << j;
  }
}

TEST_P(ReferenceFixture, LocalInputIsGreyOutsideTheMaskCroppedAtTheBox) {
  const auto restored =
      resize_no_antialias(reference_frame(frame->view()), frame->height, frame->width);
  const auto all = masks();
  for (size_t i = 0; i < all.size(); ++i)
    expect_sampled(e, "local" + std::to_string(i),
                   reference_local_image(restored, all[i], kResolution)[0], kFloatTolerance);
}

INSTANTIATE_TEST_SUITE_P(Frames, ReferenceFixture,
                         ::testing::Values("landscape_97x61", "portrait_45x118",
                                           "shrink_1000x850"));

TEST(PreprocessMode, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Preprocess p : {Preprocess::kClip, Preprocess::kReference})
    EXPECT_EQ(parse_preprocess(preprocess_name(p)), p);
  try {
    parse_preprocess("imagenet");
    FAIL() << "no error";
  } catch (const ModelError &error) {
    EXPECT_NE(std::string(error.what()).find("'imagenet'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("clip or reference"), std::string::npos);
  }
  EXPECT_THROW(parse_preprocess("Reference"), ModelError);
  EXPECT_THROW(parse_preprocess(""), ModelError);
}

TEST(PreprocessMode, EmptyBoxGivesTheGreyEverywhere) {
  const auto restored = at::zeros({1, 3, 10, 12});
  RegionMask empty;
  empty.box = {3, 4, 0, 5};
  const auto local = reference_local_image(restored, empty, 8);
  EXPECT_FLOAT_EQ(local[0][0].mean().item<float>(), 0.485f);
  EXPECT_FLOAT_EQ(local[0][2].max().item<float>(), 0.406f);
}

// End to end: the encoder in reference mode gives the features of the
// authors' pipeline (their preprocessing, CLIPViTFM's token masking from
// block layers - 3, the plain tower on the crops), computed by the script
// with the same tiny_vit weights.
TEST(ReferenceEncoder, FeaturesAreTheAuthorsPipelines) {
  const Entries e = read_fixture("tiny_vit_features");
  const auto &size = entry(e, "frame");
  const SyntheticFrame frame(static_cast<int>(size[0]), static_cast<int>(size[1]));
  const auto masks = fixture_masks(e);
  ASSERT_EQ(masks.size(), 3u);
  GlobalLocalEncoder encoder(load_openai_clip(fixtures::fixture_path("tiny_vit.pt")), 3,
                             Preprocess::kReference);
  const MaskFeatures f = encoder.encode(frame.view(), masks);
  for (size_t i = 0; i < masks.size(); ++i)
    for (const auto &[name, features] :
         {std::pair<std::string, at::Tensor>{"global", f.global}, {"local", f.local}}) {
      const auto &expected = entry(e, name + std::to_string(i));
      ASSERT_EQ(features.size(1), static_cast<int64_t>(expected.size()));
      for (size_t j = 0; j < expected.size(); ++j)
        ASSERT_NEAR(features[static_cast<int64_t>(i)][static_cast<int64_t>(j)].item<double>(),
                    expected[j], 1e-5)  // measured: within 1e-6
            << name << " feature of mask " << i << ", component " << j;
    }
}

// The encoder in reference mode feeds the towers exactly these inputs.
TEST(ReferenceEncoder, FeaturesAreTheTowersOnTheReferenceInputs) {
  auto model = load_openai_clip(fixtures::fixture_path("tiny_vit.pt"));
  const int64_t R = model->config().image_resolution;
  SyntheticFrame frame(97, 61);
  const Entries e = read_fixture("landscape_97x61");
  const RegionMask mask = fixture_mask(entry(e, "mask0"));
  RegionMask whole;
  whole.box = {0, 0, 97, 61};
  whole.pixels.assign(97 * 61, 255);

  GlobalLocalEncoder reference(model, 3, Preprocess::kReference);
  EXPECT_EQ(reference.preprocess(), Preprocess::kReference);
  const auto f = reference.encode(frame.view(), {mask, whole});
  torch::NoGradGuard no_grad;
  const auto frame800 = reference_frame(frame.view());
  const auto restored = resize_no_antialias(frame800, 61, 97);
  const auto local = model->encode_image(reference_local_image(restored, mask, R));
  EXPECT_LE((f.local[0] - local[0]).abs().max().item<double>(), 1e-5);
  // An all-ones mask sees the whole global input.
  const auto plain = model->encode_image(reference_global_image(frame800, R));
  EXPECT_LE((f.global[1] - plain[0]).abs().max().item<double>(), 1e-5);

  // The default stays METHOD.md's path, which differs.
  GlobalLocalEncoder clip(model);
  EXPECT_EQ(clip.preprocess(), Preprocess::kClip);
  const auto g = clip.encode(frame.view(), {mask, whole});
  EXPECT_GT((g.local[0] - f.local[0]).abs().max().item<double>(), 1e-3);
  EXPECT_GT((g.global[1] - f.global[1]).abs().max().item<double>(), 1e-3);
}

}  // namespace

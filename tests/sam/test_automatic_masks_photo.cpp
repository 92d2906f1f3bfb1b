// Automatic masks on a real photo (COCO 000000439180, 640x360) against
// segment-anything's SamAutomaticMaskGenerator with the small random
// checkpoints: the whole path (JPEG decoded by OpenCV as the fixture script
// decodes it, preprocessing, image encoder, masks). The photo is never
// committed (non-commercial licence): it is read from ../shared/real-photos
// ($REFSEG_SHARED_DIR stands for ../shared); without it the test exits 77
// (skipped). The reference's outputs for it are committed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "amg_parity.h"
#include "sam/automatic_mask_generator.h"
#include "sam/sam_model.h"
#include "sam_fixture.h"

using namespace refseg::sam;

namespace {

std::string photo_path() {
  const char *shared = std::getenv("REFSEG_SHARED_DIR");
  return (shared ? std::string(shared) : std::string(REFSEG_SOURCE_DIR "/../shared")) +
         "/real-photos/000000439180.jpg";
}

void check(const std::string &ckpt, const std::string &stem) {
  cv::Mat bgr = cv::imread(photo_path(), cv::IMREAD_COLOR), rgb;
  ASSERT_FALSE(bgr.empty());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const refseg::ImageView view{rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step),
                               refseg::PixelLayout::RGB};
  SamModel model(fixture::path(ckpt));
  model.set_image(view);
  const auto ref = fixture::reference(stem + "_amg_439180.pt");
  for (const char *name : {"open", "filters", "nms", "defaults", "regions"})
    amg_parity::compare(ref, name, generate_masks(model, amg_parity::settings(name)), rgb.cols,
                        rgb.rows);
}

}  // namespace

TEST(SamAutomaticMasksPhoto, VitEqualsReference) {
  check("sam_vit_small.pth", "sam_vit_small");
}

TEST(SamAutomaticMasksPhoto, MobileSamEqualsReference) {
  check("mobile_sam_small.pt", "mobile_sam_small");
}

int main(int argc, char **argv) {
  if (!std::ifstream(photo_path()).good()) {
    std::cout << "skipped: the real photo is not here (never committed): " << photo_path()
              << "\nput it in ../shared/real-photos/ or set REFSEG_SHARED_DIR\n";
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

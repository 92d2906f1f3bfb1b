// A small RefCOCO-format dataset written by the test itself, in the refer
// API's layout under a temporary root:
//   <root>/refcoco/refs(unc).json, <root>/refcoco/instances.json,
//   <root>/images/mscoco/images/train2014/COCO_train2014_00000000000N.jpg
// Three 64 x 48 images with flat-coloured shapes; annotations with one
// polygon, two overlapping polygons, uncompressed counts and compressed
// counts; six refs over the val / testA / testB / testAB / train splits.
// Tests edit `refs` / `instances` (or delete files) and call write() again
// to make a broken copy.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace refseg::refcoco::testing {

constexpr int kWidth = 64, kHeight = 48;

// Column-major run lengths (background first) of the rectangle
// [x0, x1) x [y0, y1) in a kHeight x kWidth image, from the definition.
inline std::vector<uint32_t> rectangle_counts(int x0, int y0, int x1, int y1) {
  std::vector<uint32_t> counts;
  uint32_t run = 0;
  bool inside = false;
  for (int x = 0; x < kWidth; ++x)
    for (int y = 0; y < kHeight; ++y) {
      const bool in = x >= x0 && x < x1 && y >= y0 && y < y1;
      if (in != inside) {
        counts.push_back(run);
        run = 0;
        inside = in;
      }
      ++run;
    }
  counts.push_back(run);
  return counts;
}

// COCO's compressed string of run lengths, written from its description
// (5 value bits per character plus a continuation bit 0x20, offset by '0';
// the last character's 0x10 bit is the sign; counts after the third are
// stored as differences to the count two before).
inline std::string compress_counts(const std::vector<uint32_t> &counts) {
  std::string s;
  for (size_t i = 0; i < counts.size(); ++i) {
    long long x = counts[i];
    if (i > 2) x -= counts[i - 2];
    for (bool more = true; more;) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s += static_cast<char>(c + 48);
    }
  }
  return s;
}

struct ReferFixture {
  std::string root;
  nlohmann::json refs, instances;

  // $REFSEG_KEEP_REFCOCO_FIXTURE names a directory to write it to and keep
  // (docs/accuracy.md runs the tool on it); otherwise a fresh temporary
  // directory, removed afterwards.
  ReferFixture() {
    if (const char *keep = std::getenv("REFSEG_KEEP_REFCOCO_FIXTURE"); keep && *keep) {
      root = keep;
      keep_ = true;
    } else {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "refcoco-fixture-XXXXXX").string();
      if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
      root = pattern;
    }
    std::filesystem::create_directories(dataset_dir());
    std::filesystem::create_directories(image_dir());
    draw_images();
    instances = {
        {"images", {image(1), image(2), image(3)}},
        {"categories", {{{"id", 1}, {"name", "shape"}}}},
        {"annotations",
         {
             // The red square: one polygon, [8, 28) x [8, 24).
             annotation(101, 1, {{8, 8, 28, 8, 28, 24, 8, 24}}),
             // The blue triangle.
             annotation(102, 1, {{40, 8, 56, 40, 36, 40}}),
             // Two overlapping rectangles [4, 24) and [16, 36) x [4, 20).
             annotation(201, 2, {{4, 4, 24, 4, 24, 20, 4, 20}, {16, 4, 36, 4, 36, 20, 16, 20}}),
             // Uncompressed counts: [44, 52) x [24, 40).
             {{"id", 202},
              {"image_id", 2},
              {"category_id", 1},
              {"iscrowd", 0},
              {"segmentation",
               {{"size", {kHeight, kWidth}}, {"counts", rectangle_counts(44, 24, 52, 40)}}}},
             // Compressed counts: [20, 40) x [10, 30).
             {{"id", 301},
              {"image_id", 3},
              {"category_id", 1},
              {"iscrowd", 1},
              {"segmentation",
               {{"size", {kHeight, kWidth}},
                {"counts", compress_counts(rectangle_counts(20, 10, 40, 30))}}}},
             annotation(302, 3, {{46, 30, 60, 30, 60, 44, 46, 44}}),
         }}};
    refs = {
        ref(1, 101, 1, "val", {{11, "Red Square"}, {12, "the red square on the left"}}),
        ref(2, 102, 1, "testA", {{21, "blue triangle"}}),
        ref(3, 201, 2, "testB", {{31, "yellow square"}, {32, "yellow shape"}}),
        ref(4, 202, 2, "val", {{41, "green square"}}),
        ref(5, 301, 3, "testAB", {{51, "white square"}}),
        ref(6, 302, 3, "train", {{61, "magenta square"}}),
    };
    write();
  }
  ~ReferFixture() {
    std::error_code ignored;
    if (!keep_) std::filesystem::remove_all(root, ignored);
  }
  ReferFixture(const ReferFixture &) = delete;
  ReferFixture &operator=(const ReferFixture &) = delete;

  std::string dataset_dir() const { return root + "/refcoco"; }
  std::string image_dir() const { return root + "/images/mscoco/images/train2014"; }
  std::string refs_path() const { return dataset_dir() + "/refs(unc).json"; }
  std::string instances_path() const { return dataset_dir() + "/instances.json"; }
  static std::string file_name(int id) {
    return "COCO_train2014_00000000000" + std::to_string(id) + ".jpg";
  }
  std::string image_path(int id) const { return image_dir() + "/" + file_name(id); }

  void write() const {
    std::ofstream(refs_path()) << refs.dump();
    std::ofstream(instances_path()) << instances.dump();
  }

 private:
  bool keep_ = false;

  static nlohmann::json image(int id) {
    return {{"id", id}, {"file_name", file_name(id)}, {"height", kHeight}, {"width", kWidth}};
  }
  static nlohmann::json annotation(int id, int image_id,
                                   const std::vector<std::vector<double>> &polygons) {
    return {{"id", id},
            {"image_id", image_id},
            {"category_id", 1},
            {"iscrowd", 0},
            {"segmentation", polygons}};
  }
  struct Text {
    int id;
    std::string raw;
  };
  static nlohmann::json ref(int ref_id, int ann_id, int image_id, const std::string &split,
                            const std::vector<Text> &texts) {
    nlohmann::json sentences = nlohmann::json::array(), sent_ids = nlohmann::json::array();
    for (const Text &t : texts) {
      sentences.push_back({{"sent_id", t.id},
                           {"raw", t.raw},
                           {"sent", t.raw},
                           {"tokens", nlohmann::json::array()}});
      sent_ids.push_back(t.id);
    }
    return {{"ref_id", ref_id},     {"ann_id", ann_id},
            {"image_id", image_id}, {"category_id", 1},
            {"split", split},       {"sentences", sentences},
            {"sent_ids", sent_ids}, {"file_name", file_name(image_id)}};
  }

  void draw_images() const {
    auto fill = [](cv::Mat &m, std::vector<cv::Point> points, cv::Scalar bgr) {
      cv::fillPoly(m, std::vector<std::vector<cv::Point>>{points}, bgr);
    };
    cv::Mat one(kHeight, kWidth, CV_8UC3, cv::Scalar(128, 128, 128));
    fill(one, {{8, 8}, {27, 8}, {27, 23}, {8, 23}}, {0, 0, 220});
    fill(one, {{40, 8}, {56, 40}, {36, 40}}, {220, 0, 0});
    cv::Mat two(kHeight, kWidth, CV_8UC3, cv::Scalar(60, 60, 60));
    fill(two, {{4, 4}, {35, 4}, {35, 19}, {4, 19}}, {0, 220, 220});
    fill(two, {{44, 24}, {51, 24}, {51, 39}, {44, 39}}, {0, 200, 0});
    cv::Mat three(kHeight, kWidth, CV_8UC3, cv::Scalar(90, 40, 40));
    fill(three, {{20, 10}, {39, 10}, {39, 29}, {20, 29}}, {240, 240, 240});
    fill(three, {{46, 30}, {59, 30}, {59, 43}, {46, 43}}, {220, 0, 220});
    cv::imwrite(image_path(1), one);
    cv::imwrite(image_path(2), two);
    cv::imwrite(image_path(3), three);
  }
};

}  // namespace refseg::refcoco::testing

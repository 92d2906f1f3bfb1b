// COCO panoptic and instance annotations read as every object's mask (what
// bench_proposals measures real photos against), and their faults named.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/model_error.h"
#include "refcoco/coco_objects.h"

namespace {

using nlohmann::json;
using refseg::ModelError;
using namespace refseg::refcoco;

std::string temp_dir() {
  char pattern[] = "/tmp/coco-objects-XXXXXX";
  const char *dir = mkdtemp(pattern);
  if (!dir) throw std::runtime_error("mkdtemp failed");
  return dir;
}

void write(const std::string &path, const json &doc) {
  std::ofstream(path) << doc.dump();
}

// A 40x30 panoptic PNG: segment 5 (a thing) is a 10x10 square, segment
// 70000 (stuff: its id needs the blue channel) the rest.
struct Panoptic {
  std::string dir, json_path;
  json doc;
};

Panoptic panoptic() {
  Panoptic p;
  p.dir = temp_dir();
  cv::Mat png(30, 40, CV_8UC3);
  const int stuff = 70000;
  png.setTo(cv::Scalar(stuff / 65536, (stuff / 256) % 256, stuff % 256));  // B, G, R
  png(cv::Rect(5, 8, 10, 10)).setTo(cv::Scalar(0, 0, 5));
  cv::imwrite(p.dir + "/img.png", png);
  p.doc = {{"images", {{{"id", 1}, {"file_name", "img.jpg"}, {"width", 40}, {"height", 30}}}},
           {"annotations",
            {{{"image_id", 1},
              {"file_name", "img.png"},
              {"segments_info",
               {{{"id", 5}, {"category_id", 1}, {"iscrowd", 0}},
                {{"id", stuff}, {"category_id", 2}, {"iscrowd", 0}}}}}}},
           {"categories",
            {{{"id", 1}, {"name", "horse"}, {"isthing", 1}},
             {{"id", 2}, {"name", "grass"}, {"isthing", 0}}}}};
  p.json_path = p.dir + "/panoptic.json";
  write(p.json_path, p.doc);
  return p;
}

TEST(CocoObjects, PanopticSegmentsBecomeMasks) {
  const Panoptic p = panoptic();
  const auto images = load_coco_objects(p.json_path);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].image_path, p.dir + "/img.jpg");
  ASSERT_EQ(images[0].objects.size(), 2u);
  const AnnotatedObject &horse = images[0].objects[0], &grass = images[0].objects[1];
  EXPECT_EQ(horse.category, "horse");
  EXPECT_TRUE(horse.is_thing);
  EXPECT_FALSE(grass.is_thing);
  EXPECT_EQ(horse.mask.count_nonzero(), 100u);
  EXPECT_EQ(horse.mask.at(5, 8), 1);
  EXPECT_EQ(horse.mask.at(4, 8), 0);
  EXPECT_EQ(grass.mask.count_nonzero(), 40u * 30u - 100u);
}

TEST(CocoObjects, PanopticFaultsNameTheFileAndTheSegment) {
  Panoptic p = panoptic();
  p.doc["annotations"][0]["segments_info"][0]["id"] = 6;  // no pixel has it
  write(p.json_path, p.doc);
  try {
    load_coco_objects(p.json_path);
    FAIL() << "a segment with no pixel was accepted";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("segment id 6 has no pixel"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(p.json_path), std::string::npos) << e.what();
  }
  p = panoptic();
  std::remove((p.dir + "/img.png").c_str());
  try {
    load_coco_objects(p.json_path);
    FAIL() << "a missing PNG was accepted";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("cannot read its panoptic PNG"), std::string::npos)
        << e.what();
  }
}

TEST(CocoObjects, InstancePolygonsAndRlesBecomeMasks) {
  const std::string dir = temp_dir();
  json doc = {{"images", {{{"id", 7}, {"file_name", "a.jpg"}, {"width", 20}, {"height", 10}}}},
              {"annotations",
               {{{"id", 1},
                 {"image_id", 7},
                 {"category_id", 3},
                 {"iscrowd", 0},
                 {"segmentation", {{2, 2, 8, 2, 8, 8, 2, 8}}}},
                // Column-major counts: 30 background (three columns), 10 foreground
                // (the fourth column), the rest background.
                {{"id", 2},
                 {"image_id", 7},
                 {"category_id", 3},
                 {"iscrowd", 1},
                 {"segmentation", {{"size", {10, 20}}, {"counts", {30, 10, 160}}}}}}},
              {"categories", {{{"id", 3}, {"name", "dog"}}}}};
  write(dir + "/instances.json", doc);
  const auto images = load_coco_objects(dir + "/instances.json");
  ASSERT_EQ(images.size(), 1u);
  ASSERT_EQ(images[0].objects.size(), 2u);
  EXPECT_EQ(images[0].objects[0].category, "dog");
  EXPECT_GT(images[0].objects[0].mask.count_nonzero(), 30u);
  EXPECT_TRUE(images[0].objects[1].crowd);
  EXPECT_EQ(images[0].objects[1].mask.count_nonzero(), 10u);
  EXPECT_EQ(images[0].objects[1].mask.at(3, 0), 1);

  doc["annotations"][1]["segmentation"]["counts"] = {30, 10, 10};  // short of 200
  write(dir + "/instances.json", doc);
  EXPECT_THROW(load_coco_objects(dir + "/instances.json"), ModelError);
  doc["annotations"][1]["image_id"] = 8;
  write(dir + "/instances.json", doc);
  try {
    load_coco_objects(dir + "/instances.json");
    FAIL() << "an unknown image_id was accepted";
  } catch (const ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("annotation 2: image_id 8 is not in the images list"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace

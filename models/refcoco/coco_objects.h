// Every annotated object of COCO-style images, for measuring class-agnostic
// proposals against real photos (tools/bench_proposals --photos):
//
//   panoptic  {images: [{id, file_name, width, height}], annotations:
//             [{image_id, file_name, segments_info: [{id, category_id,
//             iscrowd, area, bbox}]}], categories: [{id, name, isthing}]}
//             with one PNG per image whose pixel (R, G, B) is segment
//             R + 256 G + 65536 B (COCO 2018 panoptic format)
//   instances {images: [...], annotations: [{id, image_id, category_id,
//             iscrowd, segmentation}], categories: [{id, name}]} with
//             polygon, counts or compressed-RLE segmentations
//
// Images and PNGs are found beside the JSON file unless directories are
// given. Faults are ModelErrors naming the file, the entry and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "refcoco/coco_mask.h"

namespace refseg::refcoco {

struct AnnotatedObject {
  int64_t id = 0, category_id = 0;
  std::string category;  // the category's name, or its id when the file has none
  bool is_thing = true;  // panoptic "isthing"; instance annotations are all things
  bool crowd = false;    // iscrowd: one mask over a group of objects
  PixelMask mask;        // image-sized, 0 or 1
};

struct AnnotatedImage {
  int64_t id = 0;
  std::string image_path;
  int width = 0, height = 0;
  std::vector<AnnotatedObject> objects;
};

std::vector<AnnotatedImage> load_coco_panoptic(const std::string &json_path,
                                               const std::string &png_dir = "",
                                               const std::string &image_dir = "");

std::vector<AnnotatedImage> load_coco_instances(const std::string &json_path,
                                                const std::string &image_dir = "");

// Either of the two, told from the annotations' fields (segments_info or
// segmentation).
std::vector<AnnotatedImage> load_coco_objects(const std::string &json_path);

}  // namespace refseg::refcoco

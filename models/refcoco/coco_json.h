// Reading COCO's JSON files with every fault named: the file, the entry
// and the field. Shared by the refer annotations (refer_dataset.h) and the
// COCO instance and panoptic readers (coco_objects.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "refcoco/coco_mask.h"

namespace refseg::refcoco {

struct ImageInfo {
  int64_t id = 0;
  std::string file_name;
  int width = 0, height = 0;
};

// An annotation's segmentation, read but not yet rasterised.
struct Segmentation {
  enum class Kind {
    Polygons,      // a list of polygons [x0, y0, x1, y1, ...]
    CountsRle,     // {"size": [h, w], "counts": [n0, n1, ...]}
    CompressedRle  // {"size": [h, w], "counts": "<COCO string>"}
  };
  Kind kind = Kind::Polygons;
  std::vector<std::vector<double>> polygons;  // Polygons
  Rle rle;                                    // CountsRle
  std::string compressed;                     // CompressedRle
  int rle_height = 0, rle_width = 0;          // the RLE kinds' "size"
};

// The parsed file. `keep` is nlohmann's parser callback (return false to
// drop what was just parsed), so that a large file need not be held whole.
// Throws ModelError when the file is missing (with a hint when only the
// refer pickle is there) or not valid JSON.
nlohmann::json read_json(const std::string &path,
                         const nlohmann::json::parser_callback_t &keep = nullptr);

// Typed field access; `where` names the entry ("ref 12", "annotation 7").
class Fields {
 public:
  Fields(const std::string &file, std::string where, const nlohmann::json &object)
      : file_(file), where_(std::move(where)), object_(object) {
    if (!object_.is_object()) fail("is " + std::string(object_.type_name()) + ", not an object");
  }

  [[noreturn]] void fail(const std::string &what) const {
    throw ModelError(file_ + ": " + where_ + ": " + what);
  }

  const nlohmann::json &get(const char *key) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail("has no field '" + std::string(key) + "'");
    return *it;
  }
  bool has(const char *key) const { return object_.contains(key); }

  int64_t integer(const char *key) const {
    const nlohmann::json &v = get(key);
    if (v.is_number_integer()) return v.get<int64_t>();
    // The refer pickles came from Python 2, whose JSON dumps keep ids whole;
    // a float that is a whole number is still accepted.
    if (v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>()))
      return v.get<int64_t>();
    fail("field '" + std::string(key) + "' is " + describe(v) + ", not an integer");
  }
  std::string text(const char *key) const {
    const nlohmann::json &v = get(key);
    if (!v.is_string())
      fail("field '" + std::string(key) + "' is " + describe(v) + ", not a string");
    return v.get<std::string>();
  }
  const nlohmann::json &array(const char *key) const {
    const nlohmann::json &v = get(key);
    if (!v.is_array()) fail("field '" + std::string(key) + "' is " + describe(v) + ", not a list");
    return v;
  }

  static std::string describe(const nlohmann::json &v) {
    std::string shown = v.dump();
    if (shown.size() > 40) shown = shown.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + shown;
  }

 private:
  const std::string &file_;
  std::string where_;
  const nlohmann::json &object_;
};

// The top level's "images" list by id: id, file_name, width and height of
// each, a size that is no image size refused.
std::map<int64_t, ImageInfo> read_images(const std::string &file, const Fields &top);

// An annotation's "segmentation" field (polygons, counts or a compressed
// RLE), checked against the image's size. `f` names the annotation.
Segmentation parse_segmentation(const Fields &f, const nlohmann::json &seg, const ImageInfo &image);

// The segmentation's pixels at the image's size as pycocotools' annToMask
// gives them: the union of the polygons, or the decoded RLE (0 or 1).
PixelMask segmentation_mask(const Segmentation &seg, int width, int height);

}  // namespace refseg::refcoco

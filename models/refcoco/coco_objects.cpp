#include "refcoco/coco_objects.h"

#include <map>

#include <opencv2/imgcodecs.hpp>

#include "common/model_error.h"
#include "refcoco/coco_json.h"

namespace refseg::refcoco {
namespace {

using nlohmann::json;

std::string directory_of(const std::string &path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

struct Category {
  std::string name;
  bool is_thing = true;
};

std::map<int64_t, Category> read_categories(const std::string &file, const Fields &top) {
  std::map<int64_t, Category> out;
  if (!top.has("categories")) return out;
  const json &list = top.array("categories");
  for (size_t i = 0; i < list.size(); ++i) {
    const Fields c(file, "categories entry " + std::to_string(i), list[i]);
    Category cat;
    cat.name = c.has("name") ? c.text("name") : std::to_string(c.integer("id"));
    cat.is_thing = !c.has("isthing") || c.integer("isthing") != 0;
    out[c.integer("id")] = cat;
  }
  return out;
}

AnnotatedImage &image_entry(std::map<int64_t, AnnotatedImage> &images, const ImageInfo &info,
                            const std::string &image_dir) {
  AnnotatedImage &img = images[info.id];
  img.id = info.id;
  img.image_path = image_dir + "/" + info.file_name;
  img.width = info.width;
  img.height = info.height;
  return img;
}

std::vector<AnnotatedImage> values(std::map<int64_t, AnnotatedImage> &images) {
  std::vector<AnnotatedImage> out;
  for (auto &entry : images) out.push_back(std::move(entry.second));
  return out;
}

std::vector<AnnotatedImage> panoptic_objects(const json &doc, const std::string &json_path,
                                             const std::string &png_dir,
                                             const std::string &image_dir) {
  const Fields top(json_path, "top level", doc);
  const auto categories = read_categories(json_path, top);
  const auto infos = read_images(json_path, top);
  const std::string pngs = png_dir.empty() ? directory_of(json_path) : png_dir;
  const std::string jpgs = image_dir.empty() ? directory_of(json_path) : image_dir;
  std::map<int64_t, AnnotatedImage> images;
  const json &annotations = top.array("annotations");
  for (size_t i = 0; i < annotations.size(); ++i) {
    const Fields a(json_path, "annotations entry " + std::to_string(i), annotations[i]);
    const int64_t image_id = a.integer("image_id");
    const auto info = infos.find(image_id);
    if (info == infos.end())
      a.fail("image_id " + std::to_string(image_id) + " is not in the images list");
    const std::string png_path = pngs + "/" + a.text("file_name");
    const cv::Mat png = cv::imread(png_path, cv::IMREAD_COLOR);
    if (png.empty()) a.fail("cannot read its panoptic PNG " + png_path);
    if (png.cols != info->second.width || png.rows != info->second.height)
      a.fail("panoptic PNG " + png_path + " is " + std::to_string(png.cols) + "x" +
             std::to_string(png.rows) + ", the image " + std::to_string(info->second.width) + "x" +
             std::to_string(info->second.height));
    // Segment id per pixel (OpenCV reads B, G, R).
    std::vector<int64_t> ids(png.total());
    for (int y = 0; y < png.rows; ++y)
      for (int x = 0; x < png.cols; ++x) {
        const cv::Vec3b p = png.at<cv::Vec3b>(y, x);
        ids[static_cast<size_t>(y) * png.cols + x] = p[2] + 256 * p[1] + 65536 * p[0];
      }
    AnnotatedImage &img = image_entry(images, info->second, jpgs);
    const json &segments = a.array("segments_info");
    for (size_t s = 0; s < segments.size(); ++s) {
      const Fields f(json_path,
                     "image " + std::to_string(image_id) + " segment " + std::to_string(s),
                     segments[s]);
      AnnotatedObject object;
      object.id = f.integer("id");
      object.category_id = f.integer("category_id");
      const auto cat = categories.find(object.category_id);
      object.category =
          cat != categories.end() ? cat->second.name : std::to_string(object.category_id);
      object.is_thing = cat == categories.end() || cat->second.is_thing;
      object.crowd = f.has("iscrowd") && f.integer("iscrowd") != 0;
      object.mask = PixelMask(png.cols, png.rows);
      for (size_t p = 0; p < ids.size(); ++p) object.mask.pixels[p] = ids[p] == object.id;
      if (object.mask.count_nonzero() == 0)
        f.fail("segment id " + std::to_string(object.id) + " has no pixel in " + png_path);
      img.objects.push_back(std::move(object));
    }
  }
  return values(images);
}

std::vector<AnnotatedImage> instance_objects(const json &doc, const std::string &json_path,
                                             const std::string &image_dir) {
  const Fields top(json_path, "top level", doc);
  const auto categories = read_categories(json_path, top);
  const auto infos = read_images(json_path, top);
  const std::string jpgs = image_dir.empty() ? directory_of(json_path) : image_dir;
  std::map<int64_t, AnnotatedImage> images;
  const json &annotations = top.array("annotations");
  for (size_t i = 0; i < annotations.size(); ++i) {
    const Fields a(json_path, "annotations entry " + std::to_string(i), annotations[i]);
    AnnotatedObject object;
    object.id = a.integer("id");
    const Fields f(json_path, "annotation " + std::to_string(object.id), annotations[i]);
    const int64_t image_id = f.integer("image_id");
    const auto info = infos.find(image_id);
    if (info == infos.end())
      f.fail("image_id " + std::to_string(image_id) + " is not in the images list");
    object.category_id = f.has("category_id") ? f.integer("category_id") : 0;
    const auto cat = categories.find(object.category_id);
    object.category =
        cat != categories.end() ? cat->second.name : std::to_string(object.category_id);
    object.crowd = f.has("iscrowd") && f.integer("iscrowd") != 0;
    const Segmentation seg = parse_segmentation(f, f.get("segmentation"), info->second);
    try {
      object.mask = segmentation_mask(seg, info->second.width, info->second.height);
    } catch (const ModelError &e) {
      f.fail(std::string("segmentation: ") + e.what());
    }
    image_entry(images, info->second, jpgs).objects.push_back(std::move(object));
  }
  return values(images);
}

}  // namespace

std::vector<AnnotatedImage> load_coco_panoptic(const std::string &json_path,
                                               const std::string &png_dir,
                                               const std::string &image_dir) {
  return panoptic_objects(read_json(json_path), json_path, png_dir, image_dir);
}

std::vector<AnnotatedImage> load_coco_instances(const std::string &json_path,
                                                const std::string &image_dir) {
  return instance_objects(read_json(json_path), json_path, image_dir);
}

std::vector<AnnotatedImage> load_coco_objects(const std::string &json_path) {
  const json doc = read_json(json_path);
  const Fields top(json_path, "top level", doc);
  const json &annotations = top.array("annotations");
  if (!annotations.empty() && annotations[0].is_object() &&
      annotations[0].contains("segments_info"))
    return panoptic_objects(doc, json_path, "", "");
  return instance_objects(doc, json_path, "");
}

}  // namespace refseg::refcoco

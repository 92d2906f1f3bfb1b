#include "refcoco/coco_json.h"

#include <fstream>
#include <sstream>

#include "common/model_error.h"

namespace refseg::refcoco {

using nlohmann::json;

json read_json(const std::string &path, const json::parser_callback_t &keep) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string hint;
    const std::string suffix = ".json";
    if (path.size() > suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string pickle = path.substr(0, path.size() - suffix.size()) + ".p";
      if (std::ifstream(pickle))
        hint =
            " (" + pickle + " is there: convert it with scripts/refer_to_json.py '" + pickle + "')";
    }
    throw ModelError("cannot open " + path + hint);
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str(), keep);
  } catch (const json::parse_error &e) {
    throw ModelError(path + ": not valid JSON: " + e.what());
  }
}

std::map<int64_t, ImageInfo> read_images(const std::string &file, const Fields &top) {
  std::map<int64_t, ImageInfo> out;
  const json &list = top.array("images");
  for (size_t i = 0; i < list.size(); ++i) {
    const Fields f(file, "images entry " + std::to_string(i), list[i]);
    ImageInfo image;
    image.id = f.integer("id");
    const Fields g(file, "image " + std::to_string(image.id), list[i]);
    image.file_name = g.text("file_name");
    const int64_t h = g.integer("height"), w = g.integer("width");
    if (h <= 0 || w <= 0 || h > 100000 || w > 100000)
      g.fail("size " + std::to_string(h) + " x " + std::to_string(w) +
             " (height x width) is not an image size");
    image.height = static_cast<int>(h);
    image.width = static_cast<int>(w);
    out[image.id] = std::move(image);
  }
  return out;
}

Segmentation parse_segmentation(const Fields &f, const json &seg, const ImageInfo &image) {
  Segmentation out;
  if (seg.is_array()) {
    if (seg.empty()) f.fail("segmentation is an empty list");
    out.kind = Segmentation::Kind::Polygons;
    for (size_t p = 0; p < seg.size(); ++p) {
      const std::string name = "segmentation polygon " + std::to_string(p);
      if (!seg[p].is_array()) f.fail(name + " is " + Fields::describe(seg[p]) + ", not a list");
      std::vector<double> xy;
      for (size_t i = 0; i < seg[p].size(); ++i) {
        if (!seg[p][i].is_number())
          f.fail(name + " coordinate " + std::to_string(i) + " is " + Fields::describe(seg[p][i]) +
                 ", not a number");
        xy.push_back(seg[p][i].get<double>());
      }
      if (xy.size() % 2 != 0)
        f.fail(name + " has an odd number of coordinates (" + std::to_string(xy.size()) + ")");
      // pycocotools' frPyObjects decides the format on the first entry:
      // 4 numbers are a box list (and a list of lists fails there), fewer
      // are nothing it reads.
      if (p == 0 && xy.size() <= 4)
        f.fail(name + " has " + std::to_string(xy.size()) +
               " coordinates; the first polygon needs at least 3 points (pycocotools' "
               "frPyObjects reads no other list)");
      out.polygons.push_back(std::move(xy));
    }
    return out;
  }
  if (!seg.is_object())
    f.fail("segmentation is " + Fields::describe(seg) + ", neither polygons nor an RLE");
  const auto size = seg.find("size");
  const auto counts = seg.find("counts");
  if (size == seg.end() || counts == seg.end())
    f.fail("segmentation is an object without 'size' and 'counts'");
  if (!size->is_array() || size->size() != 2 || !(*size)[0].is_number_integer() ||
      !(*size)[1].is_number_integer())
    f.fail("segmentation size is " + Fields::describe(*size) + ", not [height, width]");
  out.rle_height = (*size)[0].get<int>();
  out.rle_width = (*size)[1].get<int>();
  if (out.rle_height != image.height || out.rle_width != image.width)
    f.fail("segmentation size " + std::to_string(out.rle_height) + " x " +
           std::to_string(out.rle_width) + " differs from image " + std::to_string(image.id) +
           "'s " + std::to_string(image.height) + " x " + std::to_string(image.width) +
           " (height x width)");
  if (counts->is_string()) {
    out.kind = Segmentation::Kind::CompressedRle;
    out.compressed = counts->get<std::string>();
    return out;
  }
  if (!counts->is_array())
    f.fail("segmentation counts is " + Fields::describe(*counts) + ", neither a list nor a string");
  out.kind = Segmentation::Kind::CountsRle;
  out.rle = {out.rle_height, out.rle_width, {}};
  for (size_t i = 0; i < counts->size(); ++i) {
    const json &c = (*counts)[i];
    if (!c.is_number_integer() || c.get<int64_t>() < 0 || c.get<int64_t>() > 0xffffffffLL)
      f.fail("segmentation counts entry " + std::to_string(i) + " is " + Fields::describe(c) +
             ", not a run length");
    out.rle.counts.push_back(static_cast<uint32_t>(c.get<int64_t>()));
  }
  return out;
}

PixelMask segmentation_mask(const Segmentation &seg, int width, int height) {
  switch (seg.kind) {
    case Segmentation::Kind::Polygons: {
      PixelMask sum(width, height);
      for (const auto &polygon : seg.polygons) add_rle(polygon_rle(polygon, height, width), &sum);
      for (uint8_t &p : sum.pixels) p = p != 0;
      return sum;
    }
    case Segmentation::Kind::CountsRle:
      return decode_rle(seg.rle);
    case Segmentation::Kind::CompressedRle:
      return decode_rle(rle_from_string(seg.compressed, seg.rle_height, seg.rle_width));
  }
  return {};
}

}  // namespace refseg::refcoco

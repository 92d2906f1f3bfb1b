#include "refcoco/refer_dataset.h"

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "refcoco/coco_json.h"

namespace refseg::refcoco {
namespace {

using nlohmann::json;

Ref parse_ref(const std::string &file, size_t index, const json &entry) {
  Fields f(file, "refs entry " + std::to_string(index), entry);
  Ref ref;
  ref.ref_id = f.integer("ref_id");
  Fields r(file, "ref " + std::to_string(ref.ref_id), entry);
  ref.ann_id = r.integer("ann_id");
  ref.image_id = r.integer("image_id");
  ref.category_id = r.has("category_id") ? r.integer("category_id") : 0;
  ref.split = r.text("split");
  const json &sentences = r.array("sentences");
  for (size_t s = 0; s < sentences.size(); ++s) {
    Fields sf(file, "ref " + std::to_string(ref.ref_id) + " sentence " + std::to_string(s),
              sentences[s]);
    Sentence sentence;
    sentence.sent_id = sf.integer("sent_id");
    sentence.raw = sf.text("raw");
    if (sf.has("sent")) sentence.sent = sf.text("sent");
    ref.sentences.push_back(std::move(sentence));
  }
  return ref;
}

}  // namespace

std::string default_split_by(const std::string &dataset) {
  if (dataset == "refcocog") return "umd";
  if (dataset == "refcoco" || dataset == "refcoco+") return "unc";
  throw ModelError("dataset '" + dataset + "': expected refcoco, refcoco+ or refcocog");
}

ReferDataset load_refer(const std::string &refs_path, const std::string &instances_path) {
  ReferDataset data;
  data.refs_path = refs_path;
  data.instances_path = instances_path;

  const json refs = read_json(refs_path);
  if (!refs.is_array())
    throw ModelError(refs_path + ": is " + std::string(refs.type_name()) +
                     ", not the list of refs (is it the output of scripts/refer_to_json.py?)");
  std::set<int64_t> wanted_annotations;
  for (size_t i = 0; i < refs.size(); ++i) {
    data.refs.push_back(parse_ref(refs_path, i, refs[i]));
    wanted_annotations.insert(data.refs.back().ann_id);
  }

  // COCO-sized instance files hold ~200k annotations, most named by no
  // ref: each is dropped as soon as it is parsed (its id checked first).
  std::string top_key;
  int64_t annotation_entry = 0;
  const json instances =
      read_json(instances_path, [&](int depth, json::parse_event_t event, json &parsed) {
        if (event == json::parse_event_t::key && depth == 1) top_key = parsed.get<std::string>();
        if (event == json::parse_event_t::object_end && depth == 2 && top_key == "annotations") {
          const Fields f(instances_path, "annotations entry " + std::to_string(annotation_entry++),
                         parsed);
          return wanted_annotations.count(f.integer("id")) > 0;
        }
        return true;
      });
  Fields top(instances_path, "top level", instances);
  data.images = read_images(instances_path, top);
  const json &annotations = top.array("annotations");
  for (size_t i = 0; i < annotations.size(); ++i) {  // those the refs name (see above)
    const int64_t id = annotations[i]["id"].get<int64_t>();
    Fields a(instances_path, "annotation " + std::to_string(id), annotations[i]);
    Annotation ann;
    ann.id = id;
    ann.image_id = a.integer("image_id");
    const auto image = data.images.find(ann.image_id);
    if (image == data.images.end())
      a.fail("image_id " + std::to_string(ann.image_id) + " is not in the images list");
    ann.segmentation = parse_segmentation(a, a.get("segmentation"), image->second);
    data.annotations[id] = std::move(ann);
  }

  for (const Ref &ref : data.refs) {
    const std::string where = refs_path + ": ref " + std::to_string(ref.ref_id) + ": ";
    const auto ann = data.annotations.find(ref.ann_id);
    if (ann == data.annotations.end())
      throw ModelError(where + "ann_id " + std::to_string(ref.ann_id) +
                       " is not an annotation of " + instances_path);
    if (!data.images.count(ref.image_id))
      throw ModelError(where + "image_id " + std::to_string(ref.image_id) + " is not an image of " +
                       instances_path);
    if (ann->second.image_id != ref.image_id)
      throw ModelError(where + "image_id " + std::to_string(ref.image_id) + " but its annotation " +
                       std::to_string(ref.ann_id) + " belongs to image " +
                       std::to_string(ann->second.image_id));
  }
  return data;
}

std::vector<const Ref *> refs_in_split(const ReferDataset &data, const std::string &split) {
  std::function<bool(const std::string &)> in;
  if (split == "testA" || split == "testB" || split == "testC") {
    const char letter = split.back();
    in = [letter](const std::string &s) { return s.find(letter) != std::string::npos; };
  } else if (split == "testAB" || split == "testBC" || split == "testAC" || split == "train" ||
             split == "val") {
    in = [split](const std::string &s) { return s == split; };
  } else if (split == "test") {
    in = [](const std::string &s) { return s.find("test") != std::string::npos; };
  } else {
    throw ModelError("split '" + split +
                     "': expected val, test, testA, testB, testC, testAB, testBC, testAC or train");
  }
  std::vector<const Ref *> out;
  for (const Ref &ref : data.refs)
    if (in(ref.split)) out.push_back(&ref);
  return out;
}

PixelMask target_mask(const ReferDataset &data, const Ref &ref) {
  const Annotation &ann = data.annotations.at(ref.ann_id);
  const ImageInfo &image = data.images.at(ref.image_id);
  const Segmentation &seg = ann.segmentation;
  try {
    PixelMask mask;
    switch (seg.kind) {
      case Segmentation::Kind::Polygons: {
        // refer.getMask: one mask per polygon, summed (np.sum(..., axis=2)
        // then uint8), and the dataset keeps the pixels equal to 1.
        PixelMask sum(image.width, image.height);
        for (const auto &polygon : seg.polygons)
          add_rle(polygon_rle(polygon, image.height, image.width), &sum);
        mask = std::move(sum);
        break;
      }
      case Segmentation::Kind::CountsRle:
        mask = decode_rle(seg.rle);
        break;
      case Segmentation::Kind::CompressedRle:
        mask = decode_rle(rle_from_string(seg.compressed, seg.rle_height, seg.rle_width));
        break;
    }
    for (uint8_t &p : mask.pixels) p = p == 1;
    return mask;
  } catch (const ModelError &e) {
    throw ModelError(data.instances_path + ": annotation " + std::to_string(ann.id) + " (ref " +
                     std::to_string(ref.ref_id) + "): segmentation: " + e.what());
  }
}

}  // namespace refseg::refcoco

// The refer annotations (github lichengunc/refer) of RefCOCO, RefCOCO+ and
// RefCOCOg as the authors' evaluation reads them: refs(<split_by>).p turned
// into JSON by scripts/refer_to_json.py (the pickle holds plain lists and
// dicts), instances.json beside it, COCO train2014 images.
//
//   <refer root>/<dataset>/refs(<split_by>).json  [{ref_id, ann_id, image_id,
//       category_id, split, sentences: [{sent_id, raw, sent, tokens}], ...}]
//   <refer root>/<dataset>/instances.json         {images: [{id, file_name,
//       height, width}], annotations: [{id, image_id, segmentation}], ...}
//   <refer root>/images/mscoco/images/train2014/<file_name>
//
// Every fault in these files is a ModelError naming the file, the ref or
// annotation id and the field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "refcoco/coco_json.h"
#include "refcoco/coco_mask.h"

namespace refseg::refcoco {

struct Sentence {
  int64_t sent_id = 0;
  std::string raw;  // as the annotator typed it: what the authors' loop reads
  std::string sent;
};

struct Ref {
  int64_t ref_id = 0, ann_id = 0, image_id = 0, category_id = 0;
  std::string split;  // "train", "val", "testA", "testB", "test", ...
  std::vector<Sentence> sentences;
};

struct Annotation {
  int64_t id = 0, image_id = 0;
  Segmentation segmentation;
};

struct ReferDataset {
  std::string refs_path, instances_path;  // for messages
  std::vector<Ref> refs;                  // in the file's order (the order the authors evaluate)
  std::map<int64_t, ImageInfo> images;
  std::map<int64_t, Annotation> annotations;  // those the refs name
};

// The split_by the authors use: "umd" for refcocog, "unc" for refcoco and
// refcoco+. Throws for another dataset name.
std::string default_split_by(const std::string &dataset);

// Reads the two files. Throws ModelError when one is missing (saying how to
// make the JSON when only the pickle is there) or malformed: invalid JSON,
// a missing or mistyped field (naming the ref or annotation id and the
// field), a ref whose annotation or image is not in instances.json.
ReferDataset load_refer(const std::string &refs_path, const std::string &instances_path);

// The refs of one split, as the refer API's getRefIds(split=...) picks
// them: "testA", "testB", "testC" match every split that holds that letter
// after "test" (so "testAB" refs count for both), "test" every split that
// contains "test", "train" and "val" exactly, "testAB" / "testBC" /
// "testAC" exactly. Throws for another split name.
std::vector<const Ref *> refs_in_split(const ReferDataset &data, const std::string &split);

// The target mask of a ref as the authors' evaluation sees it
// (refer.getMask, then `annot[ref_mask == 1] = 1` in their dataset class):
// polygons are rasterised one by one at the image's size and summed, and a
// pixel is in the target when exactly one polygon covers it (a pixel two
// polygons of the annotation share is background there). RLE
// segmentations, which their getMask cannot read, are decoded as
// pycocotools' annToMask does. Throws ModelError naming the ref, the
// annotation and the fault.
PixelMask target_mask(const ReferDataset &data, const Ref &ref);

}  // namespace refseg::refcoco

// Reading the refer annotations of the generated dataset: the splits as the
// refer API selects them, the target masks as the authors' evaluation sees
// them, and a clear error for each kind of broken file.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "common/model_error.h"
#include "refcoco/refer_dataset.h"
#include "refer_fixture.h"

namespace refseg::refcoco {
namespace {

using testing::ReferFixture;

std::set<std::pair<int, int>> foreground(const PixelMask &m) {
  std::set<std::pair<int, int>> out;
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x)
      if (m.at(x, y)) out.insert({x, y});
  return out;
}

std::set<std::pair<int, int>> rectangle(int x0, int y0, int x1, int y1) {
  std::set<std::pair<int, int>> out;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) out.insert({x, y});
  return out;
}

const Ref &ref_with_id(const ReferDataset &data, int64_t id) {
  for (const Ref &r : data.refs)
    if (r.ref_id == id) return r;
  throw std::runtime_error("no ref " + std::to_string(id));
}

std::vector<int64_t> ids(const std::vector<const Ref *> &refs) {
  std::vector<int64_t> out;
  for (const Ref *r : refs) out.push_back(r->ref_id);
  return out;
}

// The message of the ModelError `f` throws ("" when it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

#define EXPECT_MENTIONS(message, part) \
  EXPECT_NE((message).find(part), std::string::npos) << "message: " << (message)

TEST(ReferDataset, ReadsRefsSentencesAndImages) {
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  ASSERT_EQ(data.refs.size(), 6u);
  const Ref &first = data.refs[0];
  EXPECT_EQ(first.ref_id, 1);
  EXPECT_EQ(first.ann_id, 101);
  EXPECT_EQ(first.split, "val");
  ASSERT_EQ(first.sentences.size(), 2u);
  EXPECT_EQ(first.sentences[0].sent_id, 11);
  EXPECT_EQ(first.sentences[0].raw, "Red Square");
  EXPECT_EQ(data.images.at(2).file_name, ReferFixture::file_name(2));
  EXPECT_EQ(data.images.at(2).width, 64);
  EXPECT_EQ(data.images.at(2).height, 48);
  EXPECT_EQ(data.annotations.size(), 6u);
}

TEST(ReferDataset, SplitsAsTheReferApiSelectsThem) {
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  EXPECT_EQ(ids(refs_in_split(data, "val")), (std::vector<int64_t>{1, 4}));
  // "testAB" holds both letters: it is in testA and in testB.
  EXPECT_EQ(ids(refs_in_split(data, "testA")), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(ids(refs_in_split(data, "testB")), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(ids(refs_in_split(data, "test")), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(ids(refs_in_split(data, "train")), (std::vector<int64_t>{6}));
  EXPECT_MENTIONS(error_of([&] { refs_in_split(data, "validation"); }), "split 'validation'");
}

TEST(ReferDataset, DefaultSplitByIsTheAuthors) {
  EXPECT_EQ(default_split_by("refcoco"), "unc");
  EXPECT_EQ(default_split_by("refcoco+"), "unc");
  EXPECT_EQ(default_split_by("refcocog"), "umd");
  EXPECT_THROW(default_split_by("refclef"), ModelError);
}

TEST(ReferDataset, PolygonTargetHasThePolygonsPixels) {
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  const PixelMask m = target_mask(data, ref_with_id(data, 1));
  EXPECT_EQ(m.width, 64);
  EXPECT_EQ(m.height, 48);
  EXPECT_EQ(foreground(m), rectangle(8, 8, 28, 24));
}

TEST(ReferDataset, TriangleTargetHasThePixelsWhoseCentresAreInside) {
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  // Triangle (40, 8), (56, 40), (36, 40); every pixel centre is at least
  // half a pixel above or below the slanted edges, far more than the
  // rule's 1/5-pixel grid could move them.
  std::set<std::pair<int, int>> inside;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const double cx = x + 0.5, cy = y + 0.5;
      const bool right_of_left = cx > 36 + (40 - cy) / 8.0;
      const bool left_of_right = cx < 40 + (cy - 8) / 2.0;
      if (cy > 8 && cy < 40 && right_of_left && left_of_right) inside.insert({x, y});
    }
  EXPECT_EQ(foreground(target_mask(data, ref_with_id(data, 2))), inside);
}

TEST(ReferDataset, PixelsTwoPolygonsShareAreNotTarget) {
  // refer.getMask sums the polygons' masks and the authors keep the pixels
  // equal to 1: the overlap [16, 24) of the two rectangles drops out.
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  auto expected = rectangle(4, 4, 16, 20);
  for (const auto &p : rectangle(24, 4, 36, 20)) expected.insert(p);
  EXPECT_EQ(foreground(target_mask(data, ref_with_id(data, 3))), expected);
}

TEST(ReferDataset, RleTargetsDecode) {
  ReferFixture f;
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  EXPECT_EQ(data.annotations.at(202).segmentation.kind, Segmentation::Kind::CountsRle);
  EXPECT_EQ(foreground(target_mask(data, ref_with_id(data, 4))), rectangle(44, 24, 52, 40));
  EXPECT_EQ(data.annotations.at(301).segmentation.kind, Segmentation::Kind::CompressedRle);
  EXPECT_EQ(foreground(target_mask(data, ref_with_id(data, 5))), rectangle(20, 10, 40, 30));
}

TEST(ReferDataset, MissingRefsFileNamesItAndTheConverter) {
  ReferFixture f;
  std::filesystem::rename(f.refs_path(), f.dataset_dir() + "/refs(unc).p");
  const std::string message = error_of([&] { load_refer(f.refs_path(), f.instances_path()); });
  EXPECT_MENTIONS(message, f.refs_path());
  EXPECT_MENTIONS(message, "scripts/refer_to_json.py");
}

TEST(ReferDataset, InvalidJsonNamesTheFile) {
  ReferFixture f;
  std::ofstream(f.instances_path()) << "{\"images\": [";
  const std::string message = error_of([&] { load_refer(f.refs_path(), f.instances_path()); });
  EXPECT_MENTIONS(message, f.instances_path());
  EXPECT_MENTIONS(message, "not valid JSON");
}

TEST(ReferDataset, MalformedRefNamesTheRefAndField) {
  ReferFixture f;
  f.refs[2].erase("sentences");
  f.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(f.refs_path(), f.instances_path()); }),
                  "ref 3: has no field 'sentences'");
  ReferFixture g;
  g.refs[1]["sentences"][0]["raw"] = 17;
  g.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(g.refs_path(), g.instances_path()); }),
                  "ref 2 sentence 0: field 'raw' is number 17, not a string");
  ReferFixture h;
  h.refs[0]["ann_id"] = 999;
  h.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(h.refs_path(), h.instances_path()); }),
                  "ref 1: ann_id 999 is not an annotation");
  ReferFixture k;
  k.refs = {{"ref_id", 1}};  // an object, not the list
  k.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(k.refs_path(), k.instances_path()); }),
                  "not the list of refs");
}

TEST(ReferDataset, MalformedSegmentationNamesTheAnnotationAndField) {
  struct Case {
    size_t annotation;  // index in instances["annotations"]
    nlohmann::json segmentation;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {0, nlohmann::json::array({{8, 8, 28, 8, 28}}),
       "annotation 101: segmentation polygon 0 "
       "has an odd number of coordinates (5)"},
      {0, nlohmann::json::array({{8, 8, "x", 8, 28, 24}}),
       "annotation 101: segmentation polygon 0 coordinate 2 is string \"x\", not a number"},
      {1, nlohmann::json::array({{8, 8, 28, 8}}),
       "annotation 102: segmentation polygon 0 has 4 coordinates"},
      {1, nlohmann::json::array(), "annotation 102: segmentation is an empty list"},
      {2, "polygon", "annotation 201: segmentation is string \"polygon\""},
      {3,
       {{"size", {48, 64}}, {"counts", {10, -3, 5}}},
       "annotation 202: segmentation counts entry 1 is number -3, not a run length"},
      {3,
       {{"size", {40, 64}}, {"counts", {2560}}},
       "annotation 202: segmentation size 40 x 64 differs from image 2's 48 x 64"},
      {4, {{"counts", "X16b0"}}, "annotation 301: segmentation is an object without 'size'"},
  };
  for (const Case &c : cases) {
    ReferFixture f;
    f.instances["annotations"][c.annotation]["segmentation"] = c.segmentation;
    f.write();
    EXPECT_MENTIONS(error_of([&] { load_refer(f.refs_path(), f.instances_path()); }), c.expected);
  }
}

TEST(ReferDataset, AnnotationsNoRefNamesAreDropped) {
  // Only the refs' annotations are kept (and checked): a COCO file's others
  // may hold anything a segmentation can.
  ReferFixture f;
  f.instances["annotations"].push_back(
      {{"id", 999}, {"image_id", 77}, {"segmentation", "not read"}});
  f.write();
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  EXPECT_EQ(data.annotations.size(), 6u);
  EXPECT_EQ(data.annotations.count(999), 0u);
  // But every entry needs its id to be told apart.
  f.instances["annotations"].push_back({{"image_id", 1}});
  f.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(f.refs_path(), f.instances_path()); }),
                  "annotations entry 7: has no field 'id'");
}

TEST(ReferDataset, UndecodableRleNamesTheAnnotationAndRef) {
  ReferFixture f;
  f.instances["annotations"][4]["segmentation"]["counts"] = "53~3";
  f.instances["annotations"][3]["segmentation"]["counts"] = {100, 20};  // 120 of 3072 pixels
  f.write();
  const ReferDataset data = load_refer(f.refs_path(), f.instances_path());
  const std::string compressed = error_of([&] { target_mask(data, ref_with_id(data, 5)); });
  EXPECT_MENTIONS(compressed, "annotation 301 (ref 5): segmentation");
  EXPECT_MENTIONS(compressed, "'~'");
  const std::string counts = error_of([&] { target_mask(data, ref_with_id(data, 4)); });
  EXPECT_MENTIONS(counts, "annotation 202 (ref 4): segmentation");
  EXPECT_MENTIONS(counts, "add up to 120 pixels");
}

TEST(ReferDataset, MalformedImageEntryNamesTheImage) {
  ReferFixture f;
  f.instances["images"][1].erase("file_name");
  f.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(f.refs_path(), f.instances_path()); }),
                  "image 2: has no field 'file_name'");
  ReferFixture g;
  g.instances["images"][0]["height"] = 0;
  g.write();
  EXPECT_MENTIONS(error_of([&] { load_refer(g.refs_path(), g.instances_path()); }),
                  "image 1: size 0 x 64");
}

}  // namespace
}  // namespace refseg::refcoco

// models/publish: the results document, COCO RLE of the masks (checked
// against pycocotools' own strings and decoded back with the COCO decoder
// the RefCOCO evaluation uses), control messages and their typed errors,
// the drop-oldest queue and the drop watch.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/model_error.h"
#include "publish/control_message.h"
#include "publish/drop_queue.h"
#include "publish/results_document.h"
#include "refcoco/coco_mask.h"

namespace refseg::publish {
namespace {

using refcoco::Rle;

// Strings pycocotools wrote (the RefCOCO tests decode the same ones).
TEST(CocoRle, EncodesAsPycocotools) {
  EXPECT_EQ(refcoco::rle_to_string({8, 8, {40, 6, 18}}), "X16b0");
  EXPECT_EQ(refcoco::rle_to_string({4, 6, {2, 6, 9, 1, 6}}), "269KM");
}

// A frame-sized mask from a box crop, column-major, first run background.
TEST(CocoRle, BoxMaskRunsAreColumnMajor) {
  // 3 x 4 frame (h x w), box 2 x 2 at (1, 1), only its top-left and
  // bottom-right pixels set: pixel (1,1) is index 1*3+1 = 4, (2,2) is 8.
  const Rle rle = refcoco::rle_from_box_mask(3, 4, 1, 1, 2, 2, {255, 0, 0, 255});
  EXPECT_EQ(rle.counts, (std::vector<uint32_t>{4, 1, 3, 1, 3}));
  // A mask whose first pixel is set starts with an empty background run.
  EXPECT_EQ(refcoco::rle_from_box_mask(2, 2, 0, 0, 2, 2, {1, 1, 1, 1}).counts,
            (std::vector<uint32_t>{0, 4}));
  EXPECT_EQ(refcoco::rle_from_box_mask(2, 2, 0, 0, 0, 0, {}).counts, (std::vector<uint32_t>{4}));
  EXPECT_THROW(refcoco::rle_from_box_mask(3, 4, 3, 1, 2, 2, {0, 0, 0, 0}), ModelError);
  EXPECT_THROW(refcoco::rle_from_box_mask(3, 4, 1, 1, 2, 2, {0, 0, 0}), ModelError);
}

TEST(CocoRle, RandomMasksRoundTripThroughTheDecoder) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int h = 1 + rng() % 40, w = 1 + rng() % 40;
    const int bw = rng() % (w + 1), bh = rng() % (h + 1);
    const int bx = rng() % (w - bw + 1), by = rng() % (h - bh + 1);
    std::vector<uint8_t> pixels(static_cast<size_t>(bw) * bh);
    // Long runs and single pixels both.
    const int density = rng() % 4;
    for (auto &p : pixels) p = (rng() % 4) < static_cast<unsigned>(density) ? 255 : 0;
    const Rle rle = refcoco::rle_from_box_mask(h, w, bx, by, bw, bh, pixels);
    const refcoco::PixelMask m =
        refcoco::decode_rle(refcoco::rle_from_string(refcoco::rle_to_string(rle), h, w));
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool inside = x >= bx && y >= by && x < bx + bw && y < by + bh;
        const bool set = inside && pixels[static_cast<size_t>(y - by) * bw + (x - bx)] != 0;
        ASSERT_EQ(m.at(x, y) != 0, set) << "trial " << trial << " pixel " << x << "," << y;
      }
  }
}

FrameResults sample_frame() {
  FrameResults f;
  f.stream = "cam1";
  f.sequence = 3;
  f.pts_ns = 1000;
  f.running_time_ns = 500;
  f.analysed_pts_ns = 1000;
  f.wall_clock_us = 1765049137123456;  // 2025-12-06T19:25:37.123456Z
  f.width = 8;
  f.height = 6;
  f.feature_model = "refseg-tiny";
  ExpressionResult a;
  a.expression = "the red ball";
  a.phrase = "red ball";
  a.index = 2;
  a.score = 24.5f;
  a.box = Box{2, 1, 3, 2};
  a.track_id = 7;
  a.mask.box = {2, 1, 3, 2};
  a.mask.pixels = {255, 255, 0, 0, 255, 255};
  a.spatial = SpatialResult{"target \"ball\"; left of \"box\"", "ball", "left-of", "box", 1, true};
  ExpressionResult b;
  b.expression = "the unicorn";
  b.phrase = "unicorn";
  b.reason = "best score 12.3 is below the threshold 20";
  f.expressions = {a, b};
  return f;
}

TEST(ResultsDocument, HasEveryFieldAndADecodableMask) {
  const nlohmann::json d = nlohmann::json::parse(results_document(sample_frame(), MaskFormat::Rle));
  EXPECT_EQ(d["schema"], kResultsSchema);
  EXPECT_EQ(d["stream"], "cam1");
  EXPECT_EQ(d["sequence"], 3);
  EXPECT_EQ(d["pts_ns"], 1000);
  EXPECT_EQ(d["running_time_ns"], 500);
  EXPECT_EQ(d["analysed"], true);
  EXPECT_EQ(d["timestamp"], "2025-12-06T19:25:37.123456Z");
  EXPECT_EQ(d["frame"]["width"], 8);
  EXPECT_EQ(d["models"]["features"], "refseg-tiny");
  ASSERT_EQ(d["results"].size(), 2u);
  const auto &a = d["results"][0];
  EXPECT_EQ(a["index"], 2);
  EXPECT_FALSE(a.contains("reason"));
  EXPECT_EQ(a["track_id"], 7);
  EXPECT_EQ(a["box"]["width"], 3);
  EXPECT_EQ(a["spatial"]["relation"], "left-of");
  EXPECT_EQ(a["spatial"]["anchor_index"], 1);
  EXPECT_EQ(a["mask"]["size"], nlohmann::json({6, 8}));
  const refcoco::PixelMask m =
      refcoco::decode_rle(refcoco::rle_from_string(a["mask"]["counts"].get<std::string>(), 6, 8));
  EXPECT_EQ(m.count_nonzero(), 4u);
  EXPECT_TRUE(m.at(2, 1) && m.at(3, 1) && !m.at(4, 1) && !m.at(2, 2) && m.at(4, 2));
  const auto &b = d["results"][1];
  EXPECT_EQ(b["index"], -1);
  EXPECT_EQ(b["reason"], "best score 12.3 is below the threshold 20");
  EXPECT_TRUE(b["box"].is_null());
  EXPECT_TRUE(b["track_id"].is_null());
  EXPECT_FALSE(b.contains("mask"));
  EXPECT_FALSE(b.contains("spatial"));
}

TEST(ResultsDocument, NoMasksWithFormatNoneAndNullTimes) {
  FrameResults f = sample_frame();
  f.pts_ns.reset();
  f.running_time_ns.reset();
  f.analysed_pts_ns.reset();
  const nlohmann::json d = nlohmann::json::parse(results_document(f, MaskFormat::None));
  EXPECT_FALSE(d["results"][0].contains("mask"));
  EXPECT_TRUE(d["pts_ns"].is_null());
  EXPECT_TRUE(d["analysed_pts_ns"].is_null());
}

TEST(ResultsDocument, InvalidUtf8IsReplacedNotThrown) {
  FrameResults f = sample_frame();
  f.expressions[0].expression = "bad \xff byte";
  const nlohmann::json d = nlohmann::json::parse(results_document(f, MaskFormat::None));
  EXPECT_EQ(d["results"][0]["expression"], "bad \xef\xbf\xbd byte");
}

TEST(ResultsDocument, MaskOutsideTheFrameThrows) {
  FrameResults f = sample_frame();
  f.expressions[0].mask.box.x = 7;
  EXPECT_THROW(results_document(f, MaskFormat::Rle), ModelError);
}

TEST(ResultsDocument, Iso8601) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(iso8601_utc(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(is_utf8("plain"));
  EXPECT_TRUE(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x95"));
  EXPECT_FALSE(is_utf8("\xc3"));              // cut short
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8("\x80"));
}

ControlErrorKind error_of(const std::string &message, size_t limit = kDefaultControlMaxBytes) {
  const ControlParse p = parse_control(message, limit);
  EXPECT_FALSE(p.change.has_value()) << message;
  return p.error ? p.error->kind : ControlErrorKind::NothingToSet;
}

TEST(ControlMessage, EachBadKindIsItsOwnError) {
  EXPECT_EQ(error_of("the dog"), ControlErrorKind::NotJson);
  EXPECT_EQ(error_of("{\"text\": "), ControlErrorKind::NotJson);
  EXPECT_EQ(error_of("[\"the dog\"]"), ControlErrorKind::WrongType);
  EXPECT_EQ(error_of("{\"text\": 3}"), ControlErrorKind::WrongType);
  EXPECT_EQ(error_of("{\"expressions\": \"the dog\"}"), ControlErrorKind::WrongType);
  EXPECT_EQ(error_of("{\"expressions\": [\"a\", 2]}"), ControlErrorKind::WrongType);
  EXPECT_EQ(error_of("{\"text\": \"a\", \"id\": 1.5}"), ControlErrorKind::WrongType);
  EXPECT_EQ(error_of("{\"text\": \"caf\xc3\"}"), ControlErrorKind::InvalidUtf8);
  EXPECT_EQ(error_of("{\"text\": \"" + std::string(100, 'a') + "\"}", 64),
            ControlErrorKind::TooLarge);
  EXPECT_EQ(error_of("{\"text\": \"a\", \"colour\": \"red\"}"), ControlErrorKind::UnknownField);
  EXPECT_EQ(error_of("{}"), ControlErrorKind::NothingToSet);
  EXPECT_EQ(error_of("{\"id\": \"x\"}"), ControlErrorKind::NothingToSet);
  EXPECT_STREQ(control_error_name(ControlErrorKind::InvalidUtf8), "invalid-utf8");
}

TEST(ControlMessage, TextAndExpressionsAndId) {
  ControlParse p = parse_control("{\"text\": \"the dog\", \"id\": \"req-1\"}");
  ASSERT_TRUE(p.change);
  EXPECT_EQ(*p.change->text, "the dog");
  EXPECT_FALSE(p.change->expressions);
  const nlohmann::json r = nlohmann::json::parse(control_applied_reply("cam1", p, "selector0"));
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["applied"]["text"], "the dog");
  EXPECT_EQ(r["id"], "req-1");
  EXPECT_EQ(r["target"], "selector0");

  p = parse_control("{\"expressions\": [\"the dog\", \"a; b\"], \"id\": 12}");
  ASSERT_TRUE(p.change);
  EXPECT_EQ(p.change->expressions->size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(control_applied_reply("cam1", p, "x"))["id"], 12);
}

TEST(ControlMessage, ErrorReplyKeepsTheId) {
  const ControlParse p = parse_control("{\"text\": 3, \"id\": \"r\"}");
  const nlohmann::json r = nlohmann::json::parse(control_error_reply("cam1", p));
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"], "wrong-type");
  EXPECT_EQ(r["id"], "r");
  EXPECT_NE(r["message"].get<std::string>().find("text"), std::string::npos);
}

TEST(DropOldestQueue, DropsTheOldestAndCounts) {
  DropOldestQueue<int> q(3);
  for (int i = 0; i < 5; ++i) q.push(i);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.pushed(), 5u);
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(*q.try_pop(), 2);
  EXPECT_EQ(*q.try_pop(), 3);
  EXPECT_EQ(*q.try_pop(), 4);
  EXPECT_FALSE(q.try_pop());
  q.count_dropped();
  EXPECT_EQ(q.dropped(), 3u);
  const uint64_t g = q.generation();
  q.wake();
  q.wait_change(g, std::chrono::milliseconds(0));
  EXPECT_NE(q.generation(), g);
}

TEST(DropWatch, StartsAndStopsOnce) {
  DropWatch w;
  using C = DropWatch::Change;
  EXPECT_EQ(w.update(0, 5), C::None);
  EXPECT_EQ(w.update(1, 5), C::Started);
  EXPECT_EQ(w.update(4, 5), C::None);
  EXPECT_EQ(w.update(4, 5), C::None);  // nothing delivered yet: still dropping
  EXPECT_TRUE(w.dropping());
  EXPECT_EQ(w.update(4, 6), C::Stopped);
  EXPECT_EQ(w.update(4, 9), C::None);
  EXPECT_EQ(w.update(5, 9), C::Started);
}

}  // namespace
}  // namespace refseg::publish

// A frame's results as data that leaves the pipeline: one JSON document per
// frame (docs/schema/refseg-results-v1.json describes it), with the
// selected masks as COCO run-length encoding that pycocotools decodes.
// Plain C++: the element (elements/gstrefsegpublish.cpp) fills the struct
// from the frame's metadata, a benchmark or a test fills it by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/region_mask.h"

namespace refseg::publish {

// The version written into every document's "schema" field.
inline constexpr const char *kResultsSchema = "refseg-results/1";

// What a selection's spatial words were resolved to (docs/spatial.md).
struct SpatialResult {
  std::string summary, target, relation, anchor;
  int anchor_index = -1;
  bool resolved = false;
};

struct ExpressionResult {
  std::string expression;
  std::string phrase;
  int index = -1;      // selected proposal, -1: nothing selected
  std::string reason;  // why index is -1 (may be empty)
  float score = 0.f;
  std::optional<Box> box;  // where the selected object is on this frame
  int track_id = -1;       // -1: not tracked
  // The selected proposal's box-cropped mask (empty pixels: none).
  RegionMask mask;
  std::optional<SpatialResult> spatial;
};

struct FrameResults {
  std::string stream;
  uint64_t sequence = 0;  // documents this publisher made before this one
  std::optional<uint64_t> pts_ns, running_time_ns;
  // The frame the results were computed on (older than pts when a tracker
  // carried them onto this frame).
  std::optional<uint64_t> analysed_pts_ns;
  bool analysed = true;       // results computed on this very frame
  int64_t wall_clock_us = 0;  // microseconds since the Unix epoch, UTC
  int width = 0, height = 0;
  std::string feature_model;  // model the features (and text scores) come from; "" unknown
  std::vector<ExpressionResult> expressions;
};

enum class MaskFormat { None, Rle };

// The document as one line of JSON (no newline). With MaskFormat::Rle every
// expression with a mask gets "mask": {"size": [h, w], "counts": "<COCO
// string>"} in frame coordinates. Strings that are not valid UTF-8 are
// written with U+FFFD in place of the bad bytes. Throws refseg::ModelError
// for a mask box outside the frame.
std::string results_document(const FrameResults &frame, MaskFormat masks);

// "2026-12-06T19:45:37.123456Z".
std::string iso8601_utc(int64_t unix_us);

}  // namespace refseg::publish

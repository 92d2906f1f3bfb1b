// Prints results documents for hand-made frames as JSON Lines, one per kind
// of content (masks, nothing selected, no timestamps, spatial words,
// non-ASCII text, no expressions), for test_schema.py to validate.
#include <cstdio>

#include "publish/results_document.h"

using namespace refseg::publish;

int main() {
  FrameResults f;
  f.stream = "cam1";
  f.pts_ns = 33333333;
  f.running_time_ns = 33333333;
  f.analysed_pts_ns = 33333333;
  f.wall_clock_us = 1765049137123456;
  f.width = 64;
  f.height = 48;
  f.feature_model = "refseg-tiny";
  ExpressionResult a;
  a.expression = "the red ball on the left";
  a.phrase = "red ball";
  a.index = 1;
  a.score = 21.25f;
  a.box = refseg::Box{3, 4, 5, 6};
  a.track_id = 2;
  a.mask.box = {3, 4, 5, 6};
  a.mask.pixels.assign(30, 255);
  a.mask.pixels[0] = 0;
  a.spatial = SpatialResult{"target \"red ball\"; on the left", "red ball", "", "", -1, true};
  ExpressionResult b;
  b.expression = "der grüne Würfel";
  b.phrase = "Würfel";
  b.reason = "best score 12.3 is below the threshold 20";
  f.expressions = {a, b};
  std::puts(results_document(f, MaskFormat::Rle).c_str());
  std::puts(results_document(f, MaskFormat::None).c_str());
  f.sequence = 1;
  f.pts_ns.reset();
  f.running_time_ns.reset();
  f.analysed_pts_ns.reset();
  f.analysed = false;
  f.expressions[0].spatial = SpatialResult{"s", "ball", "left-of", "box", 0, false};
  std::puts(results_document(f, MaskFormat::Rle).c_str());
  f.sequence = 2;
  f.expressions.clear();
  f.feature_model.clear();
  std::puts(results_document(f, MaskFormat::Rle).c_str());
  return 0;
}

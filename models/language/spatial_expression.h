// The parts of a referring expression that say where its target is, not
// what it looks like: "the second cup from the left" is a cup (target
// description) ranked second along the left-to-right axis; "the dog under
// the table" is a dog related to an anchor ("the table") by "under".
//
// CLIP scores appearance, not position (issue 14); the selector scores the
// descriptions with CLIP and resolves these parts over the proposals'
// geometry (selection/spatial_resolver.h). The parse is a lexicon of
// English spatial words matched on the lower-cased words of the text
// (docs/spatial.md lists it); the descriptions it leaves are noun phrases
// the noun-phrase extractor and the text tower take as they are.
#pragma once

#include <string>
#include <vector>

namespace refseg {

// Extremes and ordinal axes. Positions are in image coordinates: Top is the
// smallest y. Closest/Farthest read depth off the image: the object whose
// lower edge is lowest in the frame stands nearest the camera (ground-plane
// scenes); Biggest/Smallest compare mask areas.
enum class SpatialCue { Left, Right, Top, Bottom, Middle, Closest, Farthest, Biggest, Smallest };

// Relations of the target to an anchor object.
enum class SpatialRelation { LeftOf, RightOf, Above, Below, NextTo, InFrontOf, Behind };

struct SpatialExpression {
  // What the target looks like, spatial words removed: "the red circle"
  // from "the leftmost red circle". Empty when only generic words remain
  // ("the second one from the left"): any proposal may be the target.
  std::string target;
  // Every extreme named: "bottom left laptop" has {Bottom, Left}.
  std::vector<SpatialCue> extremes;
  // 1-based rank along ordinal_axis; 0: no ordinal. "last" counts from the
  // opposite side.
  int ordinal = 0;
  SpatialCue ordinal_axis = SpatialCue::Left;
  bool has_relation = false;
  SpatialRelation relation = SpatialRelation::LeftOf;
  std::string anchor;  // what the anchor looks like: "the table"

  // Spatial words were found but cannot be used (contradictory, or nothing
  // left to describe the anchor): the expression is scored as it would be
  // without spatial reasoning, and this says why. Empty otherwise.
  std::string fallback_reason;

  // True when there is something to resolve over the geometry.
  bool spatial() const {
    return fallback_reason.empty() && (!extremes.empty() || ordinal > 0 || has_relation);
  }
};

// Never throws. Text without spatial words gives spatial() == false and an
// empty fallback_reason.
SpatialExpression parse_spatial_expression(const std::string &text);

std::string spatial_cue_name(SpatialCue cue);                 // "left", "closest"
std::string spatial_relation_name(SpatialRelation relation);  // "left-of", "in-front-of"

// One line a user reads to see what was found: "target \"the cup\";
// ordinal 2 from left", "target \"the dog\"; below \"the table\"".
std::string describe_spatial(const SpatialExpression &parsed);

}  // namespace refseg

// The spatial parse (language/spatial_expression.h) on hand-written
// phrasings, many of which the synthetic world never generates, and on
// RefCOCO-style phrases.
#include <gtest/gtest.h>

#include "language/spatial_expression.h"

namespace refseg {
namespace {

using Cues = std::vector<SpatialCue>;

TEST(SpatialExpression, NoSpatialWordsIsNotSpatial) {
  for (const char *text : {"the red circle", "a man in a blue shirt", "big dog", "", "   ",
                           "the small yellow star", "woman holding an umbrella"}) {
    const SpatialExpression p = parse_spatial_expression(text);
    EXPECT_FALSE(p.spatial()) << text;
    EXPECT_TRUE(p.fallback_reason.empty()) << text;
  }
}

TEST(SpatialExpression, Extremes) {
  struct Case {
    const char *text, *target;
    Cues cues;
  } cases[] = {
      {"the leftmost circle", "the circle", {SpatialCue::Left}},
      {"the circle on the far left", "the circle", {SpatialCue::Left}},
      {"the red circle furthest to the right", "the red circle", {SpatialCue::Right}},
      {"the upper star", "the star", {SpatialCue::Top}},
      {"highest heart", "heart", {SpatialCue::Top}},
      {"the shape at the very bottom", "", {SpatialCue::Bottom}},
      {"left guy", "guy", {SpatialCue::Left}},
      {"bottom left laptop", "laptop", {SpatialCue::Bottom, SpatialCue::Left}},
      {"top left orange", "orange", {SpatialCue::Top, SpatialCue::Left}},
      {"right most carrot", "carrot", {SpatialCue::Right}},
      {"the left-most zebra", "the zebra", {SpatialCue::Left}},
      {"man in the middle", "man", {SpatialCue::Middle}},
      {"the closest car", "the car", {SpatialCue::Closest}},
      {"biggest elephant", "elephant", {SpatialCue::Biggest}},
      {"the tiniest dot", "the dot", {SpatialCue::Smallest}},
      {"the person on the right side of the picture", "the person", {SpatialCue::Right}},
      {"the lamp in the top right corner", "the lamp", {SpatialCue::Top, SpatialCue::Right}},
      {"the one on the left", "", {SpatialCue::Left}},
      {"LEFTMOST Circle", "circle", {SpatialCue::Left}},
  };
  for (const Case &c : cases) {
    const SpatialExpression p = parse_spatial_expression(c.text);
    EXPECT_TRUE(p.spatial()) << c.text;
    EXPECT_EQ(p.target, c.target) << c.text;
    EXPECT_EQ(p.extremes, c.cues) << c.text;
    EXPECT_EQ(p.ordinal, 0) << c.text;
    EXPECT_FALSE(p.has_relation) << c.text;
  }
}

TEST(SpatialExpression, Relations) {
  struct Case {
    const char *text, *target, *anchor;
    SpatialRelation relation;
  } cases[] = {
      {"the square above the yellow star", "the square", "the yellow star", SpatialRelation::Above},
      {"the circle to the left of the heart", "the circle", "the heart", SpatialRelation::LeftOf},
      {"red one right of the big cross", "red one", "the big cross", SpatialRelation::RightOf},
      {"the dog under the table", "the dog", "the table", SpatialRelation::Below},
      {"cat sitting beneath a chair", "cat sitting", "a chair", SpatialRelation::Below},
      {"the cup next to the laptop", "the cup", "the laptop", SpatialRelation::NextTo},
      {"bag beside the man", "bag", "the man", SpatialRelation::NextTo},
      {"car in front of the bus", "car", "the bus", SpatialRelation::InFrontOf},
      {"the chair behind the desk", "the chair", "the desk", SpatialRelation::Behind},
      {"car behind bike", "car", "bike", SpatialRelation::Behind},
      {"the book on top of the box", "the book", "the box", SpatialRelation::Above},
      {"the vase on the right of the clock", "the vase", "the clock", SpatialRelation::RightOf},
      {"something left of the biggest box", "something", "the box", SpatialRelation::LeftOf},
  };
  for (const Case &c : cases) {
    const SpatialExpression p = parse_spatial_expression(c.text);
    EXPECT_TRUE(p.spatial()) << c.text;
    EXPECT_TRUE(p.has_relation) << c.text;
    EXPECT_EQ(p.relation, c.relation) << c.text;
    EXPECT_EQ(p.target, c.target) << c.text;
    EXPECT_EQ(p.anchor, c.anchor) << c.text;
  }
}

TEST(SpatialExpression, Ordinals) {
  struct Case {
    const char *text, *target;
    int rank;
    SpatialCue axis;
  } cases[] = {
      {"the second circle from the left", "the circle", 2, SpatialCue::Left},
      {"third one from the top", "", 3, SpatialCue::Top},
      {"second banana from left", "banana", 2, SpatialCue::Left},
      {"the 2nd cup counting from the right", "the cup", 2, SpatialCue::Right},
      {"the second biggest box", "the box", 2, SpatialCue::Biggest},
      {"the third car on the left", "the car", 3, SpatialCue::Left},
      {"the second circle", "the circle", 2, SpatialCue::Left},
      {"the last circle", "the circle", 1, SpatialCue::Right},
      {"the last one from the top", "", 1, SpatialCue::Bottom},
      {"the last chair on the right", "the chair", 1, SpatialCue::Right},
  };
  for (const Case &c : cases) {
    const SpatialExpression p = parse_spatial_expression(c.text);
    EXPECT_TRUE(p.spatial()) << c.text;
    EXPECT_EQ(p.ordinal, c.rank) << c.text;
    EXPECT_EQ(p.ordinal_axis, c.axis) << c.text;
    EXPECT_EQ(p.target, c.target) << c.text;
    EXPECT_TRUE(p.extremes.empty()) << c.text;
  }
}

TEST(SpatialExpression, ContradictionsFallBackWithAReason) {
  for (const char *text : {"the leftmost circle on the right", "top bottom star",
                           "the biggest smallest box", "second from the middle"}) {
    const SpatialExpression p = parse_spatial_expression(text);
    EXPECT_FALSE(p.spatial()) << text;
    EXPECT_FALSE(p.fallback_reason.empty()) << text;
  }
  const SpatialExpression p = parse_spatial_expression("the circle left of the one");
  EXPECT_FALSE(p.spatial());
  EXPECT_NE(p.fallback_reason.find("anchor"), std::string::npos) << p.fallback_reason;
}

// Words of place that say something else in context.
TEST(SpatialExpression, OrientationPartsAndAgentsAreNotPlaces) {
  for (const char *text : {"the zebra facing left", "the back of a chair", "top of the cake",
                           "an elephant partially blocked by another elephant"}) {
    const SpatialExpression p = parse_spatial_expression(text);
    EXPECT_FALSE(p.spatial()) << text << ": " << describe_spatial(p);
  }
  EXPECT_EQ(parse_spatial_expression("broccoli closest to us").target, "broccoli");
  EXPECT_EQ(parse_spatial_expression("the largest of the three elephants").target,
            "the three elephants");
  EXPECT_EQ(parse_spatial_expression("top right corner of the table").target,
            "corner of the table");
}

TEST(SpatialExpression, DescribeSaysWhatWasFound) {
  EXPECT_EQ(describe_spatial(parse_spatial_expression("the dog under the table")),
            "target \"the dog\"; below \"the table\"");
  EXPECT_EQ(describe_spatial(parse_spatial_expression("second cup from the left")),
            "target \"cup\"; ordinal 2 from left");
}

TEST(SpatialExpression, NeverThrowsOnOddInput) {
  for (const char *text : {"left", "of", "left of", "from the", "second", "\xff\xfe left",
                           "on the on the on the", "the the the left of of of"}) {
    EXPECT_NO_THROW(parse_spatial_expression(text)) << text;
  }
}

}  // namespace
}  // namespace refseg

// The spatial resolver on constructed proposal sets where geometry alone
// decides: every candidate matches the description equally well, so only
// boxes and masks can single out the target.
#include <gtest/gtest.h>

#include <cmath>

#include "language/spatial_expression.h"
#include "selection/spatial_resolver.h"

namespace refseg {
namespace {

ProposalGeometry square(float cx, float cy, float side) {
  return box_geometry(Box{static_cast<int>(cx - side / 2), static_cast<int>(cy - side / 2),
                          static_cast<int>(side), static_cast<int>(side)});
}

int resolve(const char *text, const std::vector<ProposalGeometry> &g,
            const std::vector<float> &target = {}, const std::vector<float> &anchor = {}) {
  const SpatialResolution r = resolve_spatial(parse_spatial_expression(text), g, target, anchor);
  EXPECT_TRUE(r.resolved) << text << ": " << r.reason;
  return r.best;
}

// Five equal squares in a row, left to right, the middle one lower.
const std::vector<ProposalGeometry> kRow = {square(20, 50, 10), square(60, 50, 10),
                                            square(100, 70, 10), square(140, 50, 10),
                                            square(180, 50, 10)};

TEST(SpatialResolver, ExtremesAlongEachAxis) {
  EXPECT_EQ(resolve("the leftmost one", kRow), 0);
  EXPECT_EQ(resolve("the one on the far right", kRow), 4);
  EXPECT_EQ(resolve("the lowest one", kRow), 2);
  EXPECT_EQ(resolve("the one in the middle", kRow), 2);
  EXPECT_EQ(resolve("the closest one", kRow), 2);  // lowest lower edge
}

TEST(SpatialResolver, OrdinalsCountFromTheNamedSide) {
  EXPECT_EQ(resolve("the second one from the left", kRow), 1);
  EXPECT_EQ(resolve("the third one from the left", kRow), 2);
  EXPECT_EQ(resolve("the second one from the right", kRow), 3);
  EXPECT_EQ(resolve("the last one", kRow), 4);
}

TEST(SpatialResolver, SizeAndCombinedDirections) {
  const std::vector<ProposalGeometry> g = {square(20, 20, 10), square(100, 20, 30),
                                           square(20, 100, 20), square(100, 100, 14)};
  EXPECT_EQ(resolve("the biggest one", g), 1);
  EXPECT_EQ(resolve("the smallest one", g), 0);
  EXPECT_EQ(resolve("the second biggest one", g), 2);
  EXPECT_EQ(resolve("the bottom left one", g), 2);
  EXPECT_EQ(resolve("the top right one", g), 1);
}

TEST(SpatialResolver, RelationsToTheAnchorTheDescriptionPicks) {
  // A cross of four around a centre; the anchor description matches the
  // centre only.
  const std::vector<ProposalGeometry> g = {square(100, 100, 20), square(40, 100, 20),
                                           square(160, 100, 20), square(100, 40, 20),
                                           square(100, 160, 20)};
  const std::vector<float> anchor = {30, 0, 0, 0, 0};
  const std::vector<float> target = {0, 20, 20, 20, 20};  // the outer four
  EXPECT_EQ(resolve("the one left of the star", g, target, anchor), 1);
  EXPECT_EQ(resolve("the one right of the star", g, target, anchor), 2);
  EXPECT_EQ(resolve("the one above the star", g, target, anchor), 3);
  EXPECT_EQ(resolve("the one under the star", g, target, anchor), 4);
  // The anchor moves, the answer follows: now the left one is the anchor.
  const std::vector<float> left_anchor = {0, 30, 0, 0, 0};
  EXPECT_EQ(resolve("the one right of the star", g, {20, 0, 20, 20, 20}, left_anchor), 0);
}

TEST(SpatialResolver, NextToPrefersTheNearest) {
  const std::vector<ProposalGeometry> g = {square(20, 50, 10), square(45, 50, 10),
                                           square(150, 50, 10)};
  EXPECT_EQ(resolve("the one next to the box", g, {0, 10, 10}, {30, 0, 0}), 1);
}

TEST(SpatialResolver, TheDescriptionNarrowsTheGroup) {
  // "the leftmost red one": proposal 0 is leftmost but not red.
  const std::vector<float> red = {-20, 20, 0, 20, 20};
  EXPECT_EQ(resolve("the leftmost red one", kRow, red), 1);
}

// Two small shapes, both what "the small shape" says, scored a little
// apart by the model's noise: the frame's spread is only that noise, and
// read as it is, the better-scored lower one counts as the only member.
// With the model's calibrated spread as the floor, both are members and
// the position decides.
TEST(SpatialResolver, TheSpreadFloorKeepsNearEqualMatchesMembers) {
  const std::vector<ProposalGeometry> pair = {square(25, 108, 40), square(214, 207, 34)};
  const std::vector<float> small = {24.4f, 28.2f};
  const SpatialExpression parsed = parse_spatial_expression("the small shape at the very top");
  SpatialSettings calibrated;
  calibrated.spread_floor = 11.7f;
  EXPECT_EQ(resolve_spatial(parsed, pair, small, {}, calibrated).best, 0);
  EXPECT_EQ(resolve_spatial(parsed, pair, small, {}, SpatialSettings{}).best, 1)
      << "without the floor the noise decides (what the floor is for)";
  // A real difference stays one: a miss far below the matches is still no
  // member with the floor.
  const std::vector<float> circle_or_not = {-20.f, 28.2f};
  EXPECT_EQ(resolve_spatial(parsed, pair, circle_or_not, {}, calibrated).best, 1);
}

// Whether the described thing is there at all is read off the target
// description's best score; a generic target has nothing to test.
TEST(SpatialResolver, ReportsTheTargetDescriptionsBestScore) {
  const std::vector<float> red = {-20, 20, 0, 35, 20};
  const SpatialResolution r =
      resolve_spatial(parse_spatial_expression("the leftmost red one"), kRow, red, {});
  ASSERT_TRUE(r.resolved);
  EXPECT_FLOAT_EQ(r.target_best, 35.f);
  EXPECT_TRUE(std::isnan(
      resolve_spatial(parse_spatial_expression("the leftmost one"), kRow, {}, {}).target_best));
}

TEST(SpatialResolver, PartsOfOneObjectDoNotCompete) {
  // A whole (0) and its left half (1): "leftmost" must not pick the half
  // over another object just because the half's centre is further left.
  const std::vector<ProposalGeometry> g = {square(100, 50, 40), box_geometry(Box{80, 30, 20, 40}),
                                           square(20, 50, 10)};
  EXPECT_EQ(resolve("the rightmost one", g), 0);
}

// Proposal generators give several masks of one object: they count once.
TEST(SpatialResolver, SeveralMasksOfOneObjectCountOnce) {
  // Objects at x = 20, 60, 100; the first has two masks (whole and a
  // slightly smaller copy). "second from the left" is the one at 60.
  const std::vector<ProposalGeometry> g = {square(20, 50, 12), square(20, 50, 10),
                                           square(60, 50, 12), square(100, 50, 12)};
  EXPECT_EQ(resolve("the second one from the left", g), 2);
}

// A small object in front of a large one lies inside its box but not in
// its mask: with masks they are two objects.
TEST(SpatialResolver, MasksTellAnObjectInFrontFromAPart) {
  RegionMask big, small, other;
  big.box = Box{0, 0, 40, 40};
  big.pixels.assign(40 * 40, 255);
  for (int y = 15; y < 25; ++y)
    for (int x = 25; x < 35; ++x) big.pixels[static_cast<size_t>(y) * 40 + x] = 0;  // occluded
  small.box = Box{25, 15, 10, 10};
  small.pixels.assign(100, 255);
  other.box = Box{60, 0, 10, 10};
  other.pixels.assign(100, 255);
  const std::vector<RegionMask> masks = {big, small, other};
  const std::vector<float> d = mask_distinctness(masks);
  ASSERT_EQ(d.size(), 9u);
  EXPECT_FLOAT_EQ(d[0 * 3 + 1], 1.f);  // different objects
  EXPECT_FLOAT_EQ(d[1 * 3 + 1], 0.f);
  std::vector<ProposalGeometry> g;
  for (const RegionMask &m : masks) g.push_back(proposal_geometry(m));
  // "the second one from the right": other (x 65) first, then the small
  // one (x 30) before the big one (x about 19). Boxes alone would merge
  // the small one into the big one.
  const SpatialExpression p = parse_spatial_expression("the second one from the right");
  EXPECT_EQ(resolve_spatial(p, g, {}, {}, {}, d).best, 1);
  // A part (the left half of the big one) is not an object of its own.
  RegionMask half;
  half.box = Box{0, 0, 20, 40};
  half.pixels.assign(20 * 40, 255);
  const std::vector<float> d2 = mask_distinctness(std::vector<RegionMask>{big, half});
  EXPECT_FLOAT_EQ(d2[1], 0.f);
}

TEST(SpatialResolver, FallsBackWithAReasonAndNeverThrows) {
  const auto contradictory = parse_spatial_expression("the leftmost one on the right");
  SpatialResolution r = resolve_spatial(contradictory, kRow, {}, {});
  EXPECT_FALSE(r.resolved);
  EXPECT_FALSE(r.reason.empty());

  r = resolve_spatial(parse_spatial_expression("the red circle"), kRow, {}, {});
  EXPECT_FALSE(r.resolved);
  EXPECT_TRUE(r.reason.empty());  // nothing spatial: nothing to explain

  r = resolve_spatial(parse_spatial_expression("the leftmost one"), {}, {}, {});
  EXPECT_FALSE(r.resolved);
  r = resolve_spatial(parse_spatial_expression("the leftmost one"), kRow, {1, 2}, {});
  EXPECT_FALSE(r.resolved);
  EXPECT_NE(r.reason.find("disagree"), std::string::npos);

  SpatialSettings no_rank;
  no_rank.cues.rank = false;
  r = resolve_spatial(parse_spatial_expression("the second one from the left"), kRow, {}, {},
                      no_rank);
  EXPECT_FALSE(r.resolved);
  EXPECT_NE(r.reason.find("switched off"), std::string::npos);
}

TEST(SpatialResolver, GeometryFromAMaskUsesItsPixels) {
  RegionMask m;
  m.box = Box{10, 20, 4, 2};
  m.pixels = {255, 255, 0, 0, 255, 255, 0, 0};  // the left half only
  const ProposalGeometry g = proposal_geometry(m);
  EXPECT_FLOAT_EQ(g.cx, 11.f);
  EXPECT_FLOAT_EQ(g.cy, 21.f);
  EXPECT_FLOAT_EQ(g.area, 4.f);
  EXPECT_FLOAT_EQ(g.right, 14.f);
}

}  // namespace
}  // namespace refseg

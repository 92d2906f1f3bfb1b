// The committed demo model (models/pretrained/refseg-tiny.pt) must keep
// choosing the right object: a floor on held-out scenes with the world's
// exact masks and with the project's own proposals, a little under what
// these scenes gave when the model was trained (docs/accuracy.md),
// so that a regression in the encoder, the tokenizer, the selector or the
// model file fails here.
#include <gtest/gtest.h>

#include <cstdlib>

#include "training/refseg_evaluation.h"

namespace refseg::training {
namespace {

// Measured on these scenes when the model was trained (docs/accuracy.md);
// the floors leave a margin for numeric differences between machines.
constexpr double kAttributeFloor = 0.88;  // measured 0.936 (103 of 110)
constexpr double kOverallFloor = 0.46;    // measured 0.509 (226 of 444)
// With the grouping proposals a choice counts when its IoU is >= 0.5.
constexpr double kGroupingAttributeFloor = 0.75;  // measured 0.900 (99 of 110)

// With spatial on (selection/spatial_resolver.h), exact masks, these scenes.
// With refseg-tiny's calibrated spread (refseg-tiny.spread, 11.7).
constexpr double kSpatialLocationFloor = 0.76;  // measured 0.864 (108 of 125)
constexpr double kSpatialRelationFloor = 0.85;  // measured 0.922 (95 of 103)
constexpr double kSpatialOrdinalFloor = 0.74;   // measured 0.840 (89 of 106)
// With the world's membership in place of CLIP's (the geometry alone):
// measured location 1.0, relation 0.971 (100 of 103), ordinal 1.0.
constexpr double kGeometryFloor = 0.95;

std::string pretrained_model() {
  const char *env = std::getenv("REFSEG_TINY_MODEL");
  return env ? env : REFSEG_SOURCE_DIR "/models/pretrained/refseg-tiny.pt";
}

EvaluationResult evaluate_floor_scenes(ProposalSource proposals,
                                       std::vector<SpatialMode> spatial = {SpatialMode{}}) {
  EvaluationOptions o;
  o.spatial = std::move(spatial);
  o.model = pretrained_model();
  o.first_seed = 900000;  // held out: training scenes have seeds >= 2^40
  o.scenes = 30;
  o.proposals = proposals;
  o.settings = {SelectionWeights{0.95f, 0.5f}};
  return evaluate_refseg(o);
}

TEST(PretrainedFloor, AttributeExpressionsWithExactMasks) {
  const EvaluationResult r = evaluate_floor_scenes(ProposalSource::GroundTruth);
  const Tally &attribute = r.settings[0].by_type.at(world::ExpressionType::Attribute);
  ASSERT_GE(attribute.expressions, 80);
  EXPECT_GE(attribute.top1(), kAttributeFloor) << attribute.hits << "/" << attribute.expressions;
  // All expression types together stay well above chance (about 1 in 4.5 objects).
  EXPECT_GE(r.settings[0].all.top1(), kOverallFloor);
}

TEST(PretrainedFloor, AttributeExpressionsWithGroupingProposals) {
  const EvaluationResult r = evaluate_floor_scenes(ProposalSource::Grouping);
  const Tally &attribute = r.settings[0].by_type.at(world::ExpressionType::Attribute);
  ASSERT_GE(attribute.expressions, 80);
  EXPECT_GE(attribute.top1(), kGroupingAttributeFloor)
      << attribute.hits << "/" << attribute.expressions;
}

TEST(PretrainedFloor, SpatialWordsWithExactMasks) {
  const EvaluationResult r = evaluate_floor_scenes(
      ProposalSource::GroundTruth, {parse_spatial_mode("off"), parse_spatial_mode("on"),
                                    parse_spatial_mode("world-membership")});
  ASSERT_EQ(r.settings.size(), 3u);
  const auto &off = r.settings[0].by_type, &on = r.settings[1].by_type;
  const auto &geometry_only = r.settings[2].by_type;
  using T = world::ExpressionType;
  EXPECT_GE(on.at(T::Location).top1(), kSpatialLocationFloor) << on.at(T::Location).hits;
  EXPECT_GE(on.at(T::Relation).top1(), kSpatialRelationFloor) << on.at(T::Relation).hits;
  EXPECT_GE(on.at(T::Ordinal).top1(), kSpatialOrdinalFloor) << on.at(T::Ordinal).hits;
  // Attribute expressions have no spatial words: the same choices.
  EXPECT_EQ(on.at(T::Attribute).hits, off.at(T::Attribute).hits);
  EXPECT_EQ(on.at(T::Attribute).iou_sum, off.at(T::Attribute).iou_sum);
  // Spatial on does better than off for every spatial type.
  for (T t : {T::Location, T::Relation, T::Ordinal})
    EXPECT_GT(on.at(t).hits, off.at(t).hits) << world::expression_type_name(t);
  // Told who fits each description, the geometry resolves nearly all:
  // what is missing above is CLIP's membership (docs/accuracy.md).
  for (T t : {T::Location, T::Relation, T::Ordinal})
    EXPECT_GE(geometry_only.at(t).top1(), kGeometryFloor) << world::expression_type_name(t);
}

}  // namespace
}  // namespace refseg::training

// Resolving the spatial parts of an expression (language/spatial_expression.h)
// over the proposals' geometry, in the spirit of ReCLIP's relation resolver
// (Subramanian et al., ACL 2022): CLIP says how well each proposal matches
// the target description and the anchor description; boxes and masks say
// which of the matching ones is leftmost, second from the top, or above the
// anchor.
//
// Every cue is soft, so a weak CLIP match can still lose to geometry and a
// strong one is not vetoed by a pixel:
//  - membership m_i = exp((s_i - max s) / (T sd(s))) of proposal i in the
//    target description (1 for the best match, towards 0 for poor ones);
//  - "j is further than i" along an axis is a logistic of the difference
//    of their positions, in units of their size;
//  - extreme:   m_i * prod_j (1 - m_j ahead(j, i))   (no member further)
//  - ordinal k: m_i * P(exactly k - 1 members further)   (Poisson-binomial)
//  - relation:  m_i * sum_j q_j rel(i, j), q = softmax of the anchor scores
//    over the other proposals.
// Proposals that are one the other's part do not compete, and several
// masks of one object count as one object.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/region_mask.h"
#include "language/spatial_expression.h"

namespace refseg {

struct ProposalGeometry {
  float left = 0, top = 0, right = 0, bottom = 0;  // box in pixels, right/bottom exclusive
  float cx = 0, cy = 0;                            // centroid of the mask's pixels
  float area = 0;                                  // mask pixels
};

ProposalGeometry proposal_geometry(const RegionMask &mask);
// The same from a box and its box.width x box.height mask bytes (nonzero:
// inside), as frame metadata stores them.
ProposalGeometry proposal_geometry(const Box &box, const uint8_t *pixels);
// From a box alone (a mask-less consumer): the box centre and area.
ProposalGeometry box_geometry(const Box &box);

// How much proposals i and j are different objects (n x n, row-major, 1:
// different, 0: one lies mostly inside the other, as a part and its whole
// or two masks of one object), from their masks: shared pixels over the
// smaller mask. Without masks the resolver reads the same from boxes,
// which cannot tell a small object in front of a large one from a part.
std::vector<float> mask_distinctness(const std::vector<RegionMask> &masks);
std::vector<float> mask_distinctness(const std::vector<Box> &boxes,
                                     const std::vector<const uint8_t *> &pixels);

// Which cues take part; switching one off makes expressions that need it
// fall back to the paper's scoring (the ablation in docs/accuracy.md).
struct SpatialCues {
  bool position = true;     // left/right/top/bottom/middle/closest/farthest extremes
  bool size = true;         // biggest/smallest
  bool rank = true;         // ordinals
  bool relation = true;     // relations to an anchor
  bool target_text = true;  // off: every proposal may be the target
  bool anchor_text = true;  // off: every other proposal may be the anchor
};

struct SpatialSettings {
  // Softness of membership, in units of the standard deviation of the
  // frame's scores for the description (at least spread_floor): a proposal that much below the
  // best match counts as e^-1 of a member. Chosen on held-out world scenes
  // (seeds 5000-5079, exact masks and grouping proposals together,
  // docs/accuracy.md "Spatial words"), then measured on others: softer
  // suits exact masks, sharper suits proposals with many part masks.
  float temperature = 0.75f;
  float anchor_temperature = 0.5f;
  // The least spread the temperatures are taken in units of, in score
  // units: a frame's spread can be small because every proposal matches
  // the description (two small shapes for "the small shape at the top"),
  // and then it measures only the model's noise between matches. A
  // model's calibration (read_score_spread(): refseg-tiny's is measured
  // in docs/accuracy.md); 0 reads every frame's spread as it is.
  float spread_floor = 0.f;
  SpatialCues cues;
};

struct SpatialResolution {
  // False: nothing to resolve, a cue switched off or no proposal fits; the
  // caller scores the expression as without spatial reasoning, and `reason`
  // says why (empty when the expression has no spatial words).
  bool resolved = false;
  std::string reason;
  std::vector<float> support;  // per proposal, 0..100
  int best = -1;               // highest support (first on ties)
  int anchor = -1;             // relations: the anchor that supports `best` most
  // The best score of any proposal for the target description: what "is
  // the described thing there at all" is decided on, since the whole
  // sentence's score carries words CLIP cannot read ("leftmost"). NaN for a
  // generic target ("the second one from the left"): nothing to test.
  float target_best = std::numeric_limits<float>::quiet_NaN();
};

// target_scores: the proposals' scores against parsed.target (empty when
// the target is generic: every proposal is a candidate); anchor_scores:
// against parsed.anchor (relations only). Both 100 x cosine, as
// score_proposals() gives them. distinctness: mask_distinctness() of the
// proposals, or empty to read it from the boxes. Never throws; sizes that disagree with
// `geometry` give resolved == false with a reason.
SpatialResolution resolve_spatial(const SpatialExpression &parsed,
                                  const std::vector<ProposalGeometry> &geometry,
                                  const std::vector<float> &target_scores,
                                  const std::vector<float> &anchor_scores,
                                  const SpatialSettings &settings = {},
                                  const std::vector<float> &distinctness = {});

// The whole spatial step for one expression, as the selector and the
// evaluation run it: parse, score the target and anchor descriptions with
// `score_description` (100 x cosine per proposal, for a non-empty text),
// resolve. `parsed` is empty when the expression has no spatial words;
// `summary` is describe_spatial() plus why it was not resolved, if not.
struct SpatialChoice {
  std::optional<SpatialExpression> parsed;
  SpatialResolution resolution;
  std::string summary;
};
SpatialChoice choose_spatially(
    const std::string &expression, const std::vector<ProposalGeometry> &geometry,
    const std::vector<float> &distinctness,
    const std::function<std::vector<float>(const std::string &)> &score_description,
    const SpatialSettings &settings = {});
// The same for an expression parsed once (parse_spatial_expression()), as
// the selector keeps it between frames.
SpatialChoice choose_spatially(
    SpatialExpression parsed, const std::vector<ProposalGeometry> &geometry,
    const std::vector<float> &distinctness,
    const std::function<std::vector<float>(const std::string &)> &score_description,
    const SpatialSettings &settings = {});

}  // namespace refseg

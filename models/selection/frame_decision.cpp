#include "selection/frame_decision.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace refseg {

namespace {

// Parses kept by a FrameDecider; beyond this many expressions (more than a
// user plausibly switches between) they are parsed afresh.
constexpr size_t kMaxParses = 64;

// A score as the reasons write it: its first five characters.
std::string short_number(float value) {
  return std::to_string(value).substr(0, 5);
}

// The proposals' geometry and distinctness, computed once per frame and
// only for an expression with spatial words.
struct FrameGeometry {
  const FrameProposals &frame;
  std::vector<ProposalGeometry> geometry;
  std::vector<float> distinctness;
  bool made = false;

  void make() {
    if (made) return;
    made = true;
    const size_t n = std::min(frame.rows, std::min(frame.boxes.size(), frame.masks.size()));
    std::vector<Box> boxes(frame.boxes.begin(), frame.boxes.begin() + static_cast<long>(n));
    std::vector<const uint8_t *> masks(frame.masks.begin(),
                                       frame.masks.begin() + static_cast<long>(n));
    for (size_t i = 0; i < n; ++i) geometry.push_back(proposal_geometry(boxes[i], masks[i]));
    distinctness = mask_distinctness(boxes, masks);
  }
};

}  // namespace

float DecisionSettings::effective_threshold() const {
  if (threshold != kModelThreshold) return threshold;
  return calibration.threshold.value_or(kSelectAlways);
}

SpatialSettings DecisionSettings::effective_spatial_settings() const {
  SpatialSettings s = spatial_settings;
  if (calibration.spread) s.spread_floor = *calibration.spread;
  return s;
}

FeatureMismatch::FeatureMismatch(size_t features, size_t text)
    : ModelError("frame features have " + std::to_string(features) + " dimensions, text has " +
                 std::to_string(text)),
      feature_dim(features),
      text_dim(text) {}

const SpatialExpression &FrameDecider::parsed(const std::string &sentence) {
  auto found = parses_.find(sentence);
  if (found == parses_.end()) {
    if (parses_.size() >= kMaxParses) parses_.clear();
    found = parses_.emplace(sentence, parse_spatial_expression(sentence)).first;
  }
  return found->second;
}

std::vector<ExpressionDecision> FrameDecider::decide(
    const FrameProposals &frame, const std::vector<PreparedExpression> &expressions,
    const DecisionSettings &settings, const TextEncoder &encode) {
  const float threshold = settings.effective_threshold();
  const SpatialSettings spatial_settings = settings.effective_spatial_settings();
  const SelectionWeights &w = settings.weights;
  FrameGeometry geometry{frame, {}, {}, false};
  std::vector<ExpressionDecision> out;
  out.reserve(expressions.size());
  for (const PreparedExpression &e : expressions) {
    ExpressionDecision d;
    d.threshold = threshold;
    if (frame.count == 0 || !frame.global) {
      d.outcome = frame.count == 0 ? DecisionOutcome::kNoProposals : DecisionOutcome::kNoFeatures;
      d.reason = frame.count == 0 ? "no proposals: nothing to choose from"
                                  : "no features: refsegencoder missing upstream";
      out.push_back(std::move(d));
      continue;
    }
    const std::string &phrase = e.phrase.empty() ? e.sentence : e.phrase;
    d.text = mix_text_features(encode(e.sentence), encode(phrase), w.sentence);
    if (d.text.size() != frame.dim) throw FeatureMismatch(frame.dim, d.text.size());
    d.proposal_scores =
        score_proposals(frame.global, frame.local, frame.rows, frame.dim, d.text, w.global);
    const int best = best_proposal(d.proposal_scores);
    if (best < 0) {
      d.outcome = DecisionOutcome::kNonFinite;
      d.reason = "no finite score: features with NaN or infinite values";
      d.scores = d.proposal_scores;
      out.push_back(std::move(d));
      continue;
    }
    // Words of place, relation and order pick among the proposals by
    // geometry; a description is scored as a sentence that is its own
    // noun phrase.
    if (settings.spatial) {
      const SpatialExpression &words = parsed(e.sentence);
      if (words.spatial()) geometry.make();
      d.spatial = choose_spatially(
          words, geometry.geometry, geometry.distinctness,
          [&](const std::string &text) {
            const std::vector<float> t = encode(text);
            return score_proposals(frame.global, frame.local, frame.rows, frame.dim,
                                   mix_text_features(t, t, w.sentence), w.global);
          },
          spatial_settings);
    }
    const SpatialResolution &r = d.spatial.resolution;
    d.scores = r.resolved ? r.support : d.proposal_scores;
    int chosen = r.resolved ? r.best : best;
    const float there = r.resolved ? r.target_best : d.proposal_scores[best];
    // A generic description (NaN: "the second from the left") is always there.
    if ((!std::isnan(there) || !r.resolved) && !(there >= threshold)) {
      chosen = -1;
      d.reason = "best score " + short_number(there) + " is below the threshold " +
                 short_number(threshold);
    }
    d.outcome = chosen >= 0 ? DecisionOutcome::kSelected : DecisionOutcome::kBelowThreshold;
    d.index = chosen;
    d.score = chosen >= 0 ? d.scores[static_cast<size_t>(chosen)] : d.proposal_scores[best];
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<ExpressionDecision> decide_frame(const FrameProposals &frame,
                                             const std::vector<PreparedExpression> &expressions,
                                             const DecisionSettings &settings,
                                             const TextEncoder &encode) {
  FrameDecider decider;
  return decider.decide(frame, expressions, settings, encode);
}

FrameProposals frame_proposals(const std::vector<RegionMask> &masks, const float *global,
                               const float *local, size_t rows, size_t dim) {
  FrameProposals f;
  f.count = masks.size();
  for (const RegionMask &m : masks) {
    f.boxes.push_back(m.box);
    // A mask that is not the box's size is read as its box.
    const bool whole = m.pixels.size() == static_cast<size_t>(std::max(m.box.area(), 0));
    f.masks.push_back(whole ? m.pixels.data() : nullptr);
  }
  f.global = global;
  f.local = local;
  f.rows = rows;
  f.dim = dim;
  return f;
}

}  // namespace refseg

// The whole per-frame decision: which proposal each expression refers to,
// or none, and why. The selector element, refseg_image and the evaluations
// all ask this one function, so that they answer a frame the same way.
//
// In: the frame's proposals (boxes and masks, for the spatial words) and
// their stored global and local features; the expressions as the towers
// and the parser see them, each with its target noun phrase; the settings
// (weights a and b, threshold, spatial on/off) and the model's calibration.
// Out, per expression: the index (-1: nothing), its score, the reason when
// nothing is selected, the spatial resolution and the scores used.
//
// The steps (docs/method.md step 4, docs/elements.md "refsegselector"):
//  1. t = b t_sentence + (1 - b) t_phrase; score_i = 100 cos(a g_i + (1-a) l_i, t).
//  2. With spatial on and words of place, relation or order in the
//     expression, the resolver (spatial_resolver.h) picks among the
//     proposals by geometry; its support replaces the scores.
//  3. "Not there" is an answer: a best score under the threshold selects
//     nothing. With spatial words resolved it is the description's best
//     score ("the red circle" of "the leftmost red circle") that decides;
//     a generic description ("the second from the left") is always there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/model_error.h"
#include "common/region_mask.h"
#include "language/spatial_expression.h"
#include "selection/selection.h"
#include "selection/spatial_resolver.h"

namespace refseg {

// The threshold setting's two special values (the selector's "threshold"
// property, refseg_image's --threshold): scores run from -100 to 100, so
// kSelectAlways selects the best proposal whatever it scores, and
// kModelThreshold takes the model's calibration (a ".threshold" file beside
// its weights), or kSelectAlways for a model without one.
constexpr float kSelectAlways = -100.f;
constexpr float kModelThreshold = -101.f;

// What a model file says about its own scores (ClipRuntime's
// calibrated_threshold() and calibrated_spread()).
struct ModelCalibration {
  std::optional<float> threshold;
  std::optional<float> spread;
};

struct DecisionSettings {
  SelectionWeights weights;
  float threshold = kModelThreshold;  // kModelThreshold, kSelectAlways or a score
  bool spatial = true;                // resolve words of place, relation and order
  // Temperatures and cues; spread_floor is the calibration's spread when
  // the model has one.
  SpatialSettings spatial_settings;
  ModelCalibration calibration;

  // The score a best match must reach: `threshold`, or the calibration's.
  float effective_threshold() const;
  SpatialSettings effective_spatial_settings() const;
};

// One frame's proposals. Features are row-major rows x dim arrays (global
// null: the frame has no features); boxes and masks (box.width x
// box.height bytes, nonzero inside) are read only for expressions with
// spatial words, for the first min(rows, boxes.size()) proposals.
struct FrameProposals {
  size_t count = 0;  // proposals in the frame
  std::vector<Box> boxes;
  std::vector<const uint8_t *> masks;
  const float *global = nullptr;
  const float *local = nullptr;
  size_t rows = 0, dim = 0;
};

// An expression as the text tower and the parser see it (preprocess
// already applied) and its target noun phrase (empty: the sentence alone
// is used for both).
struct PreparedExpression {
  std::string sentence;
  std::string phrase;
};

enum class DecisionOutcome {
  kSelected,
  kBelowThreshold,  // scored, the best under the threshold: "not there"
  kNoProposals,
  kNoFeatures,
  kNonFinite,  // every score NaN: features or weights with NaN/inf
};

struct ExpressionDecision {
  DecisionOutcome outcome = DecisionOutcome::kNoProposals;
  int index = -1;      // -1: nothing selected
  float score = 0.f;   // the selection's score, or the best score when none
  std::string reason;  // why index is -1 (empty otherwise)
  // spatial.parsed empty: no spatial words, or spatial off.
  SpatialChoice spatial;
  // The scores `index` and `score` come from: the resolver's support when
  // it resolved the spatial words, the proposals' scores otherwise (empty
  // when nothing was scored).
  std::vector<float> scores;
  std::vector<float> proposal_scores;  // step 1's scores, whatever step 2 did
  std::vector<float> text;             // t, as scored (empty when nothing was scored)
  float threshold = kSelectAlways;     // the threshold applied
};

// The text tower: an expression's unnormalized embedding. Its exceptions
// pass through decide().
using TextEncoder = std::function<std::vector<float>(const std::string &)>;

// Thrown when the text's width is not the features' (features of one
// model, text of another).
class FeatureMismatch : public ModelError {
 public:
  FeatureMismatch(size_t features, size_t text);
  size_t feature_dim, text_dim;
};

// Decides one frame. Keeps each expression's spatial parse between calls
// (a few dozen expressions at most), so one instance per stream; not
// thread-safe.
class FrameDecider {
 public:
  std::vector<ExpressionDecision> decide(const FrameProposals &frame,
                                         const std::vector<PreparedExpression> &expressions,
                                         const DecisionSettings &settings,
                                         const TextEncoder &encode);
  void clear() { parses_.clear(); }

 private:
  const SpatialExpression &parsed(const std::string &sentence);
  std::map<std::string, SpatialExpression> parses_;
};

// The same for a single frame, without a kept parse.
std::vector<ExpressionDecision> decide_frame(const FrameProposals &frame,
                                             const std::vector<PreparedExpression> &expressions,
                                             const DecisionSettings &settings,
                                             const TextEncoder &encode);

// The frame's proposals from whole masks (refseg_image, the evaluations):
// boxes and pixels point into `masks`, which must outlive the result.
FrameProposals frame_proposals(const std::vector<RegionMask> &masks, const float *global,
                               const float *local, size_t rows, size_t dim);

}  // namespace refseg

// Measures the whole method on held-out scenes of the synthetic referring
// world: proposals -> per-mask CLIP features (ClipRuntime::encode_masks) ->
// the selector's scoring (selection.h), against the world's exact masks.
// Accuracy figures follow docs/method.md: top-1 (chosen mask IoU >= 0.5 with the
// target), mIoU (mean per-expression IoU) and oIoU (sum of intersections /
// sum of unions).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clip/precision.h"
#include "clip/preprocess_mode.h"
#include "selection/selection.h"
#include "selection/spatial_resolver.h"
#include "world/referring_world.h"

namespace refseg::training {

enum class ProposalSource { GroundTruth, Grouping };

// How well one threshold on the best proposal's score tells expressions
// whose object is in the frame ("present") from ones whose object is not
// ("absent"): "there" when the best score >= threshold.
struct ScoreSeparation {
  int64_t present = 0, absent = 0;  // expressions scored
  double auc = 0;                   // ROC AUC: P(present score > absent score), ties count half
  // The threshold that maximises balanced accuracy (midway between the
  // scores on either side of the cut), and the rates at it.
  double threshold = 0;
  double present_rate = 0;  // present expressions at or above it (true positive rate)
  double absent_rate = 0;   // absent expressions below it (true negative rate)
  double present_mean = 0, absent_mean = 0;  // mean best scores
  double balanced_accuracy() const { return (present_rate + absent_rate) / 2; }
};

// Empty inputs give a zero separation (auc 0, no threshold).
ScoreSeparation score_separation(const std::vector<float> &present,
                                 const std::vector<float> &absent);

// Spatial reasoning (selection/spatial_resolver.h) as one evaluated
// setting: off is the paper's method.
struct SpatialMode {
  std::string name = "off";  // "off", "on", "no-position", ... (parse_spatial_mode)
  bool on = false;
  // "world-membership": on, with the world's own knowledge of which objects
  // each description fits in place of CLIP's description scores (exact
  // masks only): what the geometry alone gets right.
  bool world_membership = false;
  SpatialSettings settings;
};

// "off", "on", or "on" with one cue switched off for the ablation:
// no-position, no-size, no-rank, no-relation, no-target-text,
// no-anchor-text. Throws refseg::ModelError naming the choices.
SpatialMode parse_spatial_mode(const std::string &name);

struct EvaluationOptions {
  std::string model = "refseg-tiny";  // name or path, as acquire_clip_runtime() takes it
  uint64_t first_seed = 0;            // scenes first_seed .. first_seed + scenes - 1
  int scenes = 200;
  ProposalSource proposals = ProposalSource::GroundTruth;
  int masked_layers = 3;
  // Every setting is scored from the same features (encoding once per scene).
  std::vector<SelectionWeights> settings = {SelectionWeights{}};
  // Each weight setting is scored with each of these.
  std::vector<SpatialMode> spatial = {SpatialMode{}};
  // SpatialSettings::spread_floor for every spatial mode; negative: the
  // model's calibration (read_score_spread()), else 0.
  float spatial_spread = -1.f;
  world::WorldOptions world;
  int threads = 1;
  clip::Precision precision = clip::Precision::kFp32;  // of both towers
  // reference: the authors' image chain, and each expression lower-cased
  // and re-joined from its tokens before tokenizing and parsing.
  clip::Preprocess preprocess = clip::Preprocess::kClip;
  // >= 0: local features only for each expression's local_crops best
  // proposals by global score (selection/local_crops.h); -1: all.
  int local_crops = -1;
  // > 0: also score this many absent attribute expressions per scene
  // (world::absent_expressions) against the scene's present attribute
  // expressions, and report their score separation per setting.
  int absent_per_scene = 0;
};

struct Tally {
  int64_t expressions = 0, hits = 0;
  double iou_sum = 0, intersection = 0, union_ = 0;
  double top1() const { return expressions ? static_cast<double>(hits) / expressions : 0; }
  double miou() const { return expressions ? iou_sum / expressions : 0; }
  double oiou() const { return union_ > 0 ? intersection / union_ : 0; }
  void add(double inter, double uni);
};

struct SettingResult {
  SelectionWeights weights;
  SpatialMode spatial;
  // Expressions whose spatial words were resolved over the geometry (the
  // rest were scored as with spatial off), per type.
  std::map<world::ExpressionType, int64_t> spatial_resolved;
  Tally all;
  std::map<world::ExpressionType, Tally> by_type;
  // With absent_per_scene > 0: the best proposal's score for every present
  // attribute expression and every absent one (scenes with proposals only).
  std::vector<float> present_scores, absent_scores;
};

struct EvaluationResult {
  // Every weight setting with every spatial mode, weights outermost.
  std::vector<SettingResult> settings;
  int scenes = 0;
  int64_t proposals = 0;    // masks scored, over all scenes
  int64_t local_crops = 0;  // masks that had a local crop pass, over all scenes
  int frames_without_proposals = 0;
  float spatial_spread = 0;  // the spread floor the spatial modes used
  // With exact masks and a spatial mode on: per expression with spatial
  // words, mean score of the objects its target description fits minus
  // that of the rest (the calibration of a model's spread: half the
  // median, read_score_spread()).
  std::vector<float> description_gaps;
  double seconds = 0;
};

// Throws refseg::ModelError for a seed range that reaches the training
// scenes (training_scene_seed()), an unknown model or bad options.
EvaluationResult evaluate_refseg(const EvaluationOptions &options,
                                 const std::function<void(int done, int total)> &progress = {});

// One JSON object per setting, in an array when there are several.
std::string evaluation_json(const EvaluationOptions &options, const EvaluationResult &result);

std::string proposal_source_name(ProposalSource source);

// `s` as a JSON string literal, always valid JSON (control characters
// escaped, bytes that are not UTF-8 replaced by U+FFFD).
std::string json_string(const std::string &s);  // "ground-truth", "grouping"

}  // namespace refseg::training

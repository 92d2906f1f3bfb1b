// Measures the whole method on moving video of the synthetic referring
// world, the way a user sees it: each analysis (proposals -> per-mask CLIP
// features -> the selector's scores) is handed to a tracking::ResultTracker,
// which carries it onto the following frames, and every frame's shown mask
// (ResultTracker::current()) is scored against the world's exact mask of the
// referred object in that frame.
//
// The expressions of a video are its frame-0 attribute expressions: they
// name size, colour and shape only, so their referent is the same object in
// every frame (world::WorldVideo keeps object i the same object) and the
// truth of frame t is that object's mask in frame t. Every analysis scores
// all of them.
//
// Analysis schedules, simulated deterministically in frames:
//  - every-frame: every frame is analysed and applied on that frame;
//  - interval N:  frames t % N == 0 are analysed and applied on that frame;
//    the tracker carries the results in between;
//  - latest L:    an analysis takes L frames: the one started on frame t is
//    applied when the video reaches frame t + L, and the next one starts on
//    that frame (frames 0, L, 2L, ... are analysed). Nothing is shown
//    before the first result arrives.
// An analysis of a frame does not depend on the schedule, so each analysed
// frame is computed once and replayed into every schedule.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "selection/selection.h"
#include "tracking/selection_stabilizer.h"
#include "training/refseg_evaluation.h"
#include "world/referring_world.h"

namespace refseg::training {

enum class AnalysisSchedule { EveryFrame, Interval, Latest };

struct AnalysisMode {
  AnalysisSchedule schedule = AnalysisSchedule::EveryFrame;
  int frames = 1;  // Interval: N; Latest: L (ignored for EveryFrame)
};

// "every-frame", "interval-10", "latest-3".
std::string analysis_mode_name(const AnalysisMode &mode);
// Parses a name as analysis_mode_name() writes it; throws refseg::ModelError
// on anything else (and on N or L < 1).
AnalysisMode parse_analysis_mode(const std::string &name);
// Whether frame t is analysed, and the frame whose analysis is applied on
// frame t (-1 for none).
bool analysed_on(const AnalysisMode &mode, int64_t t);
int64_t applied_on(const AnalysisMode &mode, int64_t t);

struct NamedStabilizer {
  std::string name;
  tracking::StabilizerOptions options;
};

struct VideoEvaluationOptions {
  std::string model = "refseg-tiny";  // name or path, as acquire_clip_runtime() takes it
  uint64_t first_seed = 0;            // videos first_seed .. first_seed + videos - 1
  int videos = 4;
  int frames = 150;  // per video
  ProposalSource proposals = ProposalSource::GroundTruth;
  int masked_layers = 3;
  SelectionWeights weights;
  // The moving videos; the still ones are the same with max_speed 0 and
  // background_sway 0 (the objects keep their slight in-place spin).
  world::WorldOptions world;
  bool moving = true, still = true;
  std::vector<AnalysisMode> modes = {{AnalysisSchedule::EveryFrame, 1},
                                     {AnalysisSchedule::Interval, 5},
                                     {AnalysisSchedule::Interval, 10},
                                     {AnalysisSchedule::Interval, 30}};
  // Each mode is replayed with each stabiliser.
  std::vector<NamedStabilizer> stabilizers = {{"default", tracking::StabilizerOptions{}},
                                              {"always-best", tracking::StabilizerOptions{0.f, 1}}};
  int threads = 1;
  clip::Precision precision = clip::Precision::kFp32;  // of both towers
};

// Counts changes of a selection's identity from frame to frame: a frame
// with nothing selected (-1) is skipped, so "7, -1, 7" is no switch and
// "7, -1, 8" is one.
class SwitchCounter {
 public:
  void next(int id);
  int64_t switches() const { return switches_; }

 private:
  int last_ = -1;
  int64_t switches_ = 0;
};

struct VideoTally {
  int64_t expressions = 0;  // tracked expressions, over the videos replayed
  int64_t evaluations = 0;  // (frame, expression) pairs scored
  int64_t hits = 0;         // shown mask IoU >= 0.5 with the target's
  double iou_sum = 0;
  int64_t nothing_shown = 0;  // no selection on the frame (counts as IoU 0)
  // Changes of the shown selection's track id, and of the world object the
  // shown mask overlaps most (a track id may change while the object does
  // not, when the tracker starts a new track on it).
  int64_t switches = 0, object_switches = 0;
  int64_t analyses = 0;  // applied

  double top1() const { return evaluations ? static_cast<double>(hits) / evaluations : 0; }
  double miou() const { return evaluations ? iou_sum / evaluations : 0; }
  // Over the frames that show a selection (after the first result arrives).
  double miou_shown() const {
    return evaluations > nothing_shown ? iou_sum / (evaluations - nothing_shown) : 0;
  }
  // Per expression and 100 frames.
  double switches_per_100() const { return evaluations ? 100.0 * switches / evaluations : 0; }
  double object_switches_per_100() const {
    return evaluations ? 100.0 * object_switches / evaluations : 0;
  }
};

struct VideoModeResult {
  bool moving = true;
  AnalysisMode mode;
  std::string stabilizer;
  VideoTally tally;
};

struct VideoEvaluationResult {
  // For each of moving/still (as enabled), each mode, each stabiliser.
  std::vector<VideoModeResult> results;
  int videos = 0;
  int64_t expressions = 0;        // tracked expressions over all videos, moving and still together
  int64_t analyses_computed = 0;  // distinct analysed frames
  int64_t invisible_targets = 0;  // (frame, expression) pairs skipped: target fully hidden
  double analysis_seconds = 0;    // mean wall time of one analysis (proposals, encode, score)
  double seconds = 0;
};

// Throws refseg::ModelError for seeds that reach the training range, an
// unknown model, or bad options (counts, modes, stabilisers).
VideoEvaluationResult evaluate_video(const VideoEvaluationOptions &options,
                                     const std::function<void(int done, int total)> &progress = {});

std::string video_evaluation_json(const VideoEvaluationOptions &options,
                                  const VideoEvaluationResult &result);

}  // namespace refseg::training

// Carries the results of analysed frames onto every frame of a video.
//
// advance() is called for every frame in order: it estimates the motion
// since the previous frame and moves every tracked mask with it. apply()
// hands over the results of an analysed frame, which may be one the video
// passed long ago: they are moved through the motion recorded since that
// frame, matched to the current tracks (mask IoU after motion; a match keeps
// its track id), and each expression's selection is stabilised on its track
// (selection_stabilizer.h). current() is what the frame being shown carries.
//
// GStreamer-free; timestamps are any monotonic integer (the elements pass
// buffer PTS in nanoseconds). Not thread-safe: the caller serialises.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/image_view.h"
#include "common/region_mask.h"
#include "tracking/carried_mask.h"
#include "tracking/frame_motion.h"
#include "tracking/selection_stabilizer.h"

namespace refseg::tracking {

struct TrackerOptions {
  MotionOptions motion;
  // Frames of motion kept for late results: an analysis that returns more
  // frames after its own is moved through the last history_frames only.
  int history_frames = 120;
  double match_iou = 0.3;  // a new proposal continues a track at this IoU
  StabilizerOptions stability;
};

// What the selector found of an expression's spatial words
// (selection/spatial_resolver.h), carried with its selection so frames
// between analyses explain their choice too. Empty summary: none.
struct SpatialNote {
  std::string summary, target, relation, anchor;  // relation and anchor empty without one
  int anchor_index = -1;                          // proposal taken as the anchor
  bool resolved = false;
};

// One expression's result in an analysed frame, as the selector wrote it.
struct AnalysedExpression {
  std::string expression, phrase;
  int index = -1;  // the analysis' choice, -1 for none
  float score = 0.f;
  std::vector<float> scores;  // one per proposal (may be empty with index -1)
  std::string reason;         // why index is -1
  SpatialNote spatial;
};

struct Analysis {
  int64_t timestamp = 0;
  int width = 0, height = 0;
  std::vector<RegionMask> proposals;
  std::vector<AnalysedExpression> expressions;
};

struct TrackedSelection {
  std::string expression, phrase;
  int index = -1;  // into TrackedFrame::proposals, -1 for none
  int track_id = -1;
  float score = 0.f;  // the chosen track's score in the last analysis
  Box box;            // where the chosen object is now
  std::string reason;
  std::vector<float> scores;  // last analysis' scores, in proposal order
  SpatialNote spatial;        // anchor_index into TrackedFrame::proposals (-1: left the frame)
};

struct TrackedFrame {
  std::vector<RegionMask> proposals;  // moved onto the current frame
  std::vector<int> track_ids;         // one per proposal, unique, stable across analyses
  std::vector<TrackedSelection> selections;
  int64_t analysis_timestamp = -1;  // frame the results were computed on; -1: none yet
};

// The motion that led to the frame at `timestamp`.
struct TimedMotion {
  int64_t timestamp;
  FrameMotion motion;
};

// An analysis whose masks have already been moved through the motion up to
// `carried_to` (carry()), so that apply() only has the frames since left.
struct CarriedAnalysis {
  Analysis analysis;
  std::vector<CarriedMask> masks;  // one per proposal
  int64_t carried_to = 0;
};

// Moves an analysis' masks through `motion` (the entries after its frame,
// from ResultTracker::motion_after). Needs no tracker: another thread (the
// analysis branch's) does this work while the video goes on.
CarriedAnalysis carry(Analysis analysis, const std::vector<TimedMotion> &motion);

class ResultTracker {
 public:
  explicit ResultTracker(TrackerOptions options = {});

  void set_options(const TrackerOptions &options);

  // The next frame of the video, in order; its size may change (results
  // of another size are dropped then).
  void advance(const ImageView &frame, int64_t timestamp);
  // Results of an analysed frame at or before the last advanced one.
  // Returns false (and changes nothing) when they cannot apply: another
  // frame size, or a timestamp newer than the video.
  bool apply(const Analysis &analysis) { return apply(carry(analysis, {})); }
  bool apply(CarriedAnalysis carried);
  // The recorded motion after `timestamp`, oldest first (shares the frames).
  std::vector<TimedMotion> motion_after(int64_t timestamp) const;
  // Drops every result and the motion history (flush, new stream).
  void reset();

  TrackedFrame current() const;
  bool has_results() const { return analysis_timestamp_ >= 0; }
  int64_t last_timestamp() const { return last_timestamp_; }

 private:
  struct Track {
    int id = 0;
    CarriedMask mask;
  };

  TrackerOptions options_;
  MotionEstimator estimator_;
  std::deque<TimedMotion> history_;
  std::vector<Track> tracks_;
  std::vector<AnalysedExpression> expressions_;  // last analysis, in proposal order of tracks_
  std::map<std::string, SelectionStabilizer> stabilizers_;
  std::vector<int> chosen_;  // per expression: index into tracks_, -1 for none
  int next_id_ = 1;
  int width_ = 0, height_ = 0;
  int64_t last_timestamp_ = -1, analysis_timestamp_ = -1;
};

}  // namespace refseg::tracking

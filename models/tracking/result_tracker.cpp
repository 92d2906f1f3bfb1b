#include "tracking/result_tracker.h"

#include <algorithm>
#include <utility>

namespace refseg::tracking {

ResultTracker::ResultTracker(TrackerOptions options)
    : options_(options), estimator_(options.motion) {}

void ResultTracker::set_options(const TrackerOptions &options) {
  const bool new_motion = options.motion.working_width != options_.motion.working_width;
  options_ = options;
  if (new_motion) {
    estimator_ = MotionEstimator(options_.motion);
    history_.clear();
  }
}

void ResultTracker::reset() {
  estimator_.reset();
  history_.clear();
  tracks_.clear();
  expressions_.clear();
  stabilizers_.clear();
  chosen_.clear();
  last_timestamp_ = analysis_timestamp_ = -1;
}

void ResultTracker::advance(const ImageView &frame, int64_t timestamp) {
  if (frame.width != width_ || frame.height != height_) {
    reset();
    width_ = frame.width;
    height_ = frame.height;
  }
  FrameMotion motion = estimator_.next(frame);
  last_timestamp_ = timestamp;
  if (motion.empty()) return;
  for (Track &t : tracks_) t.mask.move(motion);
  history_.push_back({timestamp, std::move(motion)});
  while (static_cast<int>(history_.size()) > std::max(0, options_.history_frames))
    history_.pop_front();
}

CarriedAnalysis carry(Analysis analysis, const std::vector<TimedMotion> &motion) {
  CarriedAnalysis c;
  c.masks.reserve(analysis.proposals.size());
  for (const RegionMask &p : analysis.proposals) c.masks.emplace_back(p);
  c.carried_to = analysis.timestamp;
  for (const TimedMotion &m : motion) {
    if (m.timestamp <= c.carried_to) continue;
    for (CarriedMask &mask : c.masks) mask.move(m.motion);
    c.carried_to = m.timestamp;
  }
  c.analysis = std::move(analysis);
  return c;
}

std::vector<TimedMotion> ResultTracker::motion_after(int64_t timestamp) const {
  std::vector<TimedMotion> out;
  for (const TimedMotion &m : history_)
    if (m.timestamp > timestamp) out.push_back(m);
  return out;
}

bool ResultTracker::apply(CarriedAnalysis carried_analysis) {
  const Analysis &analysis = carried_analysis.analysis;
  if (analysis.width != width_ || analysis.height != height_) return false;
  if (analysis.timestamp > last_timestamp_ || carried_analysis.carried_to > last_timestamp_ ||
      carried_analysis.masks.size() != analysis.proposals.size())
    return false;

  // The analysed frame's masks, moved through every frame shown since.
  std::vector<CarriedMask> carried = std::move(carried_analysis.masks);
  for (const TimedMotion &m : history_)
    if (m.timestamp > carried_analysis.carried_to)
      for (CarriedMask &c : carried) c.move(m.motion);

  // Greedy matching by IoU, best pairs first: each old track continues at
  // most one new proposal.
  std::vector<RegionMask> now(carried.size()), before(tracks_.size());
  for (size_t i = 0; i < carried.size(); i++) now[i] = carried[i].current(width_, height_);
  for (size_t j = 0; j < tracks_.size(); j++) before[j] = tracks_[j].mask.current(width_, height_);
  struct Pair {
    double iou;
    size_t i, j;
  };
  std::vector<Pair> pairs;
  std::vector<double> area_now(now.size()), area_before(before.size());
  for (size_t i = 0; i < now.size(); i++) area_now[i] = static_cast<double>(now[i].area());
  for (size_t j = 0; j < before.size(); j++) area_before[j] = static_cast<double>(before[j].area());
  for (size_t i = 0; i < now.size(); i++)
    for (size_t j = 0; j < before.size(); j++) {
      // The intersection is at most the boxes' overlap: pairs that cannot
      // reach match_iou are not counted pixel by pixel.
      const Box &a = now[i].box, &b = before[j].box;
      const double w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
      const double h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
      const double bigger = std::max(area_now[i], area_before[j]);
      if (w <= 0 || h <= 0 || bigger <= 0 || w * h < options_.match_iou * bigger) continue;
      const double iou = mask_iou(now[i], before[j]);
      if (iou >= options_.match_iou) pairs.push_back({iou, i, j});
    }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair &a, const Pair &b) { return a.iou > b.iou; });
  std::vector<int> ids(now.size(), 0);
  std::vector<bool> old_taken(before.size(), false);
  for (const Pair &p : pairs) {
    if (ids[p.i] || old_taken[p.j]) continue;
    ids[p.i] = tracks_[p.j].id;
    old_taken[p.j] = true;
  }
  std::vector<Track> tracks(now.size());
  for (size_t i = 0; i < now.size(); i++) {
    tracks[i].id = ids[i] ? ids[i] : next_id_++;
    tracks[i].mask = std::move(carried[i]);
    ids[i] = tracks[i].id;
  }
  tracks_ = std::move(tracks);

  // Each expression's choice, kept on its track unless there is a reason
  // to switch. Expressions no longer asked for forget their state.
  std::map<std::string, SelectionStabilizer> stabilizers;
  chosen_.clear();
  for (const AnalysedExpression &e : analysis.expressions) {
    SelectionStabilizer &s = stabilizers[e.expression];
    auto old = stabilizers_.find(e.expression);
    if (old != stabilizers_.end()) s = old->second;
    const bool scored = e.scores.size() == ids.size();
    chosen_.push_back(scored ? s.choose(ids, e.scores, e.index, options_.stability) : -1);
    if (!scored) s.reset();
  }
  stabilizers_ = std::move(stabilizers);
  expressions_ = analysis.expressions;
  analysis_timestamp_ = analysis.timestamp;
  return true;
}

TrackedFrame ResultTracker::current() const {
  TrackedFrame out;
  out.analysis_timestamp = analysis_timestamp_;
  std::vector<int> visible(tracks_.size(), -1);  // track -> index in out.proposals
  for (size_t j = 0; j < tracks_.size(); j++) {
    RegionMask m = tracks_[j].mask.current(width_, height_);
    if (m.box.empty()) continue;  // left the frame
    visible[j] = static_cast<int>(out.proposals.size());
    out.proposals.push_back(std::move(m));
    out.track_ids.push_back(tracks_[j].id);
  }
  for (size_t k = 0; k < expressions_.size(); k++) {
    const AnalysedExpression &e = expressions_[k];
    TrackedSelection s;
    s.expression = e.expression;
    s.phrase = e.phrase;
    s.reason = e.reason;
    s.spatial = e.spatial;
    const int a = e.spatial.anchor_index;
    s.spatial.anchor_index =
        a >= 0 && static_cast<size_t>(a) < visible.size() ? visible[static_cast<size_t>(a)] : -1;
    const int j = k < chosen_.size() ? chosen_[k] : -1;
    if (j >= 0 && visible[j] >= 0) {
      s.index = visible[j];
      s.track_id = tracks_[j].id;
      s.score = e.scores[j];
      s.box = out.proposals[s.index].box;
    } else {
      s.score = e.score;  // the best, which was not enough (or has left)
      if (j >= 0) s.reason = "the selected object has left the frame";
    }
    for (size_t t = 0; t < tracks_.size() && t < e.scores.size(); t++)
      if (visible[t] >= 0) s.scores.push_back(e.scores[t]);
    out.selections.push_back(std::move(s));
  }
  return out;
}

}  // namespace refseg::tracking

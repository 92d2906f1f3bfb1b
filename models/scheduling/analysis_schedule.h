// Which frames an analysis branch analyses, and how long an analysis takes:
// the decisions refsegproposals, refsegencoder and refsegselector make per
// frame, kept free of GStreamer so they are unit-tested on their own.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace refseg::scheduling {

// How the video and its analysis relate (refsegbin's and refsegtracker's
// `mode`).
enum class AnalysisMode {
  Auto,        // Latest when the pipeline is live, EveryFrame otherwise
  EveryFrame,  // every frame analysed; each frame waits for its results
  Interval,    // every N-th frame analysed, results carried in between; deterministic
  Latest,      // the video never waits: frames pass with the latest results moved onto them
};

const char *mode_name(AnalysisMode mode);  // "auto", "every-frame", "interval", "latest"
// Auto resolved by whether the upstream pipeline is live.
AnalysisMode resolve(AnalysisMode mode, bool live);
// Whether frames wait for their own analysis in this (resolved) mode.
inline bool frames_wait(AnalysisMode resolved) {
  return resolved != AnalysisMode::Latest;
}

// Per-frame decision of the first analysis element. Thread-safe: settings
// change from the application thread, decide() runs on the streaming one.
class FrameSchedule {
 public:
  enum class Decision { Analyse, NotDue, Late, NothingAsked };

  void set_interval(int interval);  // clamped to >= 1
  int interval() const;
  // Whether any expression wants results (none: nothing is analysed).
  void set_wanted(bool wanted);
  // A QoS report from downstream: frames whose running time ends before
  // `earliest` would be late anyway, so their analysis is skipped.
  void set_earliest(int64_t earliest_running_time);
  // Counting restarts (flush, new stream): the next frame is analysed.
  void restart();

  // For the next frame in order, with its running time (-1: unknown).
  Decision decide(int64_t running_time, int64_t duration);

 private:
  mutable std::mutex mutex_;
  int interval_ = 1;
  bool wanted_ = true;
  int64_t earliest_ = -1;
  int64_t frames_ = 0;  // since restart()
};

const char *decision_reason(FrameSchedule::Decision d);

// How long the analysis step of one element takes, as a latency to report:
// the largest of the last `window` measurements, so a live sink waits long
// enough for nearly every frame. Thread-safe.
class ProcessingTime {
 public:
  explicit ProcessingTime(size_t window = 16) : window_(window) {}
  // Records one measurement (ns). True when the estimate grew by more than
  // a quarter (and 1 ms) beyond what was last reported: time to post a
  // latency message so the pipeline asks again.
  bool add(int64_t ns);
  // The estimate, and marks it as reported.
  int64_t report();
  int64_t estimate() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  size_t window_;
  std::deque<int64_t> recent_;
  int64_t reported_ = 0;
};

}  // namespace refseg::scheduling

namespace refseg::scheduling {

// How much lower than the video the threads doing analyses run (a nice
// increment). On a machine whose cores the analysis fills, the video path
// (tracking, decoders, encoders, sinks) must still get its few
// milliseconds per frame on time; analyses only finish a little later.
constexpr int kAnalysisNiceIncrement = 10;

// Lowers the calling thread's scheduling priority by `increment` (Linux:
// per thread; threads it creates later inherit it). Returns false where
// that is not possible; nothing else changes then.
bool lower_current_thread_priority(int increment = kAnalysisNiceIncrement);

}  // namespace refseg::scheduling

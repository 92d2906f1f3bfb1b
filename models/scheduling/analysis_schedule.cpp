#include "scheduling/analysis_schedule.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace refseg::scheduling {

const char *mode_name(AnalysisMode mode) {
  switch (mode) {
    case AnalysisMode::Auto:
      return "auto";
    case AnalysisMode::EveryFrame:
      return "every-frame";
    case AnalysisMode::Interval:
      return "interval";
    case AnalysisMode::Latest:
      return "latest";
  }
  return "?";
}

AnalysisMode resolve(AnalysisMode mode, bool live) {
  if (mode != AnalysisMode::Auto) return mode;
  return live ? AnalysisMode::Latest : AnalysisMode::EveryFrame;
}

void FrameSchedule::set_interval(int interval) {
  std::lock_guard<std::mutex> lock(mutex_);
  interval_ = std::max(1, interval);
}

int FrameSchedule::interval() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return interval_;
}

void FrameSchedule::set_wanted(bool wanted) {
  std::lock_guard<std::mutex> lock(mutex_);
  wanted_ = wanted;
}

void FrameSchedule::set_earliest(int64_t earliest_running_time) {
  std::lock_guard<std::mutex> lock(mutex_);
  earliest_ = earliest_running_time;
}

void FrameSchedule::restart() {
  std::lock_guard<std::mutex> lock(mutex_);
  frames_ = 0;
  earliest_ = -1;
}

FrameSchedule::Decision FrameSchedule::decide(int64_t running_time, int64_t duration) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t index = frames_++;
  if (!wanted_) return Decision::NothingAsked;
  if (index % interval_ != 0) return Decision::NotDue;
  if (running_time >= 0 && earliest_ >= 0 &&
      running_time + std::max<int64_t>(0, duration) < earliest_)
    return Decision::Late;
  return Decision::Analyse;
}

const char *decision_reason(FrameSchedule::Decision d) {
  switch (d) {
    case FrameSchedule::Decision::Analyse:
      return "analysed";
    case FrameSchedule::Decision::NotDue:
      return "not due (inference-interval)";
    case FrameSchedule::Decision::Late:
      return "late (QoS): analysis skipped";
    case FrameSchedule::Decision::NothingAsked:
      return "no expression: nothing to find";
  }
  return "?";
}

bool ProcessingTime::add(int64_t ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  recent_.push_back(std::max<int64_t>(0, ns));
  while (recent_.size() > window_) recent_.pop_front();
  const int64_t now = *std::max_element(recent_.begin(), recent_.end());
  return now > reported_ + std::max<int64_t>(1000000, reported_ / 4);
}

int64_t ProcessingTime::estimate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recent_.empty() ? 0 : *std::max_element(recent_.begin(), recent_.end());
}

int64_t ProcessingTime::report() {
  std::lock_guard<std::mutex> lock(mutex_);
  reported_ = recent_.empty() ? 0 : *std::max_element(recent_.begin(), recent_.end());
  return reported_;
}

void ProcessingTime::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  recent_.clear();
  reported_ = 0;
}

}  // namespace refseg::scheduling

namespace refseg::scheduling {

bool lower_current_thread_priority(int increment) {
#ifdef __linux__
  // On Linux PRIO_PROCESS with a thread id sets that thread's nice value.
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, std::min(19, now + increment)) == 0;
#else
  (void)increment;
  return false;
#endif
}

}  // namespace refseg::scheduling

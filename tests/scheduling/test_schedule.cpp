// Frame scheduling and the processing time reported as latency.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scheduling/analysis_schedule.h"
#include "scheduling/core_budget.h"

namespace refseg::scheduling {
namespace {

using D = FrameSchedule::Decision;

TEST(AnalysisMode, AutoFollowsLiveness) {
  EXPECT_EQ(resolve(AnalysisMode::Auto, true), AnalysisMode::Latest);
  EXPECT_EQ(resolve(AnalysisMode::Auto, false), AnalysisMode::EveryFrame);
  EXPECT_EQ(resolve(AnalysisMode::Interval, true), AnalysisMode::Interval);
  EXPECT_TRUE(frames_wait(AnalysisMode::EveryFrame));
  EXPECT_TRUE(frames_wait(AnalysisMode::Interval));
  EXPECT_FALSE(frames_wait(AnalysisMode::Latest));
  EXPECT_STREQ(mode_name(AnalysisMode::EveryFrame), "every-frame");
}

TEST(FrameSchedule, AnalysesEveryNthFrameFromEachRestart) {
  FrameSchedule s;
  s.set_interval(3);
  std::vector<D> got;
  for (int i = 0; i < 7; i++) got.push_back(s.decide(-1, -1));
  EXPECT_EQ(got, (std::vector<D>{D::Analyse, D::NotDue, D::NotDue, D::Analyse, D::NotDue, D::NotDue,
                                 D::Analyse}));
  s.restart();
  EXPECT_EQ(s.decide(-1, -1), D::Analyse);
  s.set_interval(0);
  EXPECT_EQ(s.interval(), 1) << "an interval of 0 means every frame";
  EXPECT_EQ(s.decide(-1, -1), D::Analyse);
}

TEST(FrameSchedule, SkipsLateFramesAndFramesNobodyAsksFor) {
  FrameSchedule s;
  s.set_earliest(1000);
  EXPECT_EQ(s.decide(500, 100), D::Late);
  EXPECT_EQ(s.decide(950, 100), D::Analyse) << "ends after the earliest time";
  s.set_wanted(false);
  EXPECT_EQ(s.decide(2000, 100), D::NothingAsked);
  s.set_wanted(true);
  s.restart();
  EXPECT_EQ(s.decide(500, 100), D::Analyse) << "restart forgets QoS";
}

TEST(ProcessingTime, ReportsTheRecentMaximumAndWhenItGrew) {
  ProcessingTime t(4);
  EXPECT_TRUE(t.add(10'000'000));
  EXPECT_EQ(t.report(), 10'000'000);
  EXPECT_FALSE(t.add(11'000'000)) << "within a quarter: not worth a latency message";
  EXPECT_TRUE(t.add(20'000'000));
  EXPECT_EQ(t.report(), 20'000'000);
  for (int i = 0; i < 4; i++) t.add(5'000'000);
  EXPECT_EQ(t.estimate(), 5'000'000) << "the window forgets old peaks";
}

}  // namespace
}  // namespace refseg::scheduling

TEST(CoreBudget, UsesTheCoresOtherProcessesLeaveIdle) {
  using refseg::scheduling::threads_for_idle_cores;
  EXPECT_EQ(threads_for_idle_cores(0.0, 2), 2);   // alone: every core
  EXPECT_EQ(threads_for_idle_cores(0.2, 2), 2);   // a little background work
  EXPECT_EQ(threads_for_idle_cores(1.0, 2), 1);   // one CPU-bound neighbour
  EXPECT_EQ(threads_for_idle_cores(0.5, 2), 1);   // half a core is not a core
  EXPECT_EQ(threads_for_idle_cores(2.0, 2), 1);   // never fewer than one
  EXPECT_EQ(threads_for_idle_cores(-1.0, 4), 4);  // clamped
  EXPECT_EQ(threads_for_idle_cores(1.0, 8), 7);
}

TEST(CoreBudget, ReadsThisMachineAndStartsWithEveryCore) {
  ASSERT_TRUE(refseg::scheduling::read_cpu_times().has_value());
  refseg::scheduling::CoreBudget budget(4);
  EXPECT_EQ(budget.threads(), 4);  // nothing measured yet
  EXPECT_EQ(budget.threads(), 4);  // within the window: the previous answer
}

// Other processes spinning on every core of the machine: after one window
// the budget is one thread, however busy the machine was before (so this
// cannot pass by accident on a loaded machine, nor fail on one).
TEST(CoreBudget, ProcessesBusyOnEveryCoreLeaveOneThread) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  refseg::scheduling::CoreBudget budget(0, std::chrono::milliseconds(100));
  ASSERT_EQ(budget.cores(), cores);
  EXPECT_EQ(budget.threads(), cores);  // the first call measures nothing
  std::vector<pid_t> spinners;
  for (int i = 0; i < cores; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < until) {
      }
      _exit(0);
    }
    spinners.push_back(pid);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int threads = budget.threads();
  const double others = budget.others_busy();
  for (pid_t pid : spinners) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  EXPECT_EQ(threads, 1) << "others kept " << others << " of " << cores << " cores busy";
  EXPECT_GT(others, cores - 0.7);
}

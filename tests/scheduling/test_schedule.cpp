// Frame scheduling and the processing time reported as latency.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "busy_cores.h"
#include "scheduling/analysis_schedule.h"
#include "scheduling/core_budget.h"
#include "scheduling/fixed_threads_watch.h"

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

using refseg::test::BusyCores;
using refseg::test::machine_cores;

// Other processes spinning on every core of the machine: after one window
// the budget is one thread, however busy the machine was before (so this
// cannot pass by accident on a loaded machine, nor fail on one).
TEST(CoreBudget, ProcessesBusyOnEveryCoreLeaveOneThread) {
  const int cores = machine_cores();
  refseg::scheduling::CoreBudget budget(0, std::chrono::milliseconds(100));
  ASSERT_EQ(budget.cores(), cores);
  EXPECT_EQ(budget.threads(), cores);  // the first call measures nothing
  EXPECT_EQ(budget.measurements(), 0);
  int threads = 0;
  double others = 0;
  {
    const BusyCores spinners(cores);
    ASSERT_EQ(spinners.count(), static_cast<size_t>(cores));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    threads = budget.threads();
    others = budget.others_busy();
  }
  EXPECT_EQ(budget.measurements(), 1);
  EXPECT_EQ(threads, 1) << "others kept " << others << " of " << cores << " cores busy";
  EXPECT_GT(others, cores - 0.7);
}

// threads = every core while others keep every core busy: told once, when
// it has held for the sustained time; one thread can never be too many.
TEST(FixedThreadsWatch, ToldOnceWhenOthersKeepTheCoresItNeedsBusy) {
  const int cores = machine_cores();
  if (cores < 2) GTEST_SKIP() << "one core: no count can exceed the idle ones";
  using std::chrono::milliseconds;
  refseg::scheduling::FixedThreadsWatch every_core(cores, 0, milliseconds(400), milliseconds(100));
  refseg::scheduling::FixedThreadsWatch one(1, 0, milliseconds(400), milliseconds(100));
  EXPECT_FALSE(every_core.check());  // the first call measures nothing
  EXPECT_FALSE(one.check());
  EXPECT_FALSE(every_core.check()) << "within the window: no new measurement";
  std::optional<std::string> note;
  int checks = 0;
  {
    const BusyCores spinners(cores);
    for (; checks < 8 && !note; ++checks) {
      std::this_thread::sleep_for(milliseconds(150));
      note = every_core.check();
      EXPECT_FALSE(one.check());
    }
  }
  ASSERT_TRUE(note) << "not told after " << checks << " measurements";
  EXPECT_EQ(checks, 3) << "told before or after 400 ms (three intervals of 150)";
  EXPECT_NE(note->find("threads=" + std::to_string(cores)), std::string::npos) << *note;
  EXPECT_NE(note->find("threads=0"), std::string::npos) << *note;
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_FALSE(every_core.check()) << "told twice";
}

// Whether a fixed thread count (threads=N) keeps running on cores that
// other processes keep busy, so the user can be told once.
//
// Why: LibTorch's pools split every matmul evenly and wait for the slowest
// thread; one that shares its core with a busy process gets it in scheduler
// slices, and the analysis slows by an order of magnitude (bench_contention,
// threads=2 beside one CPU-bound process on 2 cores: 15x). threads=0 avoids
// it (core_budget.h), but a user who set a count sees only a slow pipeline.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "scheduling/core_budget.h"

namespace refseg::scheduling {

class FixedThreadsWatch {
 public:
  // threads: the fixed count; cores <= 0: the machine's; sustained: for
  // how long in a row others must have used at least half a core of the
  // ones the threads need (one busy moment is not a neighbour; an analysis
  // slowed by it may be one long measurement).
  explicit FixedThreadsWatch(int threads, int cores = 0,
                             std::chrono::milliseconds sustained = std::chrono::seconds(1),
                             std::chrono::milliseconds window = std::chrono::milliseconds(200));
  // Call before each analysis. The first time that held for `sustained`:
  // what to tell the user; else (and ever after) nothing.
  std::optional<std::string> check();

 private:
  int threads_;
  double sustained_s_;
  double held_s_ = 0;  // how long it has held, in the latest measurements
  long measured_ = 0;
  bool told_ = false;
  CoreBudget budget_;
};

}  // namespace refseg::scheduling

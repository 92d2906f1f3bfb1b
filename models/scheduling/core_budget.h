// How many threads an analysis should use now, from how busy the machine's
// cores are with other processes.
//
// Why: LibTorch's and OpenBLAS's pools split every matmul evenly between
// their threads and wait for the slowest. When another process keeps one
// core busy, the thread that shares its core gets half of it in scheduler
// slices, and every one of the thousands of matmuls of an analysis waits for
// it (measured: 30 frames took 53.9 s beside one CPU-bound process instead
// of 7.3 s alone; with one thread 10.1 s). Using only the cores the others
// leave idle avoids that; alone, every core is used.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace refseg::scheduling {

// Threads for `cores` cores of which others keep `others_busy` busy (in
// cores, 0..cores): the idle cores, rounded down unless within 0.3 of the
// next one, at least 1.
int threads_for_idle_cores(double others_busy, int cores);

// CPU time the whole machine and this process have used (Linux:
// /proc/stat and getrusage); nullopt where they cannot be read.
struct CpuTimes {
  double machine_busy_s = 0;  // all cores, all processes
  double process_s = 0;       // every thread of this process
  std::chrono::steady_clock::time_point at;
};
std::optional<CpuTimes> read_cpu_times();

class CoreBudget {
 public:
  // cores <= 0: the machine's. `window`: the shortest interval measured,
  // so that threads() may be called often (before every transformer block)
  // at the cost of a clock read, and a single scheduler slice does not
  // decide.
  explicit CoreBudget(int cores = 0,
                      std::chrono::milliseconds window = std::chrono::milliseconds(200));
  int cores() const { return cores_; }
  // Threads for what runs next: from what other processes used since the
  // previous measurement, once `window` has passed since it (before that,
  // or where the times cannot be read: the previous answer; at first,
  // every core).
  int threads();
  // What others used, in cores, over the last interval threads() measured.
  double others_busy() const { return others_busy_; }
  // How many intervals threads() has measured so far, and the last one's
  // length in seconds.
  long measurements() const { return measurements_; }
  double last_interval_s() const { return last_interval_s_; }

 private:
  int cores_;
  std::chrono::steady_clock::duration window_;
  int threads_;
  double others_busy_ = 0;
  long measurements_ = 0;
  double last_interval_s_ = 0;
  std::optional<CpuTimes> last_;
};

}  // namespace refseg::scheduling

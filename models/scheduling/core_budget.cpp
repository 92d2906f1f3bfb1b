#include "scheduling/core_budget.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace refseg::scheduling {

int threads_for_idle_cores(double others_busy, int cores) {
  const double idle = cores - std::clamp(others_busy, 0.0, static_cast<double>(cores));
  return std::clamp(static_cast<int>(std::floor(idle + 0.3)), 1, std::max(1, cores));
}

std::optional<CpuTimes> read_cpu_times() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  // user nice system idle iowait irq softirq steal
  double v[8] = {};
  if (!(stat >> cpu) || cpu != "cpu") return std::nullopt;
  for (double &x : v)
    if (!(stat >> x)) return std::nullopt;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  rusage self{};
  if (hz <= 0 || getrusage(RUSAGE_SELF, &self) != 0) return std::nullopt;
  CpuTimes t;
  // Steal is time the hypervisor gave to others: busy for us.
  t.machine_busy_s = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
  auto seconds = [](const timeval &tv) { return tv.tv_sec + tv.tv_usec * 1e-6; };
  t.process_s = seconds(self.ru_utime) + seconds(self.ru_stime);
  t.at = std::chrono::steady_clock::now();
  return t;
}

CoreBudget::CoreBudget(int cores, std::chrono::milliseconds window)
    : cores_(cores > 0 ? cores
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
      window_(window),
      threads_(cores_) {}

int CoreBudget::threads() {
  // The clock first: /proc/stat is read only when a window has passed.
  if (last_ && std::chrono::steady_clock::now() - last_->at < window_) return threads_;
  const std::optional<CpuTimes> now = read_cpu_times();
  if (!now) return threads_;
  if (last_) {
    const double wall = std::chrono::duration<double>(now->at - last_->at).count();
    const double others =
        (now->machine_busy_s - last_->machine_busy_s) - (now->process_s - last_->process_s);
    others_busy_ = std::max(0.0, others / wall);
    threads_ = threads_for_idle_cores(others_busy_, cores_);
    ++measurements_;
    last_interval_s_ = wall;
  }
  last_ = now;
  return threads_;
}

}  // namespace refseg::scheduling

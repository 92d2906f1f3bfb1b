// Other processes that keep cores busy, for the tests of what the runtime
// does beside them (scheduling/core_budget.h, fixed_threads_watch.h).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace refseg::test {

inline int machine_cores() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// `count` child processes that each spin on a core until this is destroyed
// (or for 10 s at most, should the test die first).
class BusyCores {
 public:
  explicit BusyCores(int count) {
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      if (pid < 0) continue;
      if (pid == 0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < until) {
        }
        _exit(0);
      }
      pids_.push_back(pid);
    }
  }
  ~BusyCores() {
    for (pid_t pid : pids_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  BusyCores(const BusyCores &) = delete;
  BusyCores &operator=(const BusyCores &) = delete;
  size_t count() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace refseg::test

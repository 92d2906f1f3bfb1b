// Other processes that keep cores busy, for the tests of what the runtime
// does beside them (scheduling/core_budget.h, fixed_threads_watch.h).
#pragma once

#include <algorithm>
#include <thread>
#include <vector>

#include "spawned_process.h"

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
      refseg::SpawnedProcess p = refseg::busy_core(10);
      if (p.started()) children_.push_back(std::move(p));
    }
  }
  BusyCores(const BusyCores &) = delete;
  BusyCores &operator=(const BusyCores &) = delete;
  size_t count() const { return children_.size(); }

 private:
  std::vector<refseg::SpawnedProcess> children_;
};

}  // namespace refseg::test

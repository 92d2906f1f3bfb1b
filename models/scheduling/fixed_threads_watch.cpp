#include "scheduling/fixed_threads_watch.h"

#include <cstdio>

namespace refseg::scheduling {

FixedThreadsWatch::FixedThreadsWatch(int threads, int cores, std::chrono::milliseconds sustained,
                                     std::chrono::milliseconds window)
    : threads_(threads),
      sustained_s_(std::chrono::duration<double>(sustained).count()),
      budget_(cores, window) {}

std::optional<std::string> FixedThreadsWatch::check() {
  // One thread is what threads=0 would use too when every core is busy.
  if (told_ || threads_ <= 1) return std::nullopt;
  budget_.threads();
  if (budget_.measurements() == measured_) return std::nullopt;  // within a window
  measured_ = budget_.measurements();
  // What others take of the cores the threads need. Not the budget's own
  // threads_for_idle_cores(): threads that spin on a shared core take
  // cycles from the neighbour too, so it looks less busy than it is (a
  // fair scheduler leaves one CPU-bound process 2/3 of a core beside two
  // such threads on 2 cores).
  const double taken = budget_.others_busy() - (budget_.cores() - threads_);
  held_s_ = taken >= 0.5 ? held_s_ + budget_.last_interval_s() : 0;
  if (held_s_ < sustained_s_) return std::nullopt;
  told_ = true;
  char note[320];
  std::snprintf(note, sizeof note,
                "threads=%d, but other processes keep %.1f of this machine's %d cores busy: "
                "every matmul waits for the threads that share their cores (measured up to 15x "
                "slower); threads=0 uses only the cores they leave idle",
                threads_, budget_.others_busy(), budget_.cores());
  return std::string(note);
}

}  // namespace refseg::scheduling

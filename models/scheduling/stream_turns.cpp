#include "scheduling/stream_turns.h"

#include <algorithm>

namespace refseg::scheduling {

int next_turn(const std::vector<TurnCandidate> &waiting) {
  if (waiting.empty()) return -1;
  const auto best = std::min_element(waiting.begin(), waiting.end(),
                                     [](const TurnCandidate &a, const TurnCandidate &b) {
                                       if (a.last_turn != b.last_turn)
                                         return a.last_turn < b.last_turn;
                                       return a.asked < b.asked;
                                     });
  return static_cast<int>(best - waiting.begin());
}

StreamTurns::StreamTurns(int slots) : slots_(std::max(1, slots)) {}

void StreamTurns::set_slots(int slots) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_ = std::max(1, slots);
  grant_locked();
  changed_.notify_all();
}

int StreamTurns::slots() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_;
}

int StreamTurns::join() {
  std::lock_guard<std::mutex> lock(mutex_);
  const int id = next_id_++;
  streams_[id] = State{};
  return id;
}

void StreamTurns::leave(int stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  if (it->second.holding) running_--;
  streams_.erase(it);  // a waiting acquire() finds its id gone and returns false
  grant_locked();
  changed_.notify_all();
}

void StreamTurns::grant_locked() {
  while (running_ < slots_) {
    std::vector<TurnCandidate> waiting;
    for (const auto &[id, s] : streams_)
      if (s.waiting && !s.cancelled) waiting.push_back({id, s.last_turn, s.asked});
    const int pick = next_turn(waiting);
    if (pick < 0) return;
    State &s = streams_[waiting[pick].stream];
    s.waiting = false;
    s.holding = true;
    s.last_turn = ++sequence_;
    s.turns++;
    running_++;
  }
}

bool StreamTurns::ask_locked(int stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.cancelled) return false;
  State &s = it->second;
  if (s.holding) return true;
  if (!s.waiting) {
    s.waiting = true;
    s.asked = ++sequence_;
    grant_locked();
    changed_.notify_all();
  }
  return s.holding;
}

bool StreamTurns::ask(int stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  return ask_locked(stream);
}

bool StreamTurns::acquire(int stream) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (ask_locked(stream)) return true;
  for (;;) {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return false;
    State &s = it->second;
    if (s.holding) return true;
    if (s.cancelled) {
      s.waiting = false;
      return false;
    }
    changed_.wait(lock);
  }
}

void StreamTurns::release(int stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  if (it == streams_.end() || !it->second.holding) return;
  it->second.holding = false;
  running_--;
  grant_locked();
  changed_.notify_all();
}

void StreamTurns::cancel(int stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  it->second.cancelled = true;
  changed_.notify_all();
}

void StreamTurns::resume(int stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  if (it != streams_.end()) it->second.cancelled = false;
}

uint64_t StreamTurns::turns(int stream) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.turns;
}

bool StreamTurns::holds(int stream) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = streams_.find(stream);
  return it != streams_.end() && it->second.holding;
}

int StreamTurns::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (const auto &entry : streams_)
    if (entry.second.waiting && !entry.second.cancelled) n++;
  return n;
}

}  // namespace refseg::scheduling

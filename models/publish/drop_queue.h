// The bounded queue between a video thread and a sender: pushing never
// waits; when it is full the oldest item is dropped and counted. Also the
// watch that says when drops start and when they stop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace refseg::publish {

template <typename T>
class DropOldestQueue {
 public:
  explicit DropOldestQueue(std::size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

  // Never blocks. Returns true when the oldest item was dropped for it.
  bool push(T item) {
    bool dropped = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (items_.size() >= capacity_) {
        items_.pop_front();
        ++dropped_;
        dropped = true;
      }
      items_.push_back(std::move(item));
      ++pushed_;
      ++generation_;
    }
    changed_.notify_all();
    return dropped;
  }

  std::optional<T> try_pop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  // Wakes wait_change() without an item (the consumer's other conditions
  // changed: connected, stopping).
  void wake() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++generation_;
    }
    changed_.notify_all();
  }

  // The count of pushes and wakes so far; wait_change(seen) returns once it
  // differs from `seen`, or after `timeout`.
  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return generation_;
  }
  void wait_change(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  }

  // Counts another loss (an item taken out that could not be delivered).
  void count_dropped(uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped_ += n;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }
  std::size_t capacity() const { return capacity_; }
  uint64_t pushed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pushed_;
  }
  uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return dropped_;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> items_;
  uint64_t pushed_ = 0, dropped_ = 0, generation_ = 0;
};

// Drops started: the drop count rose while it was not dropping. Drops
// stopped: while dropping, items were delivered and the drop count stayed
// the same since the last update.
class DropWatch {
 public:
  enum class Change { None, Started, Stopped };

  Change update(uint64_t dropped, uint64_t delivered) {
    Change change = Change::None;
    if (dropped > dropped_) {
      if (!dropping_) change = Change::Started;
      dropping_ = true;
    } else if (dropping_ && delivered > delivered_) {
      dropping_ = false;
      change = Change::Stopped;
    }
    dropped_ = dropped;
    delivered_ = delivered;
    return change;
  }
  bool dropping() const { return dropping_; }

 private:
  bool dropping_ = false;
  uint64_t dropped_ = 0, delivered_ = 0;
};

}  // namespace refseg::publish

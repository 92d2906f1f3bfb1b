// Which stream's frame is analysed next when several live streams share one
// model: each stream asks for a turn with its newest frame, at most `slots`
// analyses run at once, and a free slot goes to the waiting stream whose
// last turn began longest ago (one that never had a turn first; ties to the
// one that asked first). With every stream waiting that is round robin;
// none starves however the threads are scheduled: a stream that has waited
// through one turn of every other stream is served next.
//
// Free of GStreamer: refsegbin asks for a turn before a frame enters the
// analysis (proposals, encoder, selector) and gives it back when the
// analysed frame leaves; the model's runtime holds the one instance its
// streams share.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace refseg::scheduling {

// A stream asking for a turn, as the decision sees it.
struct TurnCandidate {
  int stream = 0;
  uint64_t last_turn = 0;  // sequence number of its last turn; 0: never had one
  uint64_t asked = 0;      // sequence number of its request (smaller asked first)
};

// The stream to serve next among `waiting` (the index into it), -1 when
// empty: the smallest last_turn, then the smallest asked.
int next_turn(const std::vector<TurnCandidate> &waiting);

class StreamTurns {
 public:
  explicit StreamTurns(int slots = 1);
  StreamTurns(const StreamTurns &) = delete;
  StreamTurns &operator=(const StreamTurns &) = delete;

  // Analyses that may run at once (clamped to >= 1); a larger count takes
  // effect for the waiting streams at once.
  void set_slots(int slots);
  int slots() const;

  // A new stream; its id for the calls below.
  int join();
  // The stream is gone: its wait is cancelled, its turn given back.
  void leave(int stream);

  // Blocks until `stream` holds a turn. True: it does (a stream already
  // holding one keeps it and returns at once); false: cancelled (cancel(),
  // leave(), an unknown id), and nothing is held.
  bool acquire(int stream);
  // acquire() without the wait: registers the request and says whether
  // `stream` holds a turn now (false also when cancelled or unknown; then
  // nothing is registered). A later acquire() waits for the same request.
  bool ask(int stream);
  // Gives the turn back, if held: the next stream is woken.
  void release(int stream);
  // Makes acquire() of `stream` return false, now and until resume() (a
  // flush, a state change that must not wait for other streams' analyses).
  void cancel(int stream);
  void resume(int stream);

  // Turns `stream` was given so far; whether it holds one; how many
  // streams are waiting.
  uint64_t turns(int stream) const;
  bool holds(int stream) const;
  int waiting() const;

 private:
  struct State {
    uint64_t last_turn = 0, asked = 0, turns = 0;
    bool waiting = false, holding = false, cancelled = false;
  };
  bool ask_locked(int stream);
  // Hands free slots to waiting streams (mutex_ held).
  void grant_locked();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int slots_;
  int running_ = 0;
  int next_id_ = 1;
  uint64_t sequence_ = 0;
  std::map<int, State> streams_;
};

}  // namespace refseg::scheduling

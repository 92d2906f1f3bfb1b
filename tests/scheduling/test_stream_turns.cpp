// Turns of the streams that share one model (scheduling/stream_turns.h):
// the decision, round robin under contention, slots, cancel and leave.
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scheduling/stream_turns.h"

namespace refseg::scheduling {
namespace {

// Until `turns` has `n` streams waiting (blocked in acquire()).
void wait_for_waiting(const StreamTurns &turns, int n) {
  while (turns.waiting() != n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(NextTurn, NeverServedFirstThenLeastRecentlyServedThenFirstAsked) {
  EXPECT_EQ(next_turn({}), -1);
  // Stream 2 asked last but never had a turn.
  EXPECT_EQ(next_turn({{1, 5, 9}, {2, 0, 12}, {3, 7, 10}}), 1);
  // By age of the last turn, not by who asked first.
  EXPECT_EQ(next_turn({{1, 8, 9}, {2, 3, 12}, {3, 7, 10}}), 1);
  // Ties (two newcomers) to the one that asked first.
  EXPECT_EQ(next_turn({{1, 0, 11}, {2, 0, 10}}), 1);
}

TEST(StreamTurns, FreeSlotIsTakenAtOnceAndKeptUntilReleased) {
  StreamTurns turns(1);
  const int a = turns.join();
  EXPECT_TRUE(turns.acquire(a));
  EXPECT_TRUE(turns.holds(a));
  EXPECT_TRUE(turns.acquire(a));  // held already: no second turn counted
  EXPECT_EQ(turns.turns(a), 1u);
  turns.release(a);
  EXPECT_FALSE(turns.holds(a));
  turns.release(a);  // not held: nothing happens
  EXPECT_TRUE(turns.acquire(a));
  EXPECT_EQ(turns.turns(a), 2u);
}

// Four streams that each ask again the moment they give their turn back
// (the greediest analysis threads possible): the turns go round, each
// stream once in every four.
TEST(StreamTurns, StreamsThatAlwaysAskAreServedRoundRobin) {
  StreamTurns turns(1);
  constexpr int kStreams = 4;
  std::vector<int> ids;
  for (int i = 0; i < kStreams; ++i) ids.push_back(turns.join());
  EXPECT_TRUE(turns.ask(ids[0]));  // the free slot
  for (int i = 1; i < kStreams; ++i) EXPECT_FALSE(turns.ask(ids[i]));
  EXPECT_EQ(turns.waiting(), kStreams - 1);
  std::vector<int> order;
  for (int t = 0; t < 200; ++t) {
    int holder = -1;
    for (int id : ids)
      if (turns.holds(id)) holder = id;
    ASSERT_NE(holder, -1);
    order.push_back(holder);
    turns.release(holder);
    turns.ask(holder);  // at once: it still goes to the back
  }
  for (size_t i = kStreams; i < order.size(); ++i)
    EXPECT_EQ(order[i], order[i - kStreams]) << "turn " << i << " broke the rotation";
  for (int i = 0; i < kStreams; ++i) EXPECT_EQ(order[i], ids[i]);  // in the order they asked
}

// A stream that asks only now and then is served before those that had a
// turn since it last had one: it waits for at most one turn of each.
TEST(StreamTurns, AnOccasionalStreamIsServedByAgeNotQueuePosition) {
  StreamTurns turns(1);
  const int a = turns.join(), b = turns.join(), c = turns.join();
  ASSERT_TRUE(turns.ask(a));
  turns.ask(b);
  turns.release(a);  // b's
  turns.ask(a);
  turns.release(b);  // a's
  turns.ask(b);
  ASSERT_TRUE(turns.holds(a));
  // c asks last, behind b, but never had a turn: it is next.
  turns.ask(c);
  turns.release(a);
  EXPECT_TRUE(turns.holds(c));
  // a asks again after b's turn: b had its turn longest ago, so b first.
  turns.ask(a);
  turns.release(c);
  EXPECT_TRUE(turns.holds(b));
  turns.release(b);
  EXPECT_TRUE(turns.holds(a));
}

// Real threads blocking in acquire(): everyone gets every turn it asked
// for and nobody deadlocks; each stream gets about its share.
TEST(StreamTurns, BlockingThreadsAllGetTheirTurns) {
  StreamTurns turns(1);
  const int gate = turns.join();
  ASSERT_TRUE(turns.acquire(gate));  // everyone waits behind it first
  constexpr int kStreams = 4, kRounds = 100;
  std::vector<std::thread> threads;
  std::vector<int> ids;
  for (int i = 0; i < kStreams; ++i) ids.push_back(turns.join());
  for (int i = 0; i < kStreams; ++i)
    threads.emplace_back([&, id = ids[i]] {
      for (int r = 0; r < kRounds; ++r) {
        ASSERT_TRUE(turns.acquire(id));
        turns.release(id);
      }
    });
  wait_for_waiting(turns, kStreams);
  turns.leave(gate);
  for (auto &t : threads) t.join();
  for (int id : ids) EXPECT_EQ(turns.turns(id), uint64_t{kRounds});
}

TEST(StreamTurns, SlotsBoundTheAnalysesRunningAtOnce) {
  StreamTurns turns(2);
  const int a = turns.join(), b = turns.join(), c = turns.join();
  EXPECT_TRUE(turns.acquire(a));
  EXPECT_TRUE(turns.acquire(b));  // the second slot
  bool c_got = false;
  std::thread waiter([&] { c_got = turns.acquire(c); });
  wait_for_waiting(turns, 1);
  EXPECT_FALSE(turns.holds(c));
  turns.release(a);
  waiter.join();
  EXPECT_TRUE(c_got);
  EXPECT_TRUE(turns.holds(b));
  EXPECT_TRUE(turns.holds(c));

  // One slot less: nobody new gets in until both gave theirs back.
  turns.set_slots(1);
  EXPECT_EQ(turns.slots(), 1);
  turns.release(b);
  bool a_got = false;
  std::thread second([&] { a_got = turns.acquire(a); });
  wait_for_waiting(turns, 1);
  turns.release(c);
  second.join();
  EXPECT_TRUE(a_got);
}

TEST(StreamTurns, CancelEndsTheWaitUntilResumed) {
  StreamTurns turns(1);
  const int a = turns.join(), b = turns.join();
  ASSERT_TRUE(turns.acquire(a));
  bool b_got = true;
  std::thread waiter([&] { b_got = turns.acquire(b); });
  wait_for_waiting(turns, 1);
  turns.cancel(b);
  waiter.join();
  EXPECT_FALSE(b_got);
  EXPECT_EQ(turns.waiting(), 0);
  EXPECT_FALSE(turns.acquire(b));  // still cancelled: no wait at all
  turns.release(a);
  EXPECT_FALSE(turns.acquire(b));
  turns.resume(b);
  EXPECT_TRUE(turns.acquire(b));
}

TEST(StreamTurns, LeavingGivesTheTurnBackAndEndsTheWait) {
  StreamTurns turns(1);
  const int a = turns.join(), b = turns.join(), c = turns.join();
  ASSERT_TRUE(turns.acquire(a));
  bool b_got = true, c_got = false;
  std::thread wb([&] { b_got = turns.acquire(b); });
  wait_for_waiting(turns, 1);
  turns.leave(b);  // b's own wait ends
  wb.join();
  EXPECT_FALSE(b_got);
  std::thread wc([&] { c_got = turns.acquire(c); });
  wait_for_waiting(turns, 1);
  turns.leave(a);  // the holder goes: its slot is c's
  wc.join();
  EXPECT_TRUE(c_got);
  EXPECT_FALSE(turns.acquire(a));  // gone
  EXPECT_EQ(turns.turns(a), 0u);
}

}  // namespace
}  // namespace refseg::scheduling

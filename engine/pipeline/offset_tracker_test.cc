#include "engine/pipeline/offset_tracker.h"

#include <atomic>
#include <cstdint>
#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace wirescan::pipeline {
namespace {

using Slot = OffsetTracker::Slot;

TEST(OffsetTrackerTest, StartsEmpty) {
  OffsetTracker t(4);
  EXPECT_TRUE(t.Empty());
  EXPECT_EQ(t.InFlight(), 0u);
  EXPECT_EQ(t.Advance(), -1);
}

TEST(OffsetTrackerTest, BeginUntilFullReturnsNullptr) {
  OffsetTracker t(3);  // rounded up to 4
  std::vector<Slot*> slots;
  for (int64_t off = 0; off < 4; ++off) {
    Slot* s = t.Begin(off);
    ASSERT_NE(s, nullptr) << off;
    EXPECT_EQ(s->offset, off);
    EXPECT_EQ(s->pending.load(), 1);
    slots.push_back(s);
  }
  EXPECT_EQ(t.InFlight(), 4u);
  EXPECT_EQ(t.Begin(4), nullptr);
  EXPECT_EQ(t.InFlight(), 4u);

  // Completing a slot that is not at the front frees no room.
  OffsetTracker::Release(slots[1]);
  EXPECT_EQ(t.Advance(), -1);
  EXPECT_EQ(t.Begin(4), nullptr);

  // Completing the front frees exactly the contiguous done prefix.
  OffsetTracker::Release(slots[0]);
  EXPECT_EQ(t.Advance(), 2);
  EXPECT_EQ(t.InFlight(), 2u);
  Slot* a = t.Begin(4);
  Slot* b = t.Begin(5);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(t.Begin(6), nullptr);
  // Reused slots are reset.
  EXPECT_EQ(a->offset, 4);
  EXPECT_EQ(a->pending.load(), 1);
}

TEST(OffsetTrackerTest, WatermarkWaitsForTheGap) {
  OffsetTracker t(8);
  Slot* s0 = t.Begin(0);
  Slot* s1 = t.Begin(1);
  Slot* s2 = t.Begin(2);
  Slot* s3 = t.Begin(3);
  OffsetTracker::Release(s0);
  EXPECT_EQ(t.Advance(), 1);  // 0 done: commit 1
  OffsetTracker::Release(s1);
  OffsetTracker::Release(s3);
  EXPECT_EQ(t.Advance(), 2);  // 1 done, 2 not: stays at 2's position
  EXPECT_EQ(t.Advance(), -1);  // nothing new
  EXPECT_EQ(t.InFlight(), 2u);
  OffsetTracker::Release(s2);
  EXPECT_EQ(t.Advance(), 4);  // jumps over 2 and 3
  EXPECT_TRUE(t.Empty());
  EXPECT_EQ(t.Advance(), -1);
}

TEST(OffsetTrackerTest, OutputsKeepTheOffsetPendingUntilDelivered) {
  OffsetTracker t(4);
  Slot* s = t.Begin(10);
  OffsetTracker::AddOutputs(s, 3);  // e.g. an analysis and two events
  OffsetTracker::Release(s);        // the guard: processing done
  EXPECT_EQ(t.Advance(), -1);
  OffsetTracker::Release(s);  // delivery 1
  OffsetTracker::Release(s);  // delivery 2
  EXPECT_EQ(t.Advance(), -1);
  EXPECT_FALSE(t.Empty());
  OffsetTracker::Release(s);  // delivery 3
  EXPECT_EQ(t.Advance(), 11);
  EXPECT_TRUE(t.Empty());
}

TEST(OffsetTrackerTest, DeliveriesBeforeTheGuardDoNotComplete) {
  OffsetTracker t(4);
  Slot* s = t.Begin(0);
  OffsetTracker::AddOutputs(s, 1);
  OffsetTracker::Release(s);  // delivery report arrives before the worker is done
  EXPECT_EQ(t.Advance(), -1);
  OffsetTracker::AddOutputs(s, 1);  // the worker queues one more output
  OffsetTracker::Release(s);        // its delivery
  EXPECT_EQ(t.Advance(), -1);
  OffsetTracker::Release(s);  // the guard
  EXPECT_EQ(t.Advance(), 1);
}

TEST(OffsetTrackerTest, NoOutputsCompletesOnTheGuard) {
  OffsetTracker t(2);
  Slot* s = t.Begin(0);
  OffsetTracker::AddOutputs(s, 0);  // analysis topic "-" and no events
  OffsetTracker::Release(s);
  EXPECT_EQ(t.Advance(), 1);
}

TEST(OffsetTrackerTest, NonContiguousOffsetsCommitLastPlusOne) {
  // A compacted topic (or transaction markers) leaves gaps between consumed offsets.
  OffsetTracker t(8);
  Slot* a = t.Begin(5);
  Slot* b = t.Begin(9);
  Slot* c = t.Begin(12);
  OffsetTracker::Release(a);
  EXPECT_EQ(t.Advance(), 6);
  OffsetTracker::Release(c);
  EXPECT_EQ(t.Advance(), -1);  // 9 is still pending
  OffsetTracker::Release(b);
  EXPECT_EQ(t.Advance(), 13);
  EXPECT_TRUE(t.Empty());
}

TEST(OffsetTrackerTest, WrapsAroundManyTimes) {
  OffsetTracker t(4);
  int64_t committed = -1;
  for (int64_t off = 0; off < 1000; off += 2) {
    Slot* x = t.Begin(off);
    Slot* y = t.Begin(off + 1);
    ASSERT_NE(x, nullptr);
    ASSERT_NE(y, nullptr);
    OffsetTracker::Release(y);
    ASSERT_EQ(t.Advance(), -1);
    OffsetTracker::Release(x);
    committed = t.Advance();
    ASSERT_EQ(committed, off + 2);
  }
  EXPECT_EQ(committed, 1000);
  EXPECT_TRUE(t.Empty());
}

// The pipeline's threading: the consumer thread Begins and Advances; N threads (workers and
// the delivery thread) release outputs in random order. The watermark must never pass an
// offset with a pending output, and must reach the end.
TEST(OffsetTrackerTest, ConcurrentReleasesKeepTheWatermarkContiguous) {
  constexpr int kThreads = 4;
  constexpr int64_t kOffsets = 100'000;
  constexpr int kOutputs = 3;  // outputs per offset, each released by a random thread
  OffsetTracker t(256);

  // Per offset: how many releases are still due; the watermark checks it is 0 below it.
  std::vector<std::atomic<int32_t>> due(kOffsets);
  // Work handed to the releasing threads: per-thread append-only mailboxes; `published` is the
  // count of valid items (release by the consumer thread, acquire by the releasing thread), or
  // -1 once closed.
  struct Mailbox {
    std::vector<std::pair<Slot*, int64_t>> items;
    std::atomic<int64_t> published{0};
  };
  std::vector<Mailbox> boxes(kThreads);
  for (auto& b : boxes) b.items.resize(kOffsets * kOutputs);

  std::atomic<int64_t> violations{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(1234 + i);
      Mailbox& box = boxes[i];
      int64_t taken = 0;
      std::vector<std::pair<Slot*, int64_t>> held;
      for (;;) {
        const int64_t avail = box.published.load(std::memory_order_acquire);
        while (taken < avail) held.push_back(box.items[taken++]);
        // Release in a random order among what this thread holds.
        if (!held.empty()) {
          std::shuffle(held.begin(), held.end(), rng);
          const size_t n = 1 + rng() % held.size();
          for (size_t k = 0; k < n; ++k) {
            auto [slot, off] = held.back();
            held.pop_back();
            due[off].fetch_sub(1, std::memory_order_relaxed);
            OffsetTracker::Release(slot);
          }
        } else if (avail < 0) {
          return;  // closed
        } else {
          std::this_thread::yield();
        }
      }
    });
  }

  // Consumer thread.
  std::mt19937 rng(42);
  std::vector<int64_t> counts(kThreads, 0);
  int64_t next = 0;
  int64_t watermark = 0;
  while (watermark < kOffsets) {
    while (next < kOffsets) {
      Slot* s = t.Begin(next);
      if (s == nullptr) break;
      due[next].store(kOutputs + 1, std::memory_order_relaxed);
      OffsetTracker::AddOutputs(s, kOutputs);
      for (int k = 0; k < kOutputs; ++k) {
        const int th = static_cast<int>(rng() % kThreads);
        boxes[th].items[counts[th]++] = {s, next};
        boxes[th].published.store(counts[th], std::memory_order_release);
      }
      // The guard, released by the "worker" (this thread) once outputs are handed off.
      due[next].fetch_sub(1, std::memory_order_relaxed);
      OffsetTracker::Release(s);
      ++next;
    }
    const int64_t w = t.Advance();
    if (w >= 0) {
      if (w <= watermark) violations.fetch_add(1);
      // Everything below the watermark must have no pending release. The due counters are
      // decremented before Release (relaxed, then release in Release; Advance acquires).
      for (int64_t off = watermark; off < w; ++off) {
        if (due[off].load(std::memory_order_relaxed) != 0) violations.fetch_add(1);
      }
      watermark = w;
    } else {
      std::this_thread::yield();
    }
  }
  // The watermark reached the end, so every release happened: the threads hold nothing.
  for (int i = 0; i < kThreads; ++i) boxes[i].published.store(-1, std::memory_order_release);
  for (auto& th : threads) th.join();

  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(watermark, kOffsets);
  EXPECT_TRUE(t.Empty());
}

}  // namespace
}  // namespace wirescan::pipeline

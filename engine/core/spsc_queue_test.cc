#include "engine/core/spsc_queue.h"

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

TEST(SpscQueueTest, CapacityIsRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(SpscQueue<int>(1).capacity(), 1u);
  EXPECT_EQ(SpscQueue<int>(2).capacity(), 2u);
  EXPECT_EQ(SpscQueue<int>(3).capacity(), 4u);
  EXPECT_EQ(SpscQueue<int>(5).capacity(), 8u);
  EXPECT_EQ(SpscQueue<int>(1000).capacity(), 1024u);
  EXPECT_EQ(SpscQueue<int>(1024).capacity(), 1024u);
  EXPECT_EQ(SpscQueue<int>(1025).capacity(), 2048u);
}

TEST(SpscQueueTest, EmptyQueueHasNothingToPop) {
  SpscQueue<int> q(4);
  EXPECT_EQ(q.Size(), 0u);
  EXPECT_EQ(q.Front(), nullptr);
  int out = -1;
  EXPECT_FALSE(q.TryPop(&out));
  EXPECT_EQ(out, -1);
}

TEST(SpscQueueTest, FullQueueRefusesAndKeepsTheValue) {
  SpscQueue<int> q(3);  // rounded to 4
  for (int i = 0; i < 4; ++i) {
    int v = i;
    ASSERT_TRUE(q.TryPush(v)) << i;
  }
  EXPECT_EQ(q.Size(), 4u);
  int extra = 99;
  EXPECT_FALSE(q.TryPush(extra));
  EXPECT_EQ(extra, 99);
  EXPECT_EQ(q.Size(), 4u);

  // One pop makes exactly one slot of room.
  int out = -1;
  ASSERT_TRUE(q.TryPop(&out));
  EXPECT_EQ(out, 0);
  EXPECT_TRUE(q.TryPush(extra));
  int again = 100;
  EXPECT_FALSE(q.TryPush(again));
}

TEST(SpscQueueTest, CapacityOneAlternates) {
  SpscQueue<int> q(1);
  for (int i = 0; i < 10; ++i) {
    int v = i;
    ASSERT_TRUE(q.TryPush(v));
    int w = -1;
    ASSERT_FALSE(q.TryPush(w));
    int out = -1;
    ASSERT_TRUE(q.TryPop(&out));
    EXPECT_EQ(out, i);
    ASSERT_FALSE(q.TryPop(&out));
  }
}

TEST(SpscQueueTest, FifoAcrossManyWrapArounds) {
  SpscQueue<int> q(8);
  int next_push = 0;
  int next_pop = 0;
  // Uneven push/pop rhythms so the indexes wrap at every slot position.
  for (int round = 0; round < 500; ++round) {
    const int pushes = 1 + round % 7;
    for (int i = 0; i < pushes; ++i) {
      int v = next_push;
      if (!q.TryPush(v)) break;
      ++next_push;
    }
    const int pops = 1 + (round * 3) % 5;
    for (int i = 0; i < pops; ++i) {
      int* front = q.Front();
      if (front == nullptr) break;
      ASSERT_EQ(*front, next_pop);
      q.Pop();
      ++next_pop;
    }
    ASSERT_EQ(q.Size(), static_cast<size_t>(next_push - next_pop));
  }
  int out = 0;
  while (q.TryPop(&out)) ASSERT_EQ(out, next_pop++);
  EXPECT_EQ(next_pop, next_push);
  EXPECT_GT(next_push, 1000);
}

TEST(SpscQueueTest, FrontStaysValidUntilPop) {
  SpscQueue<int> q(4);
  int a = 1, b = 2;
  ASSERT_TRUE(q.TryPush(a));
  ASSERT_TRUE(q.TryPush(b));
  int* front = q.Front();
  ASSERT_NE(front, nullptr);
  EXPECT_EQ(*front, 1);
  EXPECT_EQ(q.Front(), front);  // Front() does not consume
  EXPECT_EQ(q.Size(), 2u);
  q.Pop();
  ASSERT_NE(q.Front(), nullptr);
  EXPECT_EQ(*q.Front(), 2);
}

TEST(SpscQueueTest, MoveOnlyValues) {
  SpscQueue<std::unique_ptr<int>> q(2);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  ASSERT_TRUE(q.TryPush(a));
  EXPECT_EQ(a, nullptr);  // moved in
  ASSERT_TRUE(q.TryPush(b));
  auto c = std::make_unique<int>(3);
  EXPECT_FALSE(q.TryPush(c));
  ASSERT_NE(c, nullptr);  // refused: not moved from
  EXPECT_EQ(*c, 3);

  std::unique_ptr<int> out;
  ASSERT_TRUE(q.TryPop(&out));
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(*out, 1);
  ASSERT_TRUE(q.TryPush(c));
  ASSERT_TRUE(q.TryPop(&out));
  EXPECT_EQ(*out, 2);
  ASSERT_TRUE(q.TryPop(&out));
  EXPECT_EQ(*out, 3);
  EXPECT_FALSE(q.TryPop(&out));
}

// Pop() destroys the value in its slot; values left in the queue are destroyed with it (checked
// by ASan's leak detector in the sanitizer build).
TEST(SpscQueueTest, DestroysValuesLeftInTheQueue) {
  auto shared = std::make_shared<int>(7);
  {
    SpscQueue<std::shared_ptr<int>> q(4);
    for (int i = 0; i < 3; ++i) {
      auto copy = shared;
      ASSERT_TRUE(q.TryPush(copy));
    }
    EXPECT_EQ(shared.use_count(), 4);
    q.Pop();
    EXPECT_EQ(shared.use_count(), 3);
  }
  EXPECT_EQ(shared.use_count(), 1);
}

// One producer pushes 0..N-1 (retrying while full), one consumer checks order and count.
TEST(SpscQueueTest, TwoThreadStressKeepsOrderAndCount) {
  constexpr uint64_t kCount = 1'000'000;
  SpscQueue<uint64_t> q(64);
  std::thread producer([&q] {
    for (uint64_t i = 0; i < kCount; ++i) {
      uint64_t v = i;
      while (!q.TryPush(v)) std::this_thread::yield();
    }
  });
  uint64_t expected = 0;
  uint64_t mismatches = 0;
  while (expected < kCount) {
    uint64_t v = 0;
    if (!q.TryPop(&v)) {
      std::this_thread::yield();
      continue;
    }
    if (v != expected) ++mismatches;
    expected = v + 1;
  }
  producer.join();
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(expected, kCount);
  uint64_t extra = 0;
  EXPECT_FALSE(q.TryPop(&extra)) << "unexpected value " << extra;
  EXPECT_EQ(q.Size(), 0u);
}

// The same with heap values: every value the producer wrote must be fully visible (the
// release/acquire hand-off publishes the slot's contents, not just the index).
TEST(SpscQueueTest, TwoThreadStressPublishesSlotContents) {
  constexpr int kCount = 200'000;
  SpscQueue<std::unique_ptr<std::vector<int>>> q(16);
  std::thread producer([&q] {
    for (int i = 0; i < kCount; ++i) {
      auto v = std::make_unique<std::vector<int>>(4, i);
      while (!q.TryPush(v)) std::this_thread::yield();
    }
  });
  int expected = 0;
  int bad = 0;
  while (expected < kCount) {
    auto* front = q.Front();
    if (front == nullptr) {
      std::this_thread::yield();
      continue;
    }
    const std::vector<int>& v = **front;
    if (v.size() != 4 || v[0] != expected || v[3] != expected) ++bad;
    q.Pop();
    ++expected;
  }
  producer.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(q.Front(), nullptr);
}

}  // namespace
}  // namespace wirescan::core

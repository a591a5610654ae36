#include "engine/pipeline/pipeline.h"

#include "gtest/gtest.h"

namespace wirescan::pipeline {
namespace {

TEST(QueueCapacityTest, BudgetIsSharedByTheAssignedPartitions) {
  PipelineOptions o;
  o.queue_capacity = 4096;
  o.queue_budget = 32768;
  EXPECT_EQ(QueueCapacityFor(o, 1), 32768u);
  EXPECT_EQ(QueueCapacityFor(o, 2), 16384u);
  EXPECT_EQ(QueueCapacityFor(o, 3), 10922u);
  // From eight partitions on, each has the per-partition minimum.
  EXPECT_EQ(QueueCapacityFor(o, 8), 4096u);
  EXPECT_EQ(QueueCapacityFor(o, 100), 4096u);
  // Zero assigned is treated as one.
  EXPECT_EQ(QueueCapacityFor(o, 0), 32768u);
}

TEST(QueueCapacityTest, ShareIsCappedButNeverBelowTheMinimum) {
  PipelineOptions o;
  o.queue_capacity = 1024;
  o.queue_budget = 1u << 22;
  EXPECT_EQ(QueueCapacityFor(o, 1), kMaxQueueCapacity);
  o.queue_budget = 0;  // no budget: queue_capacity each
  EXPECT_EQ(QueueCapacityFor(o, 1), 1024u);
  o.queue_capacity = 65536;  // a minimum above the cap wins
  o.queue_budget = 32768;
  EXPECT_EQ(QueueCapacityFor(o, 1), 65536u);
}

}  // namespace
}  // namespace wirescan::pipeline

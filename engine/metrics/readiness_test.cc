#include "engine/metrics/readiness.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::metrics {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ConsumerReadinessTest : public ::testing::Test {
 protected:
  ConsumerReadiness::Verdict At(seconds t, const ConsumerReadiness::Observation& o) {
    return readiness_.Observe(o, start_ + t);
  }
  static ConsumerReadiness::Observation Seen(std::optional<int64_t> assigned, int64_t lag,
                                             uint64_t progress) {
    ConsumerReadiness::Observation o;
    o.subscribed = true;
    o.assigned = assigned;
    o.lag = lag;
    o.progress = progress;
    return o;
  }

  ConsumerReadiness::Clock::time_point start_ = ConsumerReadiness::Clock::now();
  ConsumerReadiness readiness_{{milliseconds(30000), milliseconds(60000), false}};
};

TEST_F(ConsumerReadinessTest, UnassignedBeyondTheBoundIsNotReady) {
  EXPECT_TRUE(At(seconds(0), Seen(std::nullopt, 0, 0)).ready);  // before any statistics
  EXPECT_TRUE(At(seconds(30), Seen(0, 0, 0)).ready);             // at the bound: still ready
  ConsumerReadiness::Verdict v = At(seconds(31), Seen(0, 0, 0));
  EXPECT_FALSE(v.ready);
  EXPECT_EQ(v.reason, "consumer: no partition assigned for 31 s (admin.max_unassigned_ms 30000)\n");
  EXPECT_DOUBLE_EQ(v.unassigned_seconds, 31);
  // An assignment makes it ready at once; losing it starts a new count.
  v = At(seconds(32), Seen(3, 0, 0));
  EXPECT_TRUE(v.ready);
  EXPECT_EQ(v.unassigned_seconds, 0);
  EXPECT_TRUE(At(seconds(40), Seen(0, 0, 0)).ready);
  EXPECT_TRUE(At(seconds(70), Seen(0, 0, 0)).ready);
  EXPECT_FALSE(At(seconds(71), Seen(0, 0, 0)).ready);
}

TEST_F(ConsumerReadinessTest, AssignedWithLagAndNoProgressIsStalled) {
  EXPECT_TRUE(At(seconds(0), Seen(2, 500, 10)).ready);
  EXPECT_TRUE(At(seconds(30), Seen(2, 500, 20)).ready);  // progress restarts the clock
  EXPECT_TRUE(At(seconds(60), Seen(2, 500, 20)).ready);
  ConsumerReadiness::Verdict v = At(seconds(90), Seen(2, 500, 20));
  EXPECT_TRUE(v.ready);
  EXPECT_DOUBLE_EQ(v.idle_seconds, 30);
  v = At(seconds(121), Seen(2, 500, 20));
  EXPECT_FALSE(v.ready);
  EXPECT_THAT(v.reason, HasSubstr("500 record(s) waiting on 2 assigned partition(s), nothing "
                                  "consumed for 61 s (admin.max_stalled_ms 60000)"));
  EXPECT_TRUE(At(seconds(122), Seen(2, 400, 21)).ready);  // moving again
}

TEST_F(ConsumerReadinessTest, NoLagIsNotAStall) {
  EXPECT_TRUE(At(seconds(0), Seen(2, 0, 5)).ready);
  ConsumerReadiness::Verdict v = At(seconds(600), Seen(2, 0, 5));
  EXPECT_TRUE(v.ready);
  EXPECT_EQ(v.idle_seconds, 0);
}

TEST_F(ConsumerReadinessTest, NotSubscribedResetsTheClocks) {
  EXPECT_TRUE(At(seconds(0), Seen(0, 0, 0)).ready);
  ConsumerReadiness::Observation gone;
  EXPECT_TRUE(At(seconds(100), gone).ready);          // the pipeline's own check reports it
  EXPECT_TRUE(At(seconds(101), Seen(0, 0, 0)).ready);  // counting starts again
  EXPECT_FALSE(At(seconds(132), Seen(0, 0, 0)).ready);
}

TEST(ConsumerReadinessOptionsTest, ReadyWithoutPartitionsKeepsAnIdleMemberReady) {
  ConsumerReadiness readiness({milliseconds(1000), milliseconds(1000), true});
  const auto t0 = ConsumerReadiness::Clock::now();
  ConsumerReadiness::Observation o;
  o.subscribed = true;
  o.assigned = 0;
  EXPECT_TRUE(readiness.Observe(o, t0).ready);
  ConsumerReadiness::Verdict v = readiness.Observe(o, t0 + seconds(3600));
  EXPECT_TRUE(v.ready);
  EXPECT_DOUBLE_EQ(v.unassigned_seconds, 3600);  // the gauge still tells
}

}  // namespace
}  // namespace wirescan::metrics

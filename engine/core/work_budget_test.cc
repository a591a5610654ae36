#include "engine/core/work_budget.h"

#include <atomic>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

// A clock that moves `step` nanoseconds per reading and counts its readings.
class SteppingClock : public CpuClock {
 public:
  explicit SteppingClock(int64_t step) : step_(step) {}
  int64_t NowNanos() override { return ++readings * step_; }
  int readings = 0;

 private:
  const int64_t step_;
};

constexpr uint64_t kInterval = WorkBudget::kClockInterval;

TEST(WorkBudgetTest, UnarmedOrUnlimitedNeverStopsAndNeverReadsTheClock) {
  SteppingClock clock(1000000000);
  WorkBudget budget(&clock, nullptr);
  EXPECT_FALSE(budget.Spend(100 * kInterval));
  budget.Arm(0);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(budget.Spend(kInterval));
  EXPECT_EQ(budget.work(), 100 * kInterval);
  EXPECT_EQ(clock.readings, 0);
  WorkBudget no_clock(nullptr, nullptr);
  no_clock.Arm(1);
  EXPECT_FALSE(no_clock.Spend(100 * kInterval));
}

TEST(WorkBudgetTest, ReadsTheClockOncePerInterval) {
  SteppingClock clock(1);  // 1 ns per reading: never over
  WorkBudget budget(&clock, nullptr);
  budget.Arm(1000000);
  for (uint64_t i = 0; i < 10 * kInterval; ++i) ASSERT_FALSE(budget.Spend(1));
  EXPECT_EQ(clock.readings, 10);
  // A typical article's few thousand steps read no clock at all.
  budget.Arm(1000000);
  clock.readings = 0;
  EXPECT_FALSE(budget.Spend(kInterval - 1));
  EXPECT_EQ(clock.readings, 0);
}

TEST(WorkBudgetTest, StopsTooSlowOnceTheBudgetIsSpent) {
  SteppingClock clock(1000000);  // 1 ms of CPU per reading
  WorkBudget budget(&clock, nullptr);
  budget.Arm(5000000);  // 5 ms
  int spends = 0;
  while (!budget.Spend(kInterval / 4)) ++spends;
  EXPECT_EQ(budget.stop(), WorkBudget::Stop::kTooSlow);
  // The first reading starts the count, the sixth is 5 ms later.
  EXPECT_EQ(clock.readings, 6);
  EXPECT_EQ(budget.spent_nanos(), 5000000);
  EXPECT_EQ(spends, 6 * 4 - 1);
  // It stays stopped, without more readings or work, until re-armed.
  EXPECT_TRUE(budget.Spend(kInterval));
  EXPECT_EQ(clock.readings, 6);
  budget.Arm(5000000);
  EXPECT_FALSE(budget.stopped());
  EXPECT_FALSE(budget.Spend(kInterval));
  EXPECT_EQ(budget.work(), kInterval);
}

TEST(WorkBudgetTest, CancelStopsAtTheNextSpend) {
  SteppingClock clock(1);
  std::atomic<bool> cancel{false};
  WorkBudget budget(&clock, &cancel);
  budget.Arm(1000000000);
  EXPECT_FALSE(budget.Spend(10));
  cancel.store(true);
  EXPECT_TRUE(budget.Spend(10));
  EXPECT_EQ(budget.stop(), WorkBudget::Stop::kCancelled);
  EXPECT_EQ(budget.work(), 10u);  // nothing counted after the cancel
  EXPECT_EQ(clock.readings, 0);   // no clock needed to see it
  // Without a CPU limit the cancel still works.
  budget.Arm(0);
  EXPECT_TRUE(budget.Spend(1));
  EXPECT_EQ(budget.stop(), WorkBudget::Stop::kCancelled);
}

TEST(WorkBudgetTest, ThreadCpuClockMovesForward) {
  CpuClock* clock = ThreadCpuClock();
  const int64_t a = clock->NowNanos();
  volatile uint64_t x = 0;
  for (int i = 0; i < 1000000; ++i) x = x + static_cast<uint64_t>(i);
  EXPECT_GE(clock->NowNanos(), a);
}

}  // namespace
}  // namespace wirescan::core

#include "engine/core/work_budget.h"

#include <time.h>

namespace wirescan::core {
namespace {

class ThreadCpu final : public CpuClock {
 public:
  int64_t NowNanos() override {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

}  // namespace

CpuClock* ThreadCpuClock() {
  static ThreadCpu* const clock = new ThreadCpu();
  return clock;
}

bool WorkBudget::ReadClock() {
  next_clock_ = work_ + kClockInterval;
  const int64_t now = clock_->NowNanos();
  if (start_nanos_ < 0) {
    start_nanos_ = now;
    spent_nanos_ = 0;
    return false;
  }
  spent_nanos_ = now - start_nanos_;
  if (spent_nanos_ < budget_nanos_) return false;
  stop_ = Stop::kTooSlow;
  return true;
}

}  // namespace wirescan::core

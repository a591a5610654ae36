#pragma once
// WorkBudget: a cooperative stop for the work on one record. The pipeline worker arms it before
// a record with a CPU-time budget; the stages (parse, extract, encode) report their elementary
// steps to Spend() at bounded intervals (per mention, per trigger, per stage) and return early
// once it says stop: the record went over its budget (kTooSlow: the worker dead-letters it) or
// the daemon's shutdown budget ran out (kCancelled: the worker abandons it, uncommitted). No
// thread, no timer, no signal: a stuck step cannot be interrupted, so every step between two
// Spend() calls must be bounded (they are linear in the record; see extract/README.md).
//
// Cost on the hot path: Spend() is an add, a compare and a relaxed load of the cancel flag. The
// clock (CLOCK_THREAD_CPUTIME_ID: a system call, ~4 us on the CI machine) is read only once
// per kClockInterval steps, so a typical article never reads it; the budget counts CPU time
// from the record's first reading, i.e. at most one interval of work (well under a
// millisecond) goes uncounted. CPU time, not wall time: a record is too slow for what it
// costs, not because a neighbour holds the core.
//
// Thread safety: thread-compatible (one per worker thread); `cancel` may be set from any
// thread.

#include <atomic>
#include <cstdint>

namespace wirescan::core {

// A clock of the calling thread's CPU time. Virtual so that tests can count readings.
class CpuClock {
 public:
  virtual ~CpuClock() = default;
  virtual int64_t NowNanos() = 0;
};

// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID). Stateless, never destroyed.
CpuClock* ThreadCpuClock();

class WorkBudget {
 public:
  enum class Stop : uint8_t { kNone = 0, kTooSlow, kCancelled };

  // Steps between two clock readings.
  static constexpr uint64_t kClockInterval = uint64_t{1} << 16;

  // `clock` (may be null: no CPU limit) and `cancel` (may be null) are borrowed and must
  // outlive the budget. Unarmed, it never stops.
  WorkBudget(CpuClock* clock, const std::atomic<bool>* cancel) : clock_(clock), cancel_(cancel) {}

  // Before a record: `budget_nanos` of CPU time (<= 0: no limit, only the cancel flag).
  void Arm(int64_t budget_nanos) {
    budget_nanos_ = budget_nanos;
    work_ = 0;
    next_clock_ = budget_nanos > 0 && clock_ != nullptr ? kClockInterval : UINT64_MAX;
    start_nanos_ = -1;
    spent_nanos_ = 0;
    stop_ = Stop::kNone;
  }

  // Records `steps` more steps of work; true when the record must be given up (stop() says
  // why; it stays true until the next Arm()).
  bool Spend(uint64_t steps) {
    if (stop_ != Stop::kNone) return true;
    // Relaxed: a flag, no data is published with it.
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
      stop_ = Stop::kCancelled;
      return true;
    }
    work_ += steps;
    if (work_ < next_clock_) return false;
    return ReadClock();
  }

  Stop stop() const { return stop_; }
  bool stopped() const { return stop_ != Stop::kNone; }
  uint64_t work() const { return work_; }  // steps since Arm()
  // CPU time counted so far (0 before the first clock reading).
  int64_t spent_nanos() const { return spent_nanos_; }
  int64_t budget_nanos() const { return budget_nanos_; }

 private:
  bool ReadClock();

  CpuClock* const clock_;
  const std::atomic<bool>* const cancel_;
  int64_t budget_nanos_ = 0;
  uint64_t work_ = 0;
  uint64_t next_clock_ = UINT64_MAX;
  int64_t start_nanos_ = -1;
  int64_t spent_nanos_ = 0;
  Stop stop_ = Stop::kNone;
};

}  // namespace wirescan::core

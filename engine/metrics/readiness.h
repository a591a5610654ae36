#pragma once
// ConsumerReadiness: whether the consumer is doing its job, for /readyz and two gauges. It
// knows nothing of Kafka: the daemon feeds it what it observes (from the librdkafka statistics
// and the pipeline's counters) every time /readyz or /metrics is asked, and at every statistics
// update.
//
// Not ready, with a reason, when
//   - unassigned: the member is subscribed but has had no partition assigned for longer than
//     Options::max_unassigned (counted from the subscription, or from the last time it had a
//     partition). Off with Options::ready_without_partitions (more members than partitions).
//   - stalled: partitions are assigned, records are waiting on them (consumer lag > 0), and
//     nothing was consumed or delivered for longer than Options::max_stalled.
// Gauges: UnassignedSeconds() (0 while partitions are assigned) and IdleSeconds() (since the
// last progress; 0 while there is none to make: no lag).
//
// Thread safety: thread-safe (a mutex; called by scrapes, probes and the statistics callback).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace wirescan::metrics {

class ConsumerReadiness {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::chrono::milliseconds max_unassigned{30000};
    std::chrono::milliseconds max_stalled{60000};
    bool ready_without_partitions = false;
  };

  struct Observation {
    bool subscribed = false;
    // Partitions assigned to this member and their total consumer lag, from the last
    // statistics; nullopt before the first statistics with a group.
    std::optional<int64_t> assigned;
    int64_t lag = 0;
    // Grows whenever the pipeline makes progress (records consumed + outputs delivered).
    uint64_t progress = 0;
  };

  struct Verdict {
    bool ready = true;
    std::string reason;  // "" when ready, else one line ending in '\n'
    double unassigned_seconds = 0;
    double idle_seconds = 0;
  };

  explicit ConsumerReadiness(Options options) : options_(options) {}

  // Records `o` as seen at `now` and judges. `now` never goes backwards between calls.
  Verdict Observe(const Observation& o, Clock::time_point now);

 private:
  const Options options_;
  absl::Mutex mu_;
  std::optional<Clock::time_point> unassigned_since_ ABSL_GUARDED_BY(mu_);
  std::optional<Clock::time_point> idle_since_ ABSL_GUARDED_BY(mu_);
  uint64_t last_progress_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wirescan::metrics

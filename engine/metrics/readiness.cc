#include "engine/metrics/readiness.h"

#include "absl/strings/str_cat.h"

namespace wirescan::metrics {
namespace {

double Seconds(ConsumerReadiness::Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int64_t WholeSeconds(ConsumerReadiness::Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

ConsumerReadiness::Verdict ConsumerReadiness::Observe(const Observation& o, Clock::time_point now) {
  absl::MutexLock lock(&mu_);
  Verdict v;
  if (!o.subscribed) {  // not consuming at all: the pipeline's own check says so
    unassigned_since_.reset();
    idle_since_.reset();
    last_progress_ = o.progress;
    return v;
  }
  const bool has_partitions = o.assigned.has_value() && *o.assigned > 0;
  if (has_partitions) {
    unassigned_since_.reset();
  } else if (!unassigned_since_) {
    unassigned_since_ = now;
  }
  // Progress, or nothing to do, restarts the idle clock.
  if (o.progress != last_progress_ || !has_partitions || o.lag <= 0) {
    idle_since_.reset();
  } else if (!idle_since_) {
    idle_since_ = now;
  }
  last_progress_ = o.progress;

  if (unassigned_since_) {
    const auto d = now - *unassigned_since_;
    v.unassigned_seconds = Seconds(d);
    if (!options_.ready_without_partitions && d > options_.max_unassigned) {
      v.ready = false;
      absl::StrAppend(&v.reason, "consumer: no partition assigned for ", WholeSeconds(d),
                      " s (admin.max_unassigned_ms ", options_.max_unassigned.count(), ")\n");
    }
  }
  if (idle_since_) {
    const auto d = now - *idle_since_;
    v.idle_seconds = Seconds(d);
    if (d > options_.max_stalled) {
      v.ready = false;
      absl::StrAppend(&v.reason, "consumer: ", o.lag, " record(s) waiting on ", *o.assigned,
                      " assigned partition(s), nothing consumed for ", WholeSeconds(d),
                      " s (admin.max_stalled_ms ", options_.max_stalled.count(), ")\n");
    }
  }
  return v;
}

}  // namespace wirescan::metrics

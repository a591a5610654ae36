#pragma once
// Process metrics with the standard names of the Prometheus client libraries, read from
// /proc/self at scrape time: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
//
// Thread safety: ReadProcessStats() is thread-safe; the collector runs on the scraping thread.

#include "absl/status/statusor.h"
#include "engine/metrics/registry.h"

namespace wirescan::metrics {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system time
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;             // RLIMIT_NOFILE soft limit
  double start_time_seconds = 0;  // since the Unix epoch
};

// Reads /proc/self/stat, /proc/stat (boot time), /proc/self/fd and RLIMIT_NOFILE.
// Errors: a file cannot be read or parsed (the message names it).
absl::StatusOr<ProcessStats> ReadProcessStats();

// Adds a collector that emits the process_* families at every scrape (nothing if /proc cannot
// be read; the first such error is logged). REQUIRES: `registry` outlives the collector, or
// the caller removes it with Registry::RemoveCollector().
Registry::CollectorId AddProcessCollector(Registry* registry);

}  // namespace wirescan::metrics

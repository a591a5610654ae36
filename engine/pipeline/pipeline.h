#pragma once
// The streaming data plane and its control.
//
//   ws:consumer (the thread that calls Run)   Source poll -> per-partition SPSC queue;
//       pauses a partition whose queue or tracker is full; rebalance callbacks; stores the
//       contiguous delivered watermark of every partition for librdkafka's auto-commit (every
//       commit_interval_ms, skipped while the group rebalances) and commits synchronously on
//       revoke and at shutdown.
//   ws:worker-N (N = 0..workers-1)             each owns a set of partitions; takes a batch of
//       up to batch_size messages from one partition at a time, then parse -> match/extract ->
//       Protobuf -> Sink. One partition is processed by exactly one worker, in offset order.
//   ws:delivery (the sink's)                   delivery reports -> OffsetTracker::Release.
//
// Nothing on the per-message path takes a lock: queues are SPSC, trackers use one atomic per
// offset, each worker has its own Extractor (Hyperscan scratch) and parser. A worker's partition
// list is guarded by a mutex taken only when the list changed (assign/revoke), between batches.
//
// At-least-once: an input offset is committed only when every output of every message at or
// below it has a successful delivery report. A record that cannot be an article goes to the
// dead-letter topic unchanged, with its reason; it counts like any other output. Outputs are
// fitted to the output limit before they are produced (emit/output_limits.h); an output the
// broker refuses for what it is (too large, invalid record) makes its input a dead letter (the
// input is held until its outputs are delivered, so it is still there); only a delivery that
// failed after the producer's retries, or a fatal producer error, stops the pipeline.
//
// Thread safety: Run() on one thread; RequestStop() from any thread (signal handlers use a flag
// the caller polls instead).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/emit/encoder.h"
#include "engine/emit/output_limits.h"
#include "engine/emit/sink.h"
#include "engine/parse/article_parser.h"
#include "engine/pipeline/probe.h"
#include "engine/pipeline/record_processor.h"
#include "engine/rules/live_rules.h"
#include "engine/rules/rule_pack.h"
#include "engine/source/source.h"

namespace wirescan::pipeline {

// The processor's options (record_processor.h: parsing, topics, output limits, encodings,
// the record budget, pass-through) and the data plane's.
struct PipelineOptions : ProcessorOptions {
  std::vector<std::string> topics;
  // The consumer's settings (bootstrap, group.id, ...): daemon/ builds the KafkaSource with
  // them; the pipeline only sees the Source it is given.
  std::map<std::string, std::string> consumer_properties;
  // Defaults: the configuration's (config/daemon_config.h), as for ProcessorOptions.
  int workers = static_cast<int>(config::kDefaultWorkers);
  size_t queue_capacity = config::kDefaultQueueCapacity;  // per partition, at least
  // Across partitions (QueueCapacityFor); 0: queue_capacity each.
  size_t queue_budget = config::kDefaultQueueBudget;
  size_t batch_size = config::kDefaultBatchSize;
  int commit_interval_ms = static_cast<int>(config::kDefaultCommitIntervalMs);
  // The whole shutdown (drain, flush, commit, leave the group), from the stop request: records
  // still being extracted near its end are cancelled (never committed, reprocessed after a
  // restart). A revoke waits at most this long for its partitions' work too.
  int shutdown_timeout_ms = static_cast<int>(config::kDefaultShutdownTimeoutMs);
  bool exit_when_idle = false;  // return once every assigned partition is drained and committed
};

// The queue of a partition assigned while `assigned` partitions (itself included) are:
// max(queue_capacity, queue_budget / assigned), at most kMaxQueueCapacity. Existing queues keep
// their size when more partitions arrive, so the total can exceed the budget until the next
// rebalance (by at most the budget).
inline constexpr size_t kMaxQueueCapacity = config::kMaxQueueCapacity;
size_t QueueCapacityFor(const PipelineOptions& options, size_t assigned);

// Counters readable from any thread (relaxed; for logs, tests and metrics).
struct PipelineCounters {
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> analysed{0};
  std::atomic<uint64_t> dead_letters{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> produced{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> delivery_failures{0};
  std::atomic<uint64_t> refused{0};       // outputs refused for what they are (dead-lettered)
  std::atomic<uint64_t> cut_analyses{0};  // analyses produced without some mentions/events
  std::atomic<uint64_t> too_slow{0};      // records over record_budget_ms (dead-lettered)
  // Records abandoned part-way by a shutdown or revoke deadline (not committed: reprocessed).
  std::atomic<uint64_t> cancelled{0};
  std::atomic<uint64_t> pauses{0};
  std::atomic<uint64_t> commits{0};
};

class PipelineManager {
 public:
  // Workers pick up a newly published rule pack between batches (hot reload). `probe` (may be
  // null: no metrics) receives the data plane's metrics; the manager adds a collector for its
  // per-partition gauges (queue depth, lag, committed offset) to the probe's registry.
  // REQUIRES: `rules` and `probe` outlive the manager.
  PipelineManager(PipelineOptions options, const rules::LiveRules* rules,
                  PipelineProbe* probe = nullptr);
  ~PipelineManager();
  PipelineManager(const PipelineManager&) = delete;
  PipelineManager& operator=(const PipelineManager&) = delete;

  // The listener to give the sink before calling Run().
  emit::DeliveryListener* listener();

  // Consumes `source` (subscribing it to options.topics, with the manager as its rebalance
  // handler) until `stop` becomes true (then drains, flushes, commits and returns OK), until
  // idle with exit_when_idle, or until a fatal error (a delivery that failed after the
  // producer's retries: nothing past it is committed, and the error is returned).
  // `flush` waits for the sink's outstanding deliveries (KafkaSink::Flush).
  // REQUIRES: `source` outlives the manager (records it returned are destroyed by the
  // manager's destructor at the latest); Run() closes it before returning.
  absl::Status Run(source::Source* source, emit::Sink* sink,
                   const std::function<absl::Status(int)>& flush, const std::atomic<bool>* stop);

  const PipelineCounters& counters() const { return counters_; }

  // For /readyz: subscribed to the input topics and not failed or stopping.
  bool Ready() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  PipelineCounters counters_;
};

}  // namespace wirescan::pipeline

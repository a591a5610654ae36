#pragma once
// PipelineProbe: every metric of the data plane, registered in one place (the model is
// redpanda's transform probe). Hot-path updates are one relaxed atomic add on a child cached
// where it is used (per partition, per worker, per rule pack); nothing on the per-message path
// takes a lock. Values that already exist elsewhere (queue depths, lag, committed offsets,
// producer queue) are read at scrape time by a collector instead of being copied on every
// message.
//
// Thread safety: thread-safe; families and children may be used from any thread.

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "engine/metrics/registry.h"
#include "engine/parse/article_parser.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::pipeline {

class PipelineProbe {
 public:
  explicit PipelineProbe(metrics::Registry* registry);

  metrics::Registry* registry() const { return registry_; }

  // Children for one input partition.
  struct PartitionMetrics {
    std::shared_ptr<metrics::Counter> messages;
    std::shared_ptr<metrics::Counter> bytes;
  };
  // Kept when the partition moves to another member: counters are monotonic per process.
  PartitionMetrics ForPartition(const std::string& topic, int32_t partition);

  // Children for one output topic.
  struct TopicMetrics {
    std::shared_ptr<metrics::Counter> messages;
    std::shared_ptr<metrics::Counter> bytes;
  };
  TopicMetrics ForOutputTopic(const std::string& topic);

  // Dead-letter reasons: the parser's (parse::RecordErrorName) and the pipeline's own,
  // kOutputReasons (too_slow: over the record budget). An unknown reason counts as
  // "extract_failed".
  static constexpr std::string_view kOutputReasons[] = {
      "extract_failed", "output_too_large", "output_refused", "dead_letter_refused", "too_slow"};
  metrics::Counter* DeadLetter(std::string_view reason);
  metrics::Counter* CutAnalyses() { return cut_analyses_.get(); }
  metrics::Histogram* ProcessingSeconds() { return processing_.get(); }
  metrics::Histogram* EndToEndSeconds() { return end_to_end_.get(); }

  // Per rule pack: match counters by rule id and event counters by type, built once per pack
  // version (the first worker to switch to a pack builds them; the series of rules the new
  // pack no longer has disappear).
  struct PackMetrics {
    absl::flat_hash_map<std::string, std::shared_ptr<metrics::Counter>> matches;  // rule id
    absl::flat_hash_map<std::string, std::shared_ptr<metrics::Counter>> events;   // event type
  };
  std::shared_ptr<const PackMetrics> ForPack(const rules::RulePack& pack);

  // Rule reloads by outcome, and the live rules version (an info gauge).
  void RecordReload(bool ok);
  void SetRulesVersion(const std::string& version);

 private:
  metrics::Registry* const registry_;
  metrics::CounterFamily* source_messages_;
  metrics::CounterFamily* source_bytes_;
  metrics::CounterFamily* sink_messages_;
  metrics::CounterFamily* sink_bytes_;
  metrics::CounterFamily* dead_letters_;
  metrics::CounterFamily* matches_;
  metrics::CounterFamily* events_;
  metrics::CounterFamily* reloads_;
  metrics::GaugeFamily* rules_info_;
  // reason -> child; fixed at construction (looked up on the dead-letter path only).
  std::vector<std::pair<std::string_view, std::shared_ptr<metrics::Counter>>> dead_letter_children_;
  std::shared_ptr<metrics::Counter> cut_analyses_;
  std::shared_ptr<metrics::Histogram> processing_;
  std::shared_ptr<metrics::Histogram> end_to_end_;
  absl::Mutex pack_mu_;  // taken when a worker switches packs, never per message
  std::string pack_version_ ABSL_GUARDED_BY(pack_mu_);
  std::shared_ptr<const PackMetrics> pack_metrics_ ABSL_GUARDED_BY(pack_mu_);
};

}  // namespace wirescan::pipeline

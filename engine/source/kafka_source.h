#pragma once
// KafkaSource: the Source (source.h) of the daemon, a librdkafka consumer-group member. It
// subscribes to the input topics, hands messages to the pipeline one by one (each Record owns
// its rd_kafka_message_t), and calls a RebalanceHandler (on the consumer thread, from inside
// Poll) when partitions are assigned or revoked. Built by daemon/ (the pipeline sees a Source).
//
// Offsets: the pipeline stores each partition's delivered watermark (Store) and librdkafka's
// auto-commit timer commits the stored offsets. That timer skips its turn while the group is
// rebalancing; a manual commit issued then would travel behind the JoinGroup request, fail with
// ILLEGAL_GENERATION, and librdkafka 2.0 (Debian 12) would declare the whole assignment lost
// (librdkafka issue #4059, fixed upstream in 2.10): the partitions' uncommitted work would be
// processed twice. Explicit synchronous commits happen only where the generation is settled:
// inside the revoke callback and at shutdown.
//
// Lifecycle: Create() -> Subscribe() -> Poll()... -> Close() (leaves the group, revoking). The
// rebalance handler given to Subscribe() must outlive the source unless Close() was called.
// Thread safety: confined to the consumer thread ("ws:consumer"), except Commit(), which
// librdkafka allows from any thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/source/source.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;
typedef struct rd_kafka_topic_partition_list_s rd_kafka_topic_partition_list_t;

namespace wirescan::metrics {
class KafkaClientStats;
}

namespace wirescan::source {

class KafkaSource : public Source {
 public:
  // `properties`: librdkafka consumer settings (bootstrap.servers, group.id, ...). wirescan sets
  // enable.auto.commit=true (stored offsets only), auto.commit.interval.ms=commit_interval_ms,
  // enable.auto.offset.store=false, enable.partition.eof=true.
  // `stats` (optional, must outlive the source) receives librdkafka's statistics, every
  // statistics.interval.ms (default metrics::kDefaultStatisticsIntervalMs).
  static absl::StatusOr<std::unique_ptr<KafkaSource>> Create(
      const std::map<std::string, std::string>& properties, int commit_interval_ms,
      metrics::KafkaClientStats* stats = nullptr);
  ~KafkaSource() override;

  absl::Status Subscribe(const std::vector<std::string>& topics,
                         RebalanceHandler* handler) override;
  // A message, a partition's end (RD_KAFKA_RESP_ERR__PARTITION_EOF) or a consumer error.
  std::unique_ptr<Record> Poll(int timeout_ms) override;
  void Pause(const TopicPartition& tp) override;
  void Resume(const TopicPartition& tp) override;
  // Stores next-offset-to-consume per partition for the next auto-commit.
  absl::Status Store(const std::map<TopicPartition, int64_t>& offsets) override;
  // Commits next-offset-to-consume per partition now; async unless `sync`. Only where no
  // rebalance can be in flight (see above): the revoke callback, shutdown.
  absl::Status Commit(const std::map<TopicPartition, int64_t>& offsets, bool sync) override;
  // Leaves the group (the revoke callback runs from inside this call).
  void Close() override;
  // Cached watermarks from the last fetch response: no broker round trip.
  bool Watermarks(const TopicPartition& tp, int64_t* low, int64_t* high) const override;
  // Client errors reported by librdkafka, for metrics.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

  // Committed offsets of the group for `partitions` (-1001 when none).
  absl::StatusOr<std::map<TopicPartition, int64_t>> Committed(
      const std::vector<TopicPartition>& partitions, int timeout_ms);

 private:
  KafkaSource() = default;
  static void OnRebalance(rd_kafka_t* rk, int err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque);
  static void OnOffsetCommit(rd_kafka_t* rk, int err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque);

  rd_kafka_t* rk_ = nullptr;
  RebalanceHandler* handler_ = nullptr;
  metrics::KafkaClientStats* stats_ = nullptr;
  bool closed_ = false;
  std::atomic<uint64_t> errors_{0};  // relaxed: a metric
};

}  // namespace wirescan::source

#pragma once
// KafkaSource: the input side, a librdkafka consumer-group member. It subscribes to the input
// topics, hands messages to the pipeline one by one, and calls a RebalanceHandler (on the
// consumer thread, from inside Poll) when partitions are assigned or revoked.
//
// Offsets: the pipeline stores each partition's delivered watermark (Store) and librdkafka's
// auto-commit timer commits the stored offsets. That timer skips its turn while the group is
// rebalancing; a manual commit issued then would travel behind the JoinGroup request, fail with
// ILLEGAL_GENERATION, and librdkafka 2.0 (Debian 12) would declare the whole assignment lost
// (librdkafka issue #4059, fixed upstream in 2.10): the partitions' uncommitted work would be
// processed twice. Explicit synchronous commits happen only where the generation is settled:
// inside the revoke callback and at shutdown.
//
// Lifecycle: Create() -> Subscribe() -> Poll()... -> Close() (leaves the group, revoking).
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

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_message_s rd_kafka_message_t;
typedef struct rd_kafka_topic_partition_list_s rd_kafka_topic_partition_list_t;

namespace wirescan::metrics {
class KafkaClientStats;
}

namespace wirescan::source {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
  bool operator==(const TopicPartition& o) const {
    return topic == o.topic && partition == o.partition;
  }
};

class RebalanceHandler {
 public:
  virtual ~RebalanceHandler() = default;
  // New partitions, before any of their messages is returned by Poll().
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions about to leave this member: finish or abandon their work and commit what is
  // complete before returning. `lost`: the group already gave them away; do not commit.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
  // Offsets the group coordinator accepted (auto-commit or Commit), from inside Poll.
  virtual void OnCommitted(const std::vector<std::pair<TopicPartition, int64_t>>& offsets) {
    (void)offsets;
  }
};

class KafkaSource {
 public:
  // `properties`: librdkafka consumer settings (bootstrap.servers, group.id, ...). wirescan sets
  // enable.auto.commit=true (stored offsets only), auto.commit.interval.ms=commit_interval_ms,
  // enable.auto.offset.store=false, enable.partition.eof=true.
  // `stats` (optional, must outlive the source) receives librdkafka's statistics, every
  // statistics.interval.ms (default metrics::kDefaultStatisticsIntervalMs).
  static absl::StatusOr<std::unique_ptr<KafkaSource>> Create(
      const std::map<std::string, std::string>& properties, int commit_interval_ms,
      RebalanceHandler* handler, metrics::KafkaClientStats* stats = nullptr);
  ~KafkaSource();

  absl::Status Subscribe(const std::vector<std::string>& topics);
  // The next message or event, or nullptr after `timeout_ms`. The caller owns the message
  // (rd_kafka_message_destroy). Partition-EOF events have err RD_KAFKA_RESP_ERR__PARTITION_EOF.
  rd_kafka_message_t* Poll(int timeout_ms);
  void Pause(const TopicPartition& tp);
  void Resume(const TopicPartition& tp);
  // Stores next-offset-to-consume per partition for the next auto-commit.
  absl::Status Store(const std::map<TopicPartition, int64_t>& offsets);
  // Commits next-offset-to-consume per partition now; async unless `sync`. Only where no
  // rebalance can be in flight (see above): the revoke callback, shutdown.
  absl::Status Commit(const std::map<TopicPartition, int64_t>& offsets, bool sync);
  // Leaves the group (the revoke callback runs from inside this call).
  void Close();
  // The client handle, for thread-safe read-only calls (cached watermarks for metrics).
  rd_kafka_t* handle() const { return rk_; }
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

#pragma once
// KafkaClientStats: the parts of librdkafka's statistics (the JSON document it emits every
// statistics.interval.ms) that an operator watches, exported on /metrics:
//
//   wirescan_kafka_broker_rtt_seconds{client,broker,stat="avg|p50|p99"}   request round trip
//       over the last statistics window (absent for a broker without requests in it)
//   wirescan_kafka_broker_up{client,broker}                 1 when the connection is UP
//   wirescan_kafka_broker_outstanding_requests{client,broker}   queued + awaiting a response
//   wirescan_kafka_broker_errors_total{client,broker,kind="tx|rx|timeout"}
//   wirescan_kafka_broker_disconnects_total{client,broker}
//   wirescan_kafka_consumer_rebalances_total{client}        consumer only
//   wirescan_kafka_consumer_group_steady{client}            1 when the group's join state is steady
//   wirescan_kafka_consumer_assigned_partitions{client}
//
// `client` is "consumer" or "producer"; `broker` is "host:port/node-id". Only brokers with a
// node id are reported (not bootstrap addresses before they answer, nor librdkafka's internal
// and logical brokers), so the series are bounded by the cluster's size.
//
// Thread safety: Update() runs on the client's callback thread (ws:consumer for the consumer,
// ws:delivery for the producer), Emit() on scrape threads; a mutex guards the last snapshot. It
// is taken once per statistics interval and once per scrape, never per message.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "engine/metrics/registry.h"

namespace wirescan::metrics {

// statistics.interval.ms for the daemon's clients when the configuration does not set it.
inline constexpr int kDefaultStatisticsIntervalMs = 5000;

class KafkaClientStats {
 public:
  explicit KafkaClientStats(std::string client) : client_(std::move(client)) {}
  KafkaClientStats(const KafkaClientStats&) = delete;
  KafkaClientStats& operator=(const KafkaClientStats&) = delete;

  // Replaces the snapshot with one statistics document. A document that is not what librdkafka
  // writes is an error and leaves the previous snapshot in place.
  absl::Status Update(std::string_view json);
  // Statistics documents accepted so far.
  uint64_t updates() const;

  // For the clients' statistics callbacks: Update(), logging a rejected document as a warning.
  void UpdateOrWarn(std::string_view json);
  // Sets statistics.interval.ms to kDefaultStatisticsIntervalMs unless `properties` has it.
  static void DefaultInterval(std::map<std::string, std::string>* properties);

  // The consumer group as of the last statistics, for readiness: `assigned` partitions and the
  // sum of their consumer lag (partitions whose lag librdkafka does not know yet count 0).
  // has_group false before the first statistics with a group.
  struct GroupState {
    bool has_group = false;
    int64_t assigned = 0;
    int64_t lag = 0;
  };
  GroupState Group() const;

  // Declares the families above and adds the series of every client.
  static void Emit(Emitter& out, absl::Span<const KafkaClientStats* const> clients);

 private:
  struct Broker {
    std::string name;  // "host:port/node-id"
    bool up = false;
    bool has_rtt = false;
    double rtt_avg = 0, rtt_p50 = 0, rtt_p99 = 0;  // seconds
    double outstanding = 0;
    double tx_errors = 0, rx_errors = 0, timeouts = 0, disconnects = 0;
  };
  struct Snapshot {
    std::vector<Broker> brokers;
    bool has_group = false;
    double rebalances = 0;
    bool steady = false;
    double assigned = 0;
    int64_t lag = 0;  // sum over the partitions with a known lag
  };

  const std::string client_;
  mutable absl::Mutex mu_;
  Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  uint64_t updates_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wirescan::metrics

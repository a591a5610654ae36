#pragma once
// KafkaSink: the production Sink, an idempotent librdkafka producer with a delivery thread
// ("ws:delivery") that serves delivery reports to a DeliveryListener. Also the small admin
// helpers the daemon needs at start-up (partition counts, creating missing output topics).
//
// Lifecycle: Create() -> Produce()... -> Flush() -> destroy (stops the delivery thread).
// Thread safety: Produce() and Flush() are thread-safe; see Sink.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/thread.h"
#include "engine/emit/sink.h"

typedef struct rd_kafka_s rd_kafka_t;

namespace wirescan::metrics {
class KafkaClientStats;
}

namespace wirescan::emit {

class KafkaSink : public Sink {
 public:
  // `properties`: librdkafka settings (bootstrap.servers at least); wirescan adds
  // enable.idempotence=true. REQUIRES: `listener` outlives the sink. `stats` (optional, must
  // outlive the sink) receives librdkafka's statistics on ws:delivery every
  // statistics.interval.ms (default 5 s).
  static absl::StatusOr<std::unique_ptr<KafkaSink>> Create(
      const std::map<std::string, std::string>& properties, DeliveryListener* listener,
      metrics::KafkaClientStats* stats = nullptr);
  ~KafkaSink() override;

  absl::Status Produce(const OutputMessage& message) override;
  void Abort() override { aborted_.store(true, std::memory_order_release); }

  // Waits until every queued message has a delivery report, up to `timeout_ms`.
  absl::Status Flush(int timeout_ms);
  // Messages queued or in flight.
  int OutstandingMessages() const;

  // Number of partitions of `topic` (metadata request), or NotFound.
  absl::StatusOr<int> PartitionCount(const std::string& topic, int timeout_ms);
  // Creates the topics that do not exist yet (partitions each, the broker's default
  // replication factor); existing topics are left as they are.
  absl::Status EnsureTopics(const std::vector<std::string>& topics, int partitions, int timeout_ms);

  rd_kafka_t* handle() { return rk_; }

  // Client errors reported by librdkafka (transport, authentication, ...), for metrics.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  // False after librdkafka reported that no broker is reachable, until a delivery succeeds.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  KafkaSink() = default;
  static void OnDeliveryReport(rd_kafka_t* rk, const void* msg, void* opaque);
  void DeliveryLoop();

  rd_kafka_t* rk_ = nullptr;
  DeliveryListener* listener_ = nullptr;
  metrics::KafkaClientStats* stats_ = nullptr;
  std::atomic<bool> stop_{false};     // release in ~KafkaSink, acquire in DeliveryLoop
  std::atomic<bool> aborted_{false};  // release in Abort(), acquire in Produce()
  std::atomic<uint64_t> errors_{0};     // relaxed: a metric
  std::atomic<bool> connected_{true};   // relaxed: a readiness hint
  core::NamedThread delivery_thread_;
};

}  // namespace wirescan::emit

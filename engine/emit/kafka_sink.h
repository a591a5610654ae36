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
  // enable.idempotence=true. Delivery reports are classified (Delivery): a refusal of one
  // message (too large, invalid record) is kRefused, anything else kFailed; a fatal producer
  // error reaches DeliveryListener::OnFatalError. REQUIRES: `listener` outlives the sink. `stats` (optional, must
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
  // Each topic's max.message.bytes (DescribeConfigs; the topic's own value or the broker's
  // default). Errors: the request failed as a whole (an older broker, no DescribeConfigs
  // permission, a cluster that does not implement it); a topic whose entry failed is absent.
  absl::StatusOr<std::map<std::string, size_t>> TopicMaxMessageBytes(
      const std::vector<std::string>& topics, int timeout_ms);

  // The producer's message.max.bytes as configured (what Produce() accepts: see
  // output_limits.h, RecordSize).
  size_t max_message_bytes() const { return max_message_bytes_; }

  // The value librdkafka would use for `name` given `properties` (its default if not set), or
  // InvalidArgument if a property is invalid.
  static absl::StatusOr<std::string> EffectiveProperty(
      const std::map<std::string, std::string>& properties, const std::string& name);

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
  size_t max_message_bytes_ = 0;
  metrics::KafkaClientStats* stats_ = nullptr;
  std::atomic<bool> stop_{false};     // release in ~KafkaSink, acquire in DeliveryLoop
  std::atomic<bool> aborted_{false};  // release in Abort(), acquire in Produce()
  std::atomic<uint64_t> errors_{0};     // relaxed: a metric
  std::atomic<bool> connected_{true};   // relaxed: a readiness hint
  core::NamedThread delivery_thread_;
};

}  // namespace wirescan::emit

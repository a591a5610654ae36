#pragma once
// Sink: where the pipeline's output messages go. The production implementation is KafkaSink
// (an idempotent librdkafka producer); tests use a fake (tests/fakes/).
//
// Contract: Produce() copies everything it is given; once it returns OK, the sink reports the
// message's fate exactly once to its DeliveryListener with the same `opaque`. A sink never drops
// a message silently.
//
// Thread safety: Produce() is thread-safe (called by every worker); listeners are called on the
// sink's own delivery thread.

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace wirescan::emit {

struct Header {
  std::string_view key;
  std::string_view value;
};

struct OutputMessage {
  std::string_view topic;
  int32_t partition = -1;  // -1: chosen by the key (the producer's partitioner)
  std::string_view key;
  std::string_view value;
  std::span<const Header> headers;
  void* opaque = nullptr;  // handed back to the listener
};

// The fate of one produced message.
enum class Delivery : uint8_t {
  kDelivered,
  // Refused for what it is, permanently: retrying cannot help and the other messages are
  // unaffected. The caller decides what becomes of the input (wirescan: a dead letter).
  kTooLarge,  // larger than the producer's, the broker's or the topic's limit
  kRefused,   // another refusal of this record (invalid record, corrupt, bad timestamp)
  // Not delivered after the producer's retries (brokers unreachable, timed out, purged): the
  // message is lost unless its input is processed again.
  kFailed,
};

class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  // Called once per produced message, on the sink's delivery thread (or the thread that
  // flushes), with the message's topic; `error` says why when not delivered.
  virtual void OnDelivery(void* opaque, Delivery result, std::string_view topic,
                          std::string_view error) = 0;
  // The producer cannot go on (a fatal idempotent-producer error): nothing produced after this
  // is guaranteed; the owner must stop without committing past its undelivered outputs.
  virtual void OnFatalError(std::string_view error) { (void)error; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Queues one message. Blocks while the producer's queue is full (backpressure) until there is
  // room or `Abort()` was called. Errors: the message was not queued (no delivery report);
  // OutOfRange: this message can never be produced as it is (larger than the producer's
  // message.max.bytes), other messages can; any other code: the sink cannot produce.
  virtual absl::Status Produce(const OutputMessage& message) = 0;
  // Makes blocked and future Produce() calls fail fast (shutdown).
  virtual void Abort() = 0;
};

}  // namespace wirescan::emit

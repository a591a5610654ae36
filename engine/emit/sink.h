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

class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  // `ok` false: the message could not be delivered after the producer's retries (`error` says
  // why). Called once per produced message, on the sink's delivery thread.
  virtual void OnDelivery(void* opaque, bool ok, std::string_view error) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Queues one message. Blocks while the producer's queue is full (backpressure) until there is
  // room or `Abort()` was called. Errors: the message was not queued (no delivery report).
  virtual absl::Status Produce(const OutputMessage& message) = 0;
  // Makes blocked and future Produce() calls fail fast (shutdown).
  virtual void Abort() = 0;
};

}  // namespace wirescan::emit

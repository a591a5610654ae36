#pragma once
// librdkafka properties checked at load time, before anything connects: the properties of a
// client are applied to a throwaway rd_kafka_conf_t (an unknown property or a bad value is
// refused there), and a client is created from it without bootstrap servers, so it connects
// nowhere but checks what librdkafka checks only at creation (a SASL mechanism it does not
// know, SASL credentials missing, a CA file it cannot read, settings that contradict
// idempotence). The client is destroyed at once; its log lines are discarded.
//
// Thread safety: thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wirescan::config {

enum class KafkaClientType { kConsumer, kProducer };

struct KafkaPropertyProblem {
  // The property librdkafka refused; "" when it refused the client as a whole without naming
  // one of `properties`.
  std::string property;
  std::string message;  // librdkafka's words
};

// Applies `properties` in order (a later entry replaces an earlier one; put the caller's own
// last: an error of client creation is blamed on the last property it names) and creates a client of
// `type` from them. nullopt when librdkafka accepts them. `bootstrap.servers` and
// `metadata.broker.list` are skipped: the check must not connect.
std::optional<KafkaPropertyProblem> CheckKafkaProperties(
    KafkaClientType type, const std::vector<std::pair<std::string, std::string>>& properties);

}  // namespace wirescan::config

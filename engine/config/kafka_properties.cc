#include "engine/config/kafka_properties.h"

#include <librdkafka/rdkafka.h>

#include <string_view>

namespace wirescan::config {
namespace {

// Which of `properties` librdkafka's creation error is about: the last one it names (the
// caller's own come after the managed ones), else the SASL mechanism for its "Unsupported SASL
// mechanism" (which names the value, not the key).
std::string Blame(std::string_view message,
                  const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string blamed;
  for (const auto& [key, value] : properties) {
    if (message.find(key) != std::string_view::npos) blamed = key;
  }
  if (!blamed.empty()) return blamed;
  if (message.find("SASL mechanism") != std::string_view::npos) {
    for (const auto& [key, value] : properties) {
      if (key == "sasl.mechanism" || key == "sasl.mechanisms") blamed = key;
    }
  }
  return blamed;
}

}  // namespace

std::optional<KafkaPropertyProblem> CheckKafkaProperties(
    KafkaClientType type, const std::vector<std::pair<std::string, std::string>>& properties) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : properties) {
    if (key == "bootstrap.servers" || key == "metadata.broker.list") continue;
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return KafkaPropertyProblem{key, err};
    }
  }
  // Set last, so that no property turns the throwaway client's logging back on.
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  rd_kafka_t* rk = rd_kafka_new(type == KafkaClientType::kConsumer ? RD_KAFKA_CONSUMER
                                                                    : RD_KAFKA_PRODUCER,
                                conf, err, sizeof(err));
  if (rk == nullptr) {  // The conf is still ours on failure.
    rd_kafka_conf_destroy(conf);
    return KafkaPropertyProblem{Blame(err, properties), err};
  }
  rd_kafka_destroy(rk);
  return std::nullopt;
}

}  // namespace wirescan::config

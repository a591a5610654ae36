#include "engine/core/kafka_log.h"

#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"

namespace wirescan::core {

LogLevel KafkaLogLevel(int syslog_level) {
  if (syslog_level <= 3) return LogLevel::kError;  // emerg, alert, crit, err
  if (syslog_level == 4) return LogLevel::kWarning;
  if (syslog_level <= 6) return LogLevel::kInfo;  // notice, info
  return LogLevel::kDebug;
}

std::string KafkaLogLine(std::string_view client, std::string_view facility,
                         std::string_view message) {
  return absl::StrCat("rdkafka ", Sv(client), ": ", Sv(facility), ": ", Sv(message));
}

void SetKafkaLogger(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* rk, int level, const char* facility,
                                    const char* message) {
    Log(KafkaLogLevel(level),
        KafkaLogLine(rk != nullptr ? rd_kafka_name(rk) : "", facility, message));
  });
}

rd_kafka_conf_t* NewKafkaConf() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  SetKafkaLogger(conf);
  return conf;
}

}  // namespace wirescan::core

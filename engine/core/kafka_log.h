#pragma once
// librdkafka's own log lines through our logger (core/log.h): same format, same --log-level
// filter, --log-json. Every client the daemon creates gets it (NewKafkaConf()), so nothing of
// librdkafka's is printed on its own to stderr.
//
// A line reads "rdkafka <client name>: <facility>: <message>", e.g.
//   rdkafka wirescan#consumer-1: FAIL: [thrd:127.0.0.1:1/bootstrap]: Connect to ... failed
// at the level mapped from librdkafka's syslog level: 0-3 error, 4 warning, 5-6 info, 7 debug.
// The thread is librdkafka's own (rdk:*), where it logs from.
//
// Thread safety: thread-safe (librdkafka calls the callback from its threads).

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "engine/core/log.h"

namespace wirescan::core {

// Our level for a librdkafka (syslog) level.
LogLevel KafkaLogLevel(int syslog_level);

// The text of one of librdkafka's lines, as logged.
std::string KafkaLogLine(std::string_view client, std::string_view facility,
                         std::string_view message);

// Sets `conf`'s log callback to our logger.
void SetKafkaLogger(rd_kafka_conf_t* conf);

// rd_kafka_conf_new() with our logger set: use it for every client.
rd_kafka_conf_t* NewKafkaConf();

}  // namespace wirescan::core

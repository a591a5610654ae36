#include "engine/core/kafka_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(KafkaLogTest, SyslogLevelsMapOntoOurs) {
  EXPECT_EQ(KafkaLogLevel(0), LogLevel::kError);
  EXPECT_EQ(KafkaLogLevel(3), LogLevel::kError);
  EXPECT_EQ(KafkaLogLevel(4), LogLevel::kWarning);
  EXPECT_EQ(KafkaLogLevel(5), LogLevel::kInfo);
  EXPECT_EQ(KafkaLogLevel(6), LogLevel::kInfo);
  EXPECT_EQ(KafkaLogLevel(7), LogLevel::kDebug);
}

TEST(KafkaLogTest, LineNamesClientAndFacility) {
  EXPECT_EQ(KafkaLogLine("wirescan#producer-1", "CONFWARN", "x"),
            "rdkafka wirescan#producer-1: CONFWARN: x");
}

// Runs `body` with stderr redirected to a file; returns what was written.
template <typename F>
std::string CaptureStderr(F body) {
  char path[] = "/tmp/wirescan_kafka_log_test_XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

// A producer given a consumer property warns while it is created, on the creating thread:
// a synchronous, deterministic line of librdkafka's own.
void CreateProducerThatWarns() {
  char err[512];
  rd_kafka_conf_t* conf = NewKafkaConf();
  ASSERT_EQ(rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof(err)),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  ASSERT_NE(rk, nullptr) << err;
  rd_kafka_destroy(rk);
}

TEST(KafkaLogTest, LibrdkafkaLinesGoThroughOurLoggerAsJson) {
  SetLogJson(true);
  std::string out = CaptureStderr(CreateProducerThatWarns);
  SetLogJson(false);
  EXPECT_THAT(out, HasSubstr("\"level\":\"WARN\""));
  EXPECT_THAT(out, HasSubstr("\"msg\":\"rdkafka "));
  EXPECT_THAT(out, HasSubstr(": CONFWARN: "));
  EXPECT_THAT(out, HasSubstr("fetch.wait.max.ms is a consumer property"));
  // Nothing in librdkafka's own format ("%4|<time>|CONFWARN|...").
  EXPECT_THAT(out, Not(HasSubstr("|CONFWARN|")));
}

TEST(KafkaLogTest, LevelFilterApplies) {
  SetLogLevel(LogLevel::kError);
  std::string out = CaptureStderr(CreateProducerThatWarns);
  SetLogLevel(LogLevel::kInfo);
  EXPECT_THAT(out, Not(HasSubstr("CONFWARN")));
}

}  // namespace
}  // namespace wirescan::core

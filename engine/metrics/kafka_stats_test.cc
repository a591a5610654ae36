#include "engine/metrics/kafka_stats.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace wirescan::metrics {
namespace {

// Shaped like librdkafka 2.0's statistics (only the fields read, plus some that are not): a
// bootstrap broker that has told its node id (still "configured", as librdkafka 2.0 reports it),
// a learned one without RTT samples, an unresolved bootstrap address, the logical coordinator.
constexpr std::string_view kConsumerStats = R"({
  "name": "wirescan#consumer-1", "type": "consumer", "msg_cnt": 12,
  "brokers": {
    "127.0.0.1:9092/bootstrap": {"name": "127.0.0.1:9092/bootstrap", "nodeid": -1,
      "nodename": "127.0.0.1:9092", "source": "configured", "state": "UP",
      "rtt": {"avg": 900, "p50": 900, "p99": 900, "cnt": 3}},
    "GroupCoordinator": {"name": "GroupCoordinator", "nodeid": 1, "nodename": "127.0.0.1:9092",
      "source": "logical", "state": "UP"},
    ":0/internal": {"name": ":0/internal", "nodeid": -1, "nodename": "", "source": "internal",
      "state": "UP"},
    "127.0.0.1:9093/2": {"name": "127.0.0.1:9093/2", "nodeid": 2, "nodename": "127.0.0.1:9093",
      "source": "learned", "state": "TRY_CONNECT", "outbuf_cnt": 0, "waitresp_cnt": 0,
      "txerrs": 4, "rxerrs": 1, "req_timeouts": 2, "disconnects": 3,
      "rtt": {"min": 0, "max": 0, "avg": 0, "p50": 0, "p99": 0, "cnt": 0}},
    "127.0.0.1:9092/1": {"name": "127.0.0.1:9092/1", "nodeid": 1, "nodename": "127.0.0.1:9092",
      "source": "configured", "state": "UP", "outbuf_cnt": 1, "waitresp_cnt": 2,
      "txerrs": 0, "rxerrs": 0, "req_timeouts": 0, "disconnects": 0,
      "rtt": {"min": 100, "max": 9000, "avg": 1500, "p50": 1200, "p99": 8000, "cnt": 40}}
  },
  "cgrp": {"state": "up", "join_state": "steady", "rebalance_cnt": 3, "assignment_size": 6}
})";

constexpr std::string_view kProducerStats = R"({
  "name": "wirescan#producer-2", "type": "producer",
  "brokers": {
    "127.0.0.1:9092/1": {"nodeid": 1, "nodename": "127.0.0.1:9092", "source": "learned",
      "state": "UP", "outbuf_cnt": 0, "waitresp_cnt": 1, "txerrs": 0, "rxerrs": 0,
      "req_timeouts": 0, "disconnects": 1,
      "rtt": {"avg": 2000, "p50": 2000, "p99": 4000, "cnt": 10}}
  }
})";

std::string Expose(const KafkaClientStats& consumer, const KafkaClientStats& producer) {
  Registry r;
  r.AddCollector([&](Emitter& e) {
    const KafkaClientStats* clients[] = {&consumer, &producer};
    KafkaClientStats::Emit(e, clients);
  });
  return r.Expose();
}

TEST(KafkaClientStatsTest, ExportsLearnedBrokersAndTheGroup) {
  KafkaClientStats consumer("consumer"), producer("producer");
  ASSERT_TRUE(consumer.Update(kConsumerStats).ok());
  ASSERT_TRUE(producer.Update(kProducerStats).ok());
  EXPECT_EQ(Expose(consumer, producer),
            R"(# HELP wirescan_kafka_broker_disconnects_total Connections to the broker that were lost or closed.
# TYPE wirescan_kafka_broker_disconnects_total counter
wirescan_kafka_broker_disconnects_total{client="consumer",broker="127.0.0.1:9092/1"} 0
wirescan_kafka_broker_disconnects_total{client="consumer",broker="127.0.0.1:9093/2"} 3
wirescan_kafka_broker_disconnects_total{client="producer",broker="127.0.0.1:9092/1"} 1
# HELP wirescan_kafka_broker_errors_total Transmit errors, receive errors and request timeouts per broker.
# TYPE wirescan_kafka_broker_errors_total counter
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9092/1",kind="rx"} 0
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9092/1",kind="timeout"} 0
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9092/1",kind="tx"} 0
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9093/2",kind="rx"} 1
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9093/2",kind="timeout"} 2
wirescan_kafka_broker_errors_total{client="consumer",broker="127.0.0.1:9093/2",kind="tx"} 4
wirescan_kafka_broker_errors_total{client="producer",broker="127.0.0.1:9092/1",kind="rx"} 0
wirescan_kafka_broker_errors_total{client="producer",broker="127.0.0.1:9092/1",kind="timeout"} 0
wirescan_kafka_broker_errors_total{client="producer",broker="127.0.0.1:9092/1",kind="tx"} 0
# HELP wirescan_kafka_broker_outstanding_requests Requests queued for a broker or awaiting its response.
# TYPE wirescan_kafka_broker_outstanding_requests gauge
wirescan_kafka_broker_outstanding_requests{client="consumer",broker="127.0.0.1:9092/1"} 3
wirescan_kafka_broker_outstanding_requests{client="consumer",broker="127.0.0.1:9093/2"} 0
wirescan_kafka_broker_outstanding_requests{client="producer",broker="127.0.0.1:9092/1"} 1
# HELP wirescan_kafka_broker_rtt_seconds Request round-trip time to a broker over the last librdkafka statistics window.
# TYPE wirescan_kafka_broker_rtt_seconds gauge
wirescan_kafka_broker_rtt_seconds{client="consumer",broker="127.0.0.1:9092/1",stat="avg"} 0.0015
wirescan_kafka_broker_rtt_seconds{client="consumer",broker="127.0.0.1:9092/1",stat="p50"} 0.0012
wirescan_kafka_broker_rtt_seconds{client="consumer",broker="127.0.0.1:9092/1",stat="p99"} 0.008
wirescan_kafka_broker_rtt_seconds{client="producer",broker="127.0.0.1:9092/1",stat="avg"} 0.002
wirescan_kafka_broker_rtt_seconds{client="producer",broker="127.0.0.1:9092/1",stat="p50"} 0.002
wirescan_kafka_broker_rtt_seconds{client="producer",broker="127.0.0.1:9092/1",stat="p99"} 0.004
# HELP wirescan_kafka_broker_up 1 when the client's connection to the broker is up.
# TYPE wirescan_kafka_broker_up gauge
wirescan_kafka_broker_up{client="consumer",broker="127.0.0.1:9092/1"} 1
wirescan_kafka_broker_up{client="consumer",broker="127.0.0.1:9093/2"} 0
wirescan_kafka_broker_up{client="producer",broker="127.0.0.1:9092/1"} 1
# HELP wirescan_kafka_consumer_assigned_partitions Partitions assigned to this consumer group member.
# TYPE wirescan_kafka_consumer_assigned_partitions gauge
wirescan_kafka_consumer_assigned_partitions{client="consumer"} 6
# HELP wirescan_kafka_consumer_group_steady 1 when the consumer group membership is steady (not joining or rebalancing).
# TYPE wirescan_kafka_consumer_group_steady gauge
wirescan_kafka_consumer_group_steady{client="consumer"} 1
# HELP wirescan_kafka_consumer_rebalances_total Consumer group rebalances this member took part in.
# TYPE wirescan_kafka_consumer_rebalances_total counter
wirescan_kafka_consumer_rebalances_total{client="consumer"} 3
)");
}

TEST(KafkaClientStatsTest, GroupStateSumsTheKnownConsumerLag) {
  KafkaClientStats consumer("consumer");
  EXPECT_FALSE(consumer.Group().has_group);
  ASSERT_TRUE(consumer.Update(kConsumerStats).ok());
  KafkaClientStats::GroupState g = consumer.Group();
  EXPECT_TRUE(g.has_group);
  EXPECT_EQ(g.assigned, 6);
  EXPECT_EQ(g.lag, 0);  // no topics in the document
  ASSERT_TRUE(consumer.Update(R"({"brokers": {},
    "cgrp": {"join_state": "steady", "assignment_size": 2},
    "topics": {
      "in": {"partitions": {
        "0": {"partition": 0, "consumer_lag": 40},
        "1": {"partition": 1, "consumer_lag": -1},
        "-1": {"partition": -1, "consumer_lag": 99}}},
      "other": {"partitions": {"3": {"partition": 3, "consumer_lag": 2}}}}})").ok());
  g = consumer.Group();
  EXPECT_EQ(g.assigned, 2);
  EXPECT_EQ(g.lag, 42);
  KafkaClientStats producer("producer");
  ASSERT_TRUE(producer.Update(kProducerStats).ok());
  EXPECT_FALSE(producer.Group().has_group);
}

TEST(KafkaClientStatsTest, NothingBeforeTheFirstDocument) {
  KafkaClientStats consumer("consumer"), producer("producer");
  EXPECT_EQ(Expose(consumer, producer), "");
  EXPECT_EQ(consumer.updates(), 0u);
}

TEST(KafkaClientStatsTest, ABadDocumentKeepsThePreviousSnapshot) {
  KafkaClientStats consumer("consumer"), producer("producer");
  ASSERT_TRUE(producer.Update(kProducerStats).ok());
  const std::string before = Expose(consumer, producer);
  for (std::string_view bad : {std::string_view("{\"brokers\": {"), std::string_view("[]"),
                               std::string_view("{\"name\": \"x\"}"), std::string_view("")}) {
    EXPECT_FALSE(producer.Update(bad).ok()) << bad;
  }
  EXPECT_EQ(producer.updates(), 1u);
  EXPECT_EQ(Expose(consumer, producer), before);
  EXPECT_NE(before.find("wirescan_kafka_broker_rtt_seconds{client=\"producer\""),
            std::string::npos);
}

TEST(KafkaClientStatsTest, DefaultIntervalKeepsTheConfiguredOne) {
  std::map<std::string, std::string> unset, set{{"statistics.interval.ms", "1000"}};
  KafkaClientStats::DefaultInterval(&unset);
  KafkaClientStats::DefaultInterval(&set);
  EXPECT_EQ(unset.at("statistics.interval.ms"), std::to_string(kDefaultStatisticsIntervalMs));
  EXPECT_EQ(set.at("statistics.interval.ms"), "1000");
}

}  // namespace
}  // namespace wirescan::metrics

#include "engine/metrics/kafka_stats.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/core/log.h"

namespace wirescan::metrics {
namespace {

// A number field (librdkafka writes integers), 0 when absent.
double Number(simdjson::dom::element obj, std::string_view key) {
  simdjson::dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS) return 0;
  int64_t i = 0;
  if (v.get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  double d = 0;
  if (v.get(d) == simdjson::SUCCESS) return d;
  return 0;
}

std::string_view String(simdjson::dom::element obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get(s) != simdjson::SUCCESS) return {};
  return s;
}

}  // namespace

absl::Status KafkaClientStats::Update(std::string_view json) {
  // Called once per statistics interval: a parser per call keeps the object free of state that
  // would need the callback thread to be the same one every time.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        std::string("librdkafka statistics: ") + simdjson::error_message(err));
  }
  simdjson::dom::object brokers;
  if (doc["brokers"].get(brokers) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("librdkafka statistics: no \"brokers\" object");
  }
  Snapshot next;
  for (auto field : brokers) {
    simdjson::dom::element b = field.value;
    // Real brokers have a node id: learned from metadata, or a bootstrap address ("configured")
    // once it has told its id. Skipped: bootstrap addresses not connected yet (node id -1) and
    // the client's internal / logical brokers (":0/internal", "GroupCoordinator").
    const std::string_view source = String(b, "source");
    if (Number(b, "nodeid") < 0 || source == "internal" || source == "logical") continue;
    Broker out;
    out.name = std::string(String(b, "nodename"));
    out.name += '/';
    out.name += std::to_string(static_cast<int64_t>(Number(b, "nodeid")));
    out.up = String(b, "state") == "UP";
    out.outstanding = Number(b, "outbuf_cnt") + Number(b, "waitresp_cnt");
    out.tx_errors = Number(b, "txerrs");
    out.rx_errors = Number(b, "rxerrs");
    out.timeouts = Number(b, "req_timeouts");
    out.disconnects = Number(b, "disconnects");
    simdjson::dom::element rtt;
    if (b["rtt"].get(rtt) == simdjson::SUCCESS && Number(rtt, "cnt") > 0) {
      out.has_rtt = true;  // microseconds over the last window
      out.rtt_avg = Number(rtt, "avg") / 1e6;
      out.rtt_p50 = Number(rtt, "p50") / 1e6;
      out.rtt_p99 = Number(rtt, "p99") / 1e6;
    }
    next.brokers.push_back(std::move(out));
  }
  std::sort(next.brokers.begin(), next.brokers.end(),
            [](const Broker& a, const Broker& b) { return a.name < b.name; });
  simdjson::dom::element cgrp;
  if (doc["cgrp"].get(cgrp) == simdjson::SUCCESS) {
    next.has_group = true;
    next.rebalances = Number(cgrp, "rebalance_cnt");
    next.steady = String(cgrp, "join_state") == "steady";
    next.assigned = Number(cgrp, "assignment_size");
  }
  // Consumer lag per partition (-1 when unknown, e.g. not assigned or not fetched yet).
  simdjson::dom::object topics;
  if (doc["topics"].get(topics) == simdjson::SUCCESS) {
    for (auto topic : topics) {
      simdjson::dom::object partitions;
      if (topic.value["partitions"].get(partitions) != simdjson::SUCCESS) continue;
      for (auto partition : partitions) {
        if (Number(partition.value, "partition") < 0) continue;  // the UA (-1) pseudo-partition
        const double lag = Number(partition.value, "consumer_lag");
        if (lag > 0) next.lag += static_cast<int64_t>(lag);
      }
    }
  }
  absl::MutexLock lock(&mu_);
  snapshot_ = std::move(next);
  ++updates_;
  return absl::OkStatus();
}

void KafkaClientStats::UpdateOrWarn(std::string_view json) {
  absl::Status s = Update(json);
  if (!s.ok()) core::LogWarning(client_, ": ", s.message());
}

void KafkaClientStats::DefaultInterval(std::map<std::string, std::string>* properties) {
  if (!properties->contains("statistics.interval.ms")) {
    (*properties)["statistics.interval.ms"] = std::to_string(kDefaultStatisticsIntervalMs);
  }
}

KafkaClientStats::GroupState KafkaClientStats::Group() const {
  absl::MutexLock lock(&mu_);
  GroupState g;
  if (updates_ == 0 || !snapshot_.has_group) return g;
  g.has_group = true;
  g.assigned = static_cast<int64_t>(snapshot_.assigned);
  g.lag = snapshot_.lag;
  return g;
}

uint64_t KafkaClientStats::updates() const {
  absl::MutexLock lock(&mu_);
  return updates_;
}

void KafkaClientStats::Emit(Emitter& out, absl::Span<const KafkaClientStats* const> clients) {
  std::vector<std::pair<std::string, Snapshot>> snaps;
  for (const KafkaClientStats* c : clients) {
    absl::MutexLock lock(&c->mu_);
    if (c->updates_ == 0) continue;
    snaps.emplace_back(c->client_, c->snapshot_);
  }
  static constexpr std::string_view kBroker[] = {"client", "broker"};
  static constexpr std::string_view kBrokerStat[] = {"client", "broker", "stat"};
  static constexpr std::string_view kBrokerKind[] = {"client", "broker", "kind"};
  static constexpr std::string_view kClient[] = {"client"};

  // Every (client, broker) of the snapshots, in order.
  auto each_broker = [&snaps](auto&& add) {
    for (const auto& [client, s] : snaps) {
      for (const Broker& b : s.brokers) add(client, b);
    }
  };
  out.Declare("wirescan_kafka_broker_rtt_seconds", MetricType::kGauge,
              "Request round-trip time to a broker over the last librdkafka statistics window.",
              kBrokerStat);
  each_broker([&out](const std::string& client, const Broker& b) {
    if (!b.has_rtt) return;
    out.Add({client, b.name, "avg"}, b.rtt_avg);
    out.Add({client, b.name, "p50"}, b.rtt_p50);
    out.Add({client, b.name, "p99"}, b.rtt_p99);
  });
  out.Declare("wirescan_kafka_broker_up", MetricType::kGauge,
              "1 when the client's connection to the broker is up.", kBroker);
  each_broker([&out](const std::string& client, const Broker& b) {
    out.Add({client, b.name}, b.up ? 1 : 0);
  });
  out.Declare("wirescan_kafka_broker_outstanding_requests", MetricType::kGauge,
              "Requests queued for a broker or awaiting its response.", kBroker);
  each_broker([&out](const std::string& client, const Broker& b) {
    out.Add({client, b.name}, b.outstanding);
  });
  out.Declare("wirescan_kafka_broker_errors_total", MetricType::kCounter,
              "Transmit errors, receive errors and request timeouts per broker.", kBrokerKind);
  each_broker([&out](const std::string& client, const Broker& b) {
    out.Add({client, b.name, "tx"}, b.tx_errors);
    out.Add({client, b.name, "rx"}, b.rx_errors);
    out.Add({client, b.name, "timeout"}, b.timeouts);
  });
  out.Declare("wirescan_kafka_broker_disconnects_total", MetricType::kCounter,
              "Connections to the broker that were lost or closed.", kBroker);
  each_broker([&out](const std::string& client, const Broker& b) {
    out.Add({client, b.name}, b.disconnects);
  });
  out.Declare("wirescan_kafka_consumer_rebalances_total", MetricType::kCounter,
              "Consumer group rebalances this member took part in.", kClient);
  for (const auto& [client, s] : snaps) {
    if (s.has_group) out.Add({client}, s.rebalances);
  }
  out.Declare("wirescan_kafka_consumer_group_steady", MetricType::kGauge,
              "1 when the consumer group membership is steady (not joining or rebalancing).",
              kClient);
  for (const auto& [client, s] : snaps) {
    if (s.has_group) out.Add({client}, s.steady ? 1 : 0);
  }
  out.Declare("wirescan_kafka_consumer_assigned_partitions", MetricType::kGauge,
              "Partitions assigned to this consumer group member.", kClient);
  for (const auto& [client, s] : snaps) {
    if (s.has_group) out.Add({client}, s.assigned);
  }
}

}  // namespace wirescan::metrics

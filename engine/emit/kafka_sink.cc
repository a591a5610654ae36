#include "engine/emit/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/core/kafka_log.h"
#include "engine/core/log.h"
#include "engine/core/strings.h"
#include "engine/metrics/kafka_stats.h"

namespace wirescan::emit {
namespace {

absl::Status SetAll(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props) {
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("producer property ", k, ": ", err));
    }
  }
  return absl::OkStatus();
}

// What a delivery error means for the message: some refuse it for what it is (producing it
// again would fail the same way, and the producer goes on with the others); the rest mean it
// was lost.
Delivery Classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:     // local (message.max.bytes) or the broker
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return Delivery::kTooLarge;
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:          // e.g. a compacted topic's record check
    case RD_KAFKA_RESP_ERR_INVALID_MSG:             // the broker found the record corrupt
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
      return Delivery::kRefused;
    default:
      return Delivery::kFailed;
  }
}

}  // namespace

absl::StatusOr<std::string> KafkaSink::EffectiveProperty(
    const std::map<std::string, std::string>& properties, const std::string& name) {
  rd_kafka_conf_t* conf = core::NewKafkaConf();
  absl::Status s = SetAll(conf, properties);
  std::string value;
  if (s.ok()) {
    size_t size = 0;
    if (rd_kafka_conf_get(conf, name.c_str(), nullptr, &size) != RD_KAFKA_CONF_OK) {
      s = absl::InvalidArgumentError(absl::StrCat("unknown librdkafka property ", name));
    } else {
      value.resize(size);
      rd_kafka_conf_get(conf, name.c_str(), value.data(), &size);
      value.resize(size > 0 ? size - 1 : 0);  // size counts the NUL
    }
  }
  rd_kafka_conf_destroy(conf);
  if (!s.ok()) return s;
  return value;
}

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Create(
    const std::map<std::string, std::string>& properties, DeliveryListener* listener,
    metrics::KafkaClientStats* stats) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink());
  sink->listener_ = listener;
  sink->stats_ = stats;
  rd_kafka_conf_t* conf = core::NewKafkaConf();
  std::map<std::string, std::string> props = properties;
  props["enable.idempotence"] = "true";  // ordered, no duplicates from producer retries
  if (!props.contains("linger.ms")) props["linger.ms"] = "5";
  if (stats != nullptr) metrics::KafkaClientStats::DefaultInterval(&props);
  absl::Status s = SetAll(conf, props);
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  {
    char value[32];
    size_t size = sizeof(value);
    if (rd_kafka_conf_get(conf, "message.max.bytes", value, &size) == RD_KAFKA_CONF_OK) {
      sink->max_message_bytes_ = std::strtoull(value, nullptr, 10);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t* rk, const rd_kafka_message_t* msg, void* op) {
    OnDeliveryReport(rk, msg, op);
  });
  if (stats != nullptr) {
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void* opaque) {
      // On ws:delivery (rd_kafka_poll). 0: librdkafka frees the document.
      static_cast<KafkaSink*>(opaque)->stats_->UpdateOrWarn({json, len});
      return 0;
    });
  }
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    self->errors_.fetch_add(1, std::memory_order_relaxed);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->connected_.store(false);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      // The idempotent producer cannot guarantee order or no-loss any more.
      char fatal[512];
      rd_kafka_resp_err_t original = rd_kafka_fatal_error(self->rk_, fatal, sizeof(fatal));
      self->listener_->OnFatalError(
          absl::StrCat(rd_kafka_err2name(original), ": ", fatal));
    }
    core::LogWarning("producer: ", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)), ": ",
                     reason);
  });
  rd_kafka_conf_set_opaque(conf, sink.get());
  char err[512];
  sink->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (sink->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("cannot create the producer: ", err));
  }
  KafkaSink* raw = sink.get();
  sink->delivery_thread_ = core::NamedThread("ws:delivery", [raw] { raw->DeliveryLoop(); });
  return sink;
}

KafkaSink::~KafkaSink() {
  stop_.store(true, std::memory_order_release);
  delivery_thread_.Join();
  if (rk_ != nullptr) {
    rd_kafka_poll(rk_, 0);  // serve any last reports
    rd_kafka_destroy(rk_);
  }
}

void KafkaSink::OnDeliveryReport(rd_kafka_t*, const void* msg_ptr, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  const auto* msg = static_cast<const rd_kafka_message_t*>(msg_ptr);
  const char* topic = rd_kafka_topic_name(msg->rkt);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    sink->connected_.store(true, std::memory_order_relaxed);
    sink->listener_->OnDelivery(msg->_private, Delivery::kDelivered, topic, {});
  } else {
    sink->listener_->OnDelivery(msg->_private, Classify(msg->err), topic,
                                rd_kafka_err2str(msg->err));
  }
}

void KafkaSink::DeliveryLoop() {
  while (!stop_.load(std::memory_order_acquire)) rd_kafka_poll(rk_, 100);
}

absl::Status KafkaSink::Produce(const OutputMessage& m) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
  for (const Header& h : m.headers) {
    rd_kafka_header_add(headers, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  // librdkafka wants a NUL-terminated name: a per-thread buffer, so no allocation per message
  // once it has grown to the longest topic name.
  thread_local std::string topic;
  topic.assign(m.topic.data(), m.topic.size());
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(m.key.data()), m.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(m.opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();  // headers now owned by rk
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || aborted_.load(std::memory_order_acquire)) {
      rd_kafka_headers_destroy(headers);
      std::string what = absl::StrCat("produce to ", topic, ": ", rd_kafka_err2str(err));
      if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) return absl::OutOfRangeError(what);
      return absl::UnavailableError(what);
    }
    // The producer queue is full: wait for deliveries to make room (the delivery thread polls).
    // This blocks the worker, its partition queues fill, and the consumer pauses them.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

absl::Status KafkaSink::Flush(int timeout_ms) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::DeadlineExceededError(absl::StrCat("flush: ", rd_kafka_outq_len(rk_),
                                                    " message(s) still in flight"));
  }
  return absl::OkStatus();
}

int KafkaSink::OutstandingMessages() const { return rd_kafka_outq_len(rk_); }

absl::StatusOr<int> KafkaSink::PartitionCount(const std::string& topic, int timeout_ms) {
  // Ask for all topics: a metadata request naming the topic would make a broker with
  // auto.create.topics.enable create it, with the broker's default partition count.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 1, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata: ", rd_kafka_err2str(err)));
  }
  int count = -1;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (count <= 0) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
  return count;
}

absl::Status KafkaSink::EnsureTopics(const std::vector<std::string>& topics, int partitions,
                                     int timeout_ms) {
  std::vector<rd_kafka_NewTopic_t*> news;
  char err[512];
  for (const std::string& t : topics) {
    if (PartitionCount(t, timeout_ms).ok()) continue;
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.c_str(), partitions, -1, err, sizeof(err));
    if (nt == nullptr) return absl::InvalidArgumentError(absl::StrCat("topic ", t, ": ", err));
    news.push_back(nt);
  }
  if (news.empty()) return absl::OkStatus();
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err, sizeof(err));
  rd_kafka_CreateTopics(rk_, news.data(), news.size(), options, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeout_ms + 1000);
  absl::Status status = absl::OkStatus();
  if (ev == nullptr) {
    status = absl::DeadlineExceededError("creating output topics timed out");
  } else if (const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev)) {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::UnavailableError(absl::StrCat("creating topic ",
                                                     rd_kafka_topic_result_name(results[i]), ": ",
                                                     rd_kafka_err2str(e)));
      }
    }
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(rd_kafka_event_error_string(ev));
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  for (rd_kafka_NewTopic_t* nt : news) rd_kafka_NewTopic_destroy(nt);
  return status;
}

absl::StatusOr<std::map<std::string, size_t>> KafkaSink::TopicMaxMessageBytes(
    const std::vector<std::string>& topics, int timeout_ms) {
  std::map<std::string, size_t> out;
  if (topics.empty()) return out;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const std::string& t : topics) {
    resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, t.c_str()));
  }
  char err[512];
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, err, sizeof(err));
  rd_kafka_DescribeConfigs(rk_, resources.data(), resources.size(), options, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, timeout_ms + 1000);
  absl::Status status = absl::OkStatus();
  if (ev == nullptr) {
    status = absl::DeadlineExceededError("DescribeConfigs timed out");
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(absl::StrCat("DescribeConfigs: ",
                                                 rd_kafka_event_error_string(ev)));
  } else if (const rd_kafka_DescribeConfigs_result_t* res =
                 rd_kafka_event_DescribeConfigs_result(ev)) {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** described =
        rd_kafka_DescribeConfigs_result_resources(res, &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_ConfigResource_error(described[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs =
          rd_kafka_ConfigResource_configs(described[i], &entries);
      for (size_t e = 0; e < entries; ++e) {
        const char* value = rd_kafka_ConfigEntry_value(configs[e]);
        if (value != nullptr &&
            std::string_view(rd_kafka_ConfigEntry_name(configs[e])) == "max.message.bytes") {
          out[rd_kafka_ConfigResource_name(described[i])] = std::strtoull(value, nullptr, 10);
        }
      }
    }
  }
  if (ev != nullptr) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  if (!status.ok()) return status;
  return out;
}

}  // namespace wirescan::emit

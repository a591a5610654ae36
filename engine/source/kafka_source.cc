#include "engine/source/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/core/kafka_log.h"
#include "engine/core/log.h"
#include "engine/metrics/kafka_stats.h"

namespace wirescan::source {
namespace {

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* parts) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < parts->cnt; ++i) {
    out.push_back({parts->elems[i].topic, parts->elems[i].partition});
  }
  return out;
}

rd_kafka_topic_partition_list_t* ToList(const std::vector<TopicPartition>& tps) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(tps.size()));
  for (const auto& tp : tps) rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition);
  return list;
}

// A consumed message (or event), owned: destroyed with the record.
class KafkaRecord final : public Record {
 public:
  explicit KafkaRecord(rd_kafka_message_t* msg) : msg_(msg) {
    if (msg->rkt != nullptr) topic = rd_kafka_topic_name(msg->rkt);
    partition = msg->partition;
    offset = msg->offset;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      kind = Kind::kEndOfPartition;
    } else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      kind = Kind::kError;
      error = rd_kafka_message_errstr(msg);
    } else {
      kind = Kind::kMessage;
      timestamp_ms = rd_kafka_message_timestamp(msg, nullptr);
      if (msg->key != nullptr) key = {static_cast<const char*>(msg->key), msg->key_len};
      if (msg->payload != nullptr) value = {static_cast<const char*>(msg->payload), msg->len};
    }
  }
  ~KafkaRecord() override { rd_kafka_message_destroy(msg_); }

 private:
  rd_kafka_message_t* const msg_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaSource>> KafkaSource::Create(
    const std::map<std::string, std::string>& properties, int commit_interval_ms,
    metrics::KafkaClientStats* stats) {
  std::unique_ptr<KafkaSource> src(new KafkaSource());
  src->stats_ = stats;
  std::map<std::string, std::string> props = properties;
  props["enable.auto.commit"] = "true";  // commits stored offsets only; see the header
  props["auto.commit.interval.ms"] = absl::StrCat(commit_interval_ms);
  props["enable.auto.offset.store"] = "false";
  props["enable.partition.eof"] = "true";
  if (!props.contains("auto.offset.reset")) props["auto.offset.reset"] = "earliest";
  if (stats != nullptr) metrics::KafkaClientStats::DefaultInterval(&props);
  if (!props.contains("partition.assignment.strategy")) {
    props["partition.assignment.strategy"] = "cooperative-sticky";
  }
  rd_kafka_conf_t* conf = core::NewKafkaConf();
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("consumer property ", k, ": ", err));
    }
  }
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
               void* opaque) { OnRebalance(rk, static_cast<int>(err), parts, opaque); });
  rd_kafka_conf_set_offset_commit_cb(
      conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
               void* opaque) { OnOffsetCommit(rk, static_cast<int>(err), parts, opaque); });
  if (stats != nullptr) {
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void* opaque) {
      // On ws:consumer, from inside Poll. 0: librdkafka frees the document.
      static_cast<KafkaSource*>(opaque)->stats_->UpdateOrWarn({json, len});
      return 0;
    });
  }
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaSource*>(opaque)->errors_.fetch_add(1, std::memory_order_relaxed);
    core::LogWarning("consumer: ", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)), ": ",
                     reason);
  });
  rd_kafka_conf_set_opaque(conf, src.get());
  src->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (src->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("cannot create the consumer: ", err));
  }
  rd_kafka_poll_set_consumer(src->rk_);
  return src;
}

KafkaSource::~KafkaSource() {
  if (rk_ == nullptr) return;
  Close();
  rd_kafka_destroy(rk_);
}

absl::Status KafkaSource::Subscribe(const std::vector<std::string>& topics,
                                    RebalanceHandler* handler) {
  handler_ = handler;
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("subscribe: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

std::unique_ptr<Record> KafkaSource::Poll(int timeout_ms) {
  rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_, timeout_ms);
  if (msg == nullptr) return nullptr;
  return std::make_unique<KafkaRecord>(msg);
}

bool KafkaSource::Watermarks(const TopicPartition& tp, int64_t* low, int64_t* high) const {
  return rd_kafka_get_watermark_offsets(rk_, tp.topic.c_str(), tp.partition, low, high) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

void KafkaSource::Pause(const TopicPartition& tp) {
  rd_kafka_topic_partition_list_t* list = ToList({tp});
  rd_kafka_pause_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

void KafkaSource::Resume(const TopicPartition& tp) {
  rd_kafka_topic_partition_list_t* list = ToList({tp});
  rd_kafka_resume_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

absl::Status KafkaSource::Store(const std::map<TopicPartition, int64_t>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [tp, off] : offsets) {
    rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition)->offset = off;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  // __STATE: a partition left the assignment meanwhile; its revoke callback committed it.
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE) {
    return absl::UnavailableError(absl::StrCat("offsets store: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::Status KafkaSource::Commit(const std::map<TopicPartition, int64_t>& offsets, bool sync) {
  if (offsets.empty()) return absl::OkStatus();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [tp, off] : offsets) {
    rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition)->offset = off;
  }
  // Stored first: auto-commit (at unassign and close too) commits the stored offset, which must
  // never fall behind an explicit commit and move the group's offset backwards.
  rd_kafka_offsets_store(rk_, list);
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list, sync ? 0 : 1);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    return absl::UnavailableError(absl::StrCat("commit: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

void KafkaSource::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

absl::StatusOr<std::map<TopicPartition, int64_t>> KafkaSource::Committed(
    const std::vector<TopicPartition>& partitions, int timeout_ms) {
  rd_kafka_topic_partition_list_t* list = ToList(partitions);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list, timeout_ms);
  std::map<TopicPartition, int64_t> out;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      out[{list->elems[i].topic, list->elems[i].partition}] = list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("committed: ", rd_kafka_err2str(err)));
  }
  return out;
}

void KafkaSource::OnOffsetCommit(rd_kafka_t*, int err, rd_kafka_topic_partition_list_t* parts,
                                 void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || parts == nullptr) return;  // nothing was stored
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    core::LogWarning("offset commit: ", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
  }
  std::vector<std::pair<TopicPartition, int64_t>> ok;
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = parts->elems[i];
    if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0) {
      ok.push_back({{e.topic, e.partition}, e.offset});
    }
  }
  if (!ok.empty() && self->handler_ != nullptr) self->handler_->OnCommitted(ok);
}

void KafkaSource::OnRebalance(rd_kafka_t* rk, int err_int, rd_kafka_topic_partition_list_t* parts,
                              void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  auto err = static_cast<rd_kafka_resp_err_t>(err_int);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  RebalanceHandler* const handler = self->handler_;  // set by Subscribe, before any rebalance
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    handler->OnAssigned(ToVector(parts));
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts);
      if (e != nullptr) {
        core::LogError("incremental assign: ", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, parts);
    }
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    handler->OnRevoked(ToVector(parts), rd_kafka_assignment_lost(rk) != 0);
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts);
      if (e != nullptr) {
        core::LogError("incremental unassign: ", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, nullptr);
    }
    return;
  }
  core::LogError("rebalance error: ", rd_kafka_err2str(err));
  handler->OnRevoked(ToVector(parts), true);
  rd_kafka_assign(rk, nullptr);
}

}  // namespace wirescan::source

#pragma once
// Source: where the pipeline's input records come from. The production implementation is
// KafkaSource (a librdkafka consumer-group member, built by daemon/); tests use a fake
// (tests/fakes/fake_source.h).
//
// Contract:
//   - Subscribe() once, then Poll() from one thread (the pipeline's ws:consumer). The rebalance
//     handler is called on that thread, from inside Poll() (and Close()): OnAssigned before any
//     record of the new partitions is returned, OnRevoked before they go away.
//   - Poll() hands over an owned Record (no client type leaks out): a message, the end of a
//     partition (after its last available message), or a client error to log.
//   - Offsets are "next offset to consume". Store() marks them for the source's own periodic
//     commit; Commit() commits now (only where no rebalance can be in flight: inside OnRevoked,
//     and at shutdown).
//   - Close() leaves the group (revoking what is assigned); after it no handler is called.
//   - Records may outlive Poll() but not the source.
//
// Thread safety: confined to the consumer thread, except Watermarks() (thread-safe: read by the
// metrics collector) and Commit() (any thread).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace wirescan::source {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
  bool operator==(const TopicPartition& o) const {
    return topic == o.topic && partition == o.partition;
  }
};

class RebalanceHandler {
 public:
  virtual ~RebalanceHandler() = default;
  // New partitions, before any of their messages is returned by Poll().
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions about to leave this member: finish or abandon their work and commit what is
  // complete before returning. `lost`: the group already gave them away; do not commit.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
  // Offsets the group coordinator accepted (periodic commit or Commit), from inside Poll.
  virtual void OnCommitted(const std::vector<std::pair<TopicPartition, int64_t>>& offsets) {
    (void)offsets;
  }
};

// One polled item. The views point into storage the record owns (or the source's, for
// `topic`), valid until the record is destroyed.
class Record {
 public:
  enum class Kind : uint8_t {
    kMessage,
    kEndOfPartition,  // topic/partition/offset: nothing more to read there for now
    kError,           // `error` says what; topic/partition may be empty
  };
  virtual ~Record() = default;
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

  Kind kind = Kind::kMessage;
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;  // -1: none
  std::string_view key;
  std::string_view value;
  std::string_view error;

 protected:
  Record() = default;
};

class Source {
 public:
  virtual ~Source() = default;

  // Joins the group for `topics`; `handler` (must outlive the source) receives its rebalances.
  virtual absl::Status Subscribe(const std::vector<std::string>& topics,
                                 RebalanceHandler* handler) = 0;
  // The next record, or null after `timeout_ms`.
  virtual std::unique_ptr<Record> Poll(int timeout_ms) = 0;
  // Stops (resumes) fetching a partition: backpressure. A revoke keeps a pause in place.
  virtual void Pause(const TopicPartition& tp) = 0;
  virtual void Resume(const TopicPartition& tp) = 0;
  // Stores next-offset-to-consume per partition for the next periodic commit.
  virtual absl::Status Store(const std::map<TopicPartition, int64_t>& offsets) = 0;
  // Commits next-offset-to-consume per partition now; async unless `sync`.
  virtual absl::Status Commit(const std::map<TopicPartition, int64_t>& offsets, bool sync) = 0;
  // Leaves the group (OnRevoked runs from inside this call).
  virtual void Close() = 0;
  // The partition's low and high watermarks as last seen (no broker round trip); false when
  // unknown. Thread-safe.
  virtual bool Watermarks(const TopicPartition& tp, int64_t* low, int64_t* high) const = 0;
};

}  // namespace wirescan::source

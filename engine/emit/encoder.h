#pragma once
// How output messages become Kafka values: the wire format of each output topic (bare
// Protobuf, canonical JSON, or Protobuf in the Confluent Schema Registry framing) and the
// content-type header that names it.
//
//   OutputEncodings  the daemon's table: a default format, per-topic overrides (both fixed at
//                    construction) and the schema id of each confluent_protobuf topic (added at
//                    start-up and on rule reload, before a topic is first written).
//   OutputEncoder    one per worker: encodes a message for a topic, with a local cache of the
//                    table's answers so the per-message path takes no lock.
//
// Confluent framing: byte 0 (magic), the schema id as 4 bytes big-endian, the message-index
// array, then the binary message. The schema registered for a topic is the produced message's
// .proto file with that message listed first (ConfluentSchemaText), so the index array is
// always the single byte 0 — the [0] shortcut, read the same way by every Confluent client
// (those that write zig-zag varints and the older ones that wrote plain varints).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace wirescan::emit {

enum class WireFormat : uint8_t { kProtobuf, kJson, kConfluentProtobuf };

// "protobuf", "json", "confluent_protobuf".
std::string_view WireFormatName(WireFormat format);

// The .proto text to register for `type`: its file, printed from the compiled descriptors,
// with `type` moved to be the file's first message (its message index is then [0]). Errors:
// Unimplemented for a file that imports others (the registry would need schema references).
absl::StatusOr<std::string> ConfluentSchemaText(const google::protobuf::Descriptor* type);

// The first bytes of a Confluent-framed value with `schema_id` and message index [0].
std::string ConfluentHeader(uint32_t schema_id);

// Thread safety: thread-safe. FormatOf() reads constant state; the schema ids are guarded by a
// mutex (read by workers only when their cache misses).
class OutputEncodings {
 public:
  OutputEncodings(WireFormat default_format,
                  absl::flat_hash_map<std::string, WireFormat> topic_formats)
      : default_format_(default_format), topic_formats_(std::move(topic_formats)) {}

  WireFormat FormatOf(std::string_view topic) const;
  // Records the schema id of a confluent_protobuf topic (registration or configuration).
  void SetSchemaId(const std::string& topic, uint32_t id);
  // 0 when none is known.
  uint32_t SchemaId(std::string_view topic) const;

 private:
  const WireFormat default_format_;
  const absl::flat_hash_map<std::string, WireFormat> topic_formats_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> schema_ids_ ABSL_GUARDED_BY(mu_);
};

// Thread safety: thread-compatible; one per worker thread.
class OutputEncoder {
 public:
  // `encodings` may be null (every topic bare Protobuf); it must outlive the encoder.
  explicit OutputEncoder(const OutputEncodings* encodings) : encodings_(encodings) {}

  // Replaces `*out` with `msg` encoded as `topic` wants it and points `*content_type` at its
  // content-type header value (valid while the encoder lives). Errors: FailedPrecondition for a
  // confluent_protobuf topic with no schema id (a registration that did not happen).
  absl::Status Encode(std::string_view topic, const google::protobuf::Message& msg,
                      std::string* out, std::string_view* content_type);

  // How `topic` carries a message of `type` without encoding one: its format, the bytes that
  // come before the binary encoding (the Confluent framing; empty for bare Protobuf and JSON)
  // and its content type (both valid while the encoder lives). Lets a caller reuse binary bytes
  // it already has (an event inside its serialised analysis). Errors as Encode().
  absl::Status Framing(std::string_view topic, const google::protobuf::Descriptor* type,
                       WireFormat* format, std::string_view* prefix,
                       std::string_view* content_type);

 private:
  struct TopicState {
    WireFormat format = WireFormat::kProtobuf;
    const google::protobuf::Descriptor* type = nullptr;
    std::string header;  // Confluent framing bytes
    std::string content_type;
  };
  const TopicState* StateFor(std::string_view topic, const google::protobuf::Descriptor* type);

  const OutputEncodings* const encodings_;
  absl::flat_hash_map<std::string, TopicState> cache_;
};

// Appends the canonical JSON of `msg` (no trailing newline): the fast writer for our schema's
// messages (json_writer.h), Protobuf's printer for any other.
absl::Status AppendJson(const google::protobuf::Message& msg, std::string* out);

}  // namespace wirescan::emit

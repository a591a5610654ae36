#pragma once
// Writes analysis messages to a stream: canonical Protobuf JSON, one object per line, or
// length-delimited binary Protobuf (varint size + message, as parseDelimitedFrom reads it).
// Output is gathered in a buffer and written in large pieces (call Flush() at the end).
//
// Thread safety: thread-compatible; one writer per stream.

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace wirescan::emit {

enum class OutputFormat { kJson, kProtobuf };

// "json" or "protobuf".
bool ParseOutputFormat(std::string_view name, OutputFormat* out);

class OutputWriter {
 public:
  static constexpr size_t kFlushBytes = 1 << 20;

  OutputWriter(std::ostream* out, OutputFormat format) : out_(out), format_(format) {}
  // Appends one message; writes the buffer out once it holds kFlushBytes.
  absl::Status Write(const google::protobuf::Message& msg);
  // Writes what is buffered.
  absl::Status Flush();

 private:
  std::ostream* out_;  // not owned; outlives the writer
  OutputFormat format_;
  std::string buffer_;
  std::string json_;
};

// The canonical JSON mapping of `msg` on one line (Protobuf's printer), with map entries sorted
// by key: Protobuf prints maps in serialisation order, which for protobuf 3.21 is a per-process
// random order unless the serialisation is deterministic, so `msg` is serialised
// deterministically first and printed from those bytes.
absl::Status ToJsonLine(const google::protobuf::Message& msg, std::string* out);

// Appends the binary encoding of `msg` with map entries sorted by key (Protobuf's default map
// order is random per process), so the same input gives the same bytes in every run.
bool AppendDeterministic(const google::protobuf::Message& msg, std::string* out);

// Appends `msg` as a varint length followed by its (deterministic) binary encoding.
bool AppendDelimited(const google::protobuf::Message& msg, std::string* out);

}  // namespace wirescan::emit

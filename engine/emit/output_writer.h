#pragma once
// Writes analysis messages to a stream: canonical Protobuf JSON, one object per line, or
// length-delimited binary Protobuf (varint size + message, as parseDelimitedFrom reads it).
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
  OutputWriter(std::ostream* out, OutputFormat format) : out_(out), format_(format) {}
  absl::Status Write(const google::protobuf::Message& msg);

 private:
  std::ostream* out_;  // not owned; outlives the writer
  OutputFormat format_;
  std::string buffer_;
};

// The canonical JSON mapping of `msg` on one line.
absl::Status ToJsonLine(const google::protobuf::Message& msg, std::string* out);

}  // namespace wirescan::emit

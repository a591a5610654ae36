#pragma once
// Exact YAML -> Protobuf mapping, driven by the message descriptor: the schemas in proto/ are
// the single definition of the rule language (and, later, the daemon config).
//
// Every mapping key must name a field of the target message; an unknown key, a duplicate key,
// a value of the wrong kind, two members of one oneof, or an unknown enum name is an error
// "<file>:<line>: <what>". Enums are written by their short lower-case name (`sensitive` for
// CASE_SENSITIVE) or their full name. The line of every message filled is recorded in a
// SourceMap, so later validation can point at the rule that is wrong.
//
// Thread safety: functions are thread-safe; a SourceMap is thread-compatible.

#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace YAML {
class Node;
}

namespace wirescan::rules {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based
};

// Where each message of a parsed rule file came from. Keys point into the parsed messages:
// valid while those messages are alive and not moved.
class SourceMap {
 public:
  void Record(const google::protobuf::Message* msg, SourceLocation loc) {
    locations_[msg] = std::move(loc);
  }
  // "file:line" of `msg`, or "<unknown>" if it was not recorded.
  std::string Locate(const google::protobuf::Message& msg) const;

  // Map entries are not messages of their own once parsed: their key's line is recorded under
  // the message holding the map and "<field>[<key>]" ("kafka[security.protocol]").
  void RecordEntry(const google::protobuf::Message* msg, std::string entry, SourceLocation loc) {
    entries_[{msg, std::move(entry)}] = std::move(loc);
  }
  // "file:line" of the entry, or "<unknown>" if it was not recorded.
  std::string LocateEntry(const google::protobuf::Message& msg, const std::string& entry) const;

 private:
  absl::flat_hash_map<const google::protobuf::Message*, SourceLocation> locations_;
  absl::flat_hash_map<std::pair<const google::protobuf::Message*, std::string>, SourceLocation>
      entries_;
};

// Fills `msg` (cleared first) from a YAML document. `file` names the source in error messages.
absl::Status YamlToProto(const YAML::Node& node, std::string_view file,
                         google::protobuf::Message* msg, SourceMap* sources);

// The YAML spelling of an enum value: its name without the prefix all values of the enum
// share, lower-cased (CASE_SENSITIVE -> "sensitive", INPUT_FORMAT_JSON -> "json").
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* value);

// Parses YAML text (one document) into `msg`. Syntax errors carry file:line too.
absl::Status ParseYamlToProto(std::string_view text, std::string_view file,
                              google::protobuf::Message* msg, SourceMap* sources);

}  // namespace wirescan::rules

#pragma once
// The daemon's output formats (config `output.format`, `output.topic_formats`) and their Schema
// Registry set-up: which topics are confluent_protobuf, and the schema id of each, configured or
// registered under "<topic>-value" with a Confluent-compatible registry.
//
// Thread safety: PrepareSchemas() is called on the start-up thread and on ws:reload (one at a
// time: the reloader is single-flight); the OutputEncodings it fills is thread-safe.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/emit/encoder.h"
#include "engine/pipeline/pipeline.h"
#include "engine/rules/rule_pack.h"
#include "wirescan/v1/config.pb.h"

namespace wirescan::daemon {

// The encodings table of a validated configuration.
std::unique_ptr<emit::OutputEncodings> MakeEncodings(const v1::config::DaemonConfig& config);

// The analysis and event topics `pack` writes to, with the message type of each.
std::vector<std::pair<std::string, const google::protobuf::Descriptor*>> TypedOutputTopics(
    const pipeline::PipelineOptions& options, const rules::RulePack& pack);

// Gives every confluent_protobuf topic of `topics` that has no schema id yet its id: the
// configured one for its message type, else the one the registry returns for the schema
// emit::ConfluentSchemaText prints. Errors (emit::SchemaRegistryClient::Register):
// FailedPrecondition when the registry refuses (a configuration problem), Unavailable when it
// cannot be reached.
absl::Status PrepareSchemas(
    const v1::config::SchemaRegistry& registry,
    const std::vector<std::pair<std::string, const google::protobuf::Descriptor*>>& topics,
    emit::OutputEncodings* encodings);

// `wirescan schema analysis|event`: prints the schema text to register for configured ids.
int RunSchemaCommand(const std::vector<std::string>& args);

}  // namespace wirescan::daemon

#include "engine/daemon/output_schemas.h"

#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/core/log.h"
#include "engine/emit/schema_registry.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::daemon {
namespace {

emit::WireFormat FromConfig(v1::config::OutputFormat f) {
  switch (f) {
    case v1::config::OUTPUT_FORMAT_JSON: return emit::WireFormat::kJson;
    case v1::config::OUTPUT_FORMAT_CONFLUENT_PROTOBUF: return emit::WireFormat::kConfluentProtobuf;
    default: return emit::WireFormat::kProtobuf;
  }
}

constexpr int kDefaultRegistryTimeoutMs = 30000;

}  // namespace

std::unique_ptr<emit::OutputEncodings> MakeEncodings(const v1::config::DaemonConfig& config) {
  absl::flat_hash_map<std::string, emit::WireFormat> per_topic;
  for (const auto& [topic, format] : config.output().topic_formats()) {
    per_topic[topic] = FromConfig(static_cast<v1::config::OutputFormat>(format));
  }
  return std::make_unique<emit::OutputEncodings>(FromConfig(config.output().format()),
                                                 std::move(per_topic));
}

std::vector<std::pair<std::string, const google::protobuf::Descriptor*>> TypedOutputTopics(
    const pipeline::PipelineOptions& options, const rules::RulePack& pack) {
  std::vector<std::pair<std::string, const google::protobuf::Descriptor*>> out;
  if (options.analysis_topic != "-") {
    out.emplace_back(options.analysis_topic, v1::ArticleAnalysis::descriptor());
  }
  std::set<std::string> seen;
  for (const auto& ev : pack.model->events) {
    std::string topic = pipeline::EventTopic(options, ev.type, ev.topic);
    if (seen.insert(topic).second) out.emplace_back(std::move(topic), v1::Event::descriptor());
  }
  return out;
}

absl::Status PrepareSchemas(
    const v1::config::SchemaRegistry& registry,
    const std::vector<std::pair<std::string, const google::protobuf::Descriptor*>>& topics,
    emit::OutputEncodings* encodings) {
  std::unique_ptr<emit::SchemaRegistryClient> client;
  for (const auto& [topic, type] : topics) {
    if (encodings->FormatOf(topic) != emit::WireFormat::kConfluentProtobuf) continue;
    if (encodings->SchemaId(topic) != 0) continue;
    const uint32_t configured = type == v1::ArticleAnalysis::descriptor()
                                    ? registry.analysis_schema_id()
                                    : registry.event_schema_id();
    if (configured != 0) {
      encodings->SetSchemaId(topic, configured);
      core::LogInfo("topic ", topic, ": confluent_protobuf, schema id ", configured,
                    " (configured)");
      continue;
    }
    if (registry.url().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "topic ", topic, " is confluent_protobuf: no schema id and no schema_registry.url"));
    }
    if (client == nullptr) {
      client = std::make_unique<emit::SchemaRegistryClient>(emit::SchemaRegistryOptions{
          .url = registry.url(),
          .basic_auth = registry.basic_auth_user_info(),
          .timeout_ms = registry.timeout_ms() != 0 ? static_cast<int>(registry.timeout_ms())
                                                   : kDefaultRegistryTimeoutMs});
    }
    absl::StatusOr<std::string> schema = emit::ConfluentSchemaText(type);
    if (!schema.ok()) return schema.status();
    const std::string subject = emit::ValueSubject(topic);
    absl::StatusOr<uint32_t> id = client->Register(subject, *schema);
    if (!id.ok()) return id.status();
    encodings->SetSchemaId(topic, *id);
    core::LogInfo("topic ", topic, ": confluent_protobuf, schema id ", *id, " (registered as ",
                  subject, ")");
  }
  return absl::OkStatus();
}

int RunSchemaCommand(const std::vector<std::string>& args) {
  constexpr std::string_view kUsage = R"(Usage: wirescan schema analysis|event

Prints the Protobuf schema the daemon registers for its confluent_protobuf topics
(wirescan.v1.ArticleAnalysis or wirescan.v1.Event listed first, so the message index is [0]).
Register it yourself to configure schema_registry.analysis_schema_id / event_schema_id, e.g.
  jq -Rs '{schemaType:"PROTOBUF",schema:.}' < <(wirescan schema event) |
    curl -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d @- \
      $REGISTRY/subjects/wirescan.events.investment-value/versions
)";
  if (args.size() != 1 || (args[0] != "analysis" && args[0] != "event")) {
    const bool help = args.size() == 1 && (args[0] == "--help" || args[0] == "-h");
    (help ? std::cout : std::cerr) << kUsage;
    return help ? 0 : 2;
  }
  absl::StatusOr<std::string> text = emit::ConfluentSchemaText(
      args[0] == "analysis" ? v1::ArticleAnalysis::descriptor() : v1::Event::descriptor());
  if (!text.ok()) {
    std::cerr << "wirescan: " << text.status().message() << "\n";
    return 1;
  }
  std::cout << *text;
  return 0;
}

}  // namespace wirescan::daemon

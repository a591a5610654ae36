#include "engine/config/daemon_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/config/kafka_properties.h"
#include "engine/core/status_macros.h"
#include "engine/core/strings.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace wirescan::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using v1::config::DaemonConfig;

constexpr std::string_view kEnvPrefix = "WIRESCAN_";

// ----------------------------------------------------------------------------- env overrides

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// An optional '-' then digits: no '+', no spaces, no hex (absl::SimpleAtoi is laxer).
bool IsInteger(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return AllDigits(s);
}

// Sets (or, if `add`, appends to) scalar `field` of `msg` from the text of variable `var`.
absl::Status SetScalarFromText(std::string_view text, const std::string& var,
                               const FieldDescriptor* field, Message* msg, bool add) {
  const Reflection* r = msg->GetReflection();
  auto bad = [&](std::string_view expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(var, ": expected ", core::Sv(expected), ", got '", core::Sv(text), "'"));
  };
  const absl::string_view t = core::Sv(text);
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s(text);
      add ? r->AddString(msg, field, std::move(s)) : r->SetString(msg, field, std::move(s));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text == "false" || text == "0") {
        v = false;
      } else {
        return bad("true or false");
      }
      add ? r->AddBool(msg, field, v) : r->SetBool(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!IsInteger(text) || !absl::SimpleAtoi(t, &v)) return bad("an integer");
      add ? r->AddInt32(msg, field, v) : r->SetInt32(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!IsInteger(text) || !absl::SimpleAtoi(t, &v)) return bad("an integer");
      add ? r->AddInt64(msg, field, v) : r->SetInt64(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!AllDigits(text) || !absl::SimpleAtoi(t, &v)) return bad("a non-negative integer");
      add ? r->AddUInt32(msg, field, v) : r->SetUInt32(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!AllDigits(text) || !absl::SimpleAtoi(t, &v)) return bad("a non-negative integer");
      add ? r->AddUInt64(msg, field, v) : r->SetUInt64(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (text.empty() || absl::ascii_isspace(static_cast<unsigned char>(text.front())) ||
          absl::ascii_isspace(static_cast<unsigned char>(text.back())) ||
          !absl::SimpleAtod(t, &v)) {
        return bad("a number");
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        add ? r->AddDouble(msg, field, v) : r->SetDouble(msg, field, v);
      } else {
        add ? r->AddFloat(msg, field, static_cast<float>(v))
            : r->SetFloat(msg, field, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* type = field->enum_type();
      std::vector<std::string> names;
      for (int i = 0; i < type->value_count(); ++i) {
        const EnumValueDescriptor* value = type->value(i);
        std::string short_name = rules::ShortEnumName(value);
        if (text == short_name || text == value->name()) {
          add ? r->AddEnum(msg, field, value) : r->SetEnum(msg, field, value);
          return absl::OkStatus();
        }
        names.push_back(std::move(short_name));
      }
      return bad(absl::StrCat("one of: ", absl::StrJoin(names, ", ")));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(var, ": field '", field->full_name(), "' cannot be set from the environment"));
}

// A map entry's key as text, to merge entries with equal keys.
std::string MapKeyText(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* r = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: return r->GetString(entry, key);
    case FieldDescriptor::CPPTYPE_BOOL: return r->GetBool(entry, key) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_INT32: return absl::StrCat(r->GetInt32(entry, key));
    case FieldDescriptor::CPPTYPE_INT64: return absl::StrCat(r->GetInt64(entry, key));
    case FieldDescriptor::CPPTYPE_UINT32: return absl::StrCat(r->GetUInt32(entry, key));
    case FieldDescriptor::CPPTYPE_UINT64: return absl::StrCat(r->GetUInt64(entry, key));
    default: return "";  // Protobuf allows no other key types.
  }
}

// "k1=v1,k2=v2" merged over the map `field` of `msg`.
absl::Status MergeMapFromText(std::string_view text, const std::string& var,
                              const std::string& path, const FieldDescriptor* field, Message* msg,
                              ConfigSources* sources) {
  const Descriptor* entry_type = field->message_type();
  if (entry_type->map_value()->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::InvalidArgumentError(
        absl::StrCat(var, ": field '", field->full_name(), "' cannot be set from the environment"));
  }
  const Reflection* r = msg->GetReflection();
  // Keep the file's entries in order; an entry from the variable replaces the one with its key.
  std::vector<std::unique_ptr<Message>> entries;
  absl::flat_hash_map<std::string, size_t> index;
  for (int i = 0; i < r->FieldSize(*msg, field); ++i) {
    std::unique_ptr<Message> entry(r->GetRepeatedMessage(*msg, field, i).New());
    entry->CopyFrom(r->GetRepeatedMessage(*msg, field, i));
    index[MapKeyText(*entry)] = entries.size();
    entries.push_back(std::move(entry));
  }
  std::vector<std::string> set_keys;
  if (!text.empty()) {
    for (absl::string_view item : absl::StrSplit(core::Sv(text), ',')) {
      size_t eq = item.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            var, ": expected key=value entries separated by ',', got '", item, "'"));
      }
      std::unique_ptr<Message> entry(msg->GetReflection()
                                         ->GetMessageFactory()
                                         ->GetPrototype(entry_type)
                                         ->New());
      WS_RETURN_IF_ERROR(SetScalarFromText(std::string_view(item.data(), eq), var,
                                           entry_type->map_key(), entry.get(), false));
      item.remove_prefix(eq + 1);
      WS_RETURN_IF_ERROR(SetScalarFromText(std::string_view(item.data(), item.size()), var,
                                           entry_type->map_value(), entry.get(), false));
      std::string key = MapKeyText(*entry);
      set_keys.push_back(key);
      if (auto it = index.find(key); it != index.end()) {
        entries[it->second] = std::move(entry);
      } else {
        index[key] = entries.size();
        entries.push_back(std::move(entry));
      }
    }
  }
  r->ClearField(msg, field);
  for (const auto& entry : entries) r->AddMessage(msg, field)->CopyFrom(*entry);
  if (sources != nullptr) {
    for (const std::string& key : set_keys) sources->env[absl::StrCat(path, "[", key, "]")] = var;
  }
  return absl::OkStatus();
}

absl::Status ApplyToMessage(const Environment& env, const std::string& prefix, Message* msg,
                            ConfigSources* sources) {
  const Descriptor* type = msg->GetDescriptor();
  const Reflection* r = msg->GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
      WS_RETURN_IF_ERROR(ApplyToMessage(env, path, r->MutableMessage(msg, field), sources));
      continue;
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()) {
      continue;  // A list of messages has no flat spelling; DaemonConfig has none.
    }
    const std::string var = EnvVarName(path);
    std::optional<std::string> value = env.Get(var);
    if (!value.has_value()) continue;
    if (field->is_map()) {
      WS_RETURN_IF_ERROR(MergeMapFromText(*value, var, path, field, msg, sources));
      continue;
    }
    if (field->is_repeated()) {
      r->ClearField(msg, field);
      if (!value->empty()) {
        for (absl::string_view item : absl::StrSplit(*value, ',')) {
          WS_RETURN_IF_ERROR(SetScalarFromText(std::string_view(item.data(), item.size()), var,
                                               field, msg, true));
        }
      }
    } else {
      WS_RETURN_IF_ERROR(SetScalarFromText(*value, var, field, msg, false));
    }
    if (sources != nullptr) sources->env[path] = var;
  }
  return absl::OkStatus();
}

// Every variable ApplyToMessage reads: the settable fields' names.
void CollectVariables(const Descriptor* type, const std::string& prefix,
                      std::vector<std::string>* out) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string path =
        prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
      CollectVariables(field->message_type(), path, out);
    } else if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) {
      out->push_back(EnvVarName(path));
    }
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The first (by name) WIRESCAN_* variable that is neither a key's override nor one of
// kOtherVariables.
absl::Status CheckUnknownVariables(const Environment& env) {
  std::vector<std::string> known;
  CollectVariables(DaemonConfig::descriptor(), "", &known);
  std::vector<std::string> names = env.AllNames();
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, core::Sv(kEnvPrefix))) continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (std::find(std::begin(kOtherVariables), std::end(kOtherVariables), name) !=
        std::end(kOtherVariables)) {
      continue;
    }
    bool other = false;
    for (std::string_view prefix : kOtherVariablePrefixes) {
      other |= absl::StartsWith(name, core::Sv(prefix));
    }
    if (other) continue;
    std::string closest;
    size_t best = 4;  // suggest only a near miss
    for (const std::string& k : known) {
      size_t d = EditDistance(name, k);
      if (d < best) best = d, closest = k;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": no such configuration key",
        closest.empty() ? "" : absl::StrCat(" (did you mean ", closest, "?)"),
        "; WIRESCAN_ + the key's path in capitals with __ between levels, e.g. "
        "WIRESCAN_PIPELINE__WORKERS"));
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------------------- validation

void DefaultString(std::string* field, std::string_view value) {
  if (field->empty()) field->assign(value.data(), value.size());
}

// Builds located errors: "<where>: <path>: <what>".
class Checker {
 public:
  explicit Checker(const ConfigSources* sources) : sources_(sources) {}

  // `containing` is the message holding the field (its file:line is the best we know);
  // `origin` is the key of the field in ConfigSources::env (defaults to `path`).
  absl::Status Error(const Message& containing, std::string_view path, std::string_view what,
                     std::string_view origin = {}) const {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(containing, origin.empty() ? path : origin), core::Sv(path), ": ", core::Sv(what)));
  }

 private:
  std::string Where(const Message& containing, std::string_view origin) const {
    if (sources_ == nullptr) return "";
    if (auto it = sources_->env.find(std::string(origin)); it != sources_->env.end()) {
      return absl::StrCat(it->second, ": ");
    }
    // A map entry ("kafka[security.protocol]", "output.event_topics[x]"): its key's line.
    if (size_t open = origin.find('['); open != std::string_view::npos) {
      size_t dot = origin.rfind('.', open);
      std::string entry(origin.substr(dot == std::string_view::npos ? 0 : dot + 1));
      std::string at = sources_->messages.LocateEntry(containing, entry);
      if (at != "<unknown>") return absl::StrCat(at, ": ");
    }
    std::string located = sources_->messages.Locate(containing);
    // An empty document is recorded at line 0 (yaml-cpp's null mark): no line to point at.
    if (located != "<unknown>" && !absl::EndsWith(located, ":0")) {
      return absl::StrCat(located, ": ");
    }
    return sources_->file.empty() ? "" : absl::StrCat(sources_->file, ": ");
  }

  const ConfigSources* sources_;  // May be null; borrowed for the Checker's lifetime.
};

// Why `name` is not a valid Kafka topic name, or "" if it is.
std::string TopicProblem(std::string_view name) {
  if (name.empty()) return "a topic name cannot be empty";
  if (name.size() > kMaxTopicNameLength) {
    return absl::StrCat("topic name '", core::Sv(name.substr(0, 40)), "...' is ", name.size(),
                        " characters long (at most ", kMaxTopicNameLength, ")");
  }
  if (name == "." || name == "..") {
    return absl::StrCat("'", core::Sv(name), "' is not a valid topic name");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::StrCat("invalid topic name '", core::Sv(name),
                          "' (allowed: letters, digits, '.', '_', '-')");
    }
  }
  return "";
}

// Why `s` is not "host:port" (port 1..65535), or "" if it is.
std::string HostPortProblem(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::StrCat("expected host:port, got '", core::Sv(s), "'");
  }
  std::string_view host = s.substr(0, colon);
  std::string_view port = s.substr(colon + 1);
  if (host.empty()) return absl::StrCat("missing host in '", core::Sv(s), "'");
  bool host_ok = true;
  if (host.front() == '[') {  // An IPv6 literal: [::1]:9092.
    host_ok = host.size() > 2 && host.back() == ']';
    for (char c : host.substr(1, host.size() - 2)) {
      host_ok = host_ok &&
                (absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.');
    }
  } else {
    for (char c : host) {
      host_ok = host_ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                            c == '-' || c == '_');
    }
  }
  if (!host_ok) return absl::StrCat("invalid host in '", core::Sv(s), "'");
  uint32_t number = 0;
  if (!AllDigits(port) || !absl::SimpleAtoi(core::Sv(port), &number) || number < 1 ||
      number > 65535) {
    return absl::StrCat("port must be a number in [1, 65535] in '", core::Sv(s), "'");
  }
  return "";
}

absl::Status CheckBounds(const Checker& check, const Message& containing, std::string_view path,
                         uint32_t value, uint32_t min, uint32_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return check.Error(containing, path,
                     absl::StrCat("must be in [", min, ", ", max, "], got ", value));
}

absl::Status CheckTopicField(const Checker& check, const Message& containing,
                             std::string_view path, const std::string& topic) {
  std::string problem = TopicProblem(topic);
  if (problem.empty()) return absl::OkStatus();
  return check.Error(containing, path, problem);
}

absl::Status CheckPassThrough(const Checker& check, const DaemonConfig& config,
                              std::string_view path,
                              const google::protobuf::Map<std::string, std::string>& properties) {
  // Sorted, so the error does not depend on the map's iteration order.
  std::vector<std::string> keys;
  keys.reserve(properties.size());
  for (const auto& [key, value] : properties) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    const std::string origin = absl::StrCat(core::Sv(path), "[", key, "]");
    if (key.empty()) return check.Error(config, path, "a property name cannot be empty", origin);
    for (std::string_view managed : kManagedKafkaProperties) {
      if (key == managed) {
        return check.Error(config, path,
                           absl::StrCat("'", key, "' is managed by wirescan and cannot be set"),
                           origin);
      }
    }
  }
  return absl::OkStatus();
}

// The librdkafka properties of each client, as the clients will get them (engine/source,
// engine/emit: ours first, they cannot be overridden; then `kafka`, then the client's own map),
// applied to a throwaway client (kafka_properties.h).
absl::Status CheckKafkaClients(const Checker& check, const DaemonConfig& config) {
  using Properties = std::vector<std::pair<std::string, std::string>>;
  struct Client {
    KafkaClientType type;
    std::string_view name;  // its map: "consumer" / "producer"
    const google::protobuf::Map<std::string, std::string>* own;
    Properties managed;
  };
  const Client clients[] = {
      {KafkaClientType::kConsumer,
       "consumer",
       &config.consumer(),
       {{"group.id", config.group_id()},
        {"client.id", config.client_id()},
        {"enable.auto.commit", "true"},
        {"auto.commit.interval.ms", absl::StrCat(config.pipeline().commit_interval_ms())},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"partition.assignment.strategy", "cooperative-sticky"}}},
      {KafkaClientType::kProducer,
       "producer",
       &config.producer(),
       {{"client.id", config.client_id()}, {"enable.idempotence", "true"}}},
  };
  for (const Client& client : clients) {
    Properties properties = client.managed;
    // Property -> the map entry that set it ("kafka[linger.ms]"), for the error's location.
    absl::flat_hash_map<std::string, std::string> origin;
    auto add = [&](std::string_view map, const google::protobuf::Map<std::string, std::string>& m) {
      std::vector<std::string> keys;
      for (const auto& [key, value] : m) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      for (const std::string& key : keys) {
        properties.emplace_back(key, m.at(key));
        origin[key] = absl::StrCat(core::Sv(map), "[", key, "]");
      }
    };
    add("kafka", config.kafka());
    add(client.name, *client.own);
    std::optional<KafkaPropertyProblem> problem = CheckKafkaProperties(client.type, properties);
    if (!problem.has_value()) continue;
    auto it = origin.find(problem->property);
    if (it != origin.end()) {
      std::string_view map = std::string_view(it->second).substr(0, it->second.find('['));
      return check.Error(config, map, absl::StrCat("'", problem->property, "': ", problem->message),
                         it->second);
    }
    // Not one property: point at the client's own map if it has entries, else at `kafka`.
    std::string where = client.own->empty() ? "kafka" : std::string(client.name);
    std::string first;
    for (const auto& [key, value] : properties) {
      if (auto o = origin.find(key); o != origin.end() && absl::StartsWith(o->second, where)) {
        first = o->second;
        break;
      }
    }
    return check.Error(config, where,
                       absl::StrCat("librdkafka refuses the ", core::Sv(client.name),
                                    "'s properties: ", problem->message),
                       first);
  }
  return absl::OkStatus();
}

// output.format, output.topic_formats and schema_registry: every confluent_protobuf topic
// needs a schema id, configured or from the registry.
absl::Status CheckOutputFormats(const Checker& check, const DaemonConfig& config) {
  const v1::config::Output& output = config.output();
  const v1::config::SchemaRegistry& registry = config.schema_registry();
  constexpr auto kConfluent = v1::config::OUTPUT_FORMAT_CONFLUENT_PROTOBUF;
  const bool analyses = output.analysis_topic() != kDisabledTopic;
  bool need_analysis_id = analyses && output.format() == kConfluent;
  bool need_event_id = output.format() == kConfluent;
  std::vector<std::string> topics;
  for (const auto& [topic, format] : output.topic_formats()) topics.push_back(topic);
  std::sort(topics.begin(), topics.end());
  for (const std::string& topic : topics) {
    const std::string origin = absl::StrCat("output.topic_formats[", topic, "]");
    std::string problem = TopicProblem(topic);
    if (!problem.empty()) return check.Error(output, "output.topic_formats", problem, origin);
    if (output.topic_formats().at(topic) != kConfluent) continue;
    (analyses && topic == output.analysis_topic() ? need_analysis_id : need_event_id) = true;
  }
  const bool has_url = !registry.url().empty();
  if (has_url && !absl::StartsWith(registry.url(), "http://") &&
      !absl::StartsWith(registry.url(), "https://")) {
    return check.Error(registry, "schema_registry.url",
                       absl::StrCat("must start with http:// or https://, got '", registry.url(),
                                    "'"));
  }
  if (!has_url && need_analysis_id && registry.analysis_schema_id() == 0) {
    return check.Error(output, "output.format",
                       "analyses are confluent_protobuf: set schema_registry.url (register the "
                       "schema at start-up) or schema_registry.analysis_schema_id");
  }
  if (!has_url && need_event_id && registry.event_schema_id() == 0) {
    return check.Error(output, "output.format",
                       "events are confluent_protobuf: set schema_registry.url (register the "
                       "schema at start-up) or schema_registry.event_schema_id");
  }
  if (registry.timeout_ms() != 0) {
    WS_RETURN_IF_ERROR(CheckBounds(check, registry, "schema_registry.timeout_ms",
                                   registry.timeout_ms(), 1000, 600000));
  }
  if (!registry.basic_auth_user_info().empty() &&
      registry.basic_auth_user_info().find(':') == std::string::npos) {
    return check.Error(registry, "schema_registry.basic_auth_user_info",
                       "must be \"user:password\"");
  }
  return absl::OkStatus();
}

// Why `token` cannot be a bearer token, or "".
std::string TokenProblem(std::string_view token) {
  if (token.empty()) return "the token is empty";
  if (token.size() > kMaxReloadTokenBytes) {
    return absl::StrCat("the token is ", token.size(), " bytes long (at most ",
                        kMaxReloadTokenBytes, ")");
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return "the token must be printable ASCII without spaces";
  }
  return "";
}

absl::Status CheckAdmin(const Checker& check, const DaemonConfig& config) {
  const v1::config::Admin& admin = config.admin();
  if (!admin.reload_token().empty() && !admin.reload_token_file().empty()) {
    return check.Error(admin, "admin.reload_token",
                       "set reload_token or reload_token_file, not both");
  }
  if (!admin.reload_token().empty()) {
    std::string problem = TokenProblem(admin.reload_token());
    if (!problem.empty()) return check.Error(admin, "admin.reload_token", problem);
  }
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.threads", admin.threads(), kMinAdminThreads,
                                 kMaxAdminThreads));
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.max_connections", admin.max_connections(),
                                 kMinAdminMaxConnections, kMaxAdminMaxConnections));
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.request_timeout_ms",
                                 admin.request_timeout_ms(), kMinAdminRequestTimeoutMs,
                                 kMaxAdminRequestTimeoutMs));
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.keep_alive_timeout_ms",
                                 admin.keep_alive_timeout_ms(), kMinAdminKeepAliveTimeoutMs,
                                 kMaxAdminKeepAliveTimeoutMs));
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.max_unassigned_ms",
                                 admin.max_unassigned_ms(), kMinReadinessBoundMs,
                                 kMaxReadinessBoundMs));
  WS_RETURN_IF_ERROR(CheckBounds(check, admin, "admin.max_stalled_ms", admin.max_stalled_ms(),
                                 kMinReadinessBoundMs, kMaxReadinessBoundMs));
  return absl::OkStatus();
}

absl::Status ValidateWith(const DaemonConfig& config, const Checker& check) {
  // Brokers.
  if (config.brokers().empty()) {
    return check.Error(config, "brokers", "required (bootstrap servers \"host:port,...\")");
  }
  for (absl::string_view broker : absl::StrSplit(config.brokers(), ',')) {
    std::string problem = HostPortProblem(std::string_view(broker.data(), broker.size()));
    if (!problem.empty()) return check.Error(config, "brokers", problem);
  }
  if (config.group_id().empty()) return check.Error(config, "group_id", "cannot be empty");
  if (config.client_id().empty()) return check.Error(config, "client_id", "cannot be empty");

  // Input.
  const v1::config::Input& input = config.input();
  if (input.topics().empty()) {
    return check.Error(input, "input.topics", "required: at least one topic to consume");
  }
  absl::flat_hash_set<std::string> input_topics;
  for (const std::string& topic : input.topics()) {
    WS_RETURN_IF_ERROR(CheckTopicField(check, input, "input.topics", topic));
    if (!input_topics.insert(topic).second) {
      return check.Error(input, "input.topics", absl::StrCat("duplicate topic '", topic, "'"));
    }
  }
  WS_RETURN_IF_ERROR(CheckBounds(check, input, "input.max_record_bytes", input.max_record_bytes(),
                                 kMinMaxRecordBytes, kMaxMaxRecordBytes));
  const v1::config::FieldNames& fields = input.fields();
  const std::pair<std::string_view, const std::string*> field_names[] = {
      {"input.fields.id", &fields.id()},
      {"input.fields.title", &fields.title()},
      {"input.fields.body", &fields.body()},
      {"input.fields.source", &fields.source()},
      {"input.fields.url", &fields.url()},
      {"input.fields.published_at", &fields.published_at()}};
  for (const auto& [path, name] : field_names) {
    if (name->empty()) return check.Error(fields, path, "cannot be empty");
  }

  // Output.
  const v1::config::Output& output = config.output();
  const bool analyses = output.analysis_topic() != kDisabledTopic;
  if (analyses) {
    WS_RETURN_IF_ERROR(
        CheckTopicField(check, output, "output.analysis_topic", output.analysis_topic()));
    if (input_topics.contains(output.analysis_topic())) {
      return check.Error(output, "output.analysis_topic",
                         absl::StrCat("'", output.analysis_topic(),
                                      "' is also an input topic (the daemon would read its own "
                                      "output)"));
    }
  }
  // The prefix is followed by an event type: check its characters and leave room for one more.
  if (!output.event_topic_prefix().empty()) {
    std::string problem = TopicProblem(absl::StrCat(output.event_topic_prefix(), "x"));
    if (!problem.empty()) {
      return check.Error(output, "output.event_topic_prefix",
                         absl::StrCat("'", output.event_topic_prefix(),
                                      "' cannot start a topic name: ", problem));
    }
  }
  {
    std::vector<std::string> types;
    for (const auto& [type, topic] : output.event_topics()) types.push_back(type);
    std::sort(types.begin(), types.end());
    for (const std::string& type : types) {
      const std::string origin = absl::StrCat("output.event_topics[", type, "]");
      if (type.empty()) {
        return check.Error(output, "output.event_topics", "an event type cannot be empty", origin);
      }
      std::string problem = TopicProblem(output.event_topics().at(type));
      if (!problem.empty()) {
        return check.Error(output, "output.event_topics",
                           absl::StrCat("event type '", type, "': ", problem), origin);
      }
    }
  }
  WS_RETURN_IF_ERROR(
      CheckTopicField(check, output, "output.dead_letter_topic", output.dead_letter_topic()));
  if (input_topics.contains(output.dead_letter_topic())) {
    return check.Error(output, "output.dead_letter_topic",
                       absl::StrCat("'", output.dead_letter_topic(), "' is also an input topic"));
  }
  if (analyses && output.dead_letter_topic() == output.analysis_topic()) {
    return check.Error(output, "output.dead_letter_topic",
                       absl::StrCat("'", output.dead_letter_topic(),
                                    "' is also the analysis topic"));
  }

  WS_RETURN_IF_ERROR(CheckOutputFormats(check, config));

  // Pipeline.
  const v1::config::Pipeline& pipeline = config.pipeline();
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.workers", pipeline.workers(),
                                 kMinWorkers, kMaxWorkers));
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.queue_capacity",
                                 pipeline.queue_capacity(), kMinQueueCapacity, kMaxQueueCapacity));
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.queue_budget",
                                 pipeline.queue_budget(), kMinQueueBudget, kMaxQueueBudget));
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.batch_size", pipeline.batch_size(),
                                 kMinBatchSize, kMaxBatchSize));
  if (pipeline.batch_size() > pipeline.queue_capacity()) {
    return check.Error(pipeline, "pipeline.batch_size",
                       absl::StrCat("must be at most pipeline.queue_capacity (",
                                    pipeline.queue_capacity(), "), got ", pipeline.batch_size()));
  }
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.commit_interval_ms",
                                 pipeline.commit_interval_ms(), kMinCommitIntervalMs,
                                 kMaxCommitIntervalMs));
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.shutdown_timeout_ms",
                                 pipeline.shutdown_timeout_ms(), kMinShutdownTimeoutMs,
                                 kMaxShutdownTimeoutMs));
  WS_RETURN_IF_ERROR(CheckBounds(check, pipeline, "pipeline.record_budget_ms",
                                 pipeline.record_budget_ms(), kMinRecordBudgetMs,
                                 kMaxRecordBudgetMs));

  // Metrics and pass-through client properties.
  {
    std::string problem = HostPortProblem(config.metrics_address());
    if (!problem.empty()) return check.Error(config, "metrics_address", problem);
  }
  WS_RETURN_IF_ERROR(CheckAdmin(check, config));
  WS_RETURN_IF_ERROR(CheckPassThrough(check, config, "kafka", config.kafka()));
  WS_RETURN_IF_ERROR(CheckPassThrough(check, config, "consumer", config.consumer()));
  WS_RETURN_IF_ERROR(CheckPassThrough(check, config, "producer", config.producer()));
  WS_RETURN_IF_ERROR(CheckKafkaClients(check, config));
  return absl::OkStatus();
}

}  // namespace

// ----------------------------------------------------------------------------- public

Environment Environment::Process() {
  return Environment([](const char* name) -> const char* { return std::getenv(name); },
                     [] {
                       std::vector<std::string> names;
                       for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
                         std::string_view entry(*e);
                         names.emplace_back(entry.substr(0, entry.find('=')));
                       }
                       return names;
                     });
}

Environment Environment::FromMap(absl::flat_hash_map<std::string, std::string> vars) {
  // Shared and never mutated, so the c_str() pointers stay valid for every copy.
  auto owned =
      std::make_shared<const absl::flat_hash_map<std::string, std::string>>(std::move(vars));
  return Environment(
      [owned](const char* name) -> const char* {
        auto it = owned->find(name);
        return it == owned->end() ? nullptr : it->second.c_str();
      },
      [owned] {
        std::vector<std::string> names;
        for (const auto& [name, value] : *owned) names.push_back(name);
        return names;
      });
}

std::vector<std::string> Environment::AllNames() const {
  return names_ ? names_() : std::vector<std::string>{};
}

std::optional<std::string> Environment::Get(const std::string& name) const {
  const char* value = lookup_ ? lookup_(name.c_str()) : nullptr;
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string EnvVarName(std::string_view path) {
  std::string name(kEnvPrefix);
  for (char c : path) {
    if (c == '.') {
      name += "__";
    } else {
      name += absl::ascii_toupper(static_cast<unsigned char>(c));
    }
  }
  return name;
}

absl::Status ApplyEnvOverrides(const Environment& env, DaemonConfig* config,
                               ConfigSources* sources) {
  WS_RETURN_IF_ERROR(CheckUnknownVariables(env));
  return ApplyToMessage(env, "", config, sources);
}

void ApplyDefaults(DaemonConfig* config) {
  DefaultString(config->mutable_group_id(), kDefaultGroupId);
  DefaultString(config->mutable_client_id(), kDefaultClientId);

  v1::config::Input* input = config->mutable_input();
  v1::config::FieldNames* fields = input->mutable_fields();
  DefaultString(fields->mutable_id(), kDefaultFieldId);
  DefaultString(fields->mutable_title(), kDefaultFieldTitle);
  DefaultString(fields->mutable_body(), kDefaultFieldBody);
  DefaultString(fields->mutable_source(), kDefaultFieldSource);
  DefaultString(fields->mutable_url(), kDefaultFieldUrl);
  DefaultString(fields->mutable_published_at(), kDefaultFieldPublishedAt);
  if (input->max_record_bytes() == 0) input->set_max_record_bytes(kDefaultMaxRecordBytes);

  v1::config::Output* output = config->mutable_output();
  DefaultString(output->mutable_analysis_topic(), kDefaultAnalysisTopic);
  DefaultString(output->mutable_event_topic_prefix(), kDefaultEventTopicPrefix);
  DefaultString(output->mutable_dead_letter_topic(), kDefaultDeadLetterTopic);

  v1::config::Pipeline* pipeline = config->mutable_pipeline();
  if (pipeline->workers() == 0) pipeline->set_workers(kDefaultWorkers);
  if (pipeline->queue_capacity() == 0) pipeline->set_queue_capacity(kDefaultQueueCapacity);
  if (pipeline->queue_budget() == 0) pipeline->set_queue_budget(kDefaultQueueBudget);
  if (pipeline->batch_size() == 0) pipeline->set_batch_size(kDefaultBatchSize);
  if (pipeline->commit_interval_ms() == 0) {
    pipeline->set_commit_interval_ms(kDefaultCommitIntervalMs);
  }
  if (pipeline->shutdown_timeout_ms() == 0) {
    pipeline->set_shutdown_timeout_ms(kDefaultShutdownTimeoutMs);
  }
  if (pipeline->record_budget_ms() == 0) pipeline->set_record_budget_ms(kDefaultRecordBudgetMs);

  DefaultString(config->mutable_metrics_address(), kDefaultMetricsAddress);

  v1::config::Admin* admin = config->mutable_admin();
  if (admin->threads() == 0) admin->set_threads(kDefaultAdminThreads);
  if (admin->max_connections() == 0) admin->set_max_connections(kDefaultAdminMaxConnections);
  if (admin->request_timeout_ms() == 0) {
    admin->set_request_timeout_ms(kDefaultAdminRequestTimeoutMs);
  }
  if (admin->keep_alive_timeout_ms() == 0) {
    admin->set_keep_alive_timeout_ms(kDefaultAdminKeepAliveTimeoutMs);
  }
  if (admin->max_unassigned_ms() == 0) admin->set_max_unassigned_ms(kDefaultMaxUnassignedMs);
  if (admin->max_stalled_ms() == 0) admin->set_max_stalled_ms(kDefaultMaxStalledMs);
}

absl::StatusOr<std::string> LoadReloadToken(const v1::config::Admin& admin) {
  if (admin.reload_token_file().empty()) return admin.reload_token();
  const std::string& path = admin.reload_token_file();
  auto fail = [&](std::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat("admin.reload_token_file: ", path, ": ", core::Sv(why)));
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("cannot read (a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read");
  std::string text;
  // Read a little past the limit, so that a huge file is reported, not loaded.
  text.resize(kMaxReloadTokenBytes + 64);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("cannot read");
  text.resize(static_cast<size_t>(in.gcount()));
  std::string token(absl::StripAsciiWhitespace(text));
  std::string problem = TokenProblem(token);
  if (!problem.empty()) return fail(problem);
  return token;
}

absl::Status Validate(const DaemonConfig& config) { return ValidateWith(config, Checker(nullptr)); }

absl::Status Validate(const DaemonConfig& config, const ConfigSources& sources) {
  return ValidateWith(config, Checker(&sources));
}

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path, const Environment& env) {
  std::string text;
  {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot read (a directory)"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  }

  DaemonConfig config;
  ConfigSources sources;
  sources.file = path;
  WS_RETURN_IF_ERROR(rules::ParseYamlToProto(text, path, &config, &sources.messages));
  WS_RETURN_IF_ERROR(ApplyEnvOverrides(env, &config, &sources));
  ApplyDefaults(&config);
  // `sources.messages` points into `config`: validate before it is moved out.
  WS_RETURN_IF_ERROR(Validate(config, sources));
  return config;
}

}  // namespace wirescan::config

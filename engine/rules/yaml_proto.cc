#include "engine/rules/yaml_proto.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/core/status_macros.h"
#include "engine/core/strings.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "yaml-cpp/yaml.h"

namespace wirescan::rules {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

absl::Status Error(std::string_view file, const YAML::Node& node, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(core::Sv(file), ":", LineOf(node), ": ", core::Sv(what)));
}

std::string NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return absl::StrCat("'", node.Scalar(), "'");
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an undefined node";
  }
}

absl::Status SetScalar(const YAML::Node& node, std::string_view file, const FieldDescriptor* field,
                       Message* msg, bool repeated) {
  if (!node.IsScalar()) {
    return Error(file, node, absl::StrCat("field '", field->name(), "' expects a single value, got ",
                                          NodeKind(node)));
  }
  const Reflection* r = msg->GetReflection();
  auto bad = [&](std::string_view expected) {
    return Error(file, node, absl::StrCat("field '", field->name(), "' expects ", core::Sv(expected),
                                          ", got '", node.Scalar(), "'"));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& s = node.Scalar();
      repeated ? r->AddString(msg, field, s) : r->SetString(msg, field, s);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!YAML::convert<bool>::decode(node, v)) return bad("true or false");
      repeated ? r->AddBool(msg, field, v) : r->SetBool(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!YAML::convert<double>::decode(node, v)) return bad("a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        repeated ? r->AddDouble(msg, field, v) : r->SetDouble(msg, field, v);
      } else {
        repeated ? r->AddFloat(msg, field, static_cast<float>(v))
                 : r->SetFloat(msg, field, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!YAML::convert<int32_t>::decode(node, v)) return bad("an integer");
      repeated ? r->AddInt32(msg, field, v) : r->SetInt32(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!YAML::convert<int64_t>::decode(node, v)) return bad("an integer");
      repeated ? r->AddInt64(msg, field, v) : r->SetInt64(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      // yaml-cpp accepts "-1" for unsigned types; reject a sign explicitly.
      uint32_t v;
      if (node.Scalar().find('-') != std::string::npos || !YAML::convert<uint32_t>::decode(node, v)) {
        return bad("a non-negative integer");
      }
      repeated ? r->AddUInt32(msg, field, v) : r->SetUInt32(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (node.Scalar().find('-') != std::string::npos || !YAML::convert<uint64_t>::decode(node, v)) {
        return bad("a non-negative integer");
      }
      repeated ? r->AddUInt64(msg, field, v) : r->SetUInt64(msg, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* type = field->enum_type();
      std::string want = node.Scalar();
      std::vector<std::string> names;
      for (int i = 0; i < type->value_count(); ++i) {
        const EnumValueDescriptor* value = type->value(i);
        std::string short_name = ShortEnumName(value);
        if (want == short_name || want == value->name()) {
          repeated ? r->AddEnum(msg, field, value) : r->SetEnum(msg, field, value);
          return absl::OkStatus();
        }
        names.push_back(short_name);
      }
      return bad(absl::StrCat("one of: ", absl::StrJoin(names, ", ")));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Error(file, node, absl::StrCat("field '", field->name(), "' has an unsupported type"));
}

absl::Status FillMessage(const YAML::Node& node, std::string_view file, Message* msg,
                         SourceMap* sources);

absl::Status FillMapField(const YAML::Node& node, std::string_view file,
                          const FieldDescriptor* field, Message* msg, SourceMap* sources) {
  if (!node.IsMap()) {
    return Error(file, node, absl::StrCat("field '", field->name(), "' expects a mapping, got ",
                                          NodeKind(node)));
  }
  const Descriptor* entry_type = field->message_type();
  const FieldDescriptor* key_field = entry_type->map_key();
  const FieldDescriptor* value_field = entry_type->map_value();
  absl::flat_hash_set<std::string> seen;
  for (const auto& kv : node) {
    Message* entry = msg->GetReflection()->AddMessage(msg, field);
    if (!kv.first.IsScalar()) return Error(file, kv.first, "a map key must be a single value");
    if (!seen.insert(kv.first.Scalar()).second) {
      return Error(file, kv.first, absl::StrCat("duplicate key '", kv.first.Scalar(), "' in '",
                                                field->name(), "'"));
    }
    WS_RETURN_IF_ERROR(SetScalar(kv.first, file, key_field, entry, false));
    if (sources != nullptr) {
      sources->RecordEntry(msg, absl::StrCat(field->name(), "[", kv.first.Scalar(), "]"),
                           {std::string(file), LineOf(kv.first)});
    }
    if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      WS_RETURN_IF_ERROR(FillMessage(kv.second, file,
                                     entry->GetReflection()->MutableMessage(entry, value_field),
                                     sources));
    } else {
      WS_RETURN_IF_ERROR(SetScalar(kv.second, file, value_field, entry, false));
    }
  }
  return absl::OkStatus();
}

absl::Status FillField(const YAML::Node& value, std::string_view file,
                       const FieldDescriptor* field, Message* msg, SourceMap* sources) {
  const Reflection* r = msg->GetReflection();
  if (field->is_map()) return FillMapField(value, file, field, msg, sources);
  if (field->is_repeated()) {
    if (!value.IsSequence()) {
      return Error(file, value, absl::StrCat("field '", field->name(), "' expects a list, got ",
                                             NodeKind(value)));
    }
    for (const auto& item : value) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        WS_RETURN_IF_ERROR(FillMessage(item, file, r->AddMessage(msg, field), sources));
      } else {
        WS_RETURN_IF_ERROR(SetScalar(item, file, field, msg, true));
      }
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return FillMessage(value, file, r->MutableMessage(msg, field), sources);
  }
  return SetScalar(value, file, field, msg, false);
}

absl::Status FillMessage(const YAML::Node& node, std::string_view file, Message* msg,
                         SourceMap* sources) {
  const Descriptor* type = msg->GetDescriptor();
  if (node.IsNull()) {  // "key:" with nothing: an empty message.
    if (sources != nullptr) sources->Record(msg, {std::string(file), LineOf(node)});
    return absl::OkStatus();
  }
  if (!node.IsMap()) {
    return Error(file, node, absl::StrCat("expected a mapping for ", type->name(), ", got ",
                                          NodeKind(node)));
  }
  if (sources != nullptr) sources->Record(msg, {std::string(file), LineOf(node)});
  absl::flat_hash_set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Error(file, kv.first, "a key must be a single value");
    const std::string& key = kv.first.Scalar();
    const FieldDescriptor* field = type->FindFieldByName(key);
    if (field == nullptr) {
      std::vector<std::string> known;
      for (int i = 0; i < type->field_count(); ++i) known.push_back(type->field(i)->name());
      return Error(file, kv.first, absl::StrCat("unknown key '", key, "' in ", type->name(),
                                                " (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (!seen.insert(key).second) {
      return Error(file, kv.first, absl::StrCat("duplicate key '", key, "'"));
    }
    if (const auto* oneof = field->real_containing_oneof(); oneof != nullptr) {
      const FieldDescriptor* set = msg->GetReflection()->GetOneofFieldDescriptor(*msg, oneof);
      if (set != nullptr) {
        return Error(file, kv.first, absl::StrCat("'", key, "' and '", set->name(),
                                                  "' cannot both be set (", oneof->name(), ")"));
      }
    }
    if (kv.second.IsNull() && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return Error(file, kv.first, absl::StrCat("key '", key, "' has no value"));
    }
    WS_RETURN_IF_ERROR(FillField(kv.second, file, field, msg, sources));
  }
  return absl::OkStatus();
}

}  // namespace

// The short name of an enum value: its name without the prefix all values share
// (CASE_SENSITIVE -> "sensitive"), lower-cased.
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* value) {
  const google::protobuf::EnumDescriptor* type = value->type();
  std::string prefix = type->value(0)->name();
  for (int i = 1; i < type->value_count(); ++i) {
    const std::string& name = type->value(i)->name();
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  size_t cut = prefix.rfind('_');
  cut = (cut == std::string::npos) ? 0 : cut + 1;
  return absl::AsciiStrToLower(value->name().substr(cut));
}

std::string SourceMap::Locate(const google::protobuf::Message& msg) const {
  auto it = locations_.find(&msg);
  if (it == locations_.end()) return "<unknown>";
  return absl::StrCat(it->second.file, ":", it->second.line);
}

std::string SourceMap::LocateEntry(const google::protobuf::Message& msg,
                                   const std::string& entry) const {
  auto it = entries_.find(std::make_pair(&msg, entry));
  if (it == entries_.end()) return "<unknown>";
  return absl::StrCat(it->second.file, ":", it->second.line);
}

absl::Status YamlToProto(const YAML::Node& node, std::string_view file,
                         google::protobuf::Message* msg, SourceMap* sources) {
  msg->Clear();
  return FillMessage(node, file, msg, sources);
}

absl::Status ParseYamlToProto(std::string_view text, std::string_view file,
                              google::protobuf::Message* msg, SourceMap* sources) {
  // yaml-cpp reports errors by exception; they stop here, at the library boundary.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(core::Sv(file), ":", e.mark.line + 1, ": YAML syntax error: ", e.msg));
  }
  try {
    return YamlToProto(root, file, msg, sources);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(core::Sv(file), ":", e.mark.line + 1, ": ", e.msg));
  }
}

}  // namespace wirescan::rules

#include "engine/emit/encoder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"
#include "engine/emit/output_writer.h"
#include "google/protobuf/descriptor.pb.h"

namespace wirescan::emit {

std::string_view WireFormatName(WireFormat format) {
  switch (format) {
    case WireFormat::kProtobuf: return "protobuf";
    case WireFormat::kJson: return "json";
    case WireFormat::kConfluentProtobuf: return "confluent_protobuf";
  }
  return "?";
}

absl::StatusOr<std::string> ConfluentSchemaText(const google::protobuf::Descriptor* type) {
  const google::protobuf::FileDescriptor* file = type->file();
  if (file->dependency_count() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        file->name(), " imports other files: registering it would need schema references"));
  }
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  auto* messages = proto.mutable_message_type();
  auto it = std::find_if(messages->begin(), messages->end(),
                         [&](const auto& m) { return m.name() == type->name(); });
  if (it == messages->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(type->full_name(), " is not a top-level message of ", file->name()));
  }
  std::rotate(messages->begin(), it, it + 1);  // the others keep their order
  google::protobuf::DescriptorPool pool;
  const google::protobuf::FileDescriptor* reordered = pool.BuildFile(proto);
  if (reordered == nullptr) {
    return absl::InternalError(absl::StrCat("cannot rebuild ", file->name()));
  }
  return reordered->DebugString();
}

std::string ConfluentHeader(uint32_t schema_id) {
  std::string h(6, '\0');
  h[1] = static_cast<char>(schema_id >> 24);
  h[2] = static_cast<char>(schema_id >> 16);
  h[3] = static_cast<char>(schema_id >> 8);
  h[4] = static_cast<char>(schema_id);
  h[5] = 0;  // message index [0]
  return h;
}

WireFormat OutputEncodings::FormatOf(std::string_view topic) const {
  auto it = topic_formats_.find(core::Sv(topic));
  return it == topic_formats_.end() ? default_format_ : it->second;
}

void OutputEncodings::SetSchemaId(const std::string& topic, uint32_t id) {
  absl::MutexLock lock(&mu_);
  schema_ids_[topic] = id;
}

uint32_t OutputEncodings::SchemaId(std::string_view topic) const {
  absl::MutexLock lock(&mu_);
  auto it = schema_ids_.find(core::Sv(topic));
  return it == schema_ids_.end() ? 0 : it->second;
}

const OutputEncoder::TopicState* OutputEncoder::StateFor(
    std::string_view topic, const google::protobuf::Descriptor* type) {
  auto it = cache_.find(core::Sv(topic));
  if (it != cache_.end() && it->second.type == type) return &it->second;
  TopicState state;
  state.type = type;
  state.format = encodings_ == nullptr ? WireFormat::kProtobuf : encodings_->FormatOf(topic);
  switch (state.format) {
    case WireFormat::kProtobuf:
      state.content_type = absl::StrCat("application/x-protobuf; messageType=", type->full_name());
      break;
    case WireFormat::kJson:
      state.content_type = "application/json";
      break;
    case WireFormat::kConfluentProtobuf: {
      const uint32_t id = encodings_->SchemaId(topic);
      if (id == 0) return nullptr;  // not cached: a later registration may still provide it
      state.header = ConfluentHeader(id);
      state.content_type = absl::StrCat("application/x-protobuf; messageType=", type->full_name(),
                                        "; framing=confluent; schemaId=", id);
      break;
    }
  }
  auto [slot, inserted] = cache_.insert_or_assign(std::string(topic), std::move(state));
  return &slot->second;
}

absl::Status OutputEncoder::Encode(std::string_view topic, const google::protobuf::Message& msg,
                                   std::string* out, std::string_view* content_type) {
  const TopicState* state = StateFor(topic, msg.GetDescriptor());
  if (state == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("topic ", core::Sv(topic), " is confluent_protobuf but has no schema id"));
  }
  out->clear();
  *content_type = state->content_type;
  switch (state->format) {
    case WireFormat::kProtobuf:
      if (!AppendDeterministic(msg, out)) return absl::InternalError("Protobuf encoding failed");
      return absl::OkStatus();
    case WireFormat::kJson:
      return AppendJson(msg, out);
    case WireFormat::kConfluentProtobuf:
      out->append(state->header);
      if (!AppendDeterministic(msg, out)) return absl::InternalError("Protobuf encoding failed");
      return absl::OkStatus();
  }
  return absl::InternalError("unknown wire format");
}

absl::Status OutputEncoder::Framing(std::string_view topic,
                                    const google::protobuf::Descriptor* type, WireFormat* format,
                                    std::string_view* prefix, std::string_view* content_type) {
  const TopicState* state = StateFor(topic, type);
  if (state == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("topic ", core::Sv(topic), " is confluent_protobuf but has no schema id"));
  }
  *format = state->format;
  *prefix = state->header;
  *content_type = state->content_type;
  return absl::OkStatus();
}

absl::Status AppendJson(const google::protobuf::Message& msg, std::string* out) {
  std::string json;
  absl::Status s = ToJsonLine(msg, &json);
  out->append(json);
  return s;
}

}  // namespace wirescan::emit

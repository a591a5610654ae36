#include "engine/emit/output_writer.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace wirescan::emit {

bool ParseOutputFormat(std::string_view name, OutputFormat* out) {
  if (name == "json") {
    *out = OutputFormat::kJson;
    return true;
  }
  if (name == "protobuf") {
    *out = OutputFormat::kProtobuf;
    return true;
  }
  return false;
}

absl::Status ToJsonLine(const google::protobuf::Message& msg, std::string* out) {
  out->clear();
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  std::string binary;
  if (!AppendDeterministic(msg, &binary)) return absl::InternalError("Protobuf encoding failed");
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", msg.GetDescriptor()->full_name()), binary,
      out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("JSON encoding failed: ", status.ToString()));
  }
  return absl::OkStatus();
}

bool AppendDeterministic(const google::protobuf::Message& msg, std::string* out) {
  const size_t size = msg.ByteSizeLong();  // also caches the sizes written below
  const size_t old = out->size();
  out->resize(old + size);
  google::protobuf::io::ArrayOutputStream stream(out->data() + old, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  msg.SerializeWithCachedSizes(&coded);
  return !coded.HadError() && static_cast<size_t>(coded.ByteCount()) == size;
}

bool AppendDelimited(const google::protobuf::Message& msg, std::string* out) {
  size_t size = msg.ByteSizeLong();
  uint8_t header[10];
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, header);
  out->append(reinterpret_cast<const char*>(header), end - header);
  return AppendDeterministic(msg, out);
}

absl::Status OutputWriter::Write(const google::protobuf::Message& msg) {
  if (format_ == OutputFormat::kJson) {
    absl::Status s = ToJsonLine(msg, &json_);
    if (!s.ok()) return s;
    buffer_ += json_;
    buffer_.push_back('\n');
  } else if (!AppendDelimited(msg, &buffer_)) {
    return absl::InternalError("Protobuf encoding failed");
  }
  if (buffer_.size() >= kFlushBytes) return Flush();
  return absl::OkStatus();
}

absl::Status OutputWriter::Flush() {
  out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  out_->flush();
  if (!*out_) return absl::UnavailableError("cannot write the output");
  return absl::OkStatus();
}

}  // namespace wirescan::emit

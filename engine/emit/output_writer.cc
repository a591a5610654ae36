#include "engine/emit/output_writer.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/json_util.h"

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
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  auto status = google::protobuf::util::MessageToJsonString(msg, out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("JSON encoding failed: ", status.ToString()));
  }
  return absl::OkStatus();
}

absl::Status OutputWriter::Write(const google::protobuf::Message& msg) {
  if (format_ == OutputFormat::kJson) {
    absl::Status s = ToJsonLine(msg, &buffer_);
    if (!s.ok()) return s;
    buffer_.push_back('\n');
  } else {
    buffer_.clear();
    size_t size = msg.ByteSizeLong();
    uint8_t header[10];
    uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, header);
    buffer_.append(reinterpret_cast<const char*>(header), end - header);
    if (!msg.AppendToString(&buffer_)) return absl::InternalError("Protobuf encoding failed");
  }
  out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  if (!*out_) return absl::UnavailableError("cannot write the output");
  return absl::OkStatus();
}

}  // namespace wirescan::emit

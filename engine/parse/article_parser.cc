#include "engine/parse/article_parser.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace wirescan::parse {

std::string_view RecordErrorName(RecordError e) {
  switch (e) {
    case RecordError::kOk: return "ok";
    case RecordError::kNotJson: return "not_json";
    case RecordError::kNotObject: return "not_object";
    case RecordError::kMissingBody: return "missing_body";
    case RecordError::kEmptyBody: return "empty_body";
    case RecordError::kWrongType: return "wrong_type";
    case RecordError::kTooLarge: return "too_large";
    case RecordError::kInvalidUtf8: return "invalid_utf8";
  }
  return "unknown";
}

JsonArticleParser::JsonArticleParser(FieldMapping mapping, size_t max_record_bytes)
    : mapping_(std::move(mapping)), max_record_bytes_(max_record_bytes) {}

RecordError JsonArticleParser::Parse(std::string_view record, core::ArticleView* out,
                                     std::string* detail) {
  auto fail = [&](RecordError e, std::string_view why) {
    if (detail != nullptr) *detail = std::string(why);
    return e;
  };
  *out = {};
  if (record.size() > max_record_bytes_) {
    return fail(RecordError::kTooLarge, absl::StrCat("record of ", record.size(),
                                                     " bytes exceeds the limit of ",
                                                     max_record_bytes_));
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse from a padded copy.
  if (buffer_.size() < record.size() + simdjson::SIMDJSON_PADDING) {
    buffer_.resize(record.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buffer_.data(), record.data(), record.size());
  std::memset(buffer_.data() + record.size(), 0, simdjson::SIMDJSON_PADDING);

  // The DOM API dispatches at run time to the best kernel of the CPU (On-Demand would be fixed
  // at compile time, i.e. the scalar fallback without -march flags). It validates UTF-8 too.
  simdjson::dom::element doc;
  simdjson::error_code err = parser_.parse(buffer_.data(), record.size(), false).get(doc);
  if (err == simdjson::UTF8_ERROR) return fail(RecordError::kInvalidUtf8, "record is not valid UTF-8");
  if (err != simdjson::SUCCESS) {
    return fail(RecordError::kNotJson, absl::StrCat("not JSON: ", simdjson::error_message(err)));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return fail(RecordError::kNotObject, "not a JSON object");
  }

  bool have_body = false;
  for (const simdjson::dom::key_value_pair& field : obj) {
    std::string_view key = field.key;
    std::string_view* target = nullptr;
    if (key == mapping_.body) target = &out->body;
    else if (key == mapping_.title) target = &out->title;
    else if (key == mapping_.id) target = &out->id;
    else if (key == mapping_.source) target = &out->source;
    else if (key == mapping_.url) target = &out->url;
    else if (key == mapping_.published_at) target = &out->published_at;
    if (target == nullptr || field.value.is_null()) continue;
    if (target == &out->id && field.value.is_number()) {
      id_ = simdjson::minify(field.value);
      out->id = id_;
      continue;
    }
    if (field.value.get_string().get(*target) != simdjson::SUCCESS) {
      return fail(RecordError::kWrongType,
                  absl::StrCat("field '", std::string(key), "' must be a string"));
    }
    if (target == &out->body) have_body = true;
  }
  if (!have_body) {
    return fail(RecordError::kMissingBody, absl::StrCat("no '", mapping_.body, "' field"));
  }
  if (out->body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(RecordError::kEmptyBody, "the body is empty");
  }
  out->valid_utf8 = true;
  return RecordError::kOk;
}

core::ArticleView ParsePlainText(std::string_view text, std::string_view id) {
  core::ArticleView view;
  view.id = id;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t line_end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, line_end - pos);
    size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string_view::npos) {
      size_t e = line.find_last_not_of(" \t\r");
      view.title = line.substr(b, e - b + 1);
      size_t body_start = line_end;
      while (body_start < text.size() &&
             (text[body_start] == '\n' || text[body_start] == '\r')) {
        ++body_start;
      }
      view.body = text.substr(body_start);
      return view;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return view;
}

}  // namespace wirescan::parse

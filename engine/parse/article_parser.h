#pragma once
// Parsing of input records into ArticleViews: JSON article records (simdjson DOM, field
// names configurable) and plain text (first non-empty line the title, the rest the body).
//
// A record that cannot be an article is not an error of the engine: Parse() returns a
// RecordError code (a dead-letter reason), never throws and never allocates a Status.
//
// Accepted beyond what simdjson reads by itself: a UTF-8 byte order mark before the record
// (skipped), and numbers no 64-bit integer or double holds (a 30-digit id, 1e400): valid JSON
// (RFC 8259 sets no limit). Only when simdjson refused a number is the record rewritten (such
// numbers become 0, or the string of their text where they are the id) and parsed again, so
// ordinary records pay nothing; a numeric id is its text ("123456789012345678901234567890").
//
// Thread safety: JsonArticleParser is thread-compatible (one per partition thread); the views
// it returns are valid until its next Parse() call.

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/core/article.h"
#include "simdjson.h"

namespace wirescan::parse {

enum class RecordError : uint8_t {
  kOk = 0,
  kNotJson,      // not well-formed JSON (truncated, garbage, trailing bytes)
  kNotObject,    // JSON, but not an object
  kMissingBody,  // no body field
  kEmptyBody,    // body present but empty or only white space
  kWrongType,    // a mapped field is not a string (id may also be a number)
  kTooLarge,     // record larger than the configured limit
  kInvalidUtf8,  // JSON records must be UTF-8 (RFC 8259)
};

// Reason code used in dead-letter headers and metrics: "not_json", "missing_body", ...
std::string_view RecordErrorName(RecordError e);

// JSON field names of the article fields.
struct FieldMapping {
  std::string id = "id";
  std::string title = "title";
  std::string body = "body";
  std::string source = "source";
  std::string url = "url";
  std::string published_at = "published_at";
};

class JsonArticleParser {
 public:
  static constexpr size_t kDefaultMaxRecordBytes = 4 << 20;

  explicit JsonArticleParser(FieldMapping mapping = {},
                             size_t max_record_bytes = kDefaultMaxRecordBytes);

  // Parses one record. On kOk `*out` holds views valid until the next Parse(); otherwise
  // `*detail` (if not null) says what was wrong, for a dead-letter message.
  RecordError Parse(std::string_view record, core::ArticleView* out, std::string* detail = nullptr);

 private:
  FieldMapping mapping_;
  size_t max_record_bytes_;
  simdjson::dom::parser parser_;
  std::string buffer_;  // the record plus SIMDJSON_PADDING (Kafka payloads carry no padding)
  std::string id_;      // numeric ids, rendered
  std::string rewritten_;  // the record with its unrepresentable numbers replaced (rare path)
};

// Splits plain text into title (first non-empty line, trimmed) and body (the rest).
core::ArticleView ParsePlainText(std::string_view text, std::string_view id);

}  // namespace wirescan::parse

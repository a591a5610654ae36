#include "engine/parse/article_parser.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace wirescan::parse {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The length of the JSON number (RFC 8259 grammar) at text[i], or 0 if there is none there.
// *integer: without fraction or exponent; *exponent10: the decimal exponent of its first
// significant digit (a rough magnitude: 1e400 -> 400, 0.05 -> -2, 0 -> 0).
size_t NumberAt(std::string_view text, size_t i, bool* integer, int64_t* exponent10) {
  const size_t n = text.size();
  size_t j = i;
  if (j < n && text[j] == '-') ++j;
  if (j >= n || !IsDigit(text[j])) return 0;
  int64_t int_digits = 0, leading_zeros = 0;  // significant digits before the point
  bool significant = false;
  if (text[j] == '0') {
    ++j;
  } else {
    for (; j < n && IsDigit(text[j]); ++j) ++int_digits;
    significant = true;
  }
  *integer = true;
  if (j < n && text[j] == '.') {
    const size_t start = ++j;
    for (; j < n && IsDigit(text[j]); ++j) {
      if (!significant && text[j] == '0') ++leading_zeros;
      else significant = true;
    }
    if (j == start) return 0;
    *integer = false;
  }
  int64_t exponent = 0;
  if (j < n && (text[j] == 'e' || text[j] == 'E')) {
    ++j;
    bool negative = false;
    if (j < n && (text[j] == '+' || text[j] == '-')) negative = text[j++] == '-';
    const size_t start = j;
    for (; j < n && IsDigit(text[j]); ++j) {
      if (exponent < (int64_t{1} << 40)) exponent = exponent * 10 + (text[j] - '0');
    }
    if (j == start) return 0;
    if (negative) exponent = -exponent;
    *integer = false;
  }
  *exponent10 = !significant ? 0 : (int_digits > 0 ? int_digits - 1 : -leading_zeros - 1) + exponent;
  return j - i;
}

// True if simdjson cannot hold the number `token`: an integer outside [-2^63, 2^64), or a
// number beyond the range of a double (simdjson reads 1e-400 as 0, but refuses 1e400).
bool Unrepresentable(std::string_view token, bool integer, int64_t exponent10) {
  const char* first = token.data();
  const char* last = token.data() + token.size();
  if (integer) {
    if (token[0] == '-') {
      int64_t v;
      return std::from_chars(first, last, v).ec != std::errc();
    }
    uint64_t v;
    return std::from_chars(first, last, v).ec != std::errc();
  }
  double v;
  return std::from_chars(first, last, v).ec == std::errc::result_out_of_range && exponent10 > 0;
}

// Copies `record` to *out with every number simdjson cannot hold replaced: the value of a
// top-level key `id_key` by the string of its text, any other by 0 (a number still, so that a
// mapped field stays the wrong type). Returns false when there was none: the record is left
// to simdjson's verdict. Strings are copied as they are; malformed bytes too (the second parse
// rejects them). `key_parser` decodes a top-level key written with escapes.
bool RewriteBigNumbers(std::string_view record, std::string_view id_key,
                       simdjson::dom::parser* key_parser, std::string* out) {
  out->clear();
  out->reserve(record.size() + 16);
  const size_t n = record.size();
  int depth = 0;
  bool top_is_object = false;
  bool expect_key = false;     // at depth 1 of the top-level object: the next string is a key
  bool value_of_id = false;    // just after "<id_key>": at depth 1
  bool changed = false;
  auto is_id = [&](std::string_view raw_key) {
    if (raw_key.find('\\') == std::string_view::npos) return raw_key == id_key;
    std::string quoted = "\"";
    quoted.append(raw_key).push_back('"');
    simdjson::padded_string padded(quoted);
    std::string_view decoded;
    simdjson::dom::element e;
    return key_parser->parse(padded).get(e) == simdjson::SUCCESS &&
           e.get_string().get(decoded) == simdjson::SUCCESS && decoded == id_key;
  };
  for (size_t i = 0; i < n;) {
    const char c = record[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < n && record[j] != '"') j += record[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, n);
      if (depth == 1 && top_is_object && expect_key) {
        value_of_id = j - i >= 2 && is_id(record.substr(i + 1, j - i - 2));
        expect_key = false;
      } else {
        value_of_id = false;
      }
      out->append(record.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '-' || IsDigit(c)) {
      bool integer = false;
      int64_t exponent10 = 0;
      const size_t len = NumberAt(record, i, &integer, &exponent10);
      if (len > 0) {
        std::string_view token = record.substr(i, len);
        if (Unrepresentable(token, integer, exponent10)) {
          changed = true;
          if (depth == 1 && top_is_object && value_of_id) {
            out->push_back('"');
            out->append(token);
            out->push_back('"');
          } else {
            out->push_back('0');
          }
        } else {
          out->append(token);
        }
        value_of_id = false;
        i += len;
        continue;
      }
    }
    switch (c) {
      case '{':
      case '[':
        if (++depth == 1) top_is_object = c == '{';
        expect_key = depth == 1 && c == '{';
        value_of_id = false;
        break;
      case '}':
      case ']':
        --depth;
        value_of_id = false;
        break;
      case ',':
        if (depth == 1) expect_key = top_is_object;
        value_of_id = false;
        break;
      case ':':
      case ' ':
      case '\t':
      case '\r':
      case '\n':
        break;  // white space and the colon keep the key they follow
      default:
        value_of_id = false;
        break;
    }
    out->push_back(c);
    ++i;
  }
  return changed;
}

}  // namespace

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
  // A byte order mark is not JSON, but some producers write one (RFC 8259 section 8.1 lets a
  // parser ignore it).
  std::string_view json = record;
  if (json.substr(0, kByteOrderMark.size()) == kByteOrderMark) json.remove_prefix(kByteOrderMark.size());
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse from a padded copy.
  if (buffer_.size() < json.size() + simdjson::SIMDJSON_PADDING) {
    buffer_.resize(json.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buffer_.data(), json.data(), json.size());
  std::memset(buffer_.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);

  // The DOM API dispatches at run time to the best kernel of the CPU (On-Demand would be fixed
  // at compile time, i.e. the scalar fallback without -march flags). It validates UTF-8 too.
  simdjson::dom::element doc;
  simdjson::error_code err = parser_.parse(buffer_.data(), json.size(), false).get(doc);
  if (err == simdjson::NUMBER_ERROR &&
      RewriteBigNumbers(json, mapping_.id, &parser_, &rewritten_)) {
    // Numbers beyond 64 bits are valid JSON: parse again without them (the rare path).
    const size_t size = rewritten_.size();
    rewritten_.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::error_code again = parser_.parse(rewritten_.data(), size, false).get(doc);
    if (again != simdjson::NUMBER_ERROR) err = again;
  }
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

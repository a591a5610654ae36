#include "engine/parse/article_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "engine/core/utf8.h"

namespace wirescan::parse {
namespace {

using ::testing::HasSubstr;

struct Result {
  RecordError error;
  core::ArticleView view;
  std::string detail;
};

Result ParseWith(JsonArticleParser& parser, std::string_view record) {
  Result r;
  r.error = parser.Parse(record, &r.view, &r.detail);
  return r;
}

Result Parse(std::string_view record) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, record);
  // Views would dangle once `parser` goes: keep only the error and detail here.
  r.view = {};
  return r;
}

// ----------------------------------------------------------------------------- failing records

TEST(JsonArticleParserTest, NotJson) {
  for (std::string_view record :
       {std::string_view(""), std::string_view("not json"), std::string_view("{\"body\": \"x\""),
        std::string_view("{\"body\": \"x\"} trailing"), std::string_view("{body: \"x\"}"),
        std::string_view("{\"body\": \"x\",}"), std::string_view("{\"body\": \"bad \\q escape\"}")}) {
    Result r = Parse(record);
    EXPECT_EQ(r.error, RecordError::kNotJson) << record;
    EXPECT_THAT(r.detail, HasSubstr("not JSON")) << record;
  }
}

TEST(JsonArticleParserTest, NotObject) {
  for (std::string_view record : {"[]", "[{\"body\": \"x\"}]", "\"body\"", "42", "null", "true"}) {
    Result r = Parse(record);
    EXPECT_EQ(r.error, RecordError::kNotObject) << record;
    EXPECT_EQ(r.detail, "not a JSON object");
  }
}

TEST(JsonArticleParserTest, MissingBody) {
  Result r = Parse(R"({"id": "a1", "title": "Only a title"})");
  EXPECT_EQ(r.error, RecordError::kMissingBody);
  EXPECT_EQ(r.detail, "no 'body' field");
  EXPECT_EQ(Parse("{}").error, RecordError::kMissingBody);
  // null counts as absent.
  EXPECT_EQ(Parse(R"({"id": "a1", "body": null})").error, RecordError::kMissingBody);
}

TEST(JsonArticleParserTest, EmptyBody) {
  Result r = Parse(R"({"id": "a1", "body": ""})");
  EXPECT_EQ(r.error, RecordError::kEmptyBody);
  EXPECT_EQ(r.detail, "the body is empty");
  EXPECT_EQ(Parse(R"({"id": "a1", "title": "", "body": ""})").error, RecordError::kEmptyBody);
}

TEST(JsonArticleParserTest, EmptyBodyIsRejectedEvenWithATitle) {
  // A record without text to analyse is a dead letter ("empty_body"), headline or not.
  JsonArticleParser parser;
  EXPECT_EQ(ParseWith(parser, R"({"title": "Headline only", "body": ""})").error,
            RecordError::kEmptyBody);
  EXPECT_EQ(ParseWith(parser, R"({"title": "t", "body": " \n\t "})").error,
            RecordError::kEmptyBody);
}

TEST(JsonArticleParserTest, WrongType) {
  struct Case {
    const char* record;
    const char* field;
  };
  for (const Case& c : {Case{R"({"body": 42})", "body"}, Case{R"({"body": "x", "title": ["a"]})", "title"},
                        Case{R"({"body": "x", "source": {"name": "r"}})", "source"},
                        Case{R"({"body": "x", "url": true})", "url"},
                        Case{R"({"body": "x", "published_at": 1700000000})", "published_at"},
                        Case{R"({"body": "x", "id": ["a1"]})", "id"},
                        Case{R"({"body": "x", "id": false})", "id"}}) {
    Result r = Parse(c.record);
    EXPECT_EQ(r.error, RecordError::kWrongType) << c.record;
    EXPECT_EQ(r.detail, std::string("field '") + c.field + "' must be a string") << c.record;
  }
}

TEST(JsonArticleParserTest, TooLarge) {
  JsonArticleParser parser({}, /*max_record_bytes=*/64);
  std::string record = R"({"body": ")" + std::string(100, 'x') + R"("})";
  core::ArticleView view;
  std::string detail;
  EXPECT_EQ(parser.Parse(record, &view, &detail), RecordError::kTooLarge);
  EXPECT_EQ(detail, "record of 112 bytes exceeds the limit of 64");
  // Exactly at the limit is fine.
  std::string at_limit = R"({"body": ")" + std::string(64 - 12, 'x') + R"("})";
  ASSERT_EQ(at_limit.size(), 64u);
  EXPECT_EQ(parser.Parse(at_limit, &view, &detail), RecordError::kOk);
  EXPECT_EQ(view.body.size(), 52u);
}

TEST(JsonArticleParserTest, TooLargeWithTheDefaultLimit) {
  JsonArticleParser parser;
  std::string record = R"({"body": ")" +
                       std::string(JsonArticleParser::kDefaultMaxRecordBytes, 'x') + R"("})";
  core::ArticleView view;
  EXPECT_EQ(parser.Parse(record, &view), RecordError::kTooLarge);
}

TEST(JsonArticleParserTest, InvalidUtf8) {
  Result r = Parse("{\"body\": \"caf\xC3\"}");
  EXPECT_EQ(r.error, RecordError::kInvalidUtf8);
  EXPECT_EQ(r.detail, "record is not valid UTF-8");
  EXPECT_EQ(Parse("{\"body\": \"x\", \"title\": \"\xFF\"}").error, RecordError::kInvalidUtf8);
  EXPECT_EQ(Parse("{\"body\": \"\xED\xA0\x80\"}").error, RecordError::kInvalidUtf8);  // surrogate
}

TEST(JsonArticleParserTest, DetailIsOptional) {
  JsonArticleParser parser;
  core::ArticleView view;
  EXPECT_EQ(parser.Parse("nope", &view), RecordError::kNotJson);
}

TEST(JsonArticleParserTest, ErrorNames) {
  EXPECT_EQ(RecordErrorName(RecordError::kOk), "ok");
  EXPECT_EQ(RecordErrorName(RecordError::kNotJson), "not_json");
  EXPECT_EQ(RecordErrorName(RecordError::kNotObject), "not_object");
  EXPECT_EQ(RecordErrorName(RecordError::kMissingBody), "missing_body");
  EXPECT_EQ(RecordErrorName(RecordError::kEmptyBody), "empty_body");
  EXPECT_EQ(RecordErrorName(RecordError::kWrongType), "wrong_type");
  EXPECT_EQ(RecordErrorName(RecordError::kTooLarge), "too_large");
  EXPECT_EQ(RecordErrorName(RecordError::kInvalidUtf8), "invalid_utf8");
}

// ----------------------------------------------------------------------------- good records

TEST(JsonArticleParserTest, ParsesAllFields) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, R"({"id": "reuters-1", "title": "ASE invests", "body": "ASE said.",
      "source": "reuters.com", "url": "https://example.com/a", "published_at": "2024-06-11T08:00:00Z",
      "extra": {"ignored": [1, 2, 3]}})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "reuters-1");
  EXPECT_EQ(r.view.title, "ASE invests");
  EXPECT_EQ(r.view.body, "ASE said.");
  EXPECT_EQ(r.view.source, "reuters.com");
  EXPECT_EQ(r.view.url, "https://example.com/a");
  EXPECT_EQ(r.view.published_at, "2024-06-11T08:00:00Z");
}

TEST(JsonArticleParserTest, NullOptionalFieldsAreEmpty) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, R"({"id": null, "title": null, "body": "text", "url": null})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "");
  EXPECT_EQ(r.view.title, "");
  EXPECT_EQ(r.view.body, "text");
}

TEST(JsonArticleParserTest, NumericIds) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, R"({"id": 1234567890123, "body": "x"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "1234567890123");
  r = ParseWith(parser, R"({"body": "x", "id": 0})");
  ASSERT_EQ(r.error, RecordError::kOk);
  EXPECT_EQ(r.view.id, "0");
  r = ParseWith(parser, R"({"body": "x", "id": -17})");
  ASSERT_EQ(r.error, RecordError::kOk);
  EXPECT_EQ(r.view.id, "-17");
}

// Numbers beyond 64 bits are valid JSON (RFC 8259 sets no limit); simdjson refuses them.
TEST(JsonArticleParserTest, BigNumbersAreNotJsonErrors) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, R"({"id":123456789012345678901234567890,"body":"TSMC said so."})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "123456789012345678901234567890");  // its text, not a rounded double
  EXPECT_EQ(r.view.body, "TSMC said so.");
  r = ParseWith(parser, R"({"body": "x", "id" : -98765432109876543210987})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "-98765432109876543210987");
  r = ParseWith(parser, R"({"body": "x", "id": 1e400})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "1e400");
  // Anywhere else in the record: ignored like any field the parser does not read.
  r = ParseWith(parser, R"({"id":"a1","body":"The 123456789012345678901234567890 stays.",)"
                        R"("views":123456789012345678901234567890,"score":1e400,)"
                        R"("nested":{"id":99999999999999999999999,"list":[1,-1e999,2E+500]}})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "a1");
  EXPECT_EQ(r.view.body, "The 123456789012345678901234567890 stays.");
  // The id under an escaped key name.
  r = ParseWith(parser, R"({"id":123456789012345678901234567890,"body":"x"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "123456789012345678901234567890");
  // The edges of what simdjson holds itself.
  r = ParseWith(parser, R"({"id":18446744073709551615,"body":"x"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "18446744073709551615");
  r = ParseWith(parser, R"({"id":18446744073709551616,"body":"x"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "18446744073709551616");
  r = ParseWith(parser, R"({"id":-9223372036854775809,"tiny":1e-400,"body":"x"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "-9223372036854775809");
  // The parser is still right for the next, ordinary record.
  r = ParseWith(parser, R"({"id": 42, "body": "y"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "42");
  EXPECT_EQ(r.view.body, "y");
}

TEST(JsonArticleParserTest, BigNumbersKeepTheOtherVerdicts) {
  // A big number in a text field is still a number there.
  EXPECT_EQ(Parse(R"({"title":123456789012345678901234567890,"body":"x"})").error,
            RecordError::kWrongType);
  EXPECT_EQ(Parse(R"({"body":123456789012345678901234567890})").error, RecordError::kWrongType);
  EXPECT_EQ(Parse(R"({"id":123456789012345678901234567890})").error, RecordError::kMissingBody);
  EXPECT_EQ(Parse(R"([123456789012345678901234567890])").error, RecordError::kNotObject);
  EXPECT_EQ(Parse("123456789012345678901234567890").error, RecordError::kNotObject);
  // Malformed numbers, or malformed JSON around a big one, are still not JSON.
  for (std::string_view record :
       {std::string_view(R"({"id":01,"body":"x"})"), std::string_view(R"({"id":1.,"body":"x"})"),
        std::string_view(R"({"id":-,"body":"x"})"), std::string_view(R"({"id":1e,"body":"x"})"),
        std::string_view(R"({"id":123456789012345678901234567890,"body":"x")"),
        std::string_view(R"({"id":123456789012345678901234567890 "body":"x"})"),
        std::string_view(R"({"id":123456789012345678901234567890,"body":"x",01})"),
        std::string_view(R"({"v":123456789012345678901234567890x,"body":"x"})")}) {
    Result r = Parse(record);
    EXPECT_EQ(r.error, RecordError::kNotJson) << record;
    EXPECT_THAT(r.detail, HasSubstr("not JSON")) << record;
  }
}

TEST(JsonArticleParserTest, ByteOrderMarkIsSkipped) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, "\xEF\xBB\xBF{\"id\":\"bom\",\"title\":\"BOM\",\"body\":\"TSMC said so.\"}");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "bom");
  EXPECT_EQ(r.view.body, "TSMC said so.");
  r = ParseWith(parser, "\xEF\xBB\xBF{\"id\":123456789012345678901234567890,\"body\":\"x\"}");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "123456789012345678901234567890");
  // One mark, first: anywhere else it is not JSON.
  EXPECT_EQ(Parse("\xEF\xBB\xBF\xEF\xBB\xBF{\"body\":\"x\"}").error, RecordError::kNotJson);
  EXPECT_EQ(Parse(" \xEF\xBB\xBF{\"body\":\"x\"}").error, RecordError::kNotJson);
  EXPECT_EQ(Parse("{\"body\":\"x\"}\xEF\xBB\xBF").error, RecordError::kNotJson);
  EXPECT_EQ(Parse("\xEF\xBB\xBF").error, RecordError::kNotJson);
  EXPECT_EQ(Parse("\xEF\xBB\xBF[]").error, RecordError::kNotObject);
}

TEST(JsonArticleParserTest, UnicodeEscapesAreDecoded) {
  JsonArticleParser parser;
  Result r = ParseWith(
      parser,
      R"({"title": "caf\u00e9 \u53f0\u7a4d\u96fb", "body": "smile \ud83d\ude00 \"quoted\"\n\ttab \/ \\"})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.title, "caf\xC3\xA9 \xE5\x8F\xB0\xE7\xA9\x8D\xE9\x9B\xBB");  // café 台積電
  EXPECT_EQ(r.view.body, "smile \xF0\x9F\x98\x80 \"quoted\"\n\ttab / \\");
}

// The parser promises valid UTF-8 (ArticleView::valid_utf8) and the extractor relies on it
// without checking again: broken surrogate escapes must be an error or decode to valid UTF-8.
TEST(JsonArticleParserTest, EveryAcceptedRecordIsValidUtf8) {
  JsonArticleParser parser;
  for (const char* escaped : {R"(\ud800)", R"(\udc00)", R"(\ud800x)", R"(\ud800\u0041)",
                              R"(\ud800\ud800)", R"(\udbff\udfff)", R"(\udc00\ud800)",
                              R"(\u0000)", R"(\uffff)", R"(\ud83d\ude00)"}) {
    std::string record = std::string(R"({"title": "t)") + escaped + R"(", "body": "b)" + escaped +
                         R"("})";
    Result r = ParseWith(parser, record);
    if (r.error != RecordError::kOk) continue;
    EXPECT_TRUE(r.view.valid_utf8) << record;
    EXPECT_TRUE(core::IsValidUtf8(r.view.title)) << record;
    EXPECT_TRUE(core::IsValidUtf8(r.view.body)) << record;
  }
  EXPECT_FALSE(ParsePlainText("title\nbody", "p").valid_utf8);  // checked by the extractor
}

TEST(JsonArticleParserTest, RawUtf8IsKept) {
  JsonArticleParser parser;
  Result r = ParseWith(parser, "{\"body\": \"日月光投資\"}");
  ASSERT_EQ(r.error, RecordError::kOk);
  EXPECT_EQ(r.view.body, "日月光投資");
}

TEST(JsonArticleParserTest, CustomFieldMapping) {
  FieldMapping mapping;
  mapping.id = "guid";
  mapping.title = "headline";
  mapping.body = "content";
  mapping.source = "publisher";
  mapping.url = "link";
  mapping.published_at = "date";
  JsonArticleParser parser(mapping);
  Result r = ParseWith(parser, R"({"guid": 77, "headline": "H", "content": "C",
      "publisher": "P", "link": "L", "date": "D", "body": 12, "title": ["ignored"]})");
  ASSERT_EQ(r.error, RecordError::kOk) << r.detail;
  EXPECT_EQ(r.view.id, "77");
  EXPECT_EQ(r.view.title, "H");
  EXPECT_EQ(r.view.body, "C");
  EXPECT_EQ(r.view.source, "P");
  EXPECT_EQ(r.view.url, "L");
  EXPECT_EQ(r.view.published_at, "D");

  // The default names mean nothing under the custom mapping.
  r = ParseWith(parser, R"({"body": "x"})");
  EXPECT_EQ(r.error, RecordError::kMissingBody);
  EXPECT_EQ(r.detail, "no 'content' field");
}

TEST(JsonArticleParserTest, ParserIsReusableAcrossRecords) {
  JsonArticleParser parser({}, 1 << 20);
  Result big = ParseWith(parser, R"({"id": "big", "body": ")" + std::string(5000, 'b') + R"("})");
  ASSERT_EQ(big.error, RecordError::kOk);
  Result bad = ParseWith(parser, "{\"body\":");
  EXPECT_EQ(bad.error, RecordError::kNotJson);
  EXPECT_EQ(bad.view.body, "");  // the output is reset on failure
  Result small = ParseWith(parser, R"({"id": 5, "body": "s"})");
  ASSERT_EQ(small.error, RecordError::kOk);
  EXPECT_EQ(small.view.id, "5");
  EXPECT_EQ(small.view.body, "s");
}

TEST(JsonArticleParserTest, RecordIsNotReadPastItsEnd) {
  // The record is a slice of a larger buffer: the bytes after it must not be parsed.
  const std::string buffer = R"({"body": "x"}{"garbage")";
  JsonArticleParser parser;
  core::ArticleView view;
  EXPECT_EQ(parser.Parse(std::string_view(buffer).substr(0, 13), &view), RecordError::kOk);
  EXPECT_EQ(view.body, "x");
}

// ----------------------------------------------------------------------------- plain text

TEST(ParsePlainTextTest, FirstLineIsTitleRestIsBody) {
  core::ArticleView v = ParsePlainText("ASE invests\nASE said on Monday.\nMore.", "a1");
  EXPECT_EQ(v.id, "a1");
  EXPECT_EQ(v.title, "ASE invests");
  EXPECT_EQ(v.body, "ASE said on Monday.\nMore.");
}

TEST(ParsePlainTextTest, SkipsLeadingBlankLinesAndTrimsTheTitle) {
  core::ArticleView v = ParsePlainText("\n  \n\t\n   ASE invests  \n\n\nBody text.", "a2");
  EXPECT_EQ(v.title, "ASE invests");
  EXPECT_EQ(v.body, "Body text.");
}

TEST(ParsePlainTextTest, CrLfLineEnds) {
  core::ArticleView v = ParsePlainText("\r\n\r\nHeadline\r\n\r\nFirst line.\r\nSecond.\r\n", "a3");
  EXPECT_EQ(v.title, "Headline");
  EXPECT_EQ(v.body, "First line.\r\nSecond.\r\n");
}

TEST(ParsePlainTextTest, TitleOnlyAndEmptyInputs) {
  core::ArticleView v = ParsePlainText("Only a title", "a4");
  EXPECT_EQ(v.title, "Only a title");
  EXPECT_EQ(v.body, "");
  v = ParsePlainText("Title\n", "a5");
  EXPECT_EQ(v.title, "Title");
  EXPECT_EQ(v.body, "");
  v = ParsePlainText("", "a6");
  EXPECT_EQ(v.title, "");
  EXPECT_EQ(v.body, "");
  v = ParsePlainText(" \n\r\n\t ", "a7");
  EXPECT_EQ(v.title, "");
  EXPECT_EQ(v.body, "");
}

TEST(ParsePlainTextTest, CjkTitle) {
  core::ArticleView v = ParsePlainText("日月光投資\n日月光今日宣布。", "zh");
  EXPECT_EQ(v.title, "日月光投資");
  EXPECT_EQ(v.body, "日月光今日宣布。");
}

}  // namespace
}  // namespace wirescan::parse

#include "engine/emit/encoder.h"

#include <string_view>

#include "engine/emit/schema_registry.h"
#include "gtest/gtest.h"
#include "google/protobuf/descriptor.pb.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::emit {
namespace {

// Names of the top-level messages: lines of the form "message <Name> {".
std::vector<std::string> TopLevelMessages(const std::string& proto_text) {
  std::vector<std::string> names;
  constexpr std::string_view kPrefix = "message ";
  size_t pos = 0;
  while (pos < proto_text.size()) {
    size_t end = proto_text.find('\n', pos);
    if (end == std::string::npos) end = proto_text.size();
    std::string_view line(proto_text.data() + pos, end - pos);
    if (line.starts_with(kPrefix) && line.ends_with(" {")) {
      line.remove_prefix(kPrefix.size());
      line.remove_suffix(2);
      names.emplace_back(line);
    }
    pos = end + 1;
  }
  return names;
}

TEST(ConfluentSchemaTextTest, ListsTheProducedMessageFirstAndKeepsTheOthers) {
  for (const google::protobuf::Descriptor* type :
       {v1::Event::descriptor(), v1::ArticleAnalysis::descriptor()}) {
    absl::StatusOr<std::string> text = ConfluentSchemaText(type);
    ASSERT_TRUE(text.ok()) << text.status();
    std::vector<std::string> names = TopLevelMessages(*text);
    ASSERT_EQ(names.size(), static_cast<size_t>(type->file()->message_type_count()));
    EXPECT_EQ(names[0], type->name());
    EXPECT_NE(text->find("package wirescan.v1;"), std::string::npos);
    // Every message of the file is still there.
    for (int i = 0; i < type->file()->message_type_count(); ++i) {
      EXPECT_NE(std::find(names.begin(), names.end(), type->file()->message_type(i)->name()),
                names.end());
    }
  }
}

TEST(ConfluentSchemaTextTest, PrintedSchemaParsesBackToTheSameMessages) {
  // The text is what a registry parses: it must describe the same fields.
  absl::StatusOr<std::string> text = ConfluentSchemaText(v1::Event::descriptor());
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("map<string, string> attributes"), std::string::npos) << *text;
  EXPECT_NE(text->find("repeated .wirescan.v1.EventSlot slots"), std::string::npos) << *text;
  EXPECT_NE(text->find("syntax = \"proto3\";"), std::string::npos);
}

TEST(ConfluentHeaderTest, MagicByteBigEndianIdAndIndexZero) {
  std::string h = ConfluentHeader(0x01020304);
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(h, std::string("\x00\x01\x02\x03\x04\x00", 6));
  EXPECT_EQ(ConfluentHeader(7), std::string("\x00\x00\x00\x00\x07\x00", 6));
}

v1::Event SampleEvent() {
  v1::Event e;
  e.set_id("abc");
  e.set_type("investment");
  v1::EventSlot* slot = e.add_slots();
  slot->set_role("amount");
  slot->set_canonical("1 USD");
  return e;
}

TEST(OutputEncoderTest, WithoutEncodingsEverythingIsBareProtobuf) {
  OutputEncoder enc(nullptr);
  std::string out;
  std::string_view type;
  v1::Event e = SampleEvent();
  ASSERT_TRUE(enc.Encode("t", e, &out, &type).ok());
  EXPECT_EQ(out, e.SerializeAsString());
  EXPECT_EQ(type, "application/x-protobuf; messageType=wirescan.v1.Event");
}

TEST(OutputEncoderTest, PerTopicFormats) {
  OutputEncodings encodings(WireFormat::kConfluentProtobuf,
                            {{"events.json", WireFormat::kJson}, {"bare", WireFormat::kProtobuf}});
  encodings.SetSchemaId("framed", 258);
  OutputEncoder enc(&encodings);
  v1::Event e = SampleEvent();
  std::string out;
  std::string_view type;

  ASSERT_TRUE(enc.Encode("events.json", e, &out, &type).ok());
  EXPECT_EQ(type, "application/json");
  EXPECT_EQ(out, R"({"id":"abc","type":"investment","slots":[{"role":"amount","canonical":"1 USD"}]})");

  ASSERT_TRUE(enc.Encode("bare", e, &out, &type).ok());
  EXPECT_EQ(out, e.SerializeAsString());

  ASSERT_TRUE(enc.Encode("framed", e, &out, &type).ok());
  EXPECT_EQ(out, std::string("\x00\x00\x00\x01\x02\x00", 6) + e.SerializeAsString());
  EXPECT_EQ(type,
            "application/x-protobuf; messageType=wirescan.v1.Event; framing=confluent; "
            "schemaId=258");
}

TEST(OutputEncoderTest, ConfluentTopicWithoutSchemaIdFailsUntilOneIsSet) {
  OutputEncodings encodings(WireFormat::kConfluentProtobuf, {});
  OutputEncoder enc(&encodings);
  std::string out;
  std::string_view type;
  absl::Status s = enc.Encode("later", SampleEvent(), &out, &type);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  encodings.SetSchemaId("later", 9);  // e.g. registered on a rule reload
  ASSERT_TRUE(enc.Encode("later", SampleEvent(), &out, &type).ok());
  EXPECT_EQ(out.substr(0, 6), std::string("\x00\x00\x00\x00\x09\x00", 6));
}

TEST(SchemaRegistryTest, SubjectAndQuoting) {
  EXPECT_EQ(ValueSubject("wirescan.analysis"), "wirescan.analysis-value");
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), R"("a\"b\\c\nd\u0001")");
}

TEST(SchemaRegistryTest, UnreachableRegistryIsUnavailableAfterTheTimeout) {
  // Port 1 on the loopback: nothing listens there, the connection is refused at once.
  SchemaRegistryClient client({.url = "http://127.0.0.1:1", .basic_auth = "", .timeout_ms = 1000});
  absl::StatusOr<uint32_t> id = client.Register("t-value", "syntax = \"proto3\";");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable) << id.status();
}

}  // namespace
}  // namespace wirescan::emit

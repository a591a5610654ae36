#include "engine/rules/yaml_proto.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wirescan/v1/rules.pb.h"
#include "yaml-cpp/yaml.h"

namespace wirescan::rules {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using v1::rules::EntityRule;
using v1::rules::EventRule;
using v1::rules::RuleFile;

absl::Status Parse(const std::string& text, RuleFile* file, SourceMap* sources = nullptr) {
  return ParseYamlToProto(text, "rules/test.yaml", file, sources);
}

// Asserts that `text` fails with "rules/test.yaml:<line>: ..." containing `fragment`.
void ExpectError(const std::string& text, int line, const std::string& fragment) {
  RuleFile file;
  absl::Status s = Parse(text, &file);
  ASSERT_FALSE(s.ok()) << "accepted:\n" << text;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("rules/test.yaml:" + std::to_string(line) + ": "));
  EXPECT_THAT(std::string(s.message()), HasSubstr(fragment));
}

// ----------------------------------------------------------------------------- failing inputs

TEST(YamlProtoTest, UnknownKeyAtTopLevel) {
  ExpectError("entities: []\nentites: []\n", 2, "unknown key 'entites' in RuleFile");
}

TEST(YamlProtoTest, UnknownKeyListsKnownFields) {
  ExpectError(
      "entities:\n"
      "  - id: org.a\n"
      "    type: ORG\n"
      "    aliasses: [A]\n",
      4, "unknown key 'aliasses' in EntityRule (known: id, type, canonical, aliases");
}

TEST(YamlProtoTest, UnknownKeyInNestedMessage) {
  ExpectError(
      "events:\n"
      "  - id: event.x\n"
      "    window:\n"
      "      sentences: true\n",
      4, "unknown key 'sentences' in Window");
}

TEST(YamlProtoTest, DuplicateKey) {
  ExpectError(
      "entities:\n"
      "  - id: org.a\n"
      "    type: ORG\n"
      "    id: org.b\n",
      4, "duplicate key 'id'");
}

TEST(YamlProtoTest, DuplicateKeyInMapField) {
  ExpectError(
      "entities:\n"
      "  - id: org.a\n"
      "    attributes:\n"
      "      country: TW\n"
      "      country: US\n",
      5, "duplicate key 'country' in 'attributes'");
}

TEST(YamlProtoTest, ListExpected) {
  ExpectError("entities: org.a\n", 1, "field 'entities' expects a list, got 'org.a'");
}

TEST(YamlProtoTest, SingleValueExpected) {
  ExpectError(
      "entities:\n"
      "  - id: [org.a, org.b]\n",
      2, "field 'id' expects a single value, got a list");
  ExpectError(
      "entities:\n"
      "  - aliases: [[A]]\n",
      2, "field 'aliases' expects a single value, got a list");
}

TEST(YamlProtoTest, MappingExpectedForMessage) {
  ExpectError(
      "events:\n"
      "  - id: event.x\n"
      "    window: 5\n",
      3, "expected a mapping for Window, got '5'");
  ExpectError("entities:\n  - just a string\n", 2, "expected a mapping for EntityRule");
}

TEST(YamlProtoTest, MappingExpectedForMapField) {
  ExpectError(
      "entities:\n"
      "  - id: org.a\n"
      "    attributes: [country]\n",
      3, "field 'attributes' expects a mapping, got a list");
}

TEST(YamlProtoTest, RootMustBeAMapping) {
  ExpectError("- a\n- b\n", 1, "expected a mapping for RuleFile, got a list");
  ExpectError("just text\n", 1, "expected a mapping for RuleFile");
}

TEST(YamlProtoTest, BadEnumName) {
  ExpectError(
      "entities:\n"
      "  - id: org.a\n"
      "    case: lower\n",
      3, "field 'case' expects one of: auto, sensitive, insensitive, got 'lower'");
}

TEST(YamlProtoTest, EnumNamesAreCaseSensitiveShortOrFull) {
  // Short names are lower case; "Sensitive" is neither the short nor the full name.
  ExpectError("entities:\n  - case: Sensitive\n", 2, "expects one of");
}

TEST(YamlProtoTest, BothOneofMembers) {
  ExpectError(
      "events:\n"
      "  - id: event.x\n"
      "    window:\n"
      "      sentence: true\n"
      "      bytes: 200\n",
      5, "'bytes' and 'sentence' cannot both be set (kind)");
}

TEST(YamlProtoTest, BothOneofMembersEvenWhenFirstIsFalse) {
  ExpectError(
      "events:\n"
      "  - window: {bytes: 0, sentence: false}\n",
      2, "'sentence' and 'bytes' cannot both be set");
}

TEST(YamlProtoTest, KeyWithoutValue) {
  ExpectError(
      "entities:\n"
      "  - id:\n"
      "    type: ORG\n",
      2, "key 'id' has no value");
}

TEST(YamlProtoTest, BadBool) {
  ExpectError(
      "patterns:\n"
      "  - id: p\n"
      "    caseless: maybe\n",
      3, "field 'caseless' expects true or false, got 'maybe'");
}

TEST(YamlProtoTest, BadNumber) {
  ExpectError(
      "figures:\n"
      "  scales:\n"
      "    - value: a lot\n",
      3, "field 'value' expects a number, got 'a lot'");
}

TEST(YamlProtoTest, NegativeUnsigned) {
  ExpectError(
      "events:\n"
      "  - window:\n"
      "      bytes: -1\n",
      3, "field 'bytes' expects a non-negative integer, got '-1'");
}

TEST(YamlProtoTest, FractionalOrOverflowingUnsigned) {
  ExpectError("events:\n  - window: {bytes: 1.5}\n", 2, "expects a non-negative integer");
  ExpectError("events:\n  - window: {bytes: 99999999999}\n", 2, "expects a non-negative integer");
  ExpectError("events:\n  - window: {bytes: ten}\n", 2, "expects a non-negative integer");
}

TEST(YamlProtoTest, NonScalarKey) {
  ExpectError("? [a, b]\n: c\n", 1, "a key must be a single value");
}

TEST(YamlProtoTest, SyntaxErrorCarriesLine) {
  ExpectError("entities:\n  - id: org.a\n    aliases: [A, B\n", 4, "YAML syntax error");
  ExpectError("entities:\n  - id: a: b\n", 2, "YAML syntax error");
}

TEST(YamlProtoTest, ErrorNamesTheFileGiven) {
  RuleFile file;
  absl::Status s = ParseYamlToProto("bogus: 1\n", "packs/x/orgs.yaml", &file, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), StartsWith("packs/x/orgs.yaml:1: unknown key 'bogus'"));
}

// ----------------------------------------------------------------------------- accepted inputs

TEST(YamlProtoTest, FillsAllKindsOfFields) {
  RuleFile file;
  ASSERT_TRUE(Parse("entities:\n"
                    "  - id: org.ase\n"
                    "    type: ORG\n"
                    "    canonical: ASE Technology\n"
                    "    aliases: [ASE, \"ASE Technology Holding\", 日月光]\n"
                    "    case: sensitive\n"
                    "    word_boundary: false\n"
                    "    attributes: {country: TW, ticker: \"3711.TW\"}\n"
                    "events:\n"
                    "  - id: event.x\n"
                    "    type: x\n"
                    "    window: {bytes: 120}\n"
                    "    slots:\n"
                    "      - {name: company, types: [ORG], required: true, prefer: subject}\n"
                    "figures:\n"
                    "  scales:\n"
                    "    - {value: 1e9, words: [billion]}\n"
                    "  qualifiers:\n"
                    "    - {qualifier: at_least, position: after, words: [以上]}\n",
                    &file)
                  .ok());
  ASSERT_EQ(file.entities_size(), 1);
  const EntityRule& e = file.entities(0);
  EXPECT_EQ(e.id(), "org.ase");
  EXPECT_EQ(e.canonical(), "ASE Technology");
  EXPECT_THAT(e.aliases(), ::testing::ElementsAre("ASE", "ASE Technology Holding", "日月光"));
  EXPECT_EQ(e.case_(), v1::rules::CASE_SENSITIVE);
  EXPECT_TRUE(e.has_word_boundary());
  EXPECT_FALSE(e.word_boundary());
  EXPECT_EQ(e.attributes().at("country"), "TW");
  EXPECT_EQ(e.attributes().at("ticker"), "3711.TW");
  ASSERT_EQ(file.events_size(), 1);
  EXPECT_EQ(file.events(0).window().bytes(), 120u);
  EXPECT_EQ(file.events(0).slots(0).prefer(), v1::rules::PREFER_SUBJECT);
  EXPECT_TRUE(file.events(0).slots(0).required());
  EXPECT_DOUBLE_EQ(file.figures().scales(0).value(), 1e9);
  EXPECT_EQ(file.figures().qualifiers(0).qualifier(), v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(file.figures().qualifiers(0).position(), v1::rules::POSITION_AFTER);
}

TEST(YamlProtoTest, EnumAcceptsFullName) {
  RuleFile file;
  ASSERT_TRUE(Parse("entities:\n  - case: CASE_INSENSITIVE\n", &file).ok());
  EXPECT_EQ(file.entities(0).case_(), v1::rules::CASE_INSENSITIVE);
}

TEST(YamlProtoTest, UnsetOptionalStaysUnset) {
  RuleFile file;
  ASSERT_TRUE(Parse("entities:\n  - id: org.a\n", &file).ok());
  EXPECT_FALSE(file.entities(0).has_word_boundary());
  EXPECT_EQ(file.entities(0).case_(), v1::rules::CASE_AUTO);
}

TEST(YamlProtoTest, EmptyDocumentAndNullMessageAreEmpty) {
  RuleFile file;
  EXPECT_TRUE(Parse("", &file).ok());
  EXPECT_EQ(file.ByteSizeLong(), 0u);
  EXPECT_TRUE(Parse("# only a comment\n", &file).ok());
  ASSERT_TRUE(Parse("events:\n  - id: e\n    window:\n", &file).ok());
  EXPECT_EQ(file.events(0).window().kind_case(), v1::rules::Window::KIND_NOT_SET);
}

TEST(YamlProtoTest, ScalarsAreTakenAsStringsForStringFields) {
  RuleFile file;
  ASSERT_TRUE(Parse("entities:\n  - {id: 123, aliases: [2330, yes]}\n", &file).ok());
  EXPECT_EQ(file.entities(0).id(), "123");
  EXPECT_THAT(file.entities(0).aliases(), ::testing::ElementsAre("2330", "yes"));
}

TEST(YamlProtoTest, ClearsTheMessageFirst) {
  RuleFile file;
  file.add_entities()->set_id("stale");
  YAML::Node node = YAML::Load("patterns: [{id: p}]\n");
  ASSERT_TRUE(YamlToProto(node, "mem.yaml", &file, nullptr).ok());
  EXPECT_EQ(file.entities_size(), 0);
  ASSERT_EQ(file.patterns_size(), 1);
  EXPECT_EQ(file.patterns(0).id(), "p");
}

TEST(YamlProtoTest, YamlToProtoReportsFileAndLine) {
  YAML::Node node = YAML::Load("entities:\n  - id: a\n    colour: red\n");
  RuleFile file;
  absl::Status s = YamlToProto(node, "mem.yaml", &file, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), StartsWith("mem.yaml:3: unknown key 'colour'"));
}

TEST(SourceMapTest, RecordsTheLineOfEveryMessage) {
  RuleFile file;
  SourceMap sources;
  ASSERT_TRUE(Parse("# header\n"
                    "entities:\n"
                    "  - id: org.a\n"
                    "    type: ORG\n"
                    "\n"
                    "  - id: org.b\n"
                    "events:\n"
                    "  - id: event.x\n"
                    "    window:\n"
                    "      bytes: 10\n"
                    "    slots:\n"
                    "      - name: company\n",
                    &file, &sources)
                  .ok());
  EXPECT_EQ(sources.Locate(file.entities(0)), "rules/test.yaml:3");
  EXPECT_EQ(sources.Locate(file.entities(1)), "rules/test.yaml:6");
  EXPECT_EQ(sources.Locate(file.events(0)), "rules/test.yaml:8");
  EXPECT_EQ(sources.Locate(file.events(0).window()), "rules/test.yaml:10");
  EXPECT_EQ(sources.Locate(file.events(0).slots(0)), "rules/test.yaml:12");
}

TEST(SourceMapTest, UnknownMessage) {
  SourceMap sources;
  EntityRule rule;
  EXPECT_EQ(sources.Locate(rule), "<unknown>");
  sources.Record(&rule, {"a.yaml", 7});
  EXPECT_EQ(sources.Locate(rule), "a.yaml:7");
}

}  // namespace
}  // namespace wirescan::rules

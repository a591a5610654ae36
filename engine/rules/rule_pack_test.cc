#include "engine/rules/rule_pack.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::rules {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;
using ::testing::StartsWith;

// A minimal figure vocabulary: enough for "US$1.15 billion", "3 billion dollars" and "5%".
constexpr char kFigures[] = R"yaml(figures:
  currencies:
    - code: USD
      prefixes: [US$]
      suffixes: [dollars]
  scales:
    - value: 1e9
      words: [billion]
  percent_suffixes: ["%"]
)yaml";

constexpr char kEntities[] = R"yaml(entities:
  - id: org.ase
    type: ORG
    canonical: ASE Technology
    aliases: [ASE, ASE Technology Holding, 日月光]
    attributes: {country: TW}
  - id: place.us
    type: PLACE
    canonical: United States
    aliases: [US, United States]
)yaml";

constexpr char kEvents[] = R"yaml(events:
  - id: event.investment
    type: investment
    triggers: [invest, invests]
    slots:
      - {name: company, types: [ORG], required: true}
      - {name: amount, types: [MONEY], required: true}
      - {name: place, types: [PLACE]}
)yaml";

std::vector<RuleText> BasePack() {
  return {{"figures.yaml", kFigures}, {"orgs.yaml", kEntities}, {"events.yaml", kEvents}};
}

std::vector<RuleText> With(std::vector<RuleText> pack, std::string name, std::string text) {
  pack.push_back({std::move(name), std::move(text)});
  return pack;
}

// Asserts the pack is rejected with a message starting with `prefix` and containing `fragment`.
void ExpectPackError(std::vector<RuleText> texts, const std::string& prefix,
                     const std::string& fragment) {
  auto pack = CompileRulePack(std::move(texts));
  ASSERT_FALSE(pack.ok()) << "pack accepted";
  EXPECT_EQ(pack.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pack.status().message()), StartsWith(prefix));
  EXPECT_THAT(std::string(pack.status().message()), HasSubstr(fragment));
}

// ----------------------------------------------------------------------------- failing inputs

TEST(CompileRulePackTest, UnknownKey) {
  ExpectPackError(With(BasePack(), "extra.yaml", R"yaml(entities:
  - id: org.jcet
    type: ORG
    canonical: JCET
    alias: [JCET]
)yaml"),
                  "extra.yaml:5: ", "unknown key 'alias' in EntityRule");
}

TEST(CompileRulePackTest, BadRegexNamesFileLineAndRule) {
  ExpectPackError(With(BasePack(), "dates.yaml", R"yaml(patterns:
  - id: date.ok
    type: DATE
    regex: "[0-9]{4}"
  - id: date.broken
    type: DATE
    regex: "(Q[1-4]"
)yaml"),
                  "dates.yaml:5: rule date.broken: ", "parenthes");
}

TEST(CompileRulePackTest, RegexWithUnsupportedConstructIsRejected) {
  ExpectPackError(With(BasePack(), "dates.yaml", R"yaml(patterns:
  - {id: date.backref, type: DATE, regex: "(a)\\1"}
)yaml"),
                  "dates.yaml:2: rule date.backref: ", "");
}

TEST(CompileRulePackTest, DuplicateIdNamesTheFirstLocation) {
  ExpectPackError(With(BasePack(), "z_orgs.yaml", R"yaml(# more
entities:
  - id: org.ase
    type: ORG
    canonical: ASE again
    aliases: [ASE Group]
)yaml"),
                  "z_orgs.yaml:3: rule org.ase: ", "duplicate id (first defined at orgs.yaml:2)");
}

TEST(CompileRulePackTest, DuplicateIdAcrossRuleKinds) {
  ExpectPackError(With(BasePack(), "p.yaml", R"yaml(patterns:
  - {id: org.ase, type: DATE, regex: "[0-9]+"}
)yaml"),
                  "p.yaml:2: rule org.ase: ", "duplicate id (first defined at orgs.yaml:2)");
}

TEST(CompileRulePackTest, DateFormsClaimTheirRuleIds) {
  // A pattern with a date form's id is the duplicate: the forms claim theirs first.
  ExpectPackError(With(With(BasePack(), "dates.yaml", "dates: {english: true}\n"), "p.yaml",
                       "patterns:\n  - {id: date.year, type: DATE, regex: \"[0-9]+\"}\n"),
                  "p.yaml:2: rule date.year: ", "duplicate id (first defined at dates.yaml:1)");
  // Chinese forms only: date.year is free.
  auto pack = CompileRulePack(
      With(With(BasePack(), "dates.yaml", "dates: {chinese: true}\n"), "p.yaml",
           "patterns:\n  - {id: date.year, type: DATE, regex: \"[0-9]{4}\"}\n"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_EQ((*pack)->model->dates.forms().size(), 3u);
}

TEST(CompileRulePackTest, InvalidIds) {
  ExpectPackError({{"a.yaml", "entities:\n  - {id: Org.Upper, type: ORG, canonical: X, aliases: [X]}\n"}},
                  "a.yaml:2: rule Org.Upper: ", "id must be 1-128 characters of [a-z0-9_.-]");
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org x, type: ORG, canonical: X, aliases: [X]}\n"}},
                  "a.yaml:2: rule org x: ", "id must be");
  ExpectPackError({{"a.yaml", "entities:\n  - {type: ORG, canonical: X, aliases: [X]}\n"}},
                  "a.yaml:2: ", "missing 'id'");
}

TEST(CompileRulePackTest, DuplicateAliasAcrossEntities) {
  ExpectPackError(With(BasePack(), "z.yaml", R"yaml(entities:
  - id: org.other
    type: ORG
    canonical: Other
    aliases: [Other, ASE]
)yaml"),
                  "z.yaml:2: rule org.other: ", "alias 'ASE' is also an alias of org.ase");
}

TEST(CompileRulePackTest, DuplicateAliasWithinOneEntity) {
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: ORG, canonical: A, aliases: [Acme, acme]}\n"}},
                  "a.yaml:2: rule org.a: ", "alias 'acme' is also an alias of this rule");
}

TEST(CompileRulePackTest, AliasCollidingCaseInsensitively) {
  // "Micron" ignores case (CASE_AUTO, not an acronym), so it would also match "MICRON".
  ExpectPackError({{"a.yaml", R"yaml(entities:
  - {id: org.micron, type: ORG, canonical: Micron, aliases: [Micron]}
  - {id: org.other, type: ORG, canonical: Other, aliases: [MICRON]}
)yaml"}},
                  "a.yaml:3: rule org.other: ", "alias 'MICRON' is also an alias of org.micron");
  // An explicit case-insensitive acronym collides with a case-sensitive one of another entity.
  ExpectPackError({{"a.yaml", R"yaml(entities:
  - {id: org.sk, type: ORG, canonical: SK, aliases: [SK]}
  - {id: org.sk2, type: ORG, canonical: Sk, aliases: [Sk], case: insensitive}
)yaml"}},
                  "a.yaml:3: rule org.sk2: ", "alias 'Sk' is also an alias of org.sk");
}

TEST(CompileRulePackTest, CaseSensitiveAliasesThatDifferInCaseAreAllowed) {
  auto pack = CompileRulePack({{"a.yaml", R"yaml(entities:
  - {id: org.apple, type: ORG, canonical: Apple, aliases: [Apple], case: sensitive}
  - {id: org.apple_caps, type: ORG, canonical: APPLE Fund, aliases: [APPLE]}
)yaml"}});
  EXPECT_TRUE(pack.ok()) << pack.status();
}

TEST(CompileRulePackTest, UnknownEntityType) {
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: COMPANY, canonical: A, aliases: [A]}\n"}},
                  "a.yaml:2: rule org.a: ",
                  "type 'COMPANY' is not one of ORG, PLACE, TECH, PERSON, PRODUCT");
  // Figure types are mention types, not entity types.
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: MONEY, canonical: A, aliases: [A]}\n"}},
                  "a.yaml:2: rule org.a: ", "type 'MONEY' is not one of");
}

TEST(CompileRulePackTest, EntityWithoutCanonicalOrAliases) {
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: ORG, aliases: [A]}\n"}},
                  "a.yaml:2: rule org.a: ", "missing 'canonical'");
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: ORG, canonical: A}\n"}},
                  "a.yaml:2: rule org.a: ", "needs at least one alias");
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: ORG, canonical: A, aliases: [\"A \"]}\n"}},
                  "a.yaml:2: rule org.a: ", "alias 'A ' is empty or has leading/trailing spaces");
  ExpectPackError({{"a.yaml", "entities:\n  - {id: org.a, type: ORG, canonical: A, aliases: [\"\"]}\n"}},
                  "a.yaml:2: rule org.a: ", "is empty or has leading/trailing spaces");
}

TEST(CompileRulePackTest, PatternWithUnknownTypeOrNoRegex) {
  ExpectPackError({{"a.yaml", "patterns:\n  - {id: p.x, type: WHEN, regex: x}\n"}},
                  "a.yaml:2: rule p.x: ", "type 'WHEN' is not a mention type");
  ExpectPackError({{"a.yaml", "patterns:\n  - {id: p.x, type: DATE}\n"}}, "a.yaml:2: rule p.x: ",
                  "missing 'regex'");
}

TEST(CompileRulePackTest, SlotWithUnknownType) {
  ExpectPackError(With(BasePack(), "ev.yaml", R"yaml(events:
  - id: event.merger
    type: merger
    triggers: [merge]
    slots:
      - {name: buyer, types: [ORG]}
      - name: target
        types: [COMPANY]
)yaml"),
                  "ev.yaml:7: rule event.merger: ", "slot 'target': unknown type 'COMPANY'");
}

TEST(CompileRulePackTest, SlotIdsNamingUnknownRules) {
  ExpectPackError(With(BasePack(), "ev.yaml", R"yaml(events:
  - id: event.merger
    type: merger
    triggers: [merge]
    slots:
      - {name: buyer, ids: [org.ase, org.nope], required: true}
)yaml"),
                  "ev.yaml:6: rule event.merger: ", "slot 'buyer' names unknown rule 'org.nope'");
}

TEST(CompileRulePackTest, SlotIdsMayNameRulesOfOtherFiles) {
  auto pack = CompileRulePack(With(BasePack(), "ev.yaml", R"yaml(events:
  - id: event.merger
    type: merger
    triggers: [merge]
    slots:
      - {name: buyer, ids: [org.ase, place.us], required: true}
)yaml"));
  EXPECT_TRUE(pack.ok()) << pack.status();
}

TEST(CompileRulePackTest, SlotNeedsNameAndTypesOrIds) {
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t], slots: [{types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "slot without 'name'");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t], slots: [{name: s}]}\n"}},
                  "a.yaml:2: rule e.x: ", "slot 's' needs 'types' or 'ids'");
  ExpectPackError({{"a.yaml", R"yaml(events:
  - id: e.x
    type: x
    triggers: [t]
    slots:
      - {name: s, types: [ORG]}
      - {name: s, types: [PLACE]}
)yaml"}},
                  "a.yaml:7: rule e.x: ", "duplicate slot 's'");
}

TEST(CompileRulePackTest, EventWithoutTypeTriggersOrSlots) {
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, triggers: [t], slots: [{name: s, types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "missing 'type'");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, slots: [{name: s, types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "needs at least one trigger");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t]}\n"}},
                  "a.yaml:2: rule e.x: ", "needs at least one slot");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [\" t\"], slots: [{name: s, types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "trigger ' t' is empty or has leading/trailing spaces");
}

TEST(CompileRulePackTest, RequireAnyNamingAnUnknownSlot) {
  ExpectPackError(With(BasePack(), "ev.yaml", R"yaml(events:
  - id: event.earnings
    type: earnings
    triggers: [revenue]
    require_any: [value, change]
    slots:
      - {name: company, types: [ORG], required: true}
      - {name: value, types: [MONEY]}
)yaml"),
                  "ev.yaml:2: rule event.earnings: ", "require_any names unknown slot 'change'");
}

TEST(CompileRulePackTest, TriggerAttributeMustNotBeASlot) {
  ExpectPackError(With(BasePack(), "ev.yaml", R"yaml(events:
  - id: event.earnings
    type: earnings
    triggers: [revenue]
    trigger_attribute: company
    slots:
      - {name: company, types: [ORG], required: true}
)yaml"),
                  "ev.yaml:2: rule event.earnings: ", "trigger_attribute 'company' is also a slot name");
}

TEST(CompileRulePackTest, TriggerValuesExcludeAndCuesAreChecked) {
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t], trigger_attribute: m, "
                              "trigger_values: {u: v}, slots: [{name: s, types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "trigger_values names 'u', which is not one of its triggers");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t], "
                              "trigger_values: {t: v}, slots: [{name: s, types: [ORG]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "trigger_values needs a trigger_attribute");
  ExpectPackError({{"a.yaml", "events:\n  - {id: e.x, type: x, triggers: [t], "
                              "slots: [{name: s, types: [ORG], exclude: [segment]}]}\n"}},
                  "a.yaml:2: rule e.x: ", "slot 's': exclude 'segment' is not key=value");
  ExpectPackError({{"a.yaml", "cues:\n  - {id: cue.x, words: [amid]}\n"}}, "a.yaml:2: rule cue.x: ",
                  "missing 'kind' (background or forecast)");
  ExpectPackError({{"a.yaml", "cues:\n  - {id: cue.x, kind: background}\n"}},
                  "a.yaml:2: rule cue.x: ", "needs at least one word");
  ExpectPackError({{"a.yaml", "cues:\n  - {id: cue.x, kind: forecast, side: sideways, words: [x]}\n"}},
                  "a.yaml:2", "sideways");
  auto pack = CompileRulePack({{"a.yaml", "cues:\n  - {id: cue.x, kind: forecast, side: preceding, "
                                          "scope: sentence, words: [could, 預估]}\n"}});
  ASSERT_TRUE(pack.ok()) << pack.status();
  ASSERT_EQ((*pack)->model->cues.size(), 1u);
  EXPECT_FALSE((*pack)->model->cues[0].background);
  EXPECT_TRUE((*pack)->model->cues[0].governs_preceding);
  EXPECT_FALSE((*pack)->model->cues[0].governs_following);
  EXPECT_TRUE((*pack)->model->cues[0].whole_sentence);
}

TEST(CompileRulePackTest, InvalidWindow) {
  const std::string head = "events:\n  - id: e.x\n    type: x\n    triggers: [t]\n    slots: [{name: s, types: [ORG]}]\n";
  ExpectPackError({{"a.yaml", head + "    window:\n      bytes: 0\n"}}, "a.yaml:7: rule e.x: ",
                  "window bytes must be between 1 and 100000");
  ExpectPackError({{"a.yaml", head + "    window: {bytes: 100001}\n"}}, "a.yaml:6: rule e.x: ",
                  "window bytes must be between 1 and 100000");
  ExpectPackError({{"a.yaml", head + "    window: {sentence: false}\n"}}, "a.yaml:6: rule e.x: ",
                  "window: set 'sentence: true' or 'bytes: N'");
  ExpectPackError({{"a.yaml", head + "    window: {sentence: true, bytes: 10}\n"}}, "a.yaml:6: ",
                  "cannot both be set");
  EXPECT_TRUE(CompileRulePack({{"a.yaml", head + "    window: {bytes: 100000}\n"}}).ok());
  EXPECT_TRUE(CompileRulePack({{"a.yaml", head + "    window: {sentence: true}\n"}}).ok());
}

TEST(CompileRulePackTest, ExampleExpectingAnUnknownEventType) {
  ExpectPackError(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.merger
    text: ASE merges with someone.
    events:
      - type: merger
)yaml"),
                  "examples.yaml:5: rule ex.merger: ", "no event rule has type 'merger'");
}

TEST(CompileRulePackTest, ExampleWithoutTextOrWithBadMention) {
  ExpectPackError(With(BasePack(), "examples.yaml", "examples:\n  - id: ex.a\n"),
                  "examples.yaml:2: rule ex.a: ", "missing 'text'");
  ExpectPackError(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.a
    text: ASE
    mentions:
      - {text: ASE, type: COMPANY}
)yaml"),
                  "examples.yaml:5: rule ex.a: ", "unknown mention type 'COMPANY'");
  ExpectPackError(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.a
    text: ASE
    mentions:
      - {type: ORG}
)yaml"),
                  "examples.yaml:5: rule ex.a: ", "expected mention without 'text'");
}

TEST(CompileRulePackTest, BadFigureVocabulary) {
  ExpectPackError({{"f.yaml", R"yaml(figures:
  currencies:
    - {code: usd, prefixes: [US$]}
)yaml"}},
                  "f.yaml:3: ", "is not three capital letters");
  ExpectPackError({{"f.yaml", R"yaml(figures:
  scales:
    - {value: 1500, words: [lots]}
)yaml"}},
                  "f.yaml:3: ", "is not a power of ten");
}

TEST(CompileRulePackTest, InvalidUtf8AndEmptyPack) {
  ExpectPackError({{"bad.yaml", "entities:\n  - {id: org.a, aliases: [\xFF]}\n"}}, "bad.yaml:1: ",
                  "not valid UTF-8");
  auto empty = CompileRulePack({});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("no rule files"));
}

TEST(CompileRulePackTest, YamlSyntaxErrorCarriesFileAndLine) {
  ExpectPackError(With(BasePack(), "broken.yaml", "entities:\n  - id: org.a\n    aliases: [A, B\n"),
                  "broken.yaml:4: ", "YAML syntax error");
}

// ----------------------------------------------------------------------------- accepted packs

TEST(CompileRulePackTest, CompilesAMinimalPack) {
  auto pack = CompileRulePack(BasePack());
  ASSERT_TRUE(pack.ok()) << pack.status();
  const RulePack& p = **pack;
  EXPECT_EQ(p.stats.files, 3u);
  EXPECT_EQ(p.stats.entities, 2u);
  EXPECT_EQ(p.stats.aliases, 5u);
  EXPECT_EQ(p.stats.organisations, 1u);
  EXPECT_EQ(p.stats.events, 1u);
  EXPECT_EQ(p.stats.patterns, 0u);
  EXPECT_EQ(p.stats.figure_tokens, 4u);  // US$, dollars, billion, %
  EXPECT_GT(p.stats.database_bytes, 0u);
  ASSERT_NE(p.rules, nullptr);
  ASSERT_NE(p.model, nullptr);
  EXPECT_EQ(p.model->version, p.version);
  ASSERT_THAT(p.model->entities, SizeIs(2));
  EXPECT_EQ(p.model->entities[0].id, "org.ase");
  EXPECT_EQ(p.model->entities[0].canonical, "ASE Technology");
  EXPECT_THAT(p.model->entities[0].attributes,
              ElementsAre(std::pair<std::string, std::string>("country", "TW")));
  ASSERT_THAT(p.model->events, SizeIs(1));
  EXPECT_TRUE(p.model->events[0].same_sentence);
}

TEST(CompileRulePackTest, TableRowOptionsReachTheModel) {
  auto pack = CompileRulePack(With(BasePack(), "table.yaml", R"yaml(events:
  - id: event.table
    type: earnings
    triggers: [Shr]
    line_start: true
    slots:
      - {name: value, types: [MONEY], required: true}
      - {name: company, types: [ORG], from_title: true, max_gap: 3}
)yaml"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  const auto& events = (*pack)->model->events;
  ASSERT_THAT(events, SizeIs(2));
  const auto& table = events[0].id == "event.table" ? events[0] : events[1];
  EXPECT_TRUE(table.line_start);
  ASSERT_THAT(table.slots, SizeIs(2));
  EXPECT_FALSE(table.slots[0].from_title);
  EXPECT_TRUE(table.slots[1].from_title);
  EXPECT_EQ(table.slots[1].max_gap, 3u);
  EXPECT_EQ(table.slots[0].max_gap, 0u);
}

TEST(CompileRulePackTest, MaxGapIsBounded) {
  ExpectPackError(With(BasePack(), "gap.yaml", R"yaml(events:
  - id: event.gap
    type: earnings
    triggers: [Shr]
    slots:
      - {name: value, types: [MONEY], required: true, max_gap: 65}
)yaml"),
                  "gap.yaml:6: rule event.gap: ", "max_gap must be at most 64");
}

TEST(CompileRulePackTest, VersionIsAStableContentHash) {
  auto a = CompileRulePack(BasePack());
  auto b = CompileRulePack(BasePack());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT((*a)->version, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ((*a)->version, (*b)->version);

  // The order the files are given in does not matter (they are sorted by name).
  std::vector<RuleText> reversed = BasePack();
  std::reverse(reversed.begin(), reversed.end());
  auto c = CompileRulePack(reversed);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->version, (*a)->version);

  // Any change in any file changes it: a comment in the figures file, a renamed file.
  std::vector<RuleText> changed = BasePack();
  changed[0].text += "# a comment\n";
  auto d = CompileRulePack(changed);
  ASSERT_TRUE(d.ok());
  EXPECT_NE((*d)->version, (*a)->version);

  std::vector<RuleText> renamed = BasePack();
  renamed[2].name = "events2.yaml";
  auto e = CompileRulePack(renamed);
  ASSERT_TRUE(e.ok());
  EXPECT_NE((*e)->version, (*a)->version);

  // Moving bytes from the end of one file to the start of the next is a change too.
  std::vector<RuleText> moved = {{"a.yaml", "entities: []\n#x"}, {"b.yaml", "\n"}};
  std::vector<RuleText> moved2 = {{"a.yaml", "entities: []\n"}, {"b.yaml", "#x\n"}};
  auto f = CompileRulePack(With(BasePack(), moved[0].name, moved[0].text));
  auto g = CompileRulePack(With(With(BasePack(), moved2[0].name, moved2[0].text), moved2[1].name,
                                moved2[1].text));
  auto f2 = CompileRulePack(With(With(BasePack(), moved[0].name, moved[0].text), moved[1].name,
                                 moved[1].text));
  ASSERT_TRUE(f.ok() && g.ok() && f2.ok());
  EXPECT_NE((*f2)->version, (*g)->version);
  EXPECT_NE((*f)->version, (*f2)->version);
}

TEST(CompileRulePackTest, VocabularyRepeatedAcrossFilesWithTheSameMeaningIsMerged) {
  auto pack = CompileRulePack(With(BasePack(), "figures2.yaml", kFigures));
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_EQ((*pack)->stats.figure_tokens, 4u);
}

// ----------------------------------------------------------------------------- examples

constexpr char kGoodExample[] = R"yaml(examples:
  - id: ex.investment
    text: ASE Technology Holding will invest US$1.15 billion in the US.
    mentions:
      - {text: ASE Technology Holding, type: ORG, rule_id: org.ase, canonical: ASE Technology}
      - {text: US$1.15 billion, type: MONEY, value: 1150000000, unit: USD}
      - {text: US, type: PLACE}
    absent: [ASE]
    events:
      - type: investment
        attributes: {company: ASE Technology, amount: 1150000000 USD, place: United States}
    event_count: 1
)yaml";

TEST(RunExamplesTest, PassingExamplesReportNothing) {
  auto pack = CompileRulePack(With(BasePack(), "examples.yaml", kGoodExample));
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_EQ((*pack)->stats.examples, 1u);
  EXPECT_THAT(RunExamples(**pack), IsEmpty());
}

TEST(RunExamplesTest, ReportsAMissingMentionWithItsFileAndLine) {
  auto pack = CompileRulePack(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.fail
    text: ASE said nothing.
    mentions:
      - {text: ASE, rule_id: org.ase}
      - {text: ASE, canonical: Wrong Name}
)yaml"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  std::vector<std::string> failures = RunExamples(**pack);
  ASSERT_THAT(failures, SizeIs(1));
  EXPECT_THAT(failures[0], AllOf(StartsWith("examples.yaml:6: example ex.fail: "),
                                 HasSubstr("expected mention 'ASE' canonical differs: expected "
                                           "'Wrong Name', got 'ASE Technology'"),
                                 HasSubstr("found: ORG 'ASE' -> ASE Technology")));
}

TEST(RunExamplesTest, ReportsAbsentMentionsEventsAndCounts) {
  auto pack = CompileRulePack(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.ok
    text: ASE said nothing.
  - id: ex.fail
    text: ASE will invest in the US.
    absent: [ASE]
    events:
      - type: investment
    event_count: 2
)yaml"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  std::vector<std::string> failures = RunExamples(**pack);
  ASSERT_THAT(failures, SizeIs(3));
  EXPECT_THAT(failures[0], AllOf(StartsWith("examples.yaml:4: example ex.fail: "),
                                 HasSubstr("'ASE' must not be a mention")));
  EXPECT_THAT(failures[1], AllOf(StartsWith("examples.yaml:8: example ex.fail: "),
                                 HasSubstr("expected event 'investment' not produced (got: none)")));
  EXPECT_THAT(failures[2], AllOf(StartsWith("examples.yaml:4: example ex.fail: "),
                                 HasSubstr("expected 2 event(s), got 0")));
}

TEST(RunExamplesTest, ReportsWrongEventAttributes) {
  auto pack = CompileRulePack(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.attr
    text: ASE will invest 3 billion dollars.
    events:
      - type: investment
        attributes: {amount: 4000000000 USD}
)yaml"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  std::vector<std::string> failures = RunExamples(**pack);
  ASSERT_THAT(failures, SizeIs(1));
  EXPECT_THAT(failures[0],
              AllOf(StartsWith("examples.yaml:5: example ex.attr: "),
                    HasSubstr("event 'investment': attribute 'amount': expected '4000000000 USD', "
                              "got '3000000000 USD'"),
                    HasSubstr("got: investment{amount=3000000000 USD, company=ASE Technology}")));
}

TEST(RunExamplesTest, CasesGroupFailuresPerExample) {
  auto pack = CompileRulePack(With(BasePack(), "examples.yaml", R"yaml(examples:
  - id: ex.ok
    text: ASE said nothing.
  - id: ex.fail
    text: ASE will invest in the US.
    absent: [ASE]
    event_count: 2
)yaml"));
  ASSERT_TRUE(pack.ok()) << pack.status();
  std::vector<ExampleResult> cases = RunExampleCases(**pack);
  ASSERT_THAT(cases, SizeIs(2));
  EXPECT_EQ(cases[0].id, "ex.ok");
  EXPECT_EQ(cases[0].file, "examples.yaml");
  EXPECT_EQ(cases[0].location, "examples.yaml:2");
  EXPECT_THAT(cases[0].failures, IsEmpty());
  EXPECT_EQ(cases[1].id, "ex.fail");
  EXPECT_THAT(cases[1].failures, SizeIs(2));
}

TEST(CompileRulePackTest, ReportsEveryErrorInOneRun) {
  auto pack = CompileRulePack(With(With(BasePack(), "a.yaml", R"yaml(entities:
  - {id: org.a, type: COMPANY, canonical: A, aliases: [A1]}
  - {id: org.b, type: ORG, canonical: B, aliases: [B1]}
)yaml"),
                                   "b.yaml", R"yaml(entities:
  - {id: org.b, type: ORG, canonical: B again, aliases: [B2]}
events:
  - id: event.x
    type: x
    triggers: [x]
    slots:
      - {name: who, ids: [org.nobody]}
)yaml"));
  ASSERT_FALSE(pack.ok());
  std::vector<std::string> lines = absl::StrSplit(pack.status().message(), '\n');
  EXPECT_THAT(lines, ElementsAre(StartsWith("a.yaml:2: rule org.a: "),
                                 StartsWith("b.yaml:2: rule org.b: duplicate id (first defined "
                                            "at a.yaml:3)"),
                                 StartsWith("b.yaml:8: rule event.x: slot 'who' names unknown "
                                            "rule 'org.nobody'")));
}

TEST(CompileRulePackTest, ReportsTheParseErrorsOfEveryFile) {
  auto pack = CompileRulePack(With(With(BasePack(), "a.yaml", "entities:\n  - colour: red\n"),
                                   "b.yaml", "bogus: [\n"));
  ASSERT_FALSE(pack.ok());
  std::vector<std::string> lines = absl::StrSplit(pack.status().message(), '\n');
  EXPECT_THAT(lines, ElementsAre(StartsWith("a.yaml:2: unknown key 'colour'"),
                                 StartsWith("b.yaml:")));
}

TEST(CompileRulePackTest, AliasClashNamesWhereTheOtherEntityIs) {
  ExpectPackError(With(BasePack(), "z.yaml",
                       "entities:\n  - {id: org.other, type: ORG, canonical: O, aliases: [ASE]}\n"),
                  "z.yaml:2: rule org.other: ",
                  "alias 'ASE' is also an alias of org.ase (orgs.yaml:2)");
}

// ----------------------------------------------------------------------------- LoadRulePack

class LoadRulePackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("rule_pack_test_" + std::string(::testing::UnitTest::GetInstance()
                                                ->current_test_info()
                                                ->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadRulePackTest, VersionIsTheSameWhicheverPathThePackIsGivenBy) {
  Write("figures.yaml", kFigures);
  Write("orgs.yaml", kEntities);
  auto direct = LoadRulePack(dir_.string());
  ASSERT_TRUE(direct.ok()) << direct.status();
  auto dotted = LoadRulePack((dir_ / "." / ".." / dir_.filename()).string() + "/");
  ASSERT_TRUE(dotted.ok()) << dotted.status();
  EXPECT_EQ((*dotted)->version, (*direct)->version);
  std::filesystem::path link = dir_.string() + "_link";
  std::filesystem::remove(link);
  std::filesystem::create_directory_symlink(dir_, link);
  auto linked = LoadRulePack(link.string());
  std::filesystem::remove(link);
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_EQ((*linked)->version, (*direct)->version);
  // Texts named without a directory: the same as the files.
  auto texts = CompileRulePack({{"orgs.yaml", kEntities}, {"figures.yaml", kFigures}});
  ASSERT_TRUE(texts.ok()) << texts.status();
  EXPECT_EQ((*texts)->version, (*direct)->version);
  // A renamed file or a changed byte is a new version.
  std::filesystem::rename(dir_ / "orgs.yaml", dir_ / "orgs2.yaml");
  auto renamed = LoadRulePack(dir_.string());
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_NE((*renamed)->version, (*direct)->version);
  Write("orgs2.yaml", std::string(kEntities) + "# changed\n");
  auto changed = LoadRulePack(dir_.string());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_NE((*changed)->version, (*renamed)->version);
}

TEST_F(LoadRulePackTest, NotADirectory) {
  auto pack = LoadRulePack((dir_ / "missing").string());
  ASSERT_FALSE(pack.ok());
  EXPECT_EQ(pack.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(pack.status().message()), HasSubstr("not a directory"));
}

TEST_F(LoadRulePackTest, NoRuleFiles) {
  Write("README.md", "# not rules\n");
  auto pack = LoadRulePack(dir_.string());
  ASSERT_FALSE(pack.ok());
  EXPECT_EQ(pack.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(pack.status().message()), HasSubstr("no *.yaml rule files"));
}

TEST_F(LoadRulePackTest, ReadsYamlAndYmlOnlyAndNamesFilesByPath) {
  Write("figures.yaml", kFigures);
  Write("orgs.yml", kEntities);
  Write("notes.txt", "this: is not read\n");
  std::filesystem::create_directories(dir_ / "sub");
  Write("sub/ignored.yaml", "bogus: true\n");
  auto pack = LoadRulePack(dir_.string());
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_EQ((*pack)->stats.files, 2u);

  Write("broken.yaml", "entities:\n  - id: org.x\n    colour: red\n");
  auto broken = LoadRulePack(dir_.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()),
              StartsWith((dir_ / "broken.yaml").lexically_normal().string() + ":3: unknown key"));
}

}  // namespace
}  // namespace wirescan::rules

#include "engine/match/rule_set.h"

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::match {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Pattern targets, so the tests can tell hits apart.
enum Target : uint32_t {
  kAse = 0,
  kAseTech = 1,
  kTechnology = 2,
  kAseCjk = 3,
  kMicron = 4,
  kBillion = 5,
  kYear = 6,
  kQuarter = 7,
  kWord = 8,
  kInvest = 9,
};

PatternSpec Literal(std::string text, PatternKind kind, uint32_t target, uint8_t boundary,
                    bool caseless = false) {
  PatternSpec s;
  s.expression = std::move(text);
  s.literal = true;
  s.caseless = caseless;
  s.info = {kind, boundary, target, 0};
  s.origin = "test.yaml:1: rule " + s.expression;
  return s;
}

PatternSpec Regex(std::string regex, uint32_t target) {
  PatternSpec s;
  s.expression = std::move(regex);
  s.literal = false;
  s.info = {PatternKind::kRegex, kNoBoundary, target, 0};
  s.origin = "test.yaml:9: rule regex";
  return s;
}

constexpr uint8_t kBoth = kWordBefore | kWordAfter;

std::vector<PatternSpec> TestSpecs() {
  std::vector<PatternSpec> specs = {
      Literal("ASE", PatternKind::kEntityAlias, kAse, kBoth),
      Literal("ASE Technology", PatternKind::kEntityAlias, kAseTech, kBoth),
      Literal("Technology", PatternKind::kEntityAlias, kTechnology, kBoth, /*caseless=*/true),
      Literal("日月光", PatternKind::kEntityAlias, kAseCjk, kNoBoundary),
      Literal("Micron", PatternKind::kEntityAlias, kMicron, kBoth, /*caseless=*/true),
      Literal("billion", PatternKind::kFigureToken, kBillion, kLetterBefore | kWordAfter, true),
      Literal("invest", PatternKind::kTrigger, kInvest, kBoth, true),
      Regex("(19|20)[0-9]{2}", kYear),
      Regex("Q[1-4]( 20[0-9]{2})?", kQuarter),
      Regex("[a-z]+-[a-z]+", kWord),
  };
  return specs;
}

class RuleSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rules = RuleSet::Compile(TestSpecs());
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = *rules;
    matcher_ = std::make_unique<Matcher>(rules_);
  }

  Hits Scan(std::string_view text) {
    Hits hits;
    absl::Status s = matcher_->Scan(text, &hits);
    EXPECT_TRUE(s.ok()) << s;
    return hits;
  }

  // The entity hits of `text` as "begin-end:target".
  std::vector<std::string> Entities(std::string_view text) { return Render(Scan(text).entities); }

  static std::vector<std::string> Render(const std::vector<Hit>& hits) {
    std::vector<std::string> out;
    for (const Hit& h : hits) {
      out.push_back(std::to_string(h.begin) + "-" + std::to_string(h.end) + ":" +
                    std::to_string(h.target));
    }
    return out;
  }

  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<Matcher> matcher_;
};

// ----------------------------------------------------------------------------- compile errors

TEST(RuleSetCompileTest, RejectsAnEmptySet) {
  auto rules = RuleSet::Compile({});
  ASSERT_FALSE(rules.ok());
  EXPECT_THAT(std::string(rules.status().message()), HasSubstr("no patterns"));
}

TEST(RuleSetCompileTest, RejectsAnEmptyLiteralWithItsOrigin) {
  PatternSpec empty = Literal("", PatternKind::kEntityAlias, 0, kNoBoundary);
  empty.origin = "orgs.yaml:12: rule org.x";
  auto rules = RuleSet::Compile({Literal("ok", PatternKind::kEntityAlias, 0, 0), empty});
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rules.status().message(), "orgs.yaml:12: rule org.x: empty literal");
}

TEST(RuleSetCompileTest, BadRegexCarriesTheOriginOfThatPattern) {
  PatternSpec bad = Regex("(unclosed", 1);
  bad.origin = "dates.yaml:7: rule date.q";
  auto rules =
      RuleSet::Compile({Literal("fine", PatternKind::kEntityAlias, 0, 0), Regex("[0-9]+", 0), bad});
  ASSERT_FALSE(rules.ok());
  EXPECT_THAT(std::string(rules.status().message()), StartsWith("dates.yaml:7: rule date.q: "));
}

TEST(RuleSetCompileTest, LiteralMetacharactersAreLiteral) {
  auto rules = RuleSet::Compile({Literal("US$", PatternKind::kFigureToken, 0, kWordBefore),
                                 Literal("a.b*(c)", PatternKind::kEntityAlias, 1, kNoBoundary)});
  ASSERT_TRUE(rules.ok()) << rules.status();
  Matcher matcher(*rules);
  Hits hits;
  ASSERT_TRUE(matcher.Scan("US$5 and a.b*(c) but not aXbbb(c)", &hits).ok());
  ASSERT_EQ(hits.tokens.size(), 1u);
  EXPECT_EQ(hits.tokens[0].begin, 0u);
  EXPECT_EQ(hits.tokens[0].end, 3u);
  ASSERT_EQ(hits.entities.size(), 1u);
  EXPECT_EQ(hits.entities[0].begin, 9u);
  EXPECT_EQ(hits.entities[0].end, 16u);
}

TEST(RuleSetCompileTest, CachedDatabaseIsReusedOnlyForTheSamePatterns) {
  const std::string dir = ::testing::TempDir() + "/wirescan-hsdb-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  auto first = RuleSet::Compile(TestSpecs(), dir);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE((*first)->from_cache());
  auto second = RuleSet::Compile(TestSpecs(), dir);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)->from_cache());
  // The cached database finds exactly what the compiled one finds.
  Matcher a(*first), b(*second);
  Hits ha, hb;
  const std::string text = "ASE Technology said TSMC will invest. 台積電。";
  ASSERT_TRUE(a.Scan(text, &ha).ok());
  ASSERT_TRUE(b.Scan(text, &hb).ok());
  EXPECT_EQ(ha.entities.size(), hb.entities.size());
  EXPECT_EQ(ha.sentence_ends, hb.sentence_ends);
  // Any change to the patterns is a different key: compiled again, not loaded.
  std::vector<PatternSpec> changed = TestSpecs();
  changed.push_back(Literal("Micron", PatternKind::kEntityAlias, 0, kBoth));
  auto third = RuleSet::Compile(changed, dir);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE((*third)->from_cache());
  std::filesystem::remove_all(dir);
}

TEST(RuleSetCompileTest, RecordsPatternInfo) {
  auto rules = RuleSet::Compile(TestSpecs());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ((*rules)->pattern_count(), TestSpecs().size());
  EXPECT_EQ((*rules)->info(1).length, 14u);  // "ASE Technology"
  EXPECT_EQ((*rules)->info(1).target, kAseTech);
  EXPECT_EQ((*rules)->info(7).length, 0u);  // a regex: start from SOM
  EXPECT_GT((*rules)->database_bytes(), 0u);
}

// ----------------------------------------------------------------------------- boundaries

TEST_F(RuleSetTest, AcronymDoesNotMatchInsideWordsOrInOtherCase) {
  EXPECT_THAT(Entities("PHASE"), IsEmpty());
  EXPECT_THAT(Entities("ASEAN"), IsEmpty());
  EXPECT_THAT(Entities("base"), IsEmpty());
  EXPECT_THAT(Entities("BASE"), IsEmpty());
  EXPECT_THAT(Entities("ase said"), IsEmpty());
  EXPECT_THAT(Entities("ASE2"), IsEmpty());
  EXPECT_THAT(Entities("\xC3\x89" "ASE"), IsEmpty());  // ÉASE: a Latin-1 letter before
}

TEST_F(RuleSetTest, AcronymMatchesOnWordBoundaries) {
  EXPECT_THAT(Entities("ASE said"), ElementsAre("0-3:0"));
  EXPECT_THAT(Entities("(ASE)"), ElementsAre("1-4:0"));
  EXPECT_THAT(Entities("ASE"), ElementsAre("0-3:0"));
  EXPECT_THAT(Entities("shares of ASE."), ElementsAre("10-13:0"));
  EXPECT_THAT(Entities("ASE's"), ElementsAre("0-3:0"));
  EXPECT_THAT(Entities("\xE5\x92\x8C" "ASE"), ElementsAre("3-6:0"));  // 和ASE: CJK is no word char
}

TEST_F(RuleSetTest, CjkAliasMatchesInsideCjkText) {
  // 封測龍頭日月光今日宣布 : 日月光 starts at byte 12.
  EXPECT_THAT(Entities("封測龍頭日月光今日宣布"), ElementsAre("12-21:3"));
  EXPECT_THAT(Entities("x日月光y"), ElementsAre("1-10:3"));
}

TEST_F(RuleSetTest, CaselessAlias) {
  EXPECT_THAT(Entities("Micron"), ElementsAre("0-6:4"));
  EXPECT_THAT(Entities("MICRON rose"), ElementsAre("0-6:4"));
  EXPECT_THAT(Entities("micron-class"), ElementsAre("0-6:4"));
  EXPECT_THAT(Entities("Microns"), IsEmpty());
  EXPECT_THAT(Entities("submicron"), IsEmpty());
}

TEST_F(RuleSetTest, LetterBeforeAllowsADigit) {
  Hits hits = Scan("1.15billion, 3 billion, abillion, billions");
  EXPECT_THAT(Render(hits.tokens), ElementsAre("4-11:5", "15-22:5"));
}

TEST_F(RuleSetTest, TriggersAreReportedSeparately) {
  Hits hits = Scan("ASE will INVEST; reinvest is not a trigger");
  EXPECT_THAT(Render(hits.triggers), ElementsAre("9-15:9"));
  EXPECT_THAT(Render(hits.entities), ElementsAre("0-3:0"));
}

// ----------------------------------------------------------------------------- sorting

TEST_F(RuleSetTest, HitsAreSortedByBeginLongestFirst) {
  EXPECT_THAT(Entities("ASE Technology and Micron and ASE"),
              ElementsAre("0-14:1", "0-3:0", "4-14:2", "19-25:4", "30-33:0"));
}

// ----------------------------------------------------------------------------- regexes

TEST_F(RuleSetTest, RegexHitsHaveTheirStart) {
  Hits hits = Scan("in 2023 and 1999, not 3023");
  EXPECT_THAT(Render(hits.regexes), ElementsAre("3-7:6", "12-16:6"));
}

TEST_F(RuleSetTest, RegexKeepsTheLongestMatchPerStart) {
  Hits hits = Scan("Q3 2024 and Q4");
  // "Q3" and "Q3 2024" both match at 0: only the longer is kept; the year inside also matches.
  EXPECT_THAT(Render(hits.regexes), ElementsAre("0-7:7", "3-7:6", "12-14:7"));
  hits = Scan("state-of-the-art");
  // [a-z]+-[a-z]+ ends at every letter after a hyphen; the leftmost start and longest end win.
  EXPECT_THAT(Render(hits.regexes), ElementsAre("0-8:8", "6-12:8", "9-16:8"));
}

// ----------------------------------------------------------------------------- sentences

TEST_F(RuleSetTest, SentenceEndsAfterTerminatorFollowedBySpaceOrEnd) {
  EXPECT_THAT(Scan("ASE rose. Then it fell!").sentence_ends, ElementsAre(9u, 23u));
  EXPECT_THAT(Scan("Why? Because.").sentence_ends, ElementsAre(4u, 13u));
  EXPECT_THAT(Scan("It said \"no.\" Then").sentence_ends, ElementsAre(12u));
  EXPECT_THAT(Scan("(as planned.) Next").sentence_ends, ElementsAre(12u));
  EXPECT_THAT(Scan("Done.\tNext").sentence_ends, ElementsAre(5u));
  // A closing curly quote after the period.
  EXPECT_THAT(Scan("He said \xE2\x80\x9Cyes.\xE2\x80\x9D Then").sentence_ends, ElementsAre(15u));
}

TEST_F(RuleSetTest, PeriodsInsideTokensDoNotEndSentences) {
  EXPECT_THAT(Scan("up 1.15 percent").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("see example.com now").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("Really?!Yes").sentence_ends, IsEmpty());
}

TEST_F(RuleSetTest, AbbreviationsDoNotEndSentences) {
  EXPECT_THAT(Scan("U.S. export curbs hit ASE.").sentence_ends, ElementsAre(26u));
  EXPECT_THAT(Scan("Samsung Electronics Co. Ltd said").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("Mr. Wei and Dr. Su met in Jan. 2024").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("C.C. Wei spoke").sentence_ends, IsEmpty());
}

TEST_F(RuleSetTest, ChineseTerminatorsAlwaysEndSentences) {
  // 台積電。日月光！好？ : each terminator is 3 bytes.
  EXPECT_THAT(Scan("台積電。日月光！好？").sentence_ends, ElementsAre(12u, 24u, 30u));
  EXPECT_THAT(Scan("台積電。").sentence_ends, ElementsAre(12u));
}

TEST_F(RuleSetTest, LineBreakEndsASentenceUnlessItIsAHardWrap) {
  // A line break is a 1-byte terminator like '.', but it needs no following space (regression:
  // it used to go through the '.' check and was dropped before a letter). Only a wrap between a
  // Latin word and a lower-case continuation is not an end.
  EXPECT_THAT(Scan("TSMC to build fab\nThe company said").sentence_ends, ElementsAre(18u));
  // A hard-wrapped newswire line continues the sentence.
  EXPECT_THAT(Scan("will invest 7.8 billion\nyuan in a plant").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("a stake of 65,\n70 pct").sentence_ends, IsEmpty());
  EXPECT_THAT(Scan("中文標題\n正文").sentence_ends, ElementsAre(13u));
  EXPECT_THAT(Scan("Line one\r\nLine two").sentence_ends, ElementsAre(10u));
  EXPECT_THAT(Scan("line one\r\nline two").sentence_ends, IsEmpty());  // a CRLF hard wrap
  EXPECT_THAT(Scan("para one.\n\nNext").sentence_ends, ElementsAre(9u, 10u, 11u));
}

// ----------------------------------------------------------------------------- edge cases

TEST_F(RuleSetTest, EmptyTextGivesNoHitsAndClearsPreviousOnes) {
  Hits hits;
  ASSERT_TRUE(matcher_->Scan("ASE rose. 2024", &hits).ok());
  ASSERT_FALSE(hits.entities.empty());
  ASSERT_TRUE(matcher_->Scan("", &hits).ok());
  EXPECT_THAT(hits.entities, IsEmpty());
  EXPECT_THAT(hits.tokens, IsEmpty());
  EXPECT_THAT(hits.triggers, IsEmpty());
  EXPECT_THAT(hits.regexes, IsEmpty());
  EXPECT_THAT(hits.sentence_ends, IsEmpty());
  EXPECT_FALSE(hits.truncated);
}

TEST_F(RuleSetTest, InvalidUtf8AroundHits) {
  EXPECT_THAT(Entities("\xFF" "ASE\xFE"), ElementsAre("1-4:0"));
  EXPECT_THAT(Entities("\xE4\xB8" "ASE"), ElementsAre("2-5:0"));  // truncated lead before
  EXPECT_THAT(Entities("ASE\xE4"), ElementsAre("0-3:0"));         // truncated lead at the end
  EXPECT_THAT(Entities("\x80\x80\x80" "Micron\xC3"), ElementsAre("3-9:4"));
  Hits hits = Scan("\xFF.\xFE. ok.");
  EXPECT_THAT(hits.sentence_ends, ElementsAre(4u, 8u));
}

TEST_F(RuleSetTest, RandomBytesNeverCrashAndHitsStayInBounds) {
  std::mt19937 rng(12345);
  const std::vector<std::string> pieces = {"ASE", "日月光", "Micron", " ", ".", "\xFF", "\xE4\xB8",
                                           "\x80", "2024", "billion", "\n", "。", "Q3", "a-b"};
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    int n = 1 + round % 40;
    for (int i = 0; i < n; ++i) {
      if (i % 3 == 0) text.push_back(static_cast<char>(byte_dist(rng)));
      text += pieces[pick(rng)];
    }
    Hits hits = Scan(text);
    for (const auto* list : {&hits.entities, &hits.tokens, &hits.triggers, &hits.regexes}) {
      for (const Hit& h : *list) {
        ASSERT_LE(h.begin, h.end);
        ASSERT_LE(h.end, text.size());
      }
      ASSERT_TRUE(std::is_sorted(list->begin(), list->end(), [](const Hit& a, const Hit& b) {
        return a.begin < b.begin || (a.begin == b.begin && a.end > b.end);
      }));
    }
    for (uint32_t end : hits.sentence_ends) ASSERT_LE(end, text.size());
    ASSERT_TRUE(std::is_sorted(hits.sentence_ends.begin(), hits.sentence_ends.end()));
  }
}

TEST_F(RuleSetTest, StopsAtTheHitLimit) {
  std::string text;
  for (size_t i = 0; i < Matcher::kMaxHitsPerField + 10; ++i) text += "ASE ";
  Hits hits = Scan(text);
  EXPECT_TRUE(hits.truncated);
  EXPECT_EQ(hits.entities.size(), Matcher::kMaxHitsPerField);
}

TEST_F(RuleSetTest, BindSwitchesToAnotherRuleSet) {
  auto other = RuleSet::Compile({Literal("UMC", PatternKind::kEntityAlias, 42, kBoth)});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(matcher_->Bind(*other).ok());
  EXPECT_THAT(Entities("ASE and UMC"), ElementsAre("8-11:42"));
  ASSERT_TRUE(matcher_->Bind(rules_).ok());
  EXPECT_THAT(Entities("ASE and UMC"), ElementsAre("0-3:0"));
}

}  // namespace
}  // namespace wirescan::match

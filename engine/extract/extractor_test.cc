#include "engine/extract/extractor.h"

#include <map>
#include <string>
#include <vector>

#include "engine/core/utf8.h"
#include "engine/extract/output.h"
#include "engine/rules/rule_pack.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

// An event's role -> value (slots and trigger attributes).
std::map<std::string, std::string> Vals(const v1::Event& e) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : EventValues(e)) out.emplace(k, v);
  return out;
}

constexpr char kPack[] = R"yaml(figures:
  currencies:
    - code: USD
      prefixes: [US$]
      suffixes: [dollars]
  scales:
    - value: 1e9
      words: [billion]
  percent_suffixes: ["%"]
entities:
  - id: org.ase
    type: ORG
    canonical: ASE Technology
    aliases: [ASE, ASE Technology Holding, 日月光]
    attributes: {country: TW, ticker: "3711.TW"}
  - id: org.umc
    type: ORG
    canonical: UMC
    aliases: [UMC]
  - id: org.foresight
    type: ORG
    canonical: Foresight
    aliases: [Foresight]
    attributes: {segment: analyst}
  - id: place.us
    type: PLACE
    canonical: United States
    aliases: [US, United States]
patterns:
  - id: product.gpu
    type: PRODUCT
    regex: "H[0-9]{3}"
events:
  - id: event.investment
    type: investment
    topic: t.investment
    triggers: [invest, invests, 投資]
    slots:
      - {name: company, types: [ORG], required: true}
      - {name: amount, types: [MONEY], required: true}
      - {name: place, types: [PLACE]}
  - id: event.partnership
    type: partnership
    triggers: [partner]
    window: {bytes: 20}
    slots:
      - {name: partner, ids: [org.umc], required: true}
  - id: event.earnings
    type: earnings
    triggers: [revenue, net profit, 營收]
    trigger_attribute: metric
    trigger_values: {營收: revenue}
    require_any: [value, change]
    slots:
      - {name: company, types: [ORG], required: true, exclude: [segment=analyst]}
      - {name: change, types: [PERCENT]}
      - {name: value, types: [MONEY]}
  - id: event.table
    type: results
    triggers: [Shr, Shr loss]
    trigger_case_sensitive: true
    line_start: true
    trigger_attribute: metric
    slots:
      - {name: value, types: [MONEY], required: true, prefer: object, max_gap: 2}
      - {name: company, types: [ORG], from_title: true, exclude: [segment=analyst]}
cues:
  - {id: cue.background, kind: background, words: [amid, in the face of]}
  - {id: cue.forecast, kind: forecast, side: preceding, words: [could]}
  - {id: cue.forecast_zh, kind: forecast, scope: sentence, words: [預估]}
)yaml";

class ExtractorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pack = rules::CompileRulePack({{"pack.yaml", kPack}});
    ASSERT_TRUE(pack.ok()) << pack.status();
    pack_ = new std::shared_ptr<const rules::RulePack>(*pack);
  }
  static void TearDownTestSuite() {
    delete pack_;
    pack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pack_, nullptr);
    extractor_ = std::make_unique<Extractor>((*pack_)->rules, (*pack_)->model);
  }

  v1::ArticleAnalysis Analyze(std::string_view body, std::string_view title = "",
                              std::string_view id = "a1", ExtractOptions options = {}) {
    core::ArticleView view;
    view.id = id;
    view.title = title;
    view.body = body;
    view.source = "test";
    v1::ArticleAnalysis out;
    absl::Status s = extractor_->Analyze(view, options, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // Mentions as "field:text:rule_id".
  static std::vector<std::string> Mentions(const v1::ArticleAnalysis& a) {
    std::vector<std::string> out;
    for (const auto& m : a.mentions()) {
      out.push_back(std::string(FieldName(m.field())) + ":" + m.text() + ":" +
                    std::string(MentionRuleId(a, m)));
    }
    return out;
  }

  static const v1::Mention* Find(const v1::ArticleAnalysis& a, std::string_view text) {
    for (const auto& m : a.mentions()) {
      if (m.text() == text) return &m;
    }
    return nullptr;
  }

  static std::shared_ptr<const rules::RulePack>* pack_;
  std::unique_ptr<Extractor> extractor_;
};

std::shared_ptr<const rules::RulePack>* ExtractorTest::pack_ = nullptr;

// ----------------------------------------------------------------------------- mentions

TEST_F(ExtractorTest, LeftmostLongestAcrossKinds) {
  v1::ArticleAnalysis a = Analyze("ASE Technology Holding will invest US$1.15 billion in the US.");
  EXPECT_THAT(Mentions(a), ElementsAre("body:ASE Technology Holding:org.ase",
                                       "body:US$1.15 billion:figure.money", "body:US:place.us"));
  const v1::Mention* ase = Find(a, "ASE Technology Holding");
  ASSERT_NE(ase, nullptr);
  EXPECT_EQ(MentionType(a, *ase), "ORG");
  EXPECT_EQ(MentionCanonical(a, *ase), "ASE Technology");
  EXPECT_TRUE(ase->type().empty());  // the entity's, listed once
  ASSERT_THAT(a.entities(), SizeIs(2));
  EXPECT_EQ(a.entities(0).rule_id(), "org.ase");
  EXPECT_EQ(a.entities(1).rule_id(), "place.us");
  EXPECT_EQ(ase->begin(), 0u);
  EXPECT_EQ(ase->end(), 22u);
  EXPECT_THAT(MentionAttributes(a, *ase), UnorderedElementsAre(Pair("country", "TW"), Pair("ticker", "3711.TW")));
  const v1::Mention* money = Find(a, "US$1.15 billion");
  ASSERT_NE(money, nullptr);
  EXPECT_EQ(money->type(), "MONEY");
  EXPECT_EQ(money->canonical(), "1150000000 USD");
  EXPECT_EQ(money->figure().value(), 1150000000.0);
  EXPECT_EQ(money->figure().unit(), "USD");
  EXPECT_EQ(money->figure().scale(), 1e9);
  EXPECT_EQ(money->begin(), 35u);
  EXPECT_FALSE(money->has_entity());
}

TEST_F(ExtractorTest, ShorterAliasIsFoundAlone) {
  v1::ArticleAnalysis a = Analyze("ASE and ASE Technology Holding and PHASE");
  EXPECT_THAT(Mentions(a), ElementsAre("body:ASE:org.ase", "body:ASE Technology Holding:org.ase"));
  ASSERT_THAT(a.entities(), SizeIs(1));  // one entity, two mentions
  EXPECT_EQ(a.mentions(0).entity(), 0u);
  EXPECT_EQ(a.mentions(1).entity(), 0u);
}

TEST_F(ExtractorTest, PatternMentionsUseTheMatchedText) {
  v1::ArticleAnalysis a = Analyze("Nvidia's H100 and H200 chips");
  EXPECT_THAT(Mentions(a), ElementsAre("body:H100:product.gpu", "body:H200:product.gpu"));
  EXPECT_EQ(a.mentions(0).type(), "PRODUCT");  // not an entity: its own
  EXPECT_EQ(a.mentions(0).canonical(), "H100");
  EXPECT_FALSE(a.mentions(0).has_entity());
}

TEST_F(ExtractorTest, CjkAliasInsideCjkText) {
  v1::ArticleAnalysis a = Analyze("封測龍頭日月光今日宣布");
  ASSERT_THAT(Mentions(a), ElementsAre("body:日月光:org.ase"));
  EXPECT_EQ(a.mentions(0).begin(), 12u);
  EXPECT_EQ(a.article().language(), "zh");
}

TEST_F(ExtractorTest, SentenceIndexOfMentions) {
  v1::ArticleAnalysis a = Analyze("ASE rose. UMC fell! The US? Yes. U.S. data on UMC.");
  ASSERT_THAT(Mentions(a), ElementsAre("body:ASE:org.ase", "body:UMC:org.umc", "body:US:place.us",
                                       "body:UMC:org.umc"));
  EXPECT_EQ(a.mentions(0).sentence(), 0u);
  EXPECT_EQ(a.mentions(1).sentence(), 1u);
  EXPECT_EQ(a.mentions(2).sentence(), 2u);
  EXPECT_EQ(a.mentions(3).sentence(), 4u);  // "U.S." does not end sentence 4
}

TEST_F(ExtractorTest, TitleAndBodyAreBothAnalysed) {
  v1::ArticleAnalysis a = Analyze("UMC rose.", "ASE invests");
  EXPECT_THAT(Mentions(a), ElementsAre("title:ASE:org.ase", "body:UMC:org.umc"));
  EXPECT_EQ(a.mentions(0).begin(), 0u);
  EXPECT_EQ(a.mentions(1).begin(), 0u);
  EXPECT_EQ(a.article().title(), "ASE invests");
  EXPECT_EQ(a.article().title_bytes(), 11u);
  EXPECT_EQ(a.article().body_bytes(), 9u);
  EXPECT_EQ(a.article().body(), "");  // not asked for
  EXPECT_EQ(a.article().language(), "en");
  EXPECT_EQ(a.rules_version(), (*pack_)->version);
  EXPECT_FALSE(a.engine_version().empty());
}

TEST_F(ExtractorTest, IncludeTextCopiesTheBody) {
  ExtractOptions options;
  options.include_text = true;
  v1::ArticleAnalysis a = Analyze("UMC rose.", "", "a1", options);
  EXPECT_EQ(a.article().body(), "UMC rose.");
}

TEST_F(ExtractorTest, AnalyzeClearsThePreviousOutput) {
  v1::ArticleAnalysis a = Analyze("ASE will invest US$1 billion.");
  ASSERT_FALSE(a.events().empty());
  core::ArticleView view;
  view.id = "a2";
  view.body = "nothing here";
  ASSERT_TRUE(extractor_->Analyze(view, {}, &a).ok());
  EXPECT_THAT(a.mentions(), IsEmpty());
  EXPECT_THAT(a.events(), IsEmpty());
  EXPECT_EQ(a.article().id(), "a2");
}

TEST_F(ExtractorTest, LanguageWeighsCjkAgainstLatinInTheFirst4KiB) {
  auto language = [&](const std::string& body) { return Analyze(body).article().language(); };
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out.append(s);
    return out;
  };
  // A CJK character weighs as much as 3 letters; the sizes cross several 64-byte blocks.
  EXPECT_EQ(language(repeat("x", 100) + repeat("中", 34)), "zh");  // 34 * 3 >= 100
  EXPECT_EQ(language(repeat("x", 100) + repeat("中", 33)), "en");
  EXPECT_EQ(language(repeat("中", 33) + repeat("Z", 100)), "en");
  // Only lead bytes E3..E9 (U+3000..U+9FFF) count: not "—" (E2), not hangul (EA).
  EXPECT_EQ(language(repeat("\u3000", 50) + "a"), "zh");
  EXPECT_EQ(language(repeat("\u9fa5", 50) + "a"), "zh");
  EXPECT_EQ(language(repeat("—", 50) + "a"), "en");
  EXPECT_EQ(language(repeat("가", 50) + "a"), "en");
  EXPECT_EQ(language(repeat("—", 50)), "und");
  // Letters only: not '@', '[', '`', '{' (neighbours of A-Z and a-z) nor digits.
  EXPECT_EQ(language(repeat("@[`{0", 40)), "und");
  // Only the first 4 KiB count.
  EXPECT_EQ(language(repeat("a", 4096) + repeat("中", 5000)), "en");
  EXPECT_EQ(language(repeat("中", 1000) + repeat("a", 5000)), "zh");  // 3000 >= 1096 letters
}

TEST_F(ExtractorTest, AReusedOutputEqualsAFreshOne) {
  // Analyze reuses what out->Clear() keeps (mention strings, the Article): nothing of the
  // previous article may leak, whichever fields either article has.
  core::ArticleView full;
  full.id = "a-long-article-identifier-0001";
  full.title = "ASE will invest US$1.15 billion in the US";
  full.body = "UMC rose 5%. ASE Technology Holding said revenue was US$2 billion. H100 \xff.";
  full.source = "a-long-source-name.example.com";
  full.url = "https://a-long-source-name.example.com/articles/2024/ase-invests";
  full.published_at = "2024-05-01T08:00:00Z";
  core::ArticleView sparse;
  sparse.id = "b";
  sparse.body = "UMC and ASE; US$3 billion.";
  const ExtractOptions with_text{.include_text = true};
  for (const auto& [first, second] : {std::pair{full, sparse}, std::pair{sparse, full}}) {
    v1::ArticleAnalysis reused, fresh;
    ASSERT_TRUE(extractor_->Analyze(first, with_text, &reused).ok());
    ASSERT_TRUE(extractor_->Analyze(second, {}, &reused).ok());
    ASSERT_TRUE(extractor_->Analyze(second, {}, &fresh).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reused, fresh))
        << reused.DebugString() << "\nvs\n" << fresh.DebugString();
    EXPECT_FALSE(fresh.mentions().empty());
  }
}

TEST_F(ExtractorTest, TheOwnOutputEqualsACallersOutputArticleAfterArticle) {
  // Analyze(view, options) recycles its mentions through a MentionPool: a figure keeps its
  // Figure, an entity mention its strings. Every
  // analysis must still equal the one into a fresh message, across entities that change
  // places, more mentions of one entity than its pool keeps, and a Bind() to a pack whose
  // entity 0 is another entity.
  std::string many_ase;
  for (int i = 0; i < 40; ++i) many_ase += "ASE said US$1 billion. ";
  const std::vector<std::string> bodies = {
      "ASE will invest US$1.15 billion in the US. UMC rose 5%.",
      "UMC rose 5%. ASE Technology Holding said revenue was US$2 billion.",
      many_ase,
      "US$3 billion, 7% and 9%: no entity at all. H100 \xff.",
      "日月光投資 US$1 billion; ASE and UMC in the United States.",
      "",
      "UMC, UMC, UMC and ASE in the US.",
  };
  auto other = rules::CompileRulePack(
      {{"other.yaml",
        "entities:\n  - {id: org.x, type: ORG, canonical: X Corp, aliases: [ASE, Xcorp],"
        " attributes: {country: XX}}\n"}});
  ASSERT_TRUE(other.ok()) << other.status();
  for (int pass = 0; pass < 4; ++pass) {
    if (pass == 2) {
      ASSERT_TRUE(extractor_->Bind((*other)->rules, (*other)->model).ok());
    } else if (pass == 3) {
      ASSERT_TRUE(extractor_->Bind((*pack_)->rules, (*pack_)->model).ok());
    }
    for (size_t i = 0; i < bodies.size(); ++i) {
      const std::string id = "a" + std::to_string(i);
      core::ArticleView view;
      view.id = id;
      view.title = i % 2 == 0 ? "ASE invests US$1 billion" : "";
      view.body = bodies[(i + pass) % bodies.size()];
      absl::StatusOr<const v1::ArticleAnalysis*> own = extractor_->Analyze(view, {});
      ASSERT_TRUE(own.ok()) << own.status();
      v1::ArticleAnalysis fresh;
      ASSERT_TRUE(extractor_->Analyze(view, {}, &fresh).ok());
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(**own, fresh))
          << "pass " << pass << " article " << i << "\n" << (*own)->DebugString() << "\nvs\n"
          << fresh.DebugString();
    }
  }
}

TEST_F(ExtractorTest, EmptyArticle) {
  v1::ArticleAnalysis a = Analyze("", "");
  EXPECT_THAT(a.mentions(), IsEmpty());
  EXPECT_THAT(a.events(), IsEmpty());
  EXPECT_THAT(a.diagnostics(), IsEmpty());
  EXPECT_EQ(a.article().language(), "und");
}

// ----------------------------------------------------------------------------- invalid UTF-8

TEST_F(ExtractorTest, InvalidUtf8IsRepairedAndReported) {
  ExtractOptions options;
  options.include_text = true;
  v1::ArticleAnalysis a = Analyze("\xFF" "ASE will invest US$1 billion\xC3", "UMC\xE4\xB8 news", "a1",
                                  options);
  ASSERT_THAT(a.diagnostics(), SizeIs(2));
  EXPECT_EQ(a.diagnostics(0).code(), v1::Diagnostic::CODE_INVALID_UTF8_REPAIRED);
  EXPECT_EQ(a.diagnostics(0).field(), "title");
  EXPECT_THAT(a.diagnostics(0).message(), HasSubstr("1 invalid UTF-8 sequence(s)"));
  EXPECT_EQ(a.diagnostics(1).code(), v1::Diagnostic::CODE_INVALID_UTF8_REPAIRED);
  EXPECT_EQ(a.diagnostics(1).field(), "body");
  EXPECT_THAT(a.diagnostics(1).message(), HasSubstr("2 invalid UTF-8 sequence(s)"));

  EXPECT_EQ(a.article().title(), "UMC\xEF\xBF\xBD news");
  EXPECT_EQ(a.article().body(), "\xEF\xBF\xBD" "ASE will invest US$1 billion\xEF\xBF\xBD");
  EXPECT_EQ(a.article().body_bytes(), a.article().body().size());
  EXPECT_TRUE(core::IsValidUtf8(a.article().title()));
  EXPECT_THAT(Mentions(a), ElementsAre("title:UMC:org.umc", "body:ASE:org.ase",
                                       "body:US$1 billion:figure.money"));
  // Offsets refer to the repaired text: U+FFFD is 3 bytes.
  EXPECT_EQ(a.mentions(1).begin(), 3u);
  for (const auto& m : a.mentions()) {
    EXPECT_TRUE(core::IsValidUtf8(m.text()));
    const std::string& field = m.field() == v1::FIELD_TITLE ? a.article().title() : a.article().body();
    EXPECT_EQ(field.substr(m.begin(), m.end() - m.begin()), m.text());
  }
  ASSERT_THAT(a.events(), SizeIs(1));
  std::string serialized;
  EXPECT_TRUE(a.SerializeToString(&serialized));  // proto3 strings must be UTF-8
}

TEST_F(ExtractorTest, ValidTextHasNoDiagnostics) {
  v1::ArticleAnalysis a = Analyze("日月光 ASE café");
  EXPECT_THAT(a.diagnostics(), IsEmpty());
}

// ----------------------------------------------------------------------------- events

TEST_F(ExtractorTest, EventFromRequiredSlots) {
  v1::ArticleAnalysis a = Analyze("Shares rose. ASE will invest US$1.15 billion in the US.", "", "art-7");
  ASSERT_THAT(a.events(), SizeIs(1));
  const v1::Event& e = a.events(0);
  EXPECT_EQ(e.type(), "investment");
  EXPECT_EQ(e.rule_id(), "event.investment");
  EXPECT_EQ(e.topic(), "t.investment");
  EXPECT_EQ(e.trigger(), "invest");
  EXPECT_EQ(FieldName(e.field()), "body");
  EXPECT_EQ(e.article_id(), "art-7");
  EXPECT_EQ(e.rules_version(), (*pack_)->version);
  EXPECT_EQ(e.primary_entity(), "org.ase");
  EXPECT_THAT(e.id(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_THAT(Vals(e),
              UnorderedElementsAre(Pair("company", "ASE Technology"),
                                   Pair("amount", "1150000000 USD"), Pair("place", "United States")));
  ASSERT_THAT(e.slots(), SizeIs(3));  // slot order
  EXPECT_EQ(e.slots(0).text(), "ASE");
  EXPECT_EQ(e.slots(1).text(), "US$1.15 billion");
  EXPECT_EQ(e.slots(2).text(), "US");
  EXPECT_EQ(e.begin(), 13u);  // from ASE ...
  EXPECT_EQ(e.end(), 54u);    // ... to the end of US
}

TEST_F(ExtractorTest, EventIdsAreDeterministic) {
  const std::string body = "ASE will invest US$1 billion.";
  v1::ArticleAnalysis first = Analyze(body, "", "a1");
  v1::ArticleAnalysis again = Analyze(body, "", "a1");
  v1::ArticleAnalysis other = Analyze(body, "", "a2");
  ASSERT_THAT(first.events(), SizeIs(1));
  ASSERT_THAT(again.events(), SizeIs(1));
  ASSERT_THAT(other.events(), SizeIs(1));
  EXPECT_EQ(first.events(0).id(), again.events(0).id());
  EXPECT_NE(first.events(0).id(), other.events(0).id());
  // A fresh extractor over the same pack gives the same id too.
  Extractor fresh((*pack_)->rules, (*pack_)->model);
  core::ArticleView view;
  view.id = "a1";
  view.body = body;
  v1::ArticleAnalysis out;
  ASSERT_TRUE(fresh.Analyze(view, {}, &out).ok());
  ASSERT_THAT(out.events(), SizeIs(1));
  EXPECT_EQ(out.events(0).id(), first.events(0).id());
  // The same text in the title is a different event.
  v1::ArticleAnalysis in_title = Analyze("", body, "a1");
  ASSERT_THAT(in_title.events(), SizeIs(1));
  EXPECT_EQ(FieldName(in_title.events(0).field()), "title");
  EXPECT_NE(in_title.events(0).id(), first.events(0).id());
}

TEST_F(ExtractorTest, MissingRequiredSlotMeansNoEvent) {
  EXPECT_THAT(Analyze("ASE will invest heavily.").events(), IsEmpty());
  EXPECT_THAT(Analyze("They will invest US$1 billion.").events(), IsEmpty());
}

TEST_F(ExtractorTest, SameSentenceWindow) {
  // The company is in the previous sentence: no event.
  EXPECT_THAT(Analyze("ASE rose. It will invest US$1 billion.").events(), IsEmpty());
  // "U.S." does not end the sentence.
  EXPECT_THAT(Analyze("ASE and U.S. partners will invest US$1 billion.").events(), SizeIs(1));
}

TEST_F(ExtractorTest, SameSentenceWindowSkipsMentionsOnBothSides) {
  // Fitting mentions in the title and in the sentences before and after the trigger's.
  v1::ArticleAnalysis a = Analyze(
      "UMC paid US$3 billion. ASE will invest US$1 billion. UMC paid US$2 billion in the US today.",
      "US UMC US$4 billion");
  ASSERT_THAT(a.events(), SizeIs(1));
  EXPECT_THAT(Vals(a.events(0)), UnorderedElementsAre(Pair("company", "ASE Technology"),
                                                             Pair("amount", "1000000000 USD")));
}

TEST_F(ExtractorTest, LineBreakEndsTheSentenceWindow) {
  // Regression: a "\n" followed by a letter was not a sentence end, so a mention on the previous
  // line counted as the same sentence.
  v1::ArticleAnalysis a = Analyze("ASE shares rose\nThey will invest US$1 billion.");
  ASSERT_THAT(Mentions(a), ElementsAre("body:ASE:org.ase", "body:US$1 billion:figure.money"));
  EXPECT_EQ(a.mentions(0).sentence(), 0u);
  EXPECT_EQ(a.mentions(1).sentence(), 1u);
  EXPECT_THAT(a.events(), IsEmpty());
}

TEST_F(ExtractorTest, SlotsTakeTheNearestMention) {
  v1::ArticleAnalysis a = Analyze("UMC said ASE will invest US$1 billion, not US$9 billion.");
  ASSERT_THAT(a.events(), SizeIs(1));
  EXPECT_EQ(Vals(a.events(0)).at("company"), "ASE Technology");
  EXPECT_EQ(Vals(a.events(0)).at("amount"), "1000000000 USD");
}

TEST_F(ExtractorTest, ByteWindow) {
  // partner needs org.umc within 20 bytes of the trigger, in either direction.
  ASSERT_THAT(Analyze("UMC will partner.").events(), SizeIs(1));
  ASSERT_THAT(Analyze("They partner with UMC.").events(), SizeIs(1));
  EXPECT_EQ(Vals(Analyze("UMC will partner.").events(0)).at("partner"), "UMC");
  // The mention must lie wholly inside [trigger begin - 20, trigger end + 20].
  const std::string pad17 = " " + std::string(15, 'x') + " ";
  const std::string pad18 = " " + std::string(16, 'x') + " ";
  EXPECT_THAT(Analyze("UMC" + pad17 + "partner.").events(), SizeIs(1));  // begins 20 before
  EXPECT_THAT(Analyze("UMC" + pad18 + "partner.").events(), IsEmpty());  // begins 21 before
  EXPECT_THAT(Analyze("partner" + pad17 + "UMC.").events(), SizeIs(1));  // ends 20 after
  EXPECT_THAT(Analyze("partner" + pad18 + "UMC.").events(), IsEmpty());  // ends 21 after
  // The byte window crosses sentence ends.
  EXPECT_THAT(Analyze("UMC rose. We partner.").events(), SizeIs(1));
  // Only the rule ids named by the slot fill it.
  EXPECT_THAT(Analyze("ASE will partner.").events(), IsEmpty());
}

TEST_F(ExtractorTest, RequireAny) {
  EXPECT_THAT(Analyze("ASE revenue rose.").events(), IsEmpty());
  v1::ArticleAnalysis change = Analyze("ASE revenue rose 5%.");
  ASSERT_THAT(change.events(), SizeIs(1));
  EXPECT_THAT(Vals(change.events(0)),
              UnorderedElementsAre(Pair("company", "ASE Technology"), Pair("change", "5 %"),
                                   Pair("metric", "revenue")));
  v1::ArticleAnalysis value = Analyze("ASE revenue was US$2 billion.");
  ASSERT_THAT(value.events(), SizeIs(1));
  EXPECT_EQ(Vals(value.events(0)).at("value"), "2000000000 USD");
  EXPECT_FALSE(Vals(value.events(0)).contains("change"));
}

TEST_F(ExtractorTest, OneEventPerRealWorldEvent) {
  // Title and two body sentences state one investment; the second sentence adds the place.
  v1::ArticleAnalysis a = Analyze(
      "ASE will invest US$1 billion. ASE said it would invest US$1 billion in the US.",
      "ASE to invest US$1 billion");
  ASSERT_THAT(a.events(), SizeIs(1));
  const v1::Event& e = a.events(0);
  EXPECT_EQ(FieldName(e.field()), "title");  // the first statement keeps its id and span
  EXPECT_THAT(Vals(e),
              UnorderedElementsAre(Pair("company", "ASE Technology"),
                                   Pair("amount", "1000000000 USD"), Pair("place", "United States")));
  ASSERT_THAT(e.evidence(), SizeIs(3));
  EXPECT_EQ(FieldName(e.evidence(0).field()), "title");
  EXPECT_EQ(FieldName(e.evidence(1).field()), "body");
  EXPECT_EQ(e.evidence(1).sentence(), 0u);
  EXPECT_EQ(e.evidence(2).sentence(), 1u);
  EXPECT_EQ(e.evidence(2).trigger(), "invest");
  // The first statement's slots (the title's), then the role it lacked, from the body.
  ASSERT_THAT(e.slots(), SizeIs(3));
  EXPECT_EQ(e.slots(0).field(), v1::FIELD_TITLE);
  EXPECT_EQ(e.slots(1).field(), v1::FIELD_TITLE);
  EXPECT_EQ(e.slots(2).role(), "place");
  EXPECT_EQ(e.slots(2).field(), v1::FIELD_BODY);
  ASSERT_THAT(e.entities(), SizeIs(2));  // ASE Technology, United States
  EXPECT_EQ(e.entities(static_cast<int>(e.slots(2).entity())).rule_id(), "place.us");
  EXPECT_EQ(extractor_->last_merge_stats().merged, 2u);
}

TEST_F(ExtractorTest, DisagreeingEventsStayApart) {
  v1::ArticleAnalysis a = Analyze("ASE will invest US$1 billion. UMC will invest US$1 billion. "
                                  "ASE will also invest US$2 billion.");
  ASSERT_THAT(a.events(), SizeIs(3));
  for (const auto& e : a.events()) EXPECT_THAT(e.evidence(), SizeIs(1));
}

TEST_F(ExtractorTest, BackgroundCueGovernsTheRestOfItsClause) {
  EXPECT_THAT(Analyze("Amid plans by ASE to invest US$1 billion shares rose.").events(), IsEmpty());
  EXPECT_THAT(Analyze("Shares rose in the face of ASE's plan to invest US$1 billion.").events(),
              IsEmpty());
  // A clause break ends the cue's reach; a trigger before the cue is not governed.
  EXPECT_THAT(Analyze("Amid a slump, ASE will invest US$1 billion.").events(), SizeIs(1));
  EXPECT_THAT(Analyze("ASE will invest US$1 billion amid a slump.").events(), SizeIs(1));
  // The cue is per sentence.
  EXPECT_THAT(Analyze("Shares fell amid a slump. ASE will invest US$1 billion.").events(),
              SizeIs(1));
}

TEST_F(ExtractorTest, ForecastCueGovernsWhatPrecedesIt) {
  EXPECT_THAT(Analyze("ASE revenue could rise 5%.").events(), IsEmpty());
  EXPECT_THAT(Analyze("ASE revenue rose 5%, and could rise further.").events(), SizeIs(1));
  // Sentence scope: the whole sentence after the cue, across clause breaks.
  EXPECT_THAT(Analyze("UMC預估,日月光營收將成長5%。").events(), IsEmpty());
  v1::ArticleAnalysis zh = Analyze("日月光營收成長5%。");
  ASSERT_THAT(zh.events(), SizeIs(1));
  EXPECT_EQ(Vals(zh.events(0)).at("metric"), "revenue");  // trigger_values
}

TEST_F(ExtractorTest, ExcludedEntitiesDoNotFillTheSlot) {
  EXPECT_THAT(Analyze("Foresight revenue rose 5%.").events(), IsEmpty());
  v1::ArticleAnalysis a = Analyze("Foresight said ASE revenue rose 5%.");
  ASSERT_THAT(a.events(), SizeIs(1));
  EXPECT_EQ(Vals(a.events(0)).at("company"), "ASE Technology");
}

TEST_F(ExtractorTest, TriggerAttributeIsTheLowerCasedTrigger) {
  v1::ArticleAnalysis a = Analyze("ASE Net Profit rose 12.5%.");
  ASSERT_THAT(a.events(), SizeIs(1));
  EXPECT_EQ(a.events(0).trigger(), "Net Profit");
  EXPECT_EQ(Vals(a.events(0)).at("metric"), "net profit");
  EXPECT_EQ(Vals(a.events(0)).at("change"), "12.5 %");
}

TEST_F(ExtractorTest, EventsOnlyUseMentionsOfTheirOwnField) {
  // The company is in the title, the trigger and amount in the body: no event.
  EXPECT_THAT(Analyze("They will invest US$1 billion.", "ASE").events(), IsEmpty());
}

TEST_F(ExtractorTest, FromTitleFillsABodySlotItsWindowLeavesEmpty) {
  v1::ArticleAnalysis a = Analyze("Shr US$2 vs US$1\n", "Foresight on ASE <ASX> YEAR NET");
  ASSERT_THAT(a.events(), SizeIs(1));
  const v1::Event& e = a.events(0);
  EXPECT_EQ(FieldName(e.field()), "body");
  // The title's first mention the slot accepts (the analyst is excluded); the span stays the
  // body's, the title mention is kept with its field.
  EXPECT_EQ(Vals(e).at("company"), "ASE Technology");
  EXPECT_EQ(Vals(e).at("value"), "2 USD");
  EXPECT_EQ(e.begin(), 0u);
  EXPECT_EQ(e.end(), 8u);
  ASSERT_THAT(e.slots(), SizeIs(2));
  EXPECT_EQ(FieldName(e.slots(1).field()), "title");
  // A company in the row's own window wins; without a title the slot stays empty.
  v1::ArticleAnalysis own = Analyze("Shr US$2 at UMC\n", "ASE YEAR NET");
  ASSERT_THAT(own.events(), SizeIs(1));
  EXPECT_EQ(Vals(own.events(0)).at("company"), "UMC");
  v1::ArticleAnalysis none = Analyze("Shr US$2\n");
  ASSERT_THAT(none.events(), SizeIs(1));
  EXPECT_FALSE(Vals(none.events(0)).contains("company"));
  // Slots without the option never look at the title (EventsOnlyUseMentionsOfTheirOwnField).
}

TEST_F(ExtractorTest, LineStartTriggersOnlyOpenALine) {
  EXPECT_THAT(Analyze("Shr US$2").events(), SizeIs(1));           // field start
  EXPECT_THAT(Analyze("Year\n    Shr US$2").events(), SizeIs(1));  // indented row
  EXPECT_THAT(Analyze("The Shr US$2").events(), IsEmpty());
  EXPECT_THAT(Analyze("Year\n\tx Shr US$2").events(), IsEmpty());
}

TEST_F(ExtractorTest, MaxGapTakesOnlyTheFigureRightAfterTheTrigger) {
  EXPECT_THAT(Analyze("Shr  US$2").events(), SizeIs(1));
  EXPECT_THAT(Analyze("Shr of ASE were US$2").events(), IsEmpty());
  EXPECT_THAT(Analyze("US$2 Shr").events(), IsEmpty());  // before the trigger
}

TEST_F(ExtractorTest, TheLongestTriggerOfARuleAtAPositionWins) {
  v1::ArticleAnalysis a = Analyze("Shr loss US$2 vs US$1");
  ASSERT_THAT(a.events(), SizeIs(1));
  EXPECT_EQ(Vals(a.events(0)).at("metric"), "shr loss");
  ASSERT_THAT(a.events(0).evidence(), SizeIs(1));
  EXPECT_EQ(a.events(0).evidence(0).trigger(), "Shr loss");
}

TEST_F(ExtractorTest, BindSwitchesPacks) {
  auto other = rules::CompileRulePack(
      {{"other.yaml", "entities:\n  - {id: org.x, type: ORG, canonical: X Corp, aliases: [Xcorp]}\n"}});
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(extractor_->Bind((*other)->rules, (*other)->model).ok());
  v1::ArticleAnalysis a = Analyze("ASE and Xcorp");
  EXPECT_THAT(Mentions(a), ElementsAre("body:Xcorp:org.x"));
  EXPECT_EQ(a.rules_version(), (*other)->version);
}

// ----------------------------------------------------------------------------- FigureCanonical

TEST(FigureCanonicalTest, Formats) {
  v1::Figure f;
  f.set_value(7.8e9);
  f.set_unit("CNY");
  EXPECT_EQ(FigureCanonical(f), "7800000000 CNY");

  f.set_value(1.71e10);
  f.set_qualifier(v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(FigureCanonical(f), ">=17100000000 CNY");

  v1::Figure range;
  range.set_value(10);
  range.set_value_max(15);
  range.set_is_range(true);
  range.set_unit("%");
  EXPECT_EQ(FigureCanonical(range), "10..15 %");

  v1::Figure small;
  small.set_value(12.5);
  small.set_unit("%");
  small.set_qualifier(v1::QUALIFIER_APPROXIMATE);
  EXPECT_EQ(FigureCanonical(small), "~12.5 %");

  v1::Figure bare;
  bare.set_value(3);
  bare.set_qualifier(v1::QUALIFIER_LESS_THAN);
  EXPECT_EQ(FigureCanonical(bare), "<3");

  v1::Figure more;
  more.set_value(0.25);
  more.set_unit("pp");
  more.set_qualifier(v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(FigureCanonical(more), ">0.25 pp");

  v1::Figure most;
  most.set_value(1e6);
  most.set_unit("wafers/month");
  most.set_qualifier(v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(FigureCanonical(most), "<=1000000 wafers/month");
}

}  // namespace
}  // namespace wirescan::extract

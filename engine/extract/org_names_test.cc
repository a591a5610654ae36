#include "engine/extract/org_names.h"

#include <string>
#include <vector>

#include "engine/extract/extractor.h"
#include "engine/extract/output.h"
#include "engine/rules/rule_pack.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kPack[] = R"yaml(org_names:
  legal_designators: [Inc, Corp, Co, Ltd, LLC, plc, AG, SA, NV, SE]
  name_designators: [Group, Holdings, Holding]
  connectors: ["&", of]
  not_name_starts: [The, In, Shares, January, Monday, Trading]
  not_short_forms: [General, Financial]
  ticker_exchanges: [NYSE, Nasdaq]
  ticker_markup: true
  zh_legal_suffixes: [股份有限公司, 有限公司, 公司]
  zh_name_suffixes: [集團, 集团, 控股, 銀行]
  zh_stop_words: [與, 在, 將, 家, 該, 宣布, 母, 子]
  zh_generic_words: [科技, 半導體, 晶片]
  zh_max_chars: 8
  zh_place_suffixes: [公司, 集團, 集团, 銀行]
entities:
  - id: org.ase
    type: ORG
    canonical: ASE Technology Holding
    aliases: [ASE, ASE Technology Holding, 日月光]
    attributes: {country: TW}
  - id: org.qualcomm
    type: ORG
    canonical: Qualcomm
    aliases: [Qualcomm, 高通公司, 高通]
    not_before: [膨, 脹]
  - id: org.amazon
    type: ORG
    canonical: Amazon
    aliases: [Amazon]
    not_before: [river, rain forest]
    not_after: [Albras]
  - id: org.cxmt
    type: ORG
    canonical: CXMT
    aliases: [長鑫, 長鑫存儲]
  - id: place.hefei
    type: PLACE
    canonical: Hefei
    aliases: [Hefei, 合肥]
  - id: place.us
    type: PLACE
    canonical: United States
    aliases: [美國, US]
figures:
  currencies:
    - {code: USD, prefixes: [US$]}
  scales:
    - {value: 1e8, words: [億]}
  ambiguous_currencies:
    - {token: 元, default_code: CNY}
dates:
  chinese: true
)yaml";

class OrgNamesTest : public ::testing::Test {
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

  v1::ArticleAnalysis Analyze(std::string_view body, std::string_view title = "") {
    core::ArticleView view;
    view.id = "a1";
    view.title = title;
    view.body = body;
    v1::ArticleAnalysis out;
    absl::Status s = extractor_->Analyze(view, {}, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // ORG mentions as "text|canonical|rule_id".
  std::vector<std::string> Orgs(std::string_view body, std::string_view title = "") {
    std::vector<std::string> out;
    const v1::ArticleAnalysis a = Analyze(body, title);
    for (const auto& m : a.mentions()) {
      if (MentionType(a, m) == "ORG") {
        out.push_back(m.text() + "|" + std::string(MentionCanonical(a, m)) + "|" +
                      std::string(MentionRuleId(a, m)));
      }
    }
    return out;
  }

  static std::shared_ptr<const rules::RulePack>* pack_;
  std::unique_ptr<Extractor> extractor_;
};

std::shared_ptr<const rules::RulePack>* OrgNamesTest::pack_ = nullptr;

TEST_F(OrgNamesTest, EnglishDesignatorStrippedFromCanonical) {
  EXPECT_THAT(Orgs("Kestrel Micro Devices Inc said it would expand."),
              ::testing::ElementsAre("Kestrel Micro Devices Inc|Kestrel Micro Devices|org.designator"));
  EXPECT_THAT(Orgs("It bought Hefei Xinjing Technology Co., Ltd. last year."),
              Contains("Hefei Xinjing Technology Co., Ltd|Hefei Xinjing Technology|org.designator"));
  EXPECT_THAT(Orgs("Kestrel Micro Devices, Inc. said."),
              Contains("Kestrel Micro Devices, Inc|Kestrel Micro Devices|org.designator"));
  EXPECT_THAT(Orgs("Procter & Gamble Co and Bank of Osprey plc agreed."),
              ::testing::ElementsAre("Procter & Gamble Co|Procter & Gamble|org.designator",
                                     "Bank of Osprey plc|Bank of Osprey|org.designator"));
  // Name designators stay in the canonical.
  EXPECT_THAT(Orgs("Osprey Holdings Inc's unit rose."),
              ::testing::ElementsAre("Osprey Holdings Inc|Osprey Holdings|org.designator"));
}

TEST_F(OrgNamesTest, SentenceInitialWordsAreNotNames) {
  EXPECT_THAT(Orgs("The Kestrel Group said."),
              ::testing::ElementsAre("Kestrel Group|Kestrel Group|org.designator"));
  EXPECT_THAT(Orgs("In January Osprey Corp grew. Shares of Osprey Corp fell."),
              ::testing::ElementsAre("Osprey Corp|Osprey|org.designator",
                                     "Osprey Corp|Osprey|org.designator"));
}

TEST_F(OrgNamesTest, EnglishLookAlikesAreNotNames) {
  // Designators must be words, as written, after a capitalised name word.
  EXPECT_THAT(Orgs("The co-founder of the group said Co-operation and Inc. were words."), IsEmpty());
  EXPECT_THAT(Orgs("the company said its group and the co would grow"), IsEmpty());
  EXPECT_THAT(Orgs("Group sales rose. Inc rose."), IsEmpty());
  EXPECT_THAT(Orgs("They met in SE Asia."), IsEmpty());
  // One generic word is no name; a word that is no part of a name ends the run.
  EXPECT_THAT(Orgs("the savings Financial Corp unit"), IsEmpty());
  EXPECT_THAT(Orgs("", "SHARE TRADING IN KONG GROUP"),
              ::testing::ElementsAre("KONG GROUP|Kong Group|org.headline"));
  // Capitals designators only in runs of capitals.
  EXPECT_THAT(Orgs("Kestrel INC said."), IsEmpty());
  // A run does not cross a sentence end.
  EXPECT_THAT(Orgs("It grew fast. Inc said nothing."), IsEmpty());
}

TEST_F(OrgNamesTest, HeadlineCapitals) {
  EXPECT_THAT(Orgs("", "KESTREL MICRO INC SEES HIGHER NET"),
              ::testing::ElementsAre("KESTREL MICRO INC|Kestrel Micro|org.headline"));
}

TEST_F(OrgNamesTest, GazetteerEntityWhenTheNameIsAnAlias) {
  v1::ArticleAnalysis a = Analyze("ASE Technology Holding Co said; Qualcomm Inc agreed.");
  ASSERT_GE(a.mentions_size(), 2);
  EXPECT_EQ(a.mentions(0).text(), "ASE Technology Holding Co");
  EXPECT_EQ(MentionCanonical(a, a.mentions(0)), "ASE Technology Holding");
  EXPECT_EQ(a.mentions(0).rule_id(), "org.designator");
  EXPECT_EQ(EntityOf(a, a.mentions(0))->rule_id(), "org.ase");
  EXPECT_EQ(MentionAttributes(a, a.mentions(0)).at("country"), "TW");
  EXPECT_EQ(a.mentions(1).text(), "Qualcomm Inc");
  EXPECT_EQ(MentionCanonical(a, a.mentions(1)), "Qualcomm");
  EXPECT_FALSE(MentionAttributes(a, a.mentions(1)).contains("discovered"));
}

TEST_F(OrgNamesTest, Tickers) {
  EXPECT_THAT(Orgs("Kestrel Micro Devices Inc <KMD> said."),
              ::testing::ElementsAre("Kestrel Micro Devices Inc|Kestrel Micro Devices|org.designator",
                                     "KMD|Kestrel Micro Devices|org.ticker"));
  v1::ArticleAnalysis a = Analyze("Osprey Analytics Corp (NYSE: OSPR) rose; OSPR gained.");
  std::vector<std::string> got;
  for (const auto& m : a.mentions()) {
    got.push_back(m.text() + "|" + std::string(MentionCanonical(a, m)) + "|" +
                  std::string(MentionRuleId(a, m)));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("Osprey Analytics Corp|Osprey Analytics|org.designator",
                                          "OSPR|Osprey Analytics|org.ticker",
                                          "OSPR|Osprey Analytics|org.short_form"));
  EXPECT_EQ(MentionAttributes(a, a.mentions(1)).at("exchange"), "NYSE");
  EXPECT_EQ(MentionAttributes(a, a.mentions(1)).at("ticker"), "OSPR");
  EXPECT_EQ(MentionAttributes(a, a.mentions(0)).at("discovered"), "true");
  // A ticker alone names itself; markup of a name is a name.
  EXPECT_THAT(Orgs("said <KMD> and <Scandinavia Fund> today"),
              ::testing::ElementsAre("KMD|KMD|org.ticker",
                                     "Scandinavia Fund|Scandinavia Fund|org.markup"));
  // Not markup: lower case, too long, no closing bracket, a comparison.
  EXPECT_THAT(Orgs("a<b> and x < 5 and <KMD and (NYSE: kmd) and (Nasdaq: ABCDEFGHIJ)"), IsEmpty());
}

TEST_F(OrgNamesTest, LaterShortFormsLinkToTheName) {
  EXPECT_THAT(Orgs("Kestrel Micro Devices Inc said. Kestrel will pay; Kestrel Micro agreed."),
              ::testing::ElementsAre("Kestrel Micro Devices Inc|Kestrel Micro Devices|org.designator",
                                     "Kestrel|Kestrel Micro Devices|org.short_form",
                                     "Kestrel Micro|Kestrel Micro Devices|org.short_form"));
  // Before the name, not a short form; nor a first word listed in not_short_forms; nor a word
  // inside another word.
  EXPECT_THAT(Orgs("Kestrel rose. Kestrel Micro Devices Inc and General Osprey Corp. General "
                   "Kestrels."),
              ::testing::ElementsAre("Kestrel Micro Devices Inc|Kestrel Micro Devices|org.designator",
                                     "General Osprey Corp|General Osprey|org.designator"));
  // The title's names link the body's short forms.
  EXPECT_THAT(Orgs("Kestrel said it would grow.", "Kestrel Micro Devices Inc to expand"),
              ::testing::ElementsAre("Kestrel Micro Devices Inc|Kestrel Micro Devices|org.designator",
                                     "Kestrel|Kestrel Micro Devices|org.short_form"));
}

TEST_F(OrgNamesTest, ChineseSuffix) {
  EXPECT_THAT(Orgs("台積電將與合肥某某科技有限公司簽約。"),
              ::testing::ElementsAre("合肥某某科技有限公司|合肥某某科技|org.zh_suffix"));
  EXPECT_THAT(Orgs("合肥某某集團宣布擴產。"),
              ::testing::ElementsAre("合肥某某集團|合肥某某集團|org.zh_suffix"));
  // A bare 公司 or 集團 needs a place first; 有限公司 does not.
  EXPECT_THAT(Orgs("他應聘裝修公司，某某集團宣布。"), IsEmpty());
  // A run does not reach back into the previous name.
  EXPECT_THAT(Orgs("某某有限公司合肥某某投資有限公司"),
              ::testing::ElementsAre("某某有限公司|某某|org.zh_suffix",
                                     "合肥某某投資有限公司|合肥某某投資|org.zh_suffix"));
  EXPECT_THAT(Orgs("某某控股股份有限公司宣布。"),
              ::testing::ElementsAre("某某控股股份有限公司|某某控股|org.zh_suffix"));
}

TEST_F(OrgNamesTest, ChineseLookAlikesAreNotNames) {
  // Stop words, generic words after a place, relation words, too long, figures and dates.
  EXPECT_THAT(Orgs("該公司表示，這家公司是一家美國科技公司，晶片公司與子公司。"), IsEmpty());
  EXPECT_THAT(Orgs("一二三四五六七八九十公司"), IsEmpty());
  EXPECT_THAT(Orgs("投資100億元公司"), IsEmpty());
}

TEST_F(OrgNamesTest, ChineseGazetteerNamesWin) {
  // An alias right before the suffix, or covering it, is the gazetteer's mention.
  EXPECT_THAT(Orgs("美國高通公司表示。"), ::testing::ElementsAre("高通公司|Qualcomm|org.qualcomm"));
  EXPECT_THAT(Orgs("日月光有限公司表示。"),
              ::testing::ElementsAre("日月光|ASE Technology Holding|org.ase"));
  EXPECT_THAT(Orgs("合肥長鑫集團表示。"), ::testing::ElementsAre("長鑫|CXMT|org.cxmt"));
  // A relation word before the suffix: the alias stands (長鑫存儲母公司 is CXMT's parent).
  EXPECT_THAT(Orgs("長鑫存儲母公司獲注資。"), ::testing::ElementsAre("長鑫存儲|CXMT|org.cxmt"));
}

TEST_F(OrgNamesTest, LongestNameWinsOverAnAliasInside) {
  // 長鑫 inside a longer discovered name does not resolve on its own.
  EXPECT_THAT(Orgs("合肥長鑫某某集團宣布。"),
              ::testing::ElementsAre("合肥長鑫某某集團|合肥長鑫某某集團|org.zh_suffix"));
}

TEST_F(OrgNamesTest, AliasNotBeforeAndNotAfter) {
  EXPECT_THAT(Orgs("高通膨與高通脹下，高通表示。"), ::testing::ElementsAre("高通|Qualcomm|org.qualcomm"));
  EXPECT_THAT(Orgs("The Amazon river, the Amazon  rain forest and Albras Amazon; Amazon said."),
              ::testing::ElementsAre("Amazon|Amazon|org.amazon"));
  // Word boundaries: "riverside" is not "river"; "XAlbras" is not "Albras".
  EXPECT_THAT(Orgs("Amazon riverside office; XAlbras Amazon"),
              ::testing::ElementsAre("Amazon|Amazon|org.amazon", "Amazon|Amazon|org.amazon"));
}

TEST(AliasBlockedTest, Contexts) {
  std::vector<std::string> before = {"river", "膨"};
  std::vector<std::string> after = {"Albras"};
  EXPECT_TRUE(AliasBlocked("Amazon River", 0, 6, before, after));
  EXPECT_FALSE(AliasBlocked("Amazon rivers", 0, 6, before, after));
  EXPECT_FALSE(AliasBlocked("Amazon", 0, 6, before, after));
  EXPECT_TRUE(AliasBlocked("albras Amazon", 7, 13, before, after));
  EXPECT_TRUE(AliasBlocked("高通膨", 0, 6, before, after));
  EXPECT_FALSE(AliasBlocked("高通 膨", 0, 6, before, after));
}

TEST(OrgGrammarTest, RejectsBadVocabulary) {
  auto pack = rules::CompileRulePack({{"p.yaml", "org_names:\n  legal_designators: [\"\"]\n"}});
  EXPECT_FALSE(pack.ok());
  pack = rules::CompileRulePack({{"p.yaml", "org_names:\n  legal_designators: [Two Words]\n"}});
  ASSERT_FALSE(pack.ok());
  EXPECT_THAT(pack.status().message(), HasSubstr("p.yaml:"));
  pack = rules::CompileRulePack({{"p.yaml", "org_names:\n  max_words: 40\n"}});
  EXPECT_FALSE(pack.ok());
  pack = rules::CompileRulePack(
      {{"p.yaml", "entities:\n  - {id: org.a, type: ORG, canonical: A, aliases: [Aa], not_before: [\" x\"]}\n"}});
  EXPECT_FALSE(pack.ok());
}

// The grammar's work is linear: worst cases of ~1 MB stay within a small multiple of the size.
TEST_F(OrgNamesTest, WorkIsLinear) {
  for (std::string unit : {"Kestrel Micro Co ", "Co Co Co Inc ", "A B C D E F G H Inc ",
                           "公司公司集團", "某某某某某某某某某公司", "<KMD> <KMD Kestrel> ",
                           "Kestrel Micro Devices Inc Kestrel Kestrel "}) {
    std::string text;
    while (text.size() < (1 << 20)) text += unit;
    core::ArticleView view;
    view.id = "w";
    view.body = text;
    v1::ArticleAnalysis out;
    core::WorkBudget budget(nullptr, nullptr);
    budget.Arm(0);
    ExtractOptions options;
    options.budget = &budget;
    ASSERT_TRUE(extractor_->Analyze(view, options, &out).ok());
    EXPECT_LT(budget.work(), 40 * text.size()) << unit;
  }
}

}  // namespace
}  // namespace wirescan::extract

#include "engine/extract/figures.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "engine/rules/yaml_proto.h"

namespace wirescan::extract {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using wirescan::v1::rules::FigureVocabulary;
using wirescan::v1::rules::RuleFile;

// The tests run on the shipped rules/figures.yaml, loaded with the production YAML mapping
// (a test may reach across stages; the extract/ library itself does not).

struct Shipped {
  RuleFile file;
  wirescan::rules::SourceMap sources;
  std::optional<FigureGrammar> grammar;
  std::string error;
};

const Shipped& ShippedRules() {
  static const Shipped* shipped = [] {
    auto* s = new Shipped;
    std::string path = std::string(WIRESCAN_DEFAULT_RULES_DIR) + "/figures.yaml";
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    absl::Status parsed =
        wirescan::rules::ParseYamlToProto(text.str(), "figures.yaml", &s->file, &s->sources);
    if (!parsed.ok()) {
      s->error = std::string(parsed.message());
      return s;
    }
    const FigureVocabulary* v = &s->file.figures();
    auto g = FigureGrammar::Build(std::span<const FigureVocabulary* const>(&v, 1),
                                  [&](const Message& m) { return s->sources.Locate(m); });
    if (g.ok()) {
      s->grammar.emplace(std::move(*g));
    } else {
      s->error = std::string(g.status().message());
    }
    return s;
  }();
  return *shipped;
}

const FigureGrammar& Grammar() {
  const Shipped& s = ShippedRules();
  if (!s.grammar) {
    ADD_FAILURE() << s.error;
    std::abort();
  }
  return *s.grammar;
}

// --- A fake of the matcher: every literal, caseless for ASCII unless case-sensitive, with the
// matcher's word-boundary check for Latin literals; sorted by begin, longer first.
bool AsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool AsciiAlnum(unsigned char c) { return AsciiLetter(c) || (c >= '0' && c <= '9'); }

std::vector<TokenHit> Match(const FigureGrammar& g, std::string_view text) {
  std::vector<TokenHit> hits;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::string ltext = lower(text);
  for (uint32_t i = 0; i < g.tokens().size(); ++i) {
    const FigureToken& t = g.tokens()[i];
    std::string needle = t.case_sensitive ? t.text : lower(t.text);
    const std::string& hay = t.case_sensitive ? std::string(text) : ltext;
    for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) {
      size_t end = pos + needle.size();
      if (AsciiLetter(t.text.front()) && pos > 0 && AsciiLetter(text[pos - 1])) continue;
      if (AsciiAlnum(t.text.back()) && end < text.size() && AsciiAlnum(text[end])) continue;
      hits.push_back(TokenHit{static_cast<uint32_t>(pos), static_cast<uint32_t>(end), i});
    }
  }
  std::sort(hits.begin(), hits.end(), [](const TokenHit& a, const TokenHit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  return hits;
}

std::vector<FigureMention> Figures(std::string_view text, std::string_view source = "") {
  std::vector<FigureMention> out;
  AssembleFigures(text, Match(Grammar(), text), Grammar(), source, &out);
  return out;
}

// The one figure of `text`; fails the test if there is not exactly one.
FigureMention One(std::string_view text, std::string_view source = "") {
  auto all = Figures(text, source);
  EXPECT_EQ(all.size(), 1u) << text;
  if (all.empty()) return FigureMention{};
  return all[0];
}

std::string_view Span(std::string_view text, const FigureMention& m) {
  return text.substr(m.begin, m.end - m.begin);
}

TEST(FigureGrammarTest, ShippedVocabularyBuilds) {
  const Shipped& s = ShippedRules();
  ASSERT_TRUE(s.grammar.has_value()) << s.error;
  EXPECT_GT(s.grammar->tokens().size(), 150u);
}

// --- Money

TEST(FiguresTest, DollarSignIsInferredUsd) {
  auto m = One("$1.15B");
  EXPECT_EQ(m.type, FigureType::kMoney);
  EXPECT_EQ(m.value, 1150000000.0);
  EXPECT_EQ(m.value_max, 1150000000.0);
  EXPECT_EQ(m.scale, 1e9);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_TRUE(m.currency_inferred);
  EXPECT_EQ(m.currency_token, "$");
  EXPECT_EQ(m.begin, 0u);
  EXPECT_EQ(m.end, 6u);
  EXPECT_FALSE(m.is_range);
}

TEST(FiguresTest, UsDollarPrefixIsExplicit) {
  std::string text = "revenue of US$1.15 billion in";
  auto m = One(text);
  EXPECT_EQ(m.value, 1150000000.0);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_FALSE(m.currency_inferred);
  EXPECT_EQ(m.currency_token, "");
  EXPECT_EQ(Span(text, m), "US$1.15 billion");
}

TEST(FiguresTest, EnglishScaleAndCurrencySuffix) {
  auto m = One("invest 7.8 billion yuan");
  EXPECT_EQ(m.value, 7800000000.0);
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_FALSE(m.currency_inferred);

  m = One("net 48.2 mln dlrs vs");
  EXPECT_EQ(m.value, 48200000.0);
  EXPECT_EQ(m.scale, 1e6);
  EXPECT_EQ(m.unit, "USD");

  m = One("1,234.5 million euros");
  EXPECT_EQ(m.value, 1234500000.0);
  EXPECT_EQ(m.unit, "EUR");
}

TEST(FiguresTest, NewswireLineWrapsAndLeadingDots) {
  // Reuters wraps lines inside figures and writes fractions without the zero.
  auto m = One("profit 2.4 mln\ndlrs vs");
  EXPECT_EQ(m.value, 2400000.0);
  EXPECT_EQ(m.unit, "USD");

  m = One("a dividend of .125 dlrs a share");
  EXPECT_EQ(m.value, 0.125);
  EXPECT_EQ(m.unit, "USD");

  m = One("a stake of 65  to\n70 pct");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 65.0);
  EXPECT_EQ(m.value_max, 70.0);
  EXPECT_EQ(m.unit, "%");

  // A blank line separates paragraphs: no figure spans it.
  EXPECT_TRUE(Figures("total 12 mln\n\ndlrs were").empty());
}

TEST(FiguresTest, TenthsSuffix) {
  auto m = One("佔比提高至 3 成,有助");
  EXPECT_EQ(m.value, 30.0);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(One("約2.5成").value, 25.0);
  EXPECT_TRUE(Figures("已經完成").empty());
}

TEST(FiguresTest, ChineseScaleAndCurrency) {
  std::string text = "投資596億美元";
  auto m = One(text);
  EXPECT_EQ(m.value, 59600000000.0);
  EXPECT_EQ(m.scale, 1e8);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_FALSE(m.currency_inferred);
  EXPECT_EQ(Span(text, m), "596億美元");
}

TEST(FiguresTest, ExactDecimalScaling) {
  EXPECT_EQ(One("17.1 billion yuan").value, 17100000000.0);
  EXPECT_EQ(One("$0.1 billion").value, 100000000.0);
  EXPECT_EQ(One("0.3 percent").value, 0.3);
  EXPECT_EQ(One("1.15 trillion yen").value, 1150000000000.0);
}

TEST(FiguresTest, AmbiguousYuanDefaultsToCny) {
  auto m = One("78億元");
  EXPECT_EQ(m.value, 7800000000.0);
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_TRUE(m.currency_inferred);
  EXPECT_EQ(m.currency_token, "元");
}

TEST(FiguresTest, AmbiguousYuanBySourceDomainSuffix) {
  auto m = One("78億元", "money.udn.com");
  EXPECT_EQ(m.unit, "TWD");
  EXPECT_TRUE(m.currency_inferred);
  EXPECT_EQ(One("78億元", "udn.com").unit, "TWD");
  EXPECT_EQ(One("78億元", "www.cna.com.tw").unit, "TWD");
  // A suffix only counts at a label boundary.
  EXPECT_EQ(One("78億元", "notudn.com").unit, "CNY");
  EXPECT_EQ(One("78億元", "sina.com.cn").unit, "CNY");
}

TEST(FiguresTest, ExplicitCurrencyWinsOverAmbiguousToken) {
  auto m = One("新台幣100億元");
  EXPECT_EQ(m.value, 10000000000.0);
  EXPECT_EQ(m.unit, "TWD");
  EXPECT_FALSE(m.currency_inferred);
  m = One("人民幣78億元", "udn.com");
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_FALSE(m.currency_inferred);
  m = One("100億元人民幣", "udn.com");
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_FALSE(m.currency_inferred);
  m = One("78億人民幣");
  EXPECT_EQ(m.value, 7800000000.0);
  EXPECT_EQ(m.unit, "CNY");
  m = One("NT$100億");
  EXPECT_EQ(m.value, 10000000000.0);
  EXPECT_EQ(m.unit, "TWD");
  EXPECT_FALSE(m.currency_inferred);
}

TEST(FiguresTest, CurrencyCodeAfterNumber) {
  auto m = One("1.5 billion USD");
  EXPECT_EQ(m.value, 1500000000.0);
  EXPECT_EQ(m.unit, "USD");
  m = One("RMB 10 billion");
  EXPECT_EQ(m.value, 10000000000.0);
  EXPECT_EQ(m.unit, "CNY");
  // A symbol does not follow numbers: a year before it is not money.
  EXPECT_TRUE(Figures("in 2023 US$ prices").empty());
}

TEST(FiguresTest, ChineseNumerals) {
  auto m = One("十二億美元");
  EXPECT_EQ(m.value, 1200000000.0);
  EXPECT_EQ(m.unit, "USD");
  m = One("三千五百萬元");
  EXPECT_EQ(m.value, 35000000.0);
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_EQ(One("一萬二千元").value, 12000.0);
  EXPECT_EQ(One("二十五元").value, 25.0);
  EXPECT_EQ(One("兩千美元").value, 2000.0);
  EXPECT_EQ(One("一千零五元").value, 1005.0);
  EXPECT_EQ(One("兩萬五千元").value, 25000.0);
  EXPECT_EQ(One("三億五千萬美元").value, 350000000.0);
  EXPECT_EQ(One("三兆元").value, 3e12);
}

TEST(FiguresTest, UnknownDollarIsNotUsd) {
  // "Z$" is no rule's prefix: the "$" after a letter is left alone.
  EXPECT_TRUE(Figures("Z$5 billion").empty());
  auto m = One("S$5 billion");
  EXPECT_EQ(m.unit, "SGD");
}

TEST(FiguresTest, ScaleWithoutCurrencyOrUnitIsNoFigure) {
  EXPECT_TRUE(Figures("48.2 mln").empty());
  EXPECT_TRUE(Figures("100億").empty());
  EXPECT_TRUE(Figures("sold 48.2 mln in the quarter").empty());
}

TEST(FiguresTest, BareNumberIsNoFigure) {
  EXPECT_TRUE(Figures("In 2023 it had 1,234 staff and 三千 members").empty());
}

// --- Percent and points

TEST(FiguresTest, Percent) {
  auto m = One("rose 25 percent");
  EXPECT_EQ(m.type, FigureType::kPercent);
  EXPECT_EQ(m.value, 25.0);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(m.scale, 1.0);
  EXPECT_EQ(One("82%").value, 82.0);
  EXPECT_EQ(One("5.5%").value, 5.5);
  std::string text = "shares were up 4.5 pct at";
  m = One(text);
  EXPECT_EQ(m.value, 4.5);
  EXPECT_EQ(Span(text, m), "4.5 pct");
  m = One("１２．５％");
  EXPECT_EQ(m.value, 12.5);
  EXPECT_EQ(m.unit, "%");
}

TEST(FiguresTest, PercentPrefix) {
  auto m = One("百分之二十五");
  EXPECT_EQ(m.type, FigureType::kPercent);
  EXPECT_EQ(m.value, 25.0);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(One("百分之12.5").value, 12.5);
}

TEST(FiguresTest, PercentagePoints) {
  std::string text = "增加2個百分點";
  auto m = One(text);
  EXPECT_EQ(m.type, FigureType::kPercent);
  EXPECT_EQ(m.value, 2.0);
  EXPECT_EQ(m.unit, "pp");
  EXPECT_EQ(Span(text, m), "2個百分點");
  m = One("up 3 percentage points");
  EXPECT_EQ(m.value, 3.0);
  EXPECT_EQ(m.unit, "pp");
  EXPECT_EQ(One("二百分點").unit, "pp");
}

TEST(FiguresTest, WordFigures) {
  auto m = One("營收成長三成");
  EXPECT_EQ(m.type, FigureType::kPercent);
  EXPECT_EQ(m.value, 30.0);
  EXPECT_EQ(m.unit, "%");
  m = One("profit more than doubled");
  EXPECT_EQ(m.value, 100.0);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("約三成").qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
}

// --- Quantities

TEST(FiguresTest, Units) {
  auto m = One("30,000 units a month");
  EXPECT_EQ(m.type, FigureType::kQuantity);
  EXPECT_EQ(m.value, 30000.0);
  EXPECT_EQ(m.unit, "units/month");
  m = One("月產能12萬片/月");
  EXPECT_EQ(m.value, 120000.0);
  EXPECT_EQ(m.scale, 1e4);
  EXPECT_EQ(m.unit, "wafers/month");
  EXPECT_EQ(One("3千片/月").value, 3000.0);
  m = One("5nm");
  EXPECT_EQ(m.value, 5.0);
  EXPECT_EQ(m.unit, "nm");
  EXPECT_EQ(One("a 3 nm process").unit, "nm");
  m = One("exports of 5.93 mln bags");
  EXPECT_EQ(m.value, 5930000.0);
  EXPECT_EQ(m.unit, "bags");
  m = One("bought 1.5 mln shares");
  EXPECT_EQ(m.value, 1500000.0);
  EXPECT_EQ(m.unit, "shares");
  EXPECT_EQ(One("a 5千瓦 unit").unit, "kW");
}

// --- Ranges

TEST(FiguresTest, Ranges) {
  std::string text = "growth of 10%–15% next year";
  auto m = One(text);
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 10.0);
  EXPECT_EQ(m.value_max, 15.0);
  EXPECT_EQ(Span(text, m), "10%–15%");

  m = One("10-15%");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 10.0);
  EXPECT_EQ(m.value_max, 15.0);
  EXPECT_EQ(m.begin, 0u);

  m = One("10% to 15%");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value_max, 15.0);

  text = "投資10至15億元";
  m = One(text);
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 1e9);
  EXPECT_EQ(m.value_max, 1.5e9);
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_TRUE(m.currency_inferred);
  EXPECT_EQ(Span(text, m), "10至15億元");

  m = One("10到15億美元");
  EXPECT_EQ(m.value, 1e9);
  EXPECT_EQ(m.value_max, 1.5e9);

  m = One("$10-15 billion");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 1e10);
  EXPECT_EQ(m.value_max, 1.5e10);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_EQ(m.begin, 0u);

  m = One("10 to 15 billion yuan");
  EXPECT_EQ(m.value, 1e10);
  EXPECT_EQ(m.value_max, 1.5e10);
  EXPECT_EQ(m.unit, "CNY");

  m = One("百分之十至十五");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value_max, 15.0);
}

TEST(FiguresTest, NotRanges) {
  // Different units: two figures.
  auto all = Figures("rose 10% to 15 billion yuan");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0].is_range);
  EXPECT_EQ(all[0].unit, "%");
  EXPECT_EQ(all[1].value, 1.5e10);
  EXPECT_FALSE(all[1].is_range);
  // Descending ends are not a range (a year and a percentage), and the 15% is not read alone
  // either: the hyphen after a digit may be a range or a code.
  EXPECT_TRUE(Figures("2023-15%").empty());
}

// --- Qualifiers

TEST(FiguresTest, Qualifiers) {
  std::string text = "at least 17.1 billion yuan";
  auto m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(m.value, 17100000000.0);
  EXPECT_EQ(Span(text, m), text);

  EXPECT_EQ(One("about 25%").qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
  text = "spent over $2 billion";
  m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(Span(text, m), "over $2 billion");

  text = "約78億元";
  m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
  EXPECT_EQ(Span(text, m), text);

  text = "78億元左右";
  m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
  EXPECT_EQ(Span(text, m), text);

  EXPECT_EQ(One("逾100億元").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("100萬元以上").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("nearly 5%").qualifier, wirescan::v1::QUALIFIER_LESS_THAN);
  EXPECT_EQ(One("up to $5 billion").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  // "moreover 5%": a qualifier is a whole word.
  EXPECT_EQ(One("moreover 5%").qualifier, wirescan::v1::QUALIFIER_EXACT);
  // Qualifier words ignore ASCII case on both sides (they are looked up by their folded first or
  // last byte).
  EXPECT_EQ(One("ABOUT 25%").qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
  EXPECT_EQ(One("At Least 17.1 billion yuan").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  text = "25% OR MORE";
  m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(Span(text, m), text);
}

TEST(FiguresTest, MoreThanMarkAfterNumber) {
  auto m = One("十多億元");
  EXPECT_EQ(m.value, 1e9);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  m = One("100餘億元");
  EXPECT_EQ(m.value, 1e10);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
}

// --- Overlaps and sequences

TEST(FiguresTest, SeveralFiguresInOrder) {
  std::string text = "TSMC will invest US$100 billion, up 25%, adding 30,000 wafers per month.";
  auto all = Figures(text);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(Span(text, all[0]), "US$100 billion");
  EXPECT_EQ(Span(text, all[1]), "25%");
  EXPECT_EQ(Span(text, all[2]), "30,000 wafers per month");
  EXPECT_EQ(all[2].unit, "wafers/month");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].end, all[i].begin);
}

TEST(FiguresTest, LongestLiteralWins) {
  auto m = One("3 percentage points");
  EXPECT_EQ(m.unit, "pp");
  m = One("100億美元");  // 美元, never 美 + 元
  EXPECT_EQ(m.unit, "USD");
  EXPECT_FALSE(m.currency_inferred);
}

TEST(FiguresTest, ThousandsSeparatorsNeedThreeDigits) {
  EXPECT_EQ(One("1,234,567 dollars").value, 1234567.0);
  // "2023,12%": the comma is not a separator, and the tail after it is unreadable.
  auto all = Figures("12,34%");
  EXPECT_TRUE(all.empty());
}

TEST(FiguresTest, NewsSentences) {
  std::string text = "台積電第三季營收新台幣7,596.9億元，年增36.5%，毛利率57.8%。";
  auto all = Figures(text, "cna.com.tw");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].value, 759690000000.0);
  EXPECT_EQ(all[0].unit, "TWD");
  EXPECT_FALSE(all[0].currency_inferred);
  EXPECT_EQ(Span(text, all[0]), "新台幣7,596.9億元");
  EXPECT_EQ(all[1].value, 36.5);
  EXPECT_EQ(all[2].value, 57.8);

  text = "The company expects capex of US$10 billion to US$15 billion, up 5% from 2023.";
  all = Figures(text);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].is_range);
  EXPECT_EQ(all[0].value, 1e10);
  EXPECT_EQ(all[0].value_max, 1.5e10);
  EXPECT_EQ(Span(text, all[0]), "US$10 billion to US$15 billion");
  EXPECT_EQ(all[1].value, 5.0);

  text = "a 2-3% drop and 1.2萬億元 of loans";
  all = Figures(text);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, 2.0);
  EXPECT_EQ(all[0].value_max, 3.0);
  EXPECT_EQ(all[1].value, 1.2e12);
}

// --- Robustness

TEST(FiguresTest, HitsAtTextEdgesAndNoNumber) {
  EXPECT_TRUE(Figures("%").empty());
  EXPECT_TRUE(Figures("$").empty());
  EXPECT_TRUE(Figures("billion").empty());
  EXPECT_TRUE(Figures("元").empty());
  EXPECT_TRUE(Figures("百分之").empty());
  EXPECT_TRUE(Figures("US$ ").empty());
  EXPECT_EQ(One("5%").begin, 0u);
  EXPECT_EQ(One("x 5%").end, 4u);
}

TEST(FiguresTest, InvalidUtf8IsSafe) {
  // Truncated sequences around hits, at offset 0 and at the end.
  std::string text = "\xE5\x84\x84" "5\xE5\x84" "%\xFF" "12\xE5" "億元" "\xE5";
  auto all = Figures(text);
  for (const auto& m : all) EXPECT_LE(m.end, text.size());
  std::string cut = "億";
  cut.pop_back();
  EXPECT_TRUE(Figures(cut + "元").empty());
  EXPECT_TRUE(Figures("\x80\x80%").empty());
}

TEST(FiguresTest, OutOfRangeHitsAreIgnored) {
  const FigureGrammar& g = Grammar();
  std::string text = "5%";
  std::vector<TokenHit> hits = {{1, 9, 0}, {3, 2, 0}, {0, 1, 999999}};
  std::vector<FigureMention> out;
  AssembleFigures(text, hits, g, "", &out);
  EXPECT_TRUE(out.empty());
}

TEST(FiguresTest, RandomBytesWithRandomHitsNeverCrash) {
  const FigureGrammar& g = Grammar();
  std::mt19937 rng(20240611);
  const std::string pieces[] = {"1",  "2", "0",    ".",  ",",  " ",  "億", "萬", "元", "十",
                                "三", "多", "%",   "$",  "至", "-",  "to", "B",  "mln", "\xE5",
                                "\x84", "\xFF", "百分之", "個", "百分點", "about", "左右", "１", "．"};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    int n = static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) text += pieces[rng() % std::size(pieces)];
    std::vector<TokenHit> hits;
    if (iter % 2 == 0) {
      hits = Match(g, text);  // Plausible hits.
    } else if (!text.empty()) {  // Arbitrary spans with arbitrary tokens.
      int k = static_cast<int>(rng() % 6);
      for (int i = 0; i < k; ++i) {
        uint32_t b = rng() % text.size();
        uint32_t e = b + 1 + rng() % (text.size() - b);
        hits.push_back(TokenHit{b, e, static_cast<uint32_t>(rng() % g.tokens().size())});
      }
      std::sort(hits.begin(), hits.end(), [](const TokenHit& a, const TokenHit& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
      });
    }
    std::vector<FigureMention> out;
    AssembleFigures(text, hits, g, "udn.com", &out);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_LE(out[i].begin, out[i].end);
      ASSERT_LE(out[i].end, text.size());
      ASSERT_LE(out[i].value, out[i].value_max);
      if (i > 0) {
        ASSERT_LE(out[i - 1].end, out[i].begin);
      }
    }
  }
}

// --- Read whole or not at all (issue 11). Each class: what is read, and the traps that must
// stay unread (or be skipped with a reason), in English and Chinese.

FigureReport Report(std::string_view text, std::vector<FigureMention>* out = nullptr) {
  std::vector<FigureMention> local;
  FigureReport report;
  AssembleFigures(text, Match(Grammar(), text), Grammar(), "", out != nullptr ? out : &local,
                  &report);
  return report;
}

// Nothing is emitted and the span is reported as skipped.
void ExpectSkipped(std::string_view text) {
  std::vector<FigureMention> out;
  FigureReport r = Report(text, &out);
  EXPECT_TRUE(out.empty()) << text << ": read as " << (out.empty() ? 0 : out[0].value);
  EXPECT_FALSE(r.skipped.empty()) << text << ": no skip reported";
}

// No figure at all (a look-alike), without a skip.
void ExpectNone(std::string_view text) {
  std::vector<FigureMention> out;
  Report(text, &out);
  EXPECT_TRUE(out.empty()) << text << ": read as " << (out.empty() ? 0 : out[0].value) << " "
                           << (out.empty() ? "" : out[0].unit);
}

TEST(WholeOrNothingTest, ChineseNumberContinuingBeforeTheScaleIsReadWhole) {
  std::string text = "投資3萬5千億元";
  auto m = One(text);
  EXPECT_EQ(m.value, 3.5e12);
  EXPECT_EQ(m.unit, "CNY");
  EXPECT_EQ(Span(text, m), "3萬5千億元");
  EXPECT_EQ(One("二十兆三千億元").value, 2.03e13);
  EXPECT_EQ(One("1萬2千元").value, 12000.0);
  EXPECT_EQ(One("3千5百萬美元").value, 35000000.0);
  EXPECT_EQ(One("12萬5千片/月").value, 125000.0);
  EXPECT_EQ(One("一點五億美元").value, 150000000.0);
  EXPECT_EQ(One("1.2萬億元").value, 1.2e12);
  EXPECT_EQ(One("三兆元").value, 3e12);
  EXPECT_EQ(One("4.5兆美元").value, 4.5e12);
  EXPECT_EQ(One("1,200萬元").value, 12000000.0);
}

TEST(WholeOrNothingTest, ChineseDecimalsAndTenths) {
  EXPECT_EQ(One("百分之七點二").value, 7.2);
  EXPECT_EQ(One("七點二%").value, 7.2);
  auto m = One("市佔率六點五成");
  EXPECT_EQ(m.value, 65.0);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(One("兩成半").value, 25.0);
  EXPECT_EQ(One("三成五的").value, 35.0);
  EXPECT_EQ(One("三成").value, 30.0);
  EXPECT_EQ(One("逾三成").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("十成").value, 100.0);
  std::string text = "兩到三成";
  m = One(text);
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 20.0);
  EXPECT_EQ(m.value_max, 30.0);
  // 三點 is three o'clock: the number ends before 點.
  EXPECT_TRUE(Figures("下午三點").empty());
}

TEST(WholeOrNothingTest, PerMilleAndPerMyriad) {
  auto m = One("千分之三");
  EXPECT_EQ(m.type, FigureType::kPercent);
  EXPECT_EQ(m.value, 0.3);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(One("萬分之五").value, 0.05);
  EXPECT_EQ(One("万分之五").value, 0.05);
  EXPECT_EQ(One("千分之二點五").value, 0.25);
  EXPECT_EQ(One("3‰").value, 0.3);
  // A numeral before the prefix is a fraction: 三百分之一 is 1/300.
  ExpectSkipped("三百分之一");
  ExpectSkipped("十萬分之一");
}

TEST(WholeOrNothingTest, NumbersThatContinueAreSkipped) {
  ExpectSkipped("二三成");        // 20-30 %, not 230 % nor 30 %
  ExpectSkipped("七八成");
  ExpectSkipped("三四十億元");    // 30-40 億
  ExpectSkipped("二〇二三億元");  // a digit string is no amount
  ExpectSkipped("1.2.3%");
  ExpectSkipped("12,34%");
  ExpectSkipped("sterling at 1.5340/50 dlrs");  // a forex quote, not 50 dollars
  ExpectSkipped("rate of 2/3 pct");             // not a newswire fraction
  ExpectSkipped("三成五年內");
  // A figure closed by its unit is not continued by a digit after it (tables).
  EXPECT_EQ(Figures("18.88%1.20%").size(), 2u);
  EXPECT_EQ(One("從最高点72美元").value, 72.0);  // 点 after a non-numeral is "point"
  // Reported spans cover what was looked at.
  std::string text = "約二三成的人";
  FigureReport r = Report(text);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_LE(r.skipped[0].begin, text.find("二"));
  EXPECT_GE(r.skipped[0].end, text.find("成") + 3);
  EXPECT_FALSE(r.skipped[0].reason.empty());
}

TEST(WholeOrNothingTest, NewswireFractions) {
  auto m = One("yield of 7-1/2 pct");
  EXPECT_EQ(m.value, 7.5);
  EXPECT_EQ(One("7 3/8 pct").value, 7.375);
  EXPECT_EQ(One("1/2 pct").value, 0.5);
  EXPECT_EQ(One("10-15/16 dlrs").value, 10.9375);
  m = One("from 7-1/4 to 7-1/2 pct");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 7.25);
  EXPECT_EQ(m.value_max, 7.5);
}

TEST(WholeOrNothingTest, RangeEndsLeftOutAreSkipped) {
  // A word connector goes from one figure to another: the last one stands.
  EXPECT_EQ(One("rose on March 12 to 3.038 billion dlrs").value, 3.038e9);
  EXPECT_EQ(One("fell from 3.450 to 1.350 billion dlrs").value, 1.35e9);
  auto m = One("and eight to 8.4 mln tonnes");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 8e6);
  ExpectSkipped("two thousand and five dollars");
  ExpectSkipped("2023-15%");
  ExpectSkipped("70-30 pct");
  ExpectSkipped("1.3071/76 Canadian dollars");
  ExpectSkipped("at 2.72-3/4 dlrs");
  // "Model 60" is a name, not the low end of a range; the price after it stands.
  EXPECT_EQ(One("lowered the price for its Model 60 to 4,795 dlrs").value, 4795.0);
  ExpectSkipped("5 - -3%");
  // A reversed range is neither cut to one end nor read backwards (fuzz/regressions).
  ExpectSkipped("Sales rose 15-10% last year.");
  ExpectSkipped("15至10億元");
  ExpectSkipped("$15-10 billion");
  // Different units are two figures, not a left-out range.
  EXPECT_EQ(Figures("rose 10% to 15 billion yuan").size(), 2u);
}

// --- Qualifiers with their negation

TEST(QualifierTest, NegatedQualifiersKeepTheirDirection) {
  EXPECT_EQ(One("no less than 2 billion yuan").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("not less than 5%").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("no fewer than 3,000 units").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("not more than $300 million").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("no more than 5%").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("not to exceed 1.50 dlrs").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  std::string text = "不低於100億元";
  auto m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(Span(text, m), text);
  EXPECT_EQ(One("不少於5%").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("不少于5%").qualifier, wirescan::v1::QUALIFIER_AT_LEAST);
  EXPECT_EQ(One("不超過3成").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("不超过100亿元").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("不到5%").qualifier, wirescan::v1::QUALIFIER_LESS_THAN);
  EXPECT_EQ(One("未滿18%").qualifier, wirescan::v1::QUALIFIER_LESS_THAN);
  EXPECT_EQ(One("超過100億元").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("超5成").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("100億元以內").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
}

TEST(QualifierTest, UnknownNegationsAreNotInverted) {
  ExpectSkipped("not above 5%");
  ExpectSkipped("never over $2 billion");
  ExpectSkipped("未逾100億元");
  ExpectSkipped("並非至少5%");
  // "nothing", "notably": a negation is a whole word.
  EXPECT_EQ(One("notably over 5%").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
}

TEST(QualifierTest, AuditedDirections) {
  // 高達 states the figure with emphasis: no qualifier.
  std::string text = "負債高達300億元";
  auto m = One(text);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_EXACT);
  EXPECT_EQ(m.value, 3e10);
  EXPECT_EQ(One("高达5成").qualifier, wirescan::v1::QUALIFIER_EXACT);
  EXPECT_EQ(One("as much as $5 billion").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("up to 40 pct").qualifier, wirescan::v1::QUALIFIER_AT_MOST);
  EXPECT_EQ(One("逾100億元").qualifier, wirescan::v1::QUALIFIER_MORE_THAN);
  EXPECT_EQ(One("nearly 5%").qualifier, wirescan::v1::QUALIFIER_LESS_THAN);
}

// --- Signs

TEST(SignTest, MinusSignsAndNegativeWords) {
  std::string text = "fell to -3.4%";
  auto m = One(text);
  EXPECT_EQ(m.value, -3.4);
  EXPECT_EQ(Span(text, m), "-3.4%");
  EXPECT_EQ(One("a margin of -12.5%").value, -12.5);
  EXPECT_EQ(One("margin of −40%").value, -40.0);   // U+2212
  EXPECT_EQ(One("毛利率－40%").value, -40.0);     // full width
  EXPECT_EQ(One("负15%").value, -15.0);
  EXPECT_EQ(One("負15%").value, -15.0);
  EXPECT_EQ(One("浮虧-2.3%").value, -2.3);
  EXPECT_EQ(One("minus 5 pct").value, -5.0);
  EXPECT_EQ(One("growth of negative 0.5%").value, -0.5);
  EXPECT_EQ(One("a loss of -$5 million").value, -5e6);
  m = One("about -3%");
  EXPECT_EQ(m.value, -3.0);
  EXPECT_EQ(m.qualifier, wirescan::v1::QUALIFIER_APPROXIMATE);
  EXPECT_EQ(One("淨利為负5億元").value, -5e8);
}

TEST(SignTest, DirectionIsTheVerbsAndHyphensAreNotMinus) {
  EXPECT_EQ(One("sales fell 3.4%").value, 3.4);
  EXPECT_EQ(One("營收下滑3.4%").value, 3.4);
  EXPECT_EQ(One("負成長5%").value, 5.0);  // 負 not next to the number: the verb's direction
  EXPECT_EQ(One("负债5亿元").value, 5e8);  // 负债 is "debt"
  auto m = One("10-15%");
  EXPECT_EQ(m.value, 10.0);
  EXPECT_EQ(m.value_max, 15.0);
  ExpectNone("COVID-19 cases rose");
  ExpectNone("COVID-19 units");
  ExpectNone("Su-35 units");
  ExpectNone("mid-2024 dollars");
  ExpectSkipped("+/-5%");
  ExpectSkipped("±5%");
  ExpectSkipped("正负5%");
  ExpectSkipped("plus or minus 5%");
  ExpectSkipped("a range of –3%");  // en dash: a minus or a dash?
  ExpectSkipped("2023-15%");
}

// A compound adjective: one hyphen between the number and its word is read like a space; the
// figure is read whole or not at all, never its left half ("$5-billion" is not $5).
TEST(HyphenatedTest, CompoundAdjectivesAreReadWhole) {
  struct Case {
    std::string_view text, span;
    double value;
    std::string_view unit;
  };
  for (const Case& c : {
           Case{"a $5-billion plant", "$5-billion", 5e9, "USD"},
           Case{"a US$1.2-billion fab", "US$1.2-billion", 1.2e9, "USD"},
           Case{"a 30-percent stake", "30-percent", 30, "%"},
           Case{"a 25-pct stake", "25-pct", 25, "%"},
           Case{"a 1.5-billion-dollar deal", "1.5-billion-dollar", 1.5e9, "USD"},
           Case{"a two-billion-dollar plan", "two-billion-dollar", 2e9, "USD"},
           Case{"a thirty-percent stake", "thirty-percent", 30, "%"},
           Case{"the 50-percent-owned unit", "50-percent", 50, "%"},
       }) {
    auto m = One(c.text);
    EXPECT_EQ(Span(c.text, m), c.span) << c.text;
    EXPECT_DOUBLE_EQ(m.value, c.value) << c.text;
    EXPECT_EQ(m.unit, c.unit) << c.text;
  }
  // A hyphen before a digit is a range or a minus, never a joiner.
  auto r = One("a 5-10 billion yuan plan");
  EXPECT_EQ(r.value, 5e9);
  EXPECT_EQ(r.value_max, 1e10);
  // "a share" is not part of the amount.
  EXPECT_EQ(One("a $20-a-share offer").value, 20.0);
  // A scale word after a hyphen that the grammar did not join: not the left half alone.
  ExpectSkipped("百分之五-million");
}

// --- Spelled-out English numbers

TEST(SpelledOutTest, ReadWhole) {
  auto m = One("thirty percent");
  EXPECT_EQ(m.value, 30.0);
  EXPECT_EQ(m.unit, "%");
  m = One("two billion dollars");
  EXPECT_EQ(m.value, 2e9);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_EQ(m.scale, 1e9);
  m = One("five million yen");
  EXPECT_EQ(m.value, 5e6);
  EXPECT_EQ(m.unit, "JPY");
  EXPECT_EQ(One("one hundred and twenty units").value, 120.0);
  EXPECT_EQ(One("twenty-five percent").value, 25.0);
  EXPECT_EQ(One("Twenty five pct").value, 25.0);
  EXPECT_EQ(One("a hundred percent").value, 100.0);
  EXPECT_EQ(One("a million dollars").value, 1e6);
  EXPECT_EQ(One("three hundred million dlrs").value, 3e8);
  EXPECT_EQ(One("one hundred and twenty thousand tonnes").value, 120000.0);
  m = One("ten to twenty percent");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 10.0);
  EXPECT_EQ(m.value_max, 20.0);
}

TEST(SpelledOutTest, PartsAreNotRead) {
  ExpectSkipped("two thousand five hundred dollars");
  ExpectSkipped("half a billion dollars");
  ExpectNone("one and a half billion dollars");
  ExpectSkipped("two point five billion dollars");
  ExpectNone("three and a half percent");
  ExpectNone("often percent");   // "ten" inside a word
  ExpectNone("a percent");       // "a" is one only before hundred or a scale
  ExpectNone("a quarter percent");  // decided: fractions in words are not read
}

// --- Look-alikes that must stay non-figures

TEST(LookAlikeTest, Chinese) {
  ExpectNone("零庫存");
  ExpectNone("零库存管理");
  ExpectNone("政策一成不變");
  ExpectNone("一成不变的");
  ExpectNone("零成本");
  ExpectNone("唯一成本");
  ExpectNone("統一成立");
  ExpectNone("其中之一成為");
  ExpectNone("零成長");
  ExpectNone("得15分");
  ExpectNone("十分關鍵");
  ExpectNone("十分之一");
  ExpectNone("另一半");
  ExpectSkipped("天蝎-一半是海水");
  ExpectSkipped("2016年Q1約0.0005%");
  ExpectNone("三成本");
  ExpectNone("5成長");
  EXPECT_EQ(One("成都三成").value, 30.0);  // 成都 (Chengdu) is a look-alike, 三成 after it is not
  EXPECT_EQ(One("百分之一").value, 1.0);  // no look-alike inside a numeral
  EXPECT_EQ(One("十萬一千元").value, 101000.0);
}

TEST(LookAlikeTest, English) {
  ExpectNone("Section 301 tariffs");
  ExpectNone("Section 301 units");
  ExpectNone("Windows 11 units");
  ExpectNone("an A320neo order of A320 units");
  ExpectNone("H20 chips and H20 units");
  ExpectNone("5G networks");
  ExpectNone("the F-35 units");
  ExpectNone("Form 10-K");
  ExpectNone("1080p video");
  ExpectNone("2024 marks the tenth year");
  ExpectNone("in 2023 won the contract");
  ExpectNone("the Rand 1987 study");
  ExpectNone("sold 1,000 pounds of cargo");
  ExpectNone("prices in francs rose 5 francs");
  ExpectNone("2023 real GDP");
  ExpectNone("profit doubled down");
  EXPECT_EQ(One("to a level 1.6 pct below").value, 1.6);  // look-alikes are case-sensitive
}

// --- Subunits and currency names

TEST(CurrencyTest, Subunits) {
  auto m = One("earned 27 cents a share");
  EXPECT_EQ(m.type, FigureType::kMoney);
  EXPECT_EQ(m.value, 0.27);
  EXPECT_EQ(m.unit, "USD");
  EXPECT_EQ(m.subunit, "cents");
  EXPECT_TRUE(m.currency_inferred);
  auto all = Figures("8 cts vs 5 cts");
  ASSERT_EQ(all.size(), 2u);
  m = all[0];
  EXPECT_EQ(m.value, 0.08);
  EXPECT_EQ(m.subunit, "cts");
  m = One("45 pence");
  EXPECT_EQ(m.value, 0.45);
  EXPECT_EQ(m.unit, "GBP");
  EXPECT_EQ(m.subunit, "pence");
  EXPECT_FALSE(m.currency_inferred);
  m = One("15-20 cts");
  EXPECT_TRUE(m.is_range);
  EXPECT_EQ(m.value, 0.15);
  EXPECT_EQ(m.value_max, 0.2);
  EXPECT_EQ(One("12.5 cts").value, 0.125);
  EXPECT_EQ(One("5 dlrs").subunit, "");
}

// Wire results tables (rules/figures.yaml table_rows): a row's bare amount is the wire's
// dollars, inferred; the row word is not part of the figure.
TEST(CurrencyTest, TableRowAmountsAreTheWiresDollars) {
  auto all = Figures("Shr 12 cts vs 10 cts\n    Net 1.2 mln vs 1.0 mln\n    Revs 7,372 vs 1,500\n");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].value, 1.2e6);
  EXPECT_EQ(all[2].unit, "USD");
  EXPECT_EQ(all[2].type, FigureType::kMoney);
  EXPECT_TRUE(all[2].currency_inferred);
  EXPECT_EQ(all[2].currency_token, "Net");  // what the currency was inferred from
  EXPECT_EQ(all[3].value, 7372);
  const std::string text = "x\nNet loss 858 vs profit 3,957\n";
  auto loss = Figures(text);
  ASSERT_EQ(loss.size(), 1u);
  EXPECT_EQ(text.substr(loss[0].begin, loss[0].end - loss[0].begin), "858");
  EXPECT_EQ(loss[0].value, 858);  // the row word says loss; the figure stays positive
  // The first row of the text counts as a line start too.
  EXPECT_EQ(One("Net 4.5 mln vs 3.9 mln").value, 4.5e6);
}

TEST(CurrencyTest, TableRowNeedsRowShapeElseReadsAsUsual) {
  ExpectNone("Net tangible assets were 5.2 mln.");      // prose, no "vs"
  ExpectNone("The Net 1.2 mln vs 1.0 mln");             // not at a line's start
  ExpectNone("Net 1.2 mln pesos vs 1.0 mln");           // a currency the grammar does not read
  ExpectNone("Net  1.2 mln vs 1.0 mln");                // two spaces: not the wire's row
  ExpectNone("net 1.2 mln vs 1.0 mln");                 // row words are case-sensitive
  auto all = Figures("Net 5 pct vs 4 pct");             // its own unit: a percentage
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, FigureType::kPercent);
  auto dlrs = Figures("Sales 12.5 mln dlrs vs 10 mln dlrs");
  ASSERT_EQ(dlrs.size(), 2u);
  EXPECT_FALSE(dlrs[0].currency_inferred);               // its own currency word
  EXPECT_EQ(dlrs[0].value, 12.5e6);
}

TEST(CurrencyTest, NamesWithAndWithoutCountry) {
  struct Case {
    const char* text;
    const char* unit;
    double value;
  };
  const Case cases[] = {
      {"5 mln Swiss francs", "CHF", 5e6},     {"5 mln French francs", "FRF", 5e6},
      {"1.5 mln marks", "DEM", 1.5e6},        {"2 billion marks", "DEM", 2e9},
      {"20 mln German marks", "DEM", 2e7},    {"DM 5 mln", "DEM", 5e6},
      {"300 billion lire", "ITL", 3e11},      {"45 mln guilders", "NLG", 4.5e7},
      {"5 billion won", "KRW", 5e9},          {"5 trillion Korean won", "KRW", 5e12},
      {"10 billion rupees", "INR", 1e10},     {"2 billion Indian rupees", "INR", 2e9},
      {"16 mln rand", "ZAR", 1.6e7},          {"3 mln South African rand", "ZAR", 3e6},
      {"2 billion reais", "BRL", 2e9},        {"5 billion Mexican pesos", "MXN", 5e9},
      {"2 billion ringgit", "MYR", 2e9},      {"5 trillion rupiah", "IDR", 5e12},
      {"10 billion baht", "THB", 1e10},       {"5 trillion Vietnamese dong", "VND", 5e12},
      {"12 mln Canadian dlrs", "CAD", 1.2e7}, {"c $ 12 million", "CAD", 1.2e7},
      {"C$12 mln", "CAD", 1.2e7},             {"5 mln Australian dlrs", "AUD", 5e6},
      {"3 mln N.Z. dlrs", "NZD", 3e6},        {"4 mln HK dlrs", "HKD", 4e6},
      {"1.5 billion U.S. dlrs", "USD", 1.5e9}, {"800 mln stg", "GBP", 8e8},
      {"475 billion yen", "JPY", 4.75e11},    {"2 billion roubles", "RUB", 2e9},
      {"5 billion Turkish lira", "TRY", 5e9}, {"3 billion Saudi riyals", "SAR", 3e9},
      {"5億盧布", "RUB", 5e8},                {"3億瑞郎", "CHF", 3e8},
      {"100億印尼盾", "IDR", 1e10},           {"2億加元", "CAD", 2e8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto m = One(c.text);
    EXPECT_EQ(m.unit, c.unit);
    EXPECT_EQ(m.value, c.value);
    EXPECT_EQ(m.type, FigureType::kMoney);
  }
  // Bare names several countries use are not read.
  ExpectNone("5 mln francs");
  ExpectNone("5 mln pesos");
  ExpectNone("645 won");
  ExpectNone("398 rand");
  ExpectNone("6.60 won");
  ExpectNone("scored 9.5 marks out of ten");
  EXPECT_EQ(One("A $5 million loan").unit, "USD");  // "A $" is the article, not A$
  ExpectSkipped("between 10 and 15 pct");
  ExpectSkipped("between five and 10 pct");
  ExpectSkipped("5 or 10 pct");
  auto both = Figures("2.4 mln dlrs, or 15 cts a share");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].value, 0.15);
}

// --- Linear work (issue 14): generated worst cases, bounded by the grammar's own step counter.

uint64_t WorkOf(const std::string& text) {
  std::vector<FigureMention> out;
  FigureReport report;
  AssembleFigures(text, Match(Grammar(), text), Grammar(), "", &out, &report);
  return report.work;
}

std::string Repeat(std::string_view piece, size_t bytes) {
  std::string s;
  s.reserve(bytes + piece.size());
  while (s.size() < bytes) s += piece;
  return s;
}

void ExpectLinear(std::string_view piece, const std::string& tail = "") {
  constexpr size_t kSmall = 1 << 18, kLarge = 1 << 20;
  uint64_t small = WorkOf(Repeat(piece, kSmall) + tail);
  uint64_t large = WorkOf(Repeat(piece, kLarge) + tail);
  SCOPED_TRACE(std::string(piece) + tail);
  // A few dozen steps per byte at most, and four times the text costs about four times the work.
  EXPECT_LE(large, 200u * kLarge) << "work " << large;
  EXPECT_LE(large, 5 * small + 1000) << "small " << small << " large " << large;
}

TEST(LinearWorkTest, GeneratedWorstCases) {
  ExpectLinear("1", "%");         // 1 MB of digits
  ExpectLinear("億", "元");       // 1 MB of one CJK scale character
  ExpectLinear("1億");            // alternating digits and scale words
  ExpectLinear("1 mln dlrs ");    // ... and currency words
  ExpectLinear("$5");
  ExpectLinear("1-");             // range connectors
  ExpectLinear("1 to ");
  ExpectLinear("-", "5%");
  ExpectLinear("1,000", "%");
  ExpectLinear("三四", "成");
  ExpectLinear("twenty ", "percent");
  ExpectLinear("not ", "5%");
  ExpectLinear("1/2 ", "pct");
}

TEST(LinearWorkTest, CounterCountsWork) {
  // The counter moves with the input: an empty text does nothing, a figure does something.
  EXPECT_EQ(WorkOf(""), 0u);
  EXPECT_GT(WorkOf("5%"), 0u);
  EXPECT_GT(WorkOf(Repeat("1億", 4096)), WorkOf(Repeat("1億", 1024)));
}

// --- Build failures

absl::StatusOr<FigureGrammar> BuildFrom(const std::string& text_proto) {
  FigureVocabulary v;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &v)) << text_proto;
  const FigureVocabulary* p = &v;
  return FigureGrammar::Build(std::span<const FigureVocabulary* const>(&p, 1),
                              [](const Message&) { return std::string("test.yaml:1"); });
}

void ExpectError(const std::string& text_proto, const std::string& what) {
  auto g = BuildFrom(text_proto);
  ASSERT_FALSE(g.ok()) << text_proto;
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), StartsWith("test.yaml:1: "));
  EXPECT_THAT(std::string(g.status().message()), HasSubstr(what));
}

TEST(FigureGrammarBuildTest, RejectsBadCurrencyCode) {
  ExpectError(R"pb(currencies { code: "usd" suffixes: "dollars" })pb", "\"usd\" is not three");
  ExpectError(R"pb(currencies { code: "USDX" suffixes: "dollars" })pb", "ISO 4217");
  ExpectError(R"pb(ambiguous_currencies { token: "$" prefix: true })pb", "default_code");
  ExpectError(R"pb(ambiguous_currencies { default_code: "USD" })pb", "needs a token");
  ExpectError(R"pb(ambiguous_currencies {
                     token: "元" default_code: "CNY" by_source { key: "udn.com" value: "twd" }
                   })pb",
              "\"twd\"");
}

TEST(FigureGrammarBuildTest, RejectsScaleNotPowerOfTen) {
  ExpectError(R"pb(scales { value: 1500 words: "x" })pb", "1500 is not a power of ten");
  ExpectError(R"pb(scales { value: 100 words: "hundred" })pb", "not a power of ten");
  ExpectError(R"pb(scales { value: 1e18 words: "quintillion" })pb", "not a power of ten");
  ExpectError(R"pb(scales { value: -1000 words: "x" })pb", "not a power of ten");
  ExpectError(R"pb(scales { value: 1000 })pb", "no words");
}

TEST(FigureGrammarBuildTest, RejectsEmptyWords) {
  ExpectError(R"pb(percent_suffixes: "")pb", "empty word");
  ExpectError(R"pb(currencies { code: "USD" suffixes: "" })pb", "empty word");
  ExpectError(R"pb(units { unit: "nm" words: "" })pb", "empty word");
  ExpectError(R"pb(units { words: "nm" })pb", "unit name");
  ExpectError(R"pb(qualifiers { qualifier: QUALIFIER_APPROXIMATE words: "" })pb", "empty word");
  ExpectError(R"pb(qualifiers { words: "about" })pb", "need a qualifier");
  ExpectError(R"pb(range_connectors: "")pb", "empty range connector");
}

TEST(FigureGrammarBuildTest, RejectsLiteralWithTwoMeanings) {
  ExpectError(R"pb(currencies { code: "USD" suffixes: "dollars" }
                   currencies { code: "TWD" suffixes: "Dollars" })pb",
              "\"Dollars\" has two meanings");
  ExpectError(R"pb(scales { value: 1e9 words: "b" }
                   scales { value: 1e6 words: "B" case_sensitive: true })pb",
              "two meanings");
  ExpectError(R"pb(currencies { code: "USD" prefixes: "$" }
                   ambiguous_currencies { token: "$" prefix: true default_code: "USD" })pb",
              "two meanings");
  ExpectError(R"pb(qualifiers { qualifier: QUALIFIER_APPROXIMATE words: "about" }
                   qualifiers { qualifier: QUALIFIER_AT_MOST words: "About" })pb",
              "two meanings");
}

TEST(FigureGrammarBuildTest, AcceptsRepeatsAndCaseSensitiveVariants) {
  // The same meaning twice (two files) is not an error; case-sensitive "M" and "m" are distinct.
  auto g = BuildFrom(R"pb(percent_suffixes: "%" percent_suffixes: "%"
                          scales { value: 1e6 words: "m" case_sensitive: true }
                          scales { value: 1e3 words: "M" case_sensitive: true })pb");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->tokens().size(), 3u);
}

TEST(FigureGrammarBuildTest, RejectsBadWordFigures) {
  ExpectError(R"pb(word_figures { text: "三成" type: "PERCENT" value: 30 })pb", "needs a unit");
  ExpectError(R"pb(word_figures { text: "三成" type: "RATIO" value: 30 unit: "%" })pb",
              "not MONEY, PERCENT or QUANTITY");
  ExpectError(R"pb(word_figures { text: "" type: "PERCENT" value: 30 unit: "%" })pb",
              "empty word");
  ExpectError(R"pb(word_figures { text: "x" type: "MONEY" value: 30 unit: "dollars" })pb",
              "not a currency code");
}

TEST(FigureGrammarTest, ResolveAmbiguousLongestSourceWins) {
  auto g = BuildFrom(R"pb(ambiguous_currencies {
                            token: "元"
                            default_code: "CNY"
                            by_source { key: "tw" value: "TWD" }
                            by_source { key: "hk.example.tw" value: "HKD" }
                          })pb");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->ResolveAmbiguous(0, "a.example.tw"), "TWD");
  EXPECT_EQ(g->ResolveAmbiguous(0, "news.hk.example.tw"), "HKD");
  EXPECT_EQ(g->ResolveAmbiguous(0, "example.com"), "CNY");
  EXPECT_EQ(g->ResolveAmbiguous(0, ""), "CNY");
  EXPECT_EQ(g->ResolveAmbiguous(5, "x"), "");
}

TEST(FigureTypeNameTest, Names) {
  EXPECT_EQ(FigureTypeName(FigureType::kMoney), "MONEY");
  EXPECT_EQ(FigureTypeName(FigureType::kPercent), "PERCENT");
  EXPECT_EQ(FigureTypeName(FigureType::kQuantity), "QUANTITY");
}

}  // namespace
}  // namespace wirescan::extract

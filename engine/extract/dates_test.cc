#include "engine/extract/dates.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The grammar's literals found in `text` the way the matcher reports them (every occurrence).
std::vector<TokenHit> Hits(const DateGrammar& g, std::string_view text) {
  std::vector<TokenHit> hits;
  for (uint32_t t = 0; t < g.tokens().size(); ++t) {
    const std::string& lit = g.tokens()[t].text;
    for (size_t at = text.find(lit); at != std::string_view::npos; at = text.find(lit, at + 1)) {
      hits.push_back({static_cast<uint32_t>(at), static_cast<uint32_t>(at + lit.size()), t});
    }
  }
  return hits;
}

// What the extractor keeps: leftmost-longest, as "text|rule id".
std::vector<std::string> Dates(std::string_view text, bool english = true, bool chinese = true) {
  DateGrammar g = DateGrammar::Build(english, chinese);
  std::vector<DateMention> found;
  AssembleDates(text, Hits(g, text), g, &found);
  std::sort(found.begin(), found.end(), [](const DateMention& a, const DateMention& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.form < b.form;
  });
  std::vector<std::string> out;
  uint32_t covered = 0;
  for (const DateMention& d : found) {
    if (!out.empty() && d.begin < covered) continue;
    covered = d.end;
    out.push_back(std::string(text.substr(d.begin, d.end - d.begin)) + "|" +
                  std::string(DateFormRuleId(d.form)));
  }
  return out;
}

TEST(DatesTest, MonthDay) {
  EXPECT_THAT(Dates("on Jan 5 it"), ElementsAre("Jan 5|date.month_day"));
  EXPECT_THAT(Dates("on Jan. 5, 2024."), ElementsAre("Jan. 5, 2024|date.month_day"));
  EXPECT_THAT(Dates("by September 30, 1987, it"), ElementsAre("September 30, 1987|date.month_day"));
  EXPECT_THAT(Dates("Sept 1"), ElementsAre("Sept 1|date.month_day"));
  // A year that does not end on a boundary is left out; the day still ends on one.
  EXPECT_THAT(Dates("May 15, 19876"), ElementsAre("May 15|date.month_day"));
  // Days are one or two digits, the first 0-3; "15th" has no boundary after the day.
  EXPECT_THAT(Dates("May 45 and May 15th and May 123"), IsEmpty());
  // Case-sensitive month names with a boundary before them.
  EXPECT_THAT(Dates("may 5, Dismay 5, Mayor 5"), IsEmpty());
}

TEST(DatesTest, MonthYearNeedsTheFullName) {
  EXPECT_THAT(Dates("in January 2024 and"), ElementsAre("January 2024|date.month_year"));
  // "Jan 2024" is not month_year; the year alone is a date.
  EXPECT_THAT(Dates("in Jan 2024"), ElementsAre("2024|date.year"));
}

TEST(DatesTest, Quarters) {
  EXPECT_THAT(Dates("Q1 results"), ElementsAre("Q1|date.quarter"));
  EXPECT_THAT(Dates("in 4Q 2023,"), ElementsAre("4Q 2023|date.quarter"));
  EXPECT_THAT(Dates("the first half of fiscal 2024."),
              ElementsAre("first half of fiscal 2024|date.quarter"));
  // " of" alone is taken when followed by a boundary.
  EXPECT_THAT(Dates("the second quarter of the year"), ElementsAre("second quarter of|date.quarter"));
  EXPECT_THAT(Dates("third quarter 1987"), ElementsAre("third quarter 1987|date.quarter"));
  // No boundary: "H12", "FQ1", "Q1x".
  EXPECT_THAT(Dates("H12 FQ1 Q1x"), IsEmpty());
  // Case-sensitive: "First quarter" is not a period word.
  EXPECT_THAT(Dates("First quarter"), IsEmpty());
}

TEST(DatesTest, Years) {
  EXPECT_THAT(Dates("in 1987 and 2024."), ElementsAre("1987|date.year", "2024|date.year"));
  EXPECT_THAT(Dates("by mid-2025, Late 2024, END OF 2023, early of 1999"),
              ElementsAre("mid-2025|date.year", "Late 2024|date.year", "END OF 2023|date.year",
                          "early of 1999|date.year"));
  // The prefix needs its own boundary: "amid 2024" is the year alone.
  EXPECT_THAT(Dates("amid 2024"), ElementsAre("2024|date.year"));
  // Not years: other centuries, five digits, digits glued to letters.
  EXPECT_THAT(Dates("1887 20245 2024s x2024 1,987"), IsEmpty());
  // Every offset of the vector pass, and the scalar tail.
  for (size_t k = 0; k < 40; ++k) {
    std::string text = std::string(k, ' ') + "2019";
    EXPECT_THAT(Dates(text), ElementsAre("2019|date.year")) << k;
  }
  EXPECT_THAT(Dates("2019", /*english=*/false, /*chinese=*/true), IsEmpty());
}

TEST(DatesTest, ChineseDates) {
  EXPECT_THAT(Dates("於2024年5月12日宣布"), ElementsAre("2024年5月12日|date.zh_date"));
  EXPECT_THAT(Dates("12月3號"), ElementsAre("12月3號|date.zh_date"));
  EXPECT_THAT(Dates("5月31号"), ElementsAre("5月31号|date.zh_date"));
  // A month 2-9 as the first of two digits is not part of the month: "25月" is 5月.
  EXPECT_THAT(Dates("25月1日"), ElementsAre("5月1日|date.zh_date"));
  EXPECT_THAT(Dates("5月份"), IsEmpty());
}

TEST(DatesTest, ChineseYears) {
  EXPECT_THAT(Dates("2023年底前"), ElementsAre("2023年底|date.zh_year"));
  EXPECT_THAT(Dates("2024年11月將"), ElementsAre("2024年11月|date.zh_year"));
  EXPECT_THAT(Dates("2024年第三季度營收"), ElementsAre("2024年第三季度|date.zh_year"));
  EXPECT_THAT(Dates("2024年上半年"), ElementsAre("2024年上半年|date.zh_year"));
  EXPECT_THAT(Dates("2024年中"), ElementsAre("2024年中|date.zh_year"));
  EXPECT_THAT(Dates("1887年"), IsEmpty());
  // Without the Chinese forms, "2024" is still an English year (no word character follows).
  EXPECT_THAT(Dates("2024年", /*english=*/true, /*chinese=*/false), ElementsAre("2024|date.year"));
}

TEST(DatesTest, ChineseRelativeYears) {
  EXPECT_THAT(Dates("今年上半年"), ElementsAre("今年上半年|date.zh_relative"));
  EXPECT_THAT(Dates("去年第四季"), ElementsAre("去年第四季|date.zh_relative"));
  EXPECT_THAT(Dates("明年底"), ElementsAre("明年底|date.zh_relative"));
  // 中 after 今年 is the next word (今年中國...), not mid-year.
  EXPECT_THAT(Dates("今年中國"), ElementsAre("今年|date.zh_relative"));
}

TEST(DatesTest, DisabledGrammarHasNoTokens) {
  DateGrammar g = DateGrammar::Build(false, false);
  EXPECT_FALSE(g.enabled());
  EXPECT_THAT(g.tokens(), IsEmpty());
  EXPECT_THAT(g.forms(), IsEmpty());
}

// Linear work (issue 14): generated 1 MB worst cases, bounded by the grammar's step counter
// (hits, 16-byte blocks, candidate years), not by timing; the mentions it appends are bounded
// by a few per hit or candidate too.
TEST(DatesTest, WorkIsLinearOnGeneratedWorstCases) {
  DateGrammar g = DateGrammar::Build(true, true);
  auto run = [&](std::string_view piece, size_t bytes, size_t* mentions) {
    std::string text;
    while (text.size() < bytes) text += piece;
    std::vector<TokenHit> hits = Hits(g, text);
    std::vector<DateMention> found;
    uint64_t work = 0;
    AssembleDates(text, hits, g, &found, &work);
    *mentions = found.size();
    EXPECT_GE(work, hits.size());
    return work;
  };
  for (std::string_view piece : {"1919", "2020 ", "年年年", "2024年", "5月", "5月12日",
                                 "Jan 5, 2024 ", "Q1 of fiscal 2024 ", "mid-2024 ", "今年底",
                                 "-", "19"}) {
    SCOPED_TRACE(std::string(piece));
    size_t small_mentions = 0, large_mentions = 0;
    uint64_t small = run(piece, 1 << 18, &small_mentions);
    uint64_t large = run(piece, 1 << 20, &large_mentions);
    EXPECT_LE(large, 2u * (1u << 20)) << large;
    EXPECT_LE(large, 5 * small + 100) << small << " " << large;
    EXPECT_LE(large_mentions, 4u * (1u << 20));
  }
}

}  // namespace
}  // namespace wirescan::extract

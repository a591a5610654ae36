#pragma once
// Dates and periods (DATE mentions), recognised by a fixed grammar around a few literals, not by
// regexes: the seven DATE regexes of the earlier rule pack cost a third of the English scan and a
// start-of-match scan per hit (perf/RESULTS.md, "Where the scan time goes"). Numbers are read
// from the text next to the literals, the same way the figure grammar does.
//
// Forms (rule ids of the mentions; the canonical text is the surface text):
//   English (`dates: {english: true}`):
//     date.month_day    Jan 5 | Jan. 5 | January 15, 2024   (day 0-39, year 19xx/20xx)
//     date.month_year   January 2024                          (full month names only)
//     date.quarter      Q1 | 1Q | H1 | first quarter | second half, then optional " of",
//                       then optional " [fiscal ]2024"        (case-sensitive)
//     date.year         2024 | mid-2024 | late 2024 | end of 2024   (early/mid/late/end, any case)
//   Chinese (`dates: {chinese: true}`):
//     date.zh_date      [2024年]5月12日 (日/號/号)
//     date.zh_year      2024年[5月][底|初|中|年底|年初|上半年|下半年|第一季(度)]
//     date.zh_relative  今年|明年|去年|後年|后年 [the same suffixes but 中]
// English forms need a word boundary (an ASCII letter, digit or '_' is a word character) before
// and after; Chinese forms need none. At one start the longest form wins; across forms and
// other mentions the extractor resolves leftmost-longest.
//
//   DateGrammar    the literals to compile into the matcher's database (built once per pack).
//   AssembleDates  per field, on the partition thread: literal hits + text -> DateMention list.
//
// Thread safety: DateGrammar is immutable after Build() and shared; AssembleDates only reads it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/extract/figures.h"

namespace wirescan::extract {

enum class DateForm : uint8_t {
  kMonthDay,
  kMonthYear,
  kQuarter,
  kYear,
  kZhDate,
  kZhYear,
  kZhRelative,
};
inline constexpr int kDateFormCount = 7;

// "date.month_day", ...: the rule id of a form's mentions.
std::string_view DateFormRuleId(DateForm form);

// What one literal of the date grammar means.
struct DateToken {
  enum class Kind : uint8_t {
    kMonth,       // "Jan", "January" (full: month_year takes it)
    kPeriod,      // "Q1", "1Q", "H1", "first quarter", "second half"
    kZhYearMark,  // 年 after four digits
    kZhMonthMark, // 月 after one or two digits
    kZhRelative,  // 今年 明年 去年 後年 后年
  };
  Kind kind;
  std::string text;
  bool full_month = false;
};

class DateGrammar {
 public:
  static DateGrammar Build(bool english, bool chinese);
  bool english() const { return english_; }
  bool chinese() const { return chinese_; }
  bool enabled() const { return english_ || chinese_; }
  // The literals to compile (case-sensitive, no boundary checks: AssembleDates does them).
  const std::vector<DateToken>& tokens() const { return tokens_; }
  // The forms this grammar can produce (their rule ids are claimed by the pack).
  std::vector<DateForm> forms() const;

 private:
  bool english_ = false;
  bool chinese_ = false;
  std::vector<DateToken> tokens_;
};

struct DateMention {
  uint32_t begin;
  uint32_t end;
  DateForm form;
};

// `hits` are the field's date-literal hits (token = index into grammar.tokens()), in any
// order. Appends the longest mention of each form at each start, in no particular order.
// Linear: a bounded number of byte tests per hit and per candidate year; `*work` (if given)
// is increased by the number of hits, 16-byte blocks and candidate positions examined, which
// the tests bound on generated worst cases.
void AssembleDates(std::string_view text, const std::vector<TokenHit>& hits,
                   const DateGrammar& grammar, std::vector<DateMention>* out,
                   uint64_t* work = nullptr);

}  // namespace wirescan::extract

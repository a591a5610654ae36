#include "engine/extract/dates.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>

#include "engine/core/strings.h"
#include "engine/core/utf8.h"

namespace wirescan::extract {
namespace {

// Hyperscan's \b without Unicode classes: ASCII letters, digits and '_' are word characters.
bool WordByte(unsigned char c) { return core::IsAsciiAlnum(c) || c == '_'; }

struct Cursor {
  std::string_view text;

  bool Digit(size_t i) const {
    return i < text.size() && core::IsAsciiDigit(static_cast<unsigned char>(text[i]));
  }
  bool Is(size_t i, char c) const { return i < text.size() && text[i] == c; }
  bool At(size_t i, std::string_view s) const { return core::BytesAt(text, i, s); }
  // The same, ignoring the case of ASCII letters (s is lower case).
  bool AtCaseless(size_t i, std::string_view s) const {
    if (i > text.size() || text.size() - i < s.size()) return false;
    for (size_t k = 0; k < s.size(); ++k) {
      unsigned char t = static_cast<unsigned char>(text[i + k]);
      if (core::IsAsciiAlpha(t)) t |= 0x20;
      if (t != static_cast<unsigned char>(s[k])) return false;
    }
    return true;
  }
  // A word boundary before `i` (the byte at i is a word character).
  bool BoundaryBefore(size_t i) const {
    return i == 0 || !WordByte(static_cast<unsigned char>(text[i - 1]));
  }
  // A word boundary at `end` after a word character.
  bool BoundaryAfter(size_t end) const {
    return end >= text.size() || !WordByte(static_cast<unsigned char>(text[end]));
  }
  // (19|20)\d\d at i.
  bool Year(size_t i) const {
    return ((Is(i, '1') && Is(i + 1, '9')) || (Is(i, '2') && Is(i + 1, '0'))) && Digit(i + 2) &&
           Digit(i + 3);
  }
  // The end of the longest Chinese period suffix at i (i itself if none). 中 ("2024年中", mid-2024)
  // only after a year number: after 今年 it is usually the next word (今年中国...).
  size_t ZhSuffix(size_t i, bool mid) const {
    for (std::string_view s : {"上半年", "下半年", "年底", "年初"}) {
      if (At(i, s)) return i + s.size();
    }
    if (At(i, "第")) {
      size_t j = i + std::string_view("第").size();
      for (std::string_view n : {"一", "二", "三", "四"}) {
        if (At(j, n) && At(j + n.size(), "季")) {
          size_t e = j + n.size() + std::string_view("季").size();
          return At(e, "度") ? e + std::string_view("度").size() : e;
        }
      }
    }
    for (std::string_view s : {"底", "初", "中"}) {
      if (At(i, s) && (mid || s != "中")) return i + s.size();
    }
    return i;
  }
};

constexpr std::string_view kZhYear = "年";
constexpr std::string_view kZhMonth = "月";

// Jan 5 | Jan. 5 | January 15, 2024.
void MonthDay(const Cursor& c, uint32_t begin, uint32_t end, std::vector<DateMention>* out) {
  size_t space = c.Is(end, '.') ? end + 1 : end;
  if (!c.Is(space, ' ')) return;
  size_t d = space + 1;
  size_t best = 0;
  // Day "[0-3]?\d": two digits, then one; each with or without ", 2024".
  for (size_t day_end : {d + 2, d + 1}) {
    if (day_end == d + 2 && !(c.Digit(d) && c.text[d] <= '3' && c.Digit(d + 1))) continue;
    if (day_end == d + 1 && !c.Digit(d)) continue;
    if (c.At(day_end, ", ") && c.Year(day_end + 2) && c.BoundaryAfter(day_end + 6)) {
      best = std::max(best, day_end + 6);
    } else if (c.BoundaryAfter(day_end)) {
      best = std::max(best, day_end);
    }
  }
  if (best != 0) out->push_back({begin, static_cast<uint32_t>(best), DateForm::kMonthDay});
}

// January 2024.
void MonthYear(const Cursor& c, uint32_t begin, uint32_t end, std::vector<DateMention>* out) {
  if (c.Is(end, ' ') && c.Year(end + 1) && c.BoundaryAfter(end + 5)) {
    out->push_back({begin, end + 5, DateForm::kMonthYear});
  }
}

// Q1 | first quarter, then " of", then " [fiscal ]2024": the longest end with a boundary.
void Quarter(const Cursor& c, uint32_t begin, uint32_t end, std::vector<DateMention>* out) {
  size_t best = c.BoundaryAfter(end) ? end : 0;
  size_t bases[2] = {end, 0};
  if (c.At(end, " of")) {
    bases[1] = end + 3;
    if (c.BoundaryAfter(end + 3)) best = std::max(best, bases[1]);
  }
  for (size_t base : bases) {
    if (base == 0 || !c.Is(base, ' ')) continue;
    for (size_t year : {base + 1, base + 8}) {
      if (year == base + 8 && !c.At(base + 1, "fiscal ")) continue;
      if (c.Year(year) && c.BoundaryAfter(year + 4)) best = std::max(best, year + 4);
    }
  }
  if (best != 0) out->push_back({begin, static_cast<uint32_t>(best), DateForm::kQuarter});
}

// A year at [y, y+4) with boundaries: its leftmost start, with "early/mid/late/end[- ](of )?".
void Year(const Cursor& c, size_t y, std::vector<DateMention>* out) {
  size_t begin = y;
  for (size_t word_end : {y >= 3 && c.AtCaseless(y - 3, "of ") ? y - 3 : y, y}) {
    if (word_end == 0 || !(c.Is(word_end - 1, ' ') || c.Is(word_end - 1, '-'))) continue;
    size_t sep = word_end - 1;
    for (std::string_view w : {"early", "mid", "late", "end"}) {
      if (sep >= w.size() && c.AtCaseless(sep - w.size(), w) && c.BoundaryBefore(sep - w.size())) {
        begin = std::min(begin, sep - w.size());
      }
    }
  }
  out->push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(y + 4), DateForm::kYear});
}

// Every (19|20)\d\d with word boundaries on both sides. A vector pass finds the "19"/"20" pairs.
void Years(const Cursor& c, std::vector<DateMention>* out, uint64_t* work) {
  const std::string_view text = c.text;
  auto check = [&](size_t i) {
    ++*work;
    if (c.Year(i) && c.BoundaryBefore(i) && c.BoundaryAfter(i + 4)) Year(c, i, out);
  };
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i one = _mm_set1_epi8('1'), nine = _mm_set1_epi8('9'), two = _mm_set1_epi8('2'),
                zero = _mm_set1_epi8('0');
  for (; i + 17 <= text.size(); i += 16) {
    ++*work;
    __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 1));
    __m128i hit = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(v0, one), _mm_cmpeq_epi8(v1, nine)),
                               _mm_and_si128(_mm_cmpeq_epi8(v0, two), _mm_cmpeq_epi8(v1, zero)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    while (mask != 0) {
      check(i + static_cast<size_t>(__builtin_ctz(mask)));
      mask &= mask - 1;
    }
  }
#endif
  for (; i + 1 < text.size(); ++i) check(i);
}

// [2024年]5月12日 at the 月 at m.
void ZhDate(const Cursor& c, size_t m, std::vector<DateMention>* out) {
  if (m == 0 || !c.Digit(m - 1)) return;
  size_t d = m + kZhMonth.size();
  size_t term = c.Digit(d) && c.text[d] <= '3' && c.Digit(d + 1) ? d + 2 : d + 1;
  if (!c.Digit(d)) return;
  size_t end = 0;
  for (std::string_view t : {"日", "號", "号"}) {
    if (c.At(term, t)) end = term + t.size();
  }
  if (end == 0) return;
  // The leftmost start: the month is "[01]?\d" before 月, optionally after "(19|20)\d\d年".
  size_t begin = m - 1;
  for (size_t month : {m - 1, m - 2}) {
    if (month == m - 2 && !(m >= 2 && (c.Is(month, '0') || c.Is(month, '1')))) continue;
    begin = std::min(begin, month);
    size_t mark = month - kZhYear.size();
    if (month >= kZhYear.size() + 4 && c.At(mark, kZhYear) && c.Year(mark - 4)) {
      begin = std::min(begin, mark - 4);
    }
  }
  out->push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end), DateForm::kZhDate});
}

// 2024年[5月][suffix] at the 年 at n.
void ZhYear(const Cursor& c, size_t n, std::vector<DateMention>* out) {
  if (n < 4 || !c.Year(n - 4)) return;
  size_t end = n + kZhYear.size();
  if (c.Digit(end) && c.text[end] <= '1' && c.Digit(end + 1) && c.At(end + 2, kZhMonth)) {
    end += 2 + kZhMonth.size();
  } else if (c.Digit(end) && c.At(end + 1, kZhMonth)) {
    end += 1 + kZhMonth.size();
  }
  end = c.ZhSuffix(end, /*mid=*/true);
  out->push_back({static_cast<uint32_t>(n - 4), static_cast<uint32_t>(end), DateForm::kZhYear});
}

}  // namespace

std::string_view DateFormRuleId(DateForm form) {
  switch (form) {
    case DateForm::kMonthDay: return "date.month_day";
    case DateForm::kMonthYear: return "date.month_year";
    case DateForm::kQuarter: return "date.quarter";
    case DateForm::kYear: return "date.year";
    case DateForm::kZhDate: return "date.zh_date";
    case DateForm::kZhYear: return "date.zh_year";
    case DateForm::kZhRelative: return "date.zh_relative";
  }
  return "date";
}

DateGrammar DateGrammar::Build(bool english, bool chinese) {
  DateGrammar g;
  g.english_ = english;
  g.chinese_ = chinese;
  using Kind = DateToken::Kind;
  if (english) {
    static constexpr std::string_view kFull[] = {"January", "February", "March", "April",
                                                 "May", "June", "July", "August", "September",
                                                 "October", "November", "December"};
    static constexpr std::string_view kShort[] = {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul",
                                                  "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"};
    for (std::string_view m : kFull) g.tokens_.push_back({Kind::kMonth, std::string(m), true});
    for (std::string_view m : kShort) g.tokens_.push_back({Kind::kMonth, std::string(m), false});
    for (std::string_view p : {"Q1", "Q2", "Q3", "Q4", "1Q", "2Q", "3Q", "4Q", "H1", "H2",
                               "first quarter", "second quarter", "third quarter",
                               "fourth quarter", "first half", "second half"}) {
      g.tokens_.push_back({Kind::kPeriod, std::string(p), false});
    }
  }
  if (chinese) {
    g.tokens_.push_back({Kind::kZhYearMark, std::string(kZhYear), false});
    g.tokens_.push_back({Kind::kZhMonthMark, std::string(kZhMonth), false});
    for (std::string_view r : {"今年", "明年", "去年", "後年", "后年"}) {
      g.tokens_.push_back({Kind::kZhRelative, std::string(r), false});
    }
  }
  return g;
}

std::vector<DateForm> DateGrammar::forms() const {
  std::vector<DateForm> forms;
  if (english_) {
    forms.insert(forms.end(),
                 {DateForm::kMonthDay, DateForm::kMonthYear, DateForm::kQuarter, DateForm::kYear});
  }
  if (chinese_) {
    forms.insert(forms.end(), {DateForm::kZhDate, DateForm::kZhYear, DateForm::kZhRelative});
  }
  return forms;
}

void AssembleDates(std::string_view text, const std::vector<TokenHit>& hits,
                   const DateGrammar& grammar, std::vector<DateMention>* out, uint64_t* work) {
  uint64_t local = 0;
  if (work == nullptr) work = &local;
  *work += hits.size();
  const Cursor c{text};
  for (const TokenHit& h : hits) {
    const DateToken& t = grammar.tokens()[h.token];
    switch (t.kind) {
      case DateToken::Kind::kMonth:
        if (!c.BoundaryBefore(h.begin)) break;
        MonthDay(c, h.begin, h.end, out);
        if (t.full_month) MonthYear(c, h.begin, h.end, out);
        break;
      case DateToken::Kind::kPeriod:
        if (c.BoundaryBefore(h.begin)) Quarter(c, h.begin, h.end, out);
        break;
      case DateToken::Kind::kZhYearMark: ZhYear(c, h.begin, out); break;
      case DateToken::Kind::kZhMonthMark: ZhDate(c, h.begin, out); break;
      case DateToken::Kind::kZhRelative:
        out->push_back(
            {h.begin, static_cast<uint32_t>(c.ZhSuffix(h.end, /*mid=*/false)), DateForm::kZhRelative});
        break;
    }
  }
  if (grammar.english()) Years(c, out, work);
}

}  // namespace wirescan::extract

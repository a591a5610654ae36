#include "engine/extract/figures.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/core/status_macros.h"
#include "engine/core/strings.h"
#include "engine/core/utf8.h"

namespace wirescan::extract {

std::string_view FigureTypeName(FigureType type) {
  switch (type) {
    case FigureType::kMoney:
      return "MONEY";
    case FigureType::kPercent:
      return "PERCENT";
    case FigureType::kQuantity:
      return "QUANTITY";
  }
  return "QUANTITY";
}

namespace {

using Kind = FigureToken::Kind;
using wirescan::v1::rules::FigureVocabulary;

// A number is never longer than this many bytes; bounds the backward scans.
constexpr size_t kMaxNumberBytes = 96;

// Exact powers of ten as doubles (all exactly representable up to 1e22).
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double Pow10(int exp) {
  if (exp >= 0 && exp <= 22) return kPow10[exp];
  return std::pow(10.0, exp);
}

bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The byte with ASCII letters lower-cased: the key of the qualifier-word buckets.
unsigned char FoldByte(char c) {
  return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

bool IsAlphaAt(std::string_view t, size_t pos) {
  return pos < t.size() && core::IsAsciiAlpha(static_cast<unsigned char>(t[pos]));
}
bool IsAlnumAt(std::string_view t, size_t pos) {
  return pos < t.size() && core::IsAsciiAlnum(static_cast<unsigned char>(t[pos]));
}
bool StartsLatin(std::string_view s) {
  return !s.empty() && core::IsAsciiAlpha(static_cast<unsigned char>(s.front()));
}
bool EndsLatin(std::string_view s) {
  return !s.empty() && core::IsAsciiAlpha(static_cast<unsigned char>(s.back()));
}

// Literals without an explicit case flag follow the entity rules' CASE_AUTO: written in capitals
// only ("USD", "RMB", "KRW", "US$") they are case-sensitive, so "won"/"usd" prose does not
// match an acronym; everything else ignores ASCII case.
bool AutoCaseSensitive(std::string_view s) {
  bool letters = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') letters = true;
  }
  return letters;
}

// Currency prefixes written in letters or Han ("USD", "RMB", "人民幣") also follow numbers
// ("1.5 billion USD", "78億人民幣", "100億元人民幣"); symbols ("$", "€", "US$") do not, so
// "2023 US$ prices" is not a figure.
bool UsableAfterNumber(const FigureToken& t) {
  if (t.kind != Kind::kCurrencyPrefix || t.text.empty()) return false;
  if (std::all_of(t.text.begin(), t.text.end(),
                  [](char c) { return core::IsAsciiAlpha(static_cast<unsigned char>(c)); })) {
    return true;
  }
  size_t len = 0;
  char32_t cp = core::DecodeAt(t.text, 0, &len);
  return cp >= 0x4E00 && cp <= 0x9FFF;
}

bool IsIsoCode(std::string_view s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

using core::BytesAt;
using core::BytesBefore;

// 多/余/餘 right after a number ("十多億", "100餘億"): "more than". Grammar, not vocabulary.
constexpr std::string_view kMoreMarks[] = {"多", "余", "餘"};
// Counters allowed between a number and 百分點 ("2個百分點").
constexpr std::string_view kCounters[] = {"個", "个"};

size_t MoreMarkAt(std::string_view t, size_t pos) {
  for (std::string_view m : kMoreMarks) {
    if (BytesAt(t, pos, m)) return m.size();
  }
  return 0;
}
size_t MoreMarkBefore(std::string_view t, size_t end, size_t floor) {
  for (std::string_view m : kMoreMarks) {
    if (BytesBefore(t, end, floor, m)) return m.size();
  }
  return 0;
}

// ASCII or full-width digit at `pos`: its value and byte length, or -1.
int DigitAt(std::string_view t, size_t pos, size_t* len) {
  if (pos >= t.size()) return -1;
  auto c = static_cast<unsigned char>(t[pos]);
  if (c >= '0' && c <= '9') {
    *len = 1;
    return c - '0';
  }
  if (c == 0xEF && t.size() - pos >= 3 && static_cast<unsigned char>(t[pos + 1]) == 0xBC) {
    auto c2 = static_cast<unsigned char>(t[pos + 2]);
    if (c2 >= 0x90 && c2 <= 0x99) {
      *len = 3;
      return c2 - 0x90;
    }
  }
  return -1;
}
bool IsDigitAt(std::string_view t, size_t pos) {
  size_t len = 0;
  return DigitAt(t, pos, &len) >= 0;
}
// Thousands separator: "," or full-width "，".
size_t GroupSepAt(std::string_view t, size_t pos) {
  if (BytesAt(t, pos, ",")) return 1;
  if (BytesAt(t, pos, "，")) return 3;
  return 0;
}
// Decimal point: "." or full-width "．".
size_t DecimalPointAt(std::string_view t, size_t pos) {
  if (BytesAt(t, pos, ".")) return 1;
  if (BytesAt(t, pos, "．")) return 3;
  return 0;
}

// mantissa * 10^exp10 rounded once, by the standard library's correctly rounded parser.
double ToDouble(uint64_t mantissa, int exp10) {
  // Clinger's fast path: a mantissa below 2^53 and a power of ten up to 10^22 are both exact
  // doubles, so one multiplication or division is correctly rounded: the value from_chars
  // gives, without formatting and parsing.
  if (mantissa <= (uint64_t{1} << 53) && exp10 >= -22 && exp10 <= 22) {
    double m = static_cast<double>(mantissa);
    return exp10 >= 0 ? m * kPow10[exp10] : m / kPow10[-exp10];
  }
  char buf[64];
  char* p = std::to_chars(buf, buf + 30, mantissa).ptr;
  *p++ = 'e';
  p = std::to_chars(p, buf + sizeof(buf), exp10).ptr;
  double v = 0;
  std::from_chars(buf, p, v);
  return v;
}


// A Chinese numeral character: a digit (0-9, 兩 = 2), a unit (十百千) or a big unit (萬億兆).
// 兆 is 10^12 in every script and source: Taiwanese usage, and mainland financial text
// ("缩减4.5兆美元的资产负债表" is the Fed's 4.5 trillion); its SI-prefix sense (mega) only
// occurs in unit words (兆瓦 MW, 兆赫, 兆字节), which are units or not figures.
struct ChineseNumeral {
  int digit = -1;  // 0..9, or -1
  int unit = 0;    // 1, 2, 3 for 十百千 (power of ten), else 0
  int big = 0;     // 4, 8, 12 for 萬億兆, else 0
};
std::optional<ChineseNumeral> ChineseNumeralOf(char32_t cp) {
  switch (cp) {
    case U'零': case U'〇': return ChineseNumeral{0, 0, 0};
    case U'一': return ChineseNumeral{1, 0, 0};
    case U'二': case U'兩': case U'两': return ChineseNumeral{2, 0, 0};
    case U'三': return ChineseNumeral{3, 0, 0};
    case U'四': return ChineseNumeral{4, 0, 0};
    case U'五': return ChineseNumeral{5, 0, 0};
    case U'六': return ChineseNumeral{6, 0, 0};
    case U'七': return ChineseNumeral{7, 0, 0};
    case U'八': return ChineseNumeral{8, 0, 0};
    case U'九': return ChineseNumeral{9, 0, 0};
    case U'十': return ChineseNumeral{-1, 1, 0};
    case U'百': return ChineseNumeral{-1, 2, 0};
    case U'千': return ChineseNumeral{-1, 3, 0};
    case U'萬': case U'万': return ChineseNumeral{-1, 0, 4};
    case U'億': case U'亿': return ChineseNumeral{-1, 0, 8};
    case U'兆': return ChineseNumeral{-1, 0, 12};
    default: return std::nullopt;
  }
}
bool IsChineseDecimalPoint(char32_t cp) { return cp == U'點' || cp == U'点'; }
bool IsAsciiOrWideDigit(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= U'０' && cp <= U'９');
}

bool IsNumberChar(char32_t cp) {
  return IsAsciiOrWideDigit(cp) || cp == ',' || cp == '.' || cp == '/' || cp == U'，' ||
         cp == U'．' || IsChineseDecimalPoint(cp) || ChineseNumeralOf(cp).has_value();
}

// Minus signs: ASCII '-', U+2212 '−', full-width '－'. Returns the byte length of the one that
// ends at `pos`, or 0.
size_t MinusBefore(std::string_view t, size_t pos) {
  if (pos >= 1 && t[pos - 1] == '-') return 1;
  if (BytesBefore(t, pos, 0, "−")) return 3;
  if (BytesBefore(t, pos, 0, "－")) return 3;
  return 0;
}
size_t MinusAt(std::string_view t, size_t pos) {
  if (pos < t.size() && t[pos] == '-') return 1;
  if (BytesAt(t, pos, "−")) return 3;
  if (BytesAt(t, pos, "－")) return 3;
  return 0;
}
// En and em dashes: a minus in some typesetting, a dash in other: never read as a sign.
size_t DashBefore(std::string_view t, size_t pos) {
  if (BytesBefore(t, pos, 0, "–") || BytesBefore(t, pos, 0, "—")) return 3;
  return 0;
}

// A parsed number: value = mantissa * 10^exp10, kept exact until the very end.
struct Number {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint64_t mantissa = 0;
  int exp10 = 0;
  bool chinese = false;   // Chinese numerals (or digits mixed with them): 萬/億/兆 are inside.
  bool words = false;     // Spelled out in English ("thirty", "one hundred and twenty").
  bool decimals = false;  // Has a decimal part or a fraction ("1.5", "7-1/2", 七點二).
  // Not readable whole: why. [begin, end) is the part that was looked at.
  const char* bad = nullptr;
};

Number Bad(size_t begin, size_t end, const char* why) {
  Number n;
  n.begin = static_cast<uint32_t>(begin);
  n.end = static_cast<uint32_t>(end);
  n.bad = why;
  return n;
}

// Fixed point with nine decimals in 128 bits: exact for every number the grammar reads.
using Fixed = unsigned __int128;
constexpr int kFixedDecimals = 9;
constexpr Fixed kFixedOne = 1000000000;
constexpr Fixed kFixedLimit = static_cast<Fixed>(1000000000000000000ULL) * 1000000000000ULL;

Fixed FixedPow10(int e) {
  Fixed r = 1;
  while (e-- > 0) r *= 10;
  return r;
}
bool ToFixed(const Number& n, Fixed* out) {
  int e = n.exp10 + kFixedDecimals;
  if (e < 0 || e > 20) return false;
  *out = static_cast<Fixed>(n.mantissa) * FixedPow10(e);
  return *out <= kFixedLimit;
}
void FromFixed(Fixed v, Number* n) {
  int exp = -kFixedDecimals;
  while (exp < 0 && v % 10 == 0) {
    v /= 10;
    ++exp;
  }
  while (v > static_cast<Fixed>(UINT64_MAX / 10)) {  // Beyond 19 digits: drop precision.
    v /= 10;
    ++exp;
  }
  n->mantissa = static_cast<uint64_t>(v);
  n->exp10 = exp;
}

// Newswire fractions: the denominators Reuters writes ("7-1/2", "3/8", "5/16", "13/32").
bool NewswireDenominator(uint64_t d) {
  return d == 2 || d == 4 || d == 8 || d == 16 || d == 32 || d == 64;
}
// ASCII digits at `p` (at most 4): their value and end, or false.
bool SmallIntAt(std::string_view t, size_t p, size_t limit, uint64_t* v, size_t* end) {
  size_t q = p;
  uint64_t x = 0;
  while (q < limit && q - p < 4 && t[q] >= '0' && t[q] <= '9') x = x * 10 + (t[q++] - '0');
  if (q == p || (q < limit && t[q] >= '0' && t[q] <= '9')) return false;
  *v = x;
  *end = q;
  return true;
}

// Digits with thousands separators and a decimal part: "1,234.5", "１２．５". Separators only
// count when exactly three digits follow, so "2023,12" is two numbers. Newswire fractions
// ("1/2", "7-1/2", "7 1/2") are read when the denominator is 2..64; any other "n/m" and a slash
// after decimals ("1.5340/50", a quote) are unreadable.
std::optional<Number> ParseDigits(std::string_view t, size_t pos, size_t limit,
                                  bool fractions = true) {
  constexpr uint64_t kMantissaCap = 100000000000000000ULL;  // 1e17: room for one more digit
  Number n;
  n.begin = static_cast<uint32_t>(pos);
  size_t p = pos;
  size_t len = 0;
  bool any = false, grouped = false;
  while (p < limit) {
    if (p - pos > kMaxNumberBytes) return Bad(pos, p, "number too long");
    int d = DigitAt(t, p, &len);
    if (d >= 0) {
      if (n.mantissa < kMantissaCap) {
        n.mantissa = n.mantissa * 10 + static_cast<uint64_t>(d);
      } else {
        ++n.exp10;  // Beyond 17 significant digits: keep the magnitude, drop the precision.
      }
      any = true;
      p += len;
      continue;
    }
    size_t sep = any ? GroupSepAt(t, p) : 0;
    if (sep == 0) break;
    size_t q = p + sep;
    int group = 0;
    while (group < 4 && q < limit && DigitAt(t, q, &len) >= 0) {
      q += len;
      ++group;
    }
    if (group != 3) break;
    grouped = true;
    p += sep;
  }
  if (!any) return std::nullopt;
  size_t dp = DecimalPointAt(t, p);
  if (dp != 0 && p + dp < limit && IsDigitAt(t, p + dp)) {
    p += dp;
    n.decimals = true;
    int d;
    while (p < limit && (d = DigitAt(t, p, &len)) >= 0) {
      if (p - pos > kMaxNumberBytes) return Bad(pos, p, "number too long");
      if (n.mantissa < kMantissaCap) {
        n.mantissa = n.mantissa * 10 + static_cast<uint64_t>(d);
        --n.exp10;
      }
      p += len;
    }
    if (p + 1 < limit && t[p] == '/' && t[p + 1] >= '0' && t[p + 1] <= '9') {
      return Bad(pos, p + 2, "a slash after a decimal number (a quote or a ratio)");
    }
  } else if (fractions && !grouped && n.exp10 == 0 && p < limit) {
    // "1/2" (the digits are the numerator) or "7-1/2", "7 1/2" (a whole and a fraction).
    uint64_t whole = 0, num = 0, den = 0;
    size_t q = p, e = 0;
    bool fraction = false;
    if (t[p] == '/' && n.mantissa < 1000) {
      num = n.mantissa;
      fraction = true;
    } else if ((t[p] == '-' || t[p] == ' ') && SmallIntAt(t, p + 1, limit, &num, &e) &&
               e < limit && t[e] == '/') {
      whole = n.mantissa;
      q = e;
      fraction = true;
    }
    if (fraction) {
      if (!(q + 1 < limit && SmallIntAt(t, q + 1, limit, &den, &e))) {
        if (t[p] == '/') return Bad(pos, q + 1, "a slash after the number");
      } else if (!NewswireDenominator(den) || num == 0 || num >= den ||
                 whole > 100000000ULL) {
        return Bad(pos, e, "a fraction that is not a newswire fraction (n/2 .. n/64)");
      } else {
        n.mantissa = (whole * den + num) * (1000000 / den);
        n.exp10 = -6;
        n.decimals = true;
        p = e;
      }
    }
  }
  n.end = static_cast<uint32_t>(p);
  return n;
}

// Chinese numerals and their mixes with digits, read whole: positional ("三千五百萬",
// "十二億", "一萬二千", "一千零五", colloquial "兩萬五" = 25000), digit groups with units
// ("3萬5千億" = 3.5e12, "1萬2千", "二十兆三千億" = 2.03e13) and decimals with 點/点 ("七點二",
// "六點五"). A run of Chinese digits without units ("二〇二三", "二三成" = 20-30 %) is not an
// amount: unreadable. Stops (without error) where a digit follows a Chinese digit or the
// reverse ("之一5%"), and at 點 with no digit after it (三點: three o'clock).
std::optional<Number> ParseCompound(std::string_view t, size_t pos, size_t limit,
                                    uint64_t* work) {
  const size_t stop = std::min(limit, pos + kMaxNumberBytes);
  Fixed total = 0, section = 0, pending = 0;
  bool has_pending = false, pending_zero = false, pending_cn = false;
  int pending_after = 0;  // The unit right before the pending value (4 for 萬 in 兩萬五).
  int last_unit = 0;      // The previous token's unit, 0 if it was a value.
  int last_big = 0;       // The largest 萬/億/兆 applied so far.
  bool valued = false, chinese = false, decimals = false;
  size_t p = pos, end = pos;
  while (p < stop) {
    ++*work;
    size_t len = 0;
    if (DigitAt(t, p, &len) >= 0) {
      if (has_pending && !pending_zero) break;  // "一5": the Chinese number ends before.
      auto d = ParseDigits(t, p, stop, /*fractions=*/false);
      if (!d) break;
      if (d->bad != nullptr) return Bad(pos, d->end, d->bad);
      Fixed v = 0;
      if (!ToFixed(*d, &v)) return Bad(pos, d->end, "number too large or too precise");
      pending = v;
      has_pending = true;
      pending_zero = v == 0;
      pending_cn = false;
      pending_after = last_unit;
      decimals = decimals || d->decimals;
      valued = true;
      last_unit = 0;
      p = end = d->end;
      continue;
    }
    char32_t cp = core::DecodeAt(t, p, &len);
    if (len == 0 || p + len > stop) break;
    if (IsChineseDecimalPoint(cp)) {
      if (!has_pending || !pending_cn) break;
      size_t q = p + len;
      Fixed frac = 0;
      int digits = 0;
      while (q < stop) {
        ++*work;
        size_t l = 0;
        char32_t c = core::DecodeAt(t, q, &l);
        auto cn = ChineseNumeralOf(c);
        if (l == 0 || !cn || cn->digit < 0 || c == U'兩' || c == U'两') break;
        if (digits == kFixedDecimals) return Bad(pos, q, "too many decimals");
        frac = frac * 10 + static_cast<Fixed>(cn->digit);
        ++digits;
        q += l;
      }
      if (digits == 0) break;
      pending += frac * FixedPow10(kFixedDecimals - digits);
      pending_zero = false;
      pending_cn = false;
      decimals = chinese = true;
      last_unit = 0;
      p = end = q;
      continue;
    }
    auto c = ChineseNumeralOf(cp);
    if (!c) break;
    if (c->digit >= 0) {
      if (has_pending && !pending_zero) {
        if (!pending_cn) break;  // "5三"
        return Bad(pos, p + len, "Chinese digits in a row (a range or a code, not an amount)");
      }
      pending = static_cast<Fixed>(c->digit) * kFixedOne;
      has_pending = true;
      pending_zero = c->digit == 0;
      pending_cn = true;
      pending_after = last_unit;
      valued = true;
      last_unit = 0;
    } else if (c->unit > 0) {
      if (!has_pending) {
        // 十 stands for 一十 at the start or after a big unit ("十二億", "一萬十"); 百/千
        // without a digit is not a number ("千萬不要").
        if (c->unit != 1 || (last_unit != 0 && last_unit < 4) || section != 0) break;
        pending = kFixedOne;
        valued = true;
      } else if (pending_zero) {
        break;
      }
      section += pending * FixedPow10(c->unit);
      has_pending = pending_zero = pending_cn = false;
      last_unit = c->unit;
    } else {
      if (has_pending) section += pending;
      has_pending = pending_zero = pending_cn = false;
      if (total == 0 && section == 0) break;  // 萬/億 without a number before it.
      if (c->big > last_big) {
        total = (total + section) * FixedPow10(c->big);
        last_big = c->big;
      } else if (c->big < last_big) {
        total += section * FixedPow10(c->big);
      } else {
        return Bad(pos, p + len, "the same Chinese unit twice");
      }
      section = 0;
      last_unit = c->big;
    }
    chinese = true;
    p = end = p + len;
    if (total > kFixedLimit || section > kFixedLimit) return Bad(pos, p, "number too large");
  }
  if (!valued || end == pos) return std::nullopt;
  Fixed value = total + section;
  if (has_pending) {
    // A final digit right after 百/千/萬/億 means one step down: 兩萬五 = 25000, 一千五 = 1500.
    // After 十, 零 or nothing it is the units digit (二十五, 一千零五).
    Fixed step = pending_after >= 2 ? FixedPow10(pending_after - 1) : 1;
    value += pending * step;
  }
  if (value > kFixedLimit) return Bad(pos, end, "number too large");
  Number n;
  n.begin = static_cast<uint32_t>(pos);
  n.end = static_cast<uint32_t>(end);
  n.chinese = chinese;
  n.decimals = decimals;
  FromFixed(value, &n);
  return n;
}

// Spelled-out English numbers below a thousand, read whole: "thirty", "twenty-five",
// "twenty five", "one hundred and twenty", "a hundred". Thousands and above are the pack's
// scale words ("two billion" = two + scale), so "two thousand five hundred" is two numbers.
struct NumberWord {
  std::string_view text;
  int value;
  bool tens;
};
constexpr NumberWord kNumberWords[] = {
    {"zero", 0, false},      {"one", 1, false},        {"two", 2, false},
    {"three", 3, false},     {"four", 4, false},       {"five", 5, false},
    {"six", 6, false},       {"seven", 7, false},      {"eight", 8, false},
    {"nine", 9, false},      {"ten", 10, false},       {"eleven", 11, false},
    {"twelve", 12, false},   {"thirteen", 13, false},  {"fourteen", 14, false},
    {"fifteen", 15, false},  {"sixteen", 16, false},   {"seventeen", 17, false},
    {"eighteen", 18, false}, {"nineteen", 19, false},  {"twenty", 20, true},
    {"thirty", 30, true},    {"forty", 40, true},      {"fifty", 50, true},
    {"sixty", 60, true},     {"seventy", 70, true},    {"eighty", 80, true},
    {"ninety", 90, true},
};
// NumberWordOf's quick reject (length 3..9, first letter e f n o s t z) holds for every entry.
static_assert([] {
  for (const NumberWord& n : kNumberWords) {
    if (n.text.size() < 3 || n.text.size() > 9) return false;
    if (std::string_view("efnostz").find(n.text[0]) == std::string_view::npos) return false;
  }
  return true;
}());

// The whole ASCII word at `p` (letters only), or empty.
std::string_view WordAt(std::string_view t, size_t p) {
  if (p >= t.size() || !core::IsAsciiAlpha(static_cast<unsigned char>(t[p]))) return {};
  if (p > 0 && core::IsAsciiAlpha(static_cast<unsigned char>(t[p - 1]))) return {};
  size_t q = p;
  while (q < t.size() && q - p < 12 && core::IsAsciiAlpha(static_cast<unsigned char>(t[q]))) ++q;
  if (q < t.size() && core::IsAsciiAlnum(static_cast<unsigned char>(t[q]))) return {};
  return t.substr(p, q - p);
}
const NumberWord* NumberWordOf(std::string_view w) {
  // Most words asked about are not number words: reject them by length (3..9) and first letter
  // (e, f, n, o, s, t, z) before the list.
  if (w.size() < 3 || w.size() > 9) return nullptr;
  constexpr uint32_t kFirst = 1u << ('e' - 'a') | 1u << ('f' - 'a') | 1u << ('n' - 'a') |
                              1u << ('o' - 'a') | 1u << ('s' - 'a') | 1u << ('t' - 'a') |
                              1u << ('z' - 'a');
  unsigned char c = static_cast<unsigned char>(w[0]) | 0x20;
  if (c < 'a' || c > 'z' || (kFirst >> (c - 'a') & 1) == 0) return nullptr;
  for (const NumberWord& n : kNumberWords) {
    if (AsciiEqualsIgnoreCase(w, n.text)) return &n;
  }
  return nullptr;
}
bool IsWord(std::string_view w, std::string_view of) { return AsciiEqualsIgnoreCase(w, of); }

// 1..99 at `p`: "seven", "fifteen", "forty", "forty-two", "forty two".
bool BelowHundredAt(std::string_view t, size_t p, size_t limit, int* value, size_t* end) {
  std::string_view w = WordAt(t, p);
  const NumberWord* n = NumberWordOf(w);
  if (n == nullptr || p + w.size() > limit) return false;
  *value = n->value;
  *end = p + w.size();
  if (n->tens && *end + 1 < limit && (t[*end] == '-' || t[*end] == ' ')) {
    std::string_view u = WordAt(t, *end + 1);
    const NumberWord* unit = NumberWordOf(u);
    if (unit != nullptr && unit->value >= 1 && unit->value <= 9 && *end + 1 + u.size() <= limit) {
      *value += unit->value;
      *end += 1 + u.size();
    }
  }
  return true;
}

std::optional<Number> ParseWords(std::string_view t, size_t pos, size_t limit) {
  int value = 0;
  size_t end = 0;
  std::string_view first = WordAt(t, pos);
  bool article = IsWord(first, "a") || IsWord(first, "an");
  if (article) {
    value = 1;
    end = pos + first.size();
  } else if (!BelowHundredAt(t, pos, limit, &value, &end)) {
    return std::nullopt;
  }
  if (end + 1 < limit && t[end] == ' ' && IsWord(WordAt(t, end + 1), "hundred") &&
      value >= 1 && value <= 9 && end + 8 <= limit) {
    value *= 100;
    end += 8;
    size_t p = end + 1;
    if (p < limit && t[end] == ' ' && IsWord(WordAt(t, p), "and")) p += 4;
    int rest = 0;
    size_t rest_end = 0;
    if (p <= limit && t[p - 1] == ' ' && BelowHundredAt(t, p, limit, &rest, &rest_end) &&
        rest >= 1) {
      value += rest;
      end = rest_end;
    }
  } else if (article) {
    return std::nullopt;  // "a" is one only before "hundred" (or a scale: see NumberBefore).
  }
  Number n;
  n.begin = static_cast<uint32_t>(pos);
  n.end = static_cast<uint32_t>(end);
  n.mantissa = static_cast<uint64_t>(value);
  n.words = true;
  return n;
}

std::optional<Number> ParseNumberAt(std::string_view t, size_t pos, size_t limit,
                                    uint64_t* work) {
  limit = std::min(limit, t.size());
  if (pos >= limit) return std::nullopt;
  ++*work;
  if (IsDigitAt(t, pos)) {
    auto d = ParseDigits(t, pos, limit);
    if (!d || d->bad != nullptr) return d;
    *work += d->end - d->begin;
    // Digits followed by Chinese units and more numerals are one number ("3萬5千億", "1萬2千");
    // digits followed by units alone keep them as scales ("7.8億", "12萬片").
    size_t q = d->end;
    bool units = false;
    while (q < limit && q - d->end < 12) {
      size_t len = 0;
      auto c = ChineseNumeralOf(core::DecodeAt(t, q, &len));
      if (len == 0 || !c || c->digit >= 0) break;
      units = true;
      q += len;
    }
    if (units && q < limit) {
      size_t len = 0;
      char32_t cp = core::DecodeAt(t, q, &len);
      auto c = ChineseNumeralOf(cp);
      if (IsDigitAt(t, q) || (c && c->digit >= 0)) {
        auto m = ParseCompound(t, pos, limit, work);
        if (m && (m->bad != nullptr || m->end > d->end)) return m;
      }
    }
    return d;
  }
  // Newswire writes fractions without the zero: ".125 dlrs".
  if (t[pos] == '.' && pos + 1 < limit && t[pos + 1] >= '0' && t[pos + 1] <= '9') {
    size_t end = pos + 1;
    while (end < limit && t[end] >= '0' && t[end] <= '9' && end - pos < kMaxNumberBytes) ++end;
    auto n = ParseDigits(t, pos + 1, end, /*fractions=*/false);
    if (!n || n->bad != nullptr || n->end != end || end - pos - 1 > 18) return std::nullopt;
    n->begin = static_cast<uint32_t>(pos);
    n->exp10 -= static_cast<int>(end - pos - 1);
    n->decimals = true;
    return n;
  }
  if (core::IsAsciiAlpha(static_cast<unsigned char>(t[pos]))) return ParseWords(t, pos, limit);
  return ParseCompound(t, pos, limit, work);
}


}  // namespace

// ---------------------------------------------------------------------------------------------
// Build

absl::Status FigureGrammar::AddToken(FigureToken token, const google::protobuf::Message& where,
                                     Locator locate) {
  if (token.text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(locate(where), ": empty word"));
  }
  auto same_meaning = [](const FigureToken& a, const FigureToken& b) {
    return a.kind == b.kind && a.unit == b.unit && a.scale_exp10 == b.scale_exp10 &&
           a.value == b.value && a.type == b.type && a.ambiguous == b.ambiguous &&
           a.subunit_exp == b.subunit_exp && a.needs_scale == b.needs_scale;
  };
  for (FigureToken& old : tokens_) {
    bool same_text = old.case_sensitive && token.case_sensitive
                         ? old.text == token.text
                         : AsciiEqualsIgnoreCase(old.text, token.text);
    if (!same_text) continue;
    if (same_meaning(old, token)) {
      // A harmless repeat across files; keep one, caseless if either is.
      old.case_sensitive = old.case_sensitive && token.case_sensitive;
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        locate(where), ": \"", token.text, "\" has two meanings (already defined as ",
        old.unit.empty() ? std::string("a scale") : absl::StrCat("\"", old.unit, "\""), ")"));
  }
  tokens_.push_back(std::move(token));
  return absl::OkStatus();
}

absl::StatusOr<FigureGrammar> FigureGrammar::Build(
    std::span<const FigureVocabulary* const> vocabularies, Locator locate) {
  FigureGrammar g;
  auto error = [&](const google::protobuf::Message& m, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(locate(m), ": ", what));
  };
  auto make = [](Kind kind, std::string_view text, bool cs, std::string_view unit) {
    FigureToken t;
    t.kind = kind;
    t.text = std::string(text);
    t.case_sensitive = cs;
    t.unit = std::string(unit);
    return t;
  };
  for (const FigureVocabulary* v : vocabularies) {
    if (v == nullptr) continue;
    for (const auto& c : v->currencies()) {
      if (!IsIsoCode(c.code())) {
        return error(c, absl::StrCat("currency code \"", c.code(),
                                     "\" is not three capital letters (ISO 4217)"));
      }
      if (c.prefixes().empty() && c.suffixes().empty() && c.scaled_suffixes().empty() &&
          c.subunits().empty()) {
        return error(c, absl::StrCat("currency ", c.code(), " has no prefixes or suffixes"));
      }
      for (const std::string& w : c.prefixes()) {
        WS_RETURN_IF_ERROR(
            g.AddToken(make(Kind::kCurrencyPrefix, w, AutoCaseSensitive(w), c.code()), c, locate));
      }
      for (const std::string& w : c.suffixes()) {
        WS_RETURN_IF_ERROR(
            g.AddToken(make(Kind::kCurrencySuffix, w, AutoCaseSensitive(w), c.code()), c, locate));
      }
      for (const std::string& w : c.scaled_suffixes()) {
        FigureToken t = make(Kind::kCurrencySuffix, w, AutoCaseSensitive(w), c.code());
        t.needs_scale = true;
        WS_RETURN_IF_ERROR(g.AddToken(std::move(t), c, locate));
      }
      for (const std::string& w : c.subunits()) {
        FigureToken t = make(Kind::kCurrencySuffix, w, AutoCaseSensitive(w), c.code());
        t.subunit_exp = 2;
        WS_RETURN_IF_ERROR(g.AddToken(std::move(t), c, locate));
      }
    }
    for (const auto& a : v->ambiguous_currencies()) {
      if (a.token().empty()) return error(a, "ambiguous currency needs a token");
      if (!IsIsoCode(a.default_code())) {
        return error(a, absl::StrCat("ambiguous currency \"", a.token(),
                                     "\" needs default_code: \"", a.default_code(),
                                     "\" is not three capital letters (ISO 4217)"));
      }
      // Deterministic order whatever the map's iteration order; longest key wins later anyway.
      std::vector<std::pair<std::string, std::string>> by_source(a.by_source().begin(),
                                                                 a.by_source().end());
      std::sort(by_source.begin(), by_source.end());
      for (const auto& [source, code] : by_source) {
        if (source.empty()) return error(a, "by_source has an empty source");
        if (!IsIsoCode(code)) {
          return error(a, absl::StrCat("by_source \"", source, "\": currency code \"", code,
                                       "\" is not three capital letters (ISO 4217)"));
        }
      }
      // The same ambiguous token in two files merges if it means the same default.
      int index = -1;
      for (size_t i = 0; i < g.ambiguous_.size(); ++i) {
        if (g.ambiguous_[i].token == a.token()) index = static_cast<int>(i);
      }
      if (index >= 0) {
        Ambiguous& old = g.ambiguous_[index];
        const FigureToken* old_token = nullptr;
        for (const FigureToken& t : g.tokens_) {
          if (t.ambiguous == index) old_token = &t;
        }
        bool old_prefix = old_token != nullptr && old_token->kind == Kind::kAmbiguousPrefix;
        if (old.default_code != a.default_code() || old_prefix != a.prefix()) {
          return error(a, absl::StrCat("\"", a.token(), "\" has two meanings (ambiguous currency "
                                       "defined twice with a different default or position)"));
        }
        for (const auto& entry : by_source) {
          for (const auto& o : old.by_source) {
            if (o.first == entry.first && o.second != entry.second) {
              return error(a, absl::StrCat("by_source \"", entry.first, "\" has two codes"));
            }
          }
          old.by_source.push_back(entry);
        }
        continue;
      }
      index = static_cast<int>(g.ambiguous_.size());
      g.ambiguous_.push_back(Ambiguous{a.token(), a.default_code(), by_source});
      FigureToken t = make(a.prefix() ? Kind::kAmbiguousPrefix : Kind::kAmbiguousSuffix, a.token(),
                           AutoCaseSensitive(a.token()), a.default_code());
      t.ambiguous = index;
      if (a.subunit()) {
        if (a.prefix()) return error(a, "a subunit token is written after the number");
        t.subunit_exp = 2;
      }
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), a, locate));
    }
    for (const auto& s : v->scales()) {
      int exp = -1;
      for (int e = 3; e <= 15; ++e) {
        if (s.value() == kPow10[e]) exp = e;
      }
      if (exp < 0) {
        return error(s, absl::StrCat("scale value ", s.value(),
                                     " is not a power of ten between 1e3 and 1e15"));
      }
      if (s.words().empty()) return error(s, "scale has no words");
      for (const std::string& w : s.words()) {
        FigureToken t = make(Kind::kScale, w, s.case_sensitive(), "");
        t.scale_exp10 = exp;
        WS_RETURN_IF_ERROR(g.AddToken(std::move(t), s, locate));
      }
    }
    for (const std::string& w : v->tenth_suffixes()) {
      FigureToken t = make(Kind::kPercentSuffix, w, AutoCaseSensitive(w), "%");
      t.scale_exp10 = 1;  // tenths: 3成 = 30 %
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), *v, locate));
    }
    for (const std::string& w : v->percent_suffixes()) {
      WS_RETURN_IF_ERROR(
          g.AddToken(make(Kind::kPercentSuffix, w, AutoCaseSensitive(w), "%"), *v, locate));
    }
    for (const std::string& w : v->percent_prefixes()) {
      WS_RETURN_IF_ERROR(
          g.AddToken(make(Kind::kPercentPrefix, w, AutoCaseSensitive(w), "%"), *v, locate));
    }
    for (const std::string& w : v->per_mille_prefixes()) {
      FigureToken t = make(Kind::kPercentPrefix, w, AutoCaseSensitive(w), "%");
      t.scale_exp10 = -1;  // 千分之三 = 0.3 %
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), *v, locate));
    }
    for (const std::string& w : v->per_myriad_prefixes()) {
      FigureToken t = make(Kind::kPercentPrefix, w, AutoCaseSensitive(w), "%");
      t.scale_exp10 = -2;  // 萬分之五 = 0.05 %
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), *v, locate));
    }
    for (const std::string& w : v->per_mille_suffixes()) {
      FigureToken t = make(Kind::kPercentSuffix, w, AutoCaseSensitive(w), "%");
      t.scale_exp10 = -1;  // 3‰ = 0.3 %
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), *v, locate));
    }
    // Look-alikes are matched as written ("Section 301", not "a section 3"): case-sensitive.
    for (const std::string& w : v->not_figures()) {
      WS_RETURN_IF_ERROR(g.AddToken(make(Kind::kNotFigure, w, true, ""), *v, locate));
    }
    if (v->has_table_rows()) {
      const auto& rows = v->table_rows();
      if (!IsIsoCode(rows.currency())) {
        return error(rows, absl::StrCat("table_rows needs currency: \"", rows.currency(),
                                        "\" is not three capital letters (ISO 4217)"));
      }
      for (const std::string& w : rows.words()) {
        if (w.empty() || !core::IsAsciiAlpha(static_cast<unsigned char>(w.back()))) {
          return error(rows, absl::StrCat("table_rows word \"", w, "\" must end in a letter"));
        }
        WS_RETURN_IF_ERROR(
            g.AddToken(make(Kind::kTableRow, w, true, rows.currency()), rows, locate));
      }
    }
    for (const std::string& w : v->negative_words()) {
      if (w.empty()) return error(*v, "empty negative word");
      if (std::find(g.negative_words_.begin(), g.negative_words_.end(), w) ==
          g.negative_words_.end()) {
        g.negative_words_.push_back(w);
      }
    }
    for (const std::string& w : v->point_suffixes()) {
      WS_RETURN_IF_ERROR(
          g.AddToken(make(Kind::kPointSuffix, w, AutoCaseSensitive(w), "pp"), *v, locate));
    }
    for (const auto& u : v->units()) {
      if (u.unit().empty()) return error(u, "unit needs a unit name");
      if (u.words().empty()) return error(u, absl::StrCat("unit \"", u.unit(), "\" has no words"));
      for (const std::string& w : u.words()) {
        WS_RETURN_IF_ERROR(
            g.AddToken(make(Kind::kUnit, w, u.case_sensitive(), u.unit()), u, locate));
      }
    }
    for (const auto& w : v->word_figures()) {
      if (w.text().empty()) return error(w, "empty word");
      FigureType type;
      if (w.type() == "MONEY") {
        type = FigureType::kMoney;
      } else if (w.type() == "PERCENT") {
        type = FigureType::kPercent;
      } else if (w.type() == "QUANTITY") {
        type = FigureType::kQuantity;
      } else {
        return error(w, absl::StrCat("word figure \"", w.text(), "\": type \"", w.type(),
                                     "\" is not MONEY, PERCENT or QUANTITY"));
      }
      if (w.unit().empty()) {
        return error(w, absl::StrCat("word figure \"", w.text(), "\" needs a unit"));
      }
      if (type == FigureType::kMoney && !IsIsoCode(w.unit())) {
        return error(w, absl::StrCat("word figure \"", w.text(), "\": MONEY unit \"", w.unit(),
                                     "\" is not a currency code"));
      }
      if (type == FigureType::kPercent && w.unit() != "%" && w.unit() != "pp") {
        return error(w, absl::StrCat("word figure \"", w.text(),
                                     "\": PERCENT unit must be \"%\" or \"pp\""));
      }
      if (!std::isfinite(w.value())) {
        return error(w, absl::StrCat("word figure \"", w.text(), "\" has no finite value"));
      }
      FigureToken t = make(Kind::kWordFigure, w.text(), AutoCaseSensitive(w.text()), w.unit());
      t.value = w.value();
      t.type = type;
      WS_RETURN_IF_ERROR(g.AddToken(std::move(t), w, locate));
    }
    for (const auto& q : v->qualifiers()) {
      if (q.qualifier() == wirescan::v1::QUALIFIER_EXACT ||
          !wirescan::v1::Qualifier_IsValid(q.qualifier())) {
        return error(q, "qualifier words need a qualifier (approximate, at_least, ...)");
      }
      if (q.words().empty()) return error(q, "qualifier has no words");
      bool before = q.position() == wirescan::v1::rules::POSITION_BEFORE;
      for (const std::string& w : q.words()) {
        if (w.empty()) return error(q, "empty word");
        bool duplicate = false;
        for (const QualifierWord& old : g.qualifiers_) {
          if (old.before != before || !AsciiEqualsIgnoreCase(old.text, w)) continue;
          if (old.qualifier != q.qualifier()) {
            return error(q, absl::StrCat("\"", w, "\" has two meanings (two qualifiers)"));
          }
          duplicate = true;
        }
        if (!duplicate) g.qualifiers_.push_back(QualifierWord{w, q.qualifier(), before});
      }
    }
    for (const std::string& c : v->range_connectors()) {
      if (c.empty()) return error(*v, "empty range connector");
      if (std::find(g.range_connectors_.begin(), g.range_connectors_.end(), c) ==
          g.range_connectors_.end()) {
        g.range_connectors_.push_back(c);
      }
    }
  }
  std::stable_sort(g.qualifiers_.begin(), g.qualifiers_.end(),
                   [](const QualifierWord& a, const QualifierWord& b) {
                     return a.text.size() > b.text.size();
                   });
  std::stable_sort(g.range_connectors_.begin(), g.range_connectors_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::stable_sort(g.negative_words_.begin(), g.negative_words_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& c : g.range_connectors_) {
    g.connector_last_byte_[FoldByte(c.back())] = true;
    g.connector_first_byte_[FoldByte(c.front())] = true;
  }
  for (const std::string& w : g.negative_words_) g.negative_last_byte_[FoldByte(w.back())] = true;
  if (g.qualifiers_.size() > UINT16_MAX) return absl::InvalidArgumentError("too many qualifiers");
  for (size_t i = 0; i < g.qualifiers_.size(); ++i) {
    const QualifierWord& q = g.qualifiers_[i];
    if (q.before) {
      g.qualifiers_by_last_byte_[FoldByte(q.text.back())].push_back(static_cast<uint16_t>(i));
    } else {
      g.qualifiers_by_first_byte_[FoldByte(q.text.front())].push_back(static_cast<uint16_t>(i));
    }
  }
  return g;
}

std::string_view FigureGrammar::ResolveAmbiguous(int index, std::string_view source) const {
  if (index < 0 || static_cast<size_t>(index) >= ambiguous_.size()) return {};
  const Ambiguous& a = ambiguous_[index];
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& entry : a.by_source) {
    std::string_view key = entry.first;
    bool match = AsciiEqualsIgnoreCase(source, key) ||
                 (source.size() > key.size() && source[source.size() - key.size() - 1] == '.' &&
                  AsciiEqualsIgnoreCase(source.substr(source.size() - key.size()), key));
    if (match && (best == nullptr || key.size() > best->first.size())) best = &entry;
  }
  return best != nullptr ? std::string_view(best->second) : std::string_view(a.default_code);
}

// ---------------------------------------------------------------------------------------------
// Assembly
//
// A figure is a chain around one number:
//   [qualifier] [sign] [currency prefix | 百分之] number [多] [scale...] [terminal]
//   [qualifier after]
// where the terminal is a currency suffix, percent, points or a unit, and a range repeats the
// number part after a connector. Hits are resolved leftmost-longest first; each remaining hit
// that is not yet inside a figure anchors one attempt: a prefix reads the number after it, any
// other hit the number before it. The chain then runs forward from that number.
//
// When the grammar is not sure, it emits nothing: a number that continues past what was parsed
// (a numeral or digit before it, a decimal or slash after it, a range end it could not read),
// a negated qualifier it does not know, an ambiguous sign. Such spans are reported as skipped.

namespace {
// Words and characters that negate a qualifier right after them ("not more than", 不超過).
constexpr std::string_view kLatinNegations[] = {"not", "no", "never", "nor"};
constexpr char32_t kCjkNegations[] = {U'不', U'未', U'沒', U'没', U'非', U'無', U'无', U'毋', U'莫'};
// After 成: 半 adds half a tenth (兩成半 = 25 %); a digit adds tenths of a tenth (三成五 = 35 %)
// when what follows cannot make the digit the start of another word (三成五年內 is not read).
constexpr std::string_view kTenthHalf = "半";
constexpr std::string_view kAfterTenthDigitOk[] = {"的", "左", "以", "之", "至", "到", "多",
                                                   "餘", "余", "強", "强", "弱", "，", "。",
                                                   "、", "；", "）", "」"};
}  // namespace

class FigureGrammar::Assembler {
 public:
  Assembler(std::string_view text, std::span<const TokenHit> hits, const FigureGrammar& g,
            std::string_view source, std::vector<FigureMention>* out, FigureReport* report)
      : t_(text), g_(g), source_(source), out_(out), report_(report) {
    hits_.reserve(hits.size());
    for (const TokenHit& h : hits) {
      if (h.begin < h.end && h.end <= t_.size() && h.token < g_.tokens_.size()) hits_.push_back(h);
    }
    work_ += hits.size();
    std::stable_sort(hits_.begin(), hits_.end(), [](const TokenHit& a, const TokenHit& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    // Look-alikes ("一成不變", "成本") first, resolved leftmost-longest among themselves.
    uint32_t last_end = 0;
    for (const TokenHit& h : hits_) {
      if (g_.tokens_[h.token].kind != Kind::kNotFigure || h.begin < last_end) continue;
      not_figures_.push_back(h);
      last_end = h.end;
    }
    // Leftmost-longest: "US$" beats "$", "percentage points" beats "percent", "美元" beats "元".
    // A hit overlapping a look-alike is dropped.
    size_t kept = 0;
    last_end = 0;
    for (const TokenHit& h : hits_) {
      if (h.begin < last_end || g_.tokens_[h.token].kind == Kind::kNotFigure) continue;
      if (InNotFigure(h.begin, h.end)) continue;
      hits_[kept++] = h;
      last_end = h.end;
    }
    hits_.resize(kept);
  }

  void Run() {
    for (size_t i = 0; i < hits_.size(); ++i) {
      ++work_;
      if (hits_[i].begin < consumed_) continue;
      skip_.reason = {};
      std::optional<FigureMention> m;
      switch (Tok(i).kind) {
        case Kind::kWordFigure:
          m = FromWordFigure(i);
          break;
        case Kind::kCurrencyPrefix:
        case Kind::kAmbiguousPrefix:
        case Kind::kPercentPrefix:
          m = FromPrefix(i);
          if (!m && skip_.reason.empty() && UsableAfterNumber(Tok(i))) m = FromSuffix(i);
          break;
        case Kind::kTableRow:
          m = FromTableRow(i);
          break;
        default:
          m = FromSuffix(i);
          break;
      }
      if (m && InNotFigure(m->begin, m->end)) m.reset();
      if (!m) {
        if (!skip_.reason.empty()) {
          skip_.begin = std::max<uint32_t>(skip_.begin, static_cast<uint32_t>(consumed_));
          skip_.end = std::max(skip_.end, hits_[i].end);
          if (report_ != nullptr) report_->skipped.push_back(skip_);
          consumed_ = skip_.end;  // Nothing inside an unreadable span is read again.
        }
        continue;
      }
      consumed_ = m->end;
      out_->push_back(*m);
    }
    if (report_ != nullptr) report_->work += work_;
  }

 private:
  // One end of a figure: the number and what the text wrote around it.
  struct Part {
    Number num;
    int prefix = -1;    // Resolved hit index of a currency prefix / 百分之.
    bool more = false;  // 多/余/餘.
    bool negative = false;
    bool has_scale = false;
    int scale_exp = 0;
    int scale_words = 0;
    int terminal = -1;  // Resolved hit index of a currency suffix / percent / points / unit.
    int currency_after = -1;  // A currency written after an ambiguous 元 ("元人民幣").
    size_t end = 0;
  };

  const FigureToken& Tok(size_t i) const { return g_.tokens_[hits_[i].token]; }
  Kind PrefixKind(const Part& p) const { return p.prefix >= 0 ? Tok(p.prefix).kind : Kind::kScale; }

  // Records why the current attempt emits nothing; [begin, end) is what it covered.
  std::nullopt_t Skip(size_t begin, size_t end, std::string_view reason) const {
    if (skip_.reason.empty()) {
      skip_.begin = static_cast<uint32_t>(begin);
      skip_.end = static_cast<uint32_t>(end);
      skip_.reason = reason;
    }
    return std::nullopt;
  }

  // Whether [begin, end) overlaps a look-alike, or starts right after one that ends with a
  // space ("Section ", "Windows ": the number is part of a name).
  bool InNotFigure(size_t begin, size_t end) const {
    if (not_figures_.empty()) return false;
    auto it = std::lower_bound(not_figures_.begin(), not_figures_.end(), end,
                               [](const TokenHit& h, size_t e) { return h.begin < e; });
    if (it == not_figures_.begin()) return false;
    const TokenHit& h = *std::prev(it);
    return h.end > begin || (h.end == begin && t_[h.end - 1] == ' ');
  }

  // `lit` at `pos` (ASCII-caseless if `caseless`), within the text.
  bool MatchAt(size_t pos, std::string_view lit, bool caseless) const {
    if (!caseless) return BytesAt(t_, pos, lit);
    if (pos > t_.size() || t_.size() - pos < lit.size()) return false;
    return AsciiEqualsIgnoreCase(t_.substr(pos, lit.size()), lit);
  }

  // Resolved hit starting exactly at `pos`, or -1.
  int HitAt(size_t pos) const {
    auto it = std::lower_bound(hits_.begin(), hits_.end(), pos,
                               [](const TokenHit& h, size_t p) { return h.begin < p; });
    if (it == hits_.end() || it->begin != pos) return -1;
    return static_cast<int>(it - hits_.begin());
  }
  // Resolved hit ending exactly at `pos`, or -1.
  int HitEndingAt(size_t pos) const {
    auto it = std::lower_bound(hits_.begin(), hits_.end(), pos,
                               [](const TokenHit& h, size_t p) { return h.begin < p; });
    if (it == hits_.begin()) return -1;
    --it;
    return it->end == pos ? static_cast<int>(it - hits_.begin()) : -1;
  }

  // Numbers stop where a non-scale hit starts, so 二百分點 leaves 百分點 alone, and after a few
  // scale hits in a row (no number holds more): O(log n) per call whatever the hits.
  size_t NumberLimit(size_t pos) const {
    auto it = std::lower_bound(hits_.begin(), hits_.end(), pos,
                               [](const TokenHit& h, size_t p) { return h.begin < p; });
    for (int scales = 0; it != hits_.end(); ++it, ++scales) {
      ++work_;
      if (scales == 8 || g_.tokens_[it->token].kind != Kind::kScale) return it->begin;
    }
    return t_.size();
  }

  std::optional<Number> Parse(size_t pos) const { return ParseNumberAt(t_, pos, NumberLimit(pos), &work_); }

  // Whether the number `n` is glued to more number text before it that it leaves out; returns
  // the reason (and widens *begin over it), or empty. Sets *look_alike for digits glued to a
  // Latin word ("H20", "A380", "COVID-19").
  std::string_view ContinuesBefore(const Number& n, size_t* begin, bool* look_alike) const {
    size_t b = n.begin;
    *begin = b;
    *look_alike = false;
    if (b == 0) return {};
    if (n.words) {
      size_t g = b;
      while (g > 0 && b - g < 3 && (t_[g - 1] == ' ' || t_[g - 1] == '-')) --g;
      if (g == b || g == 0) return {};
      if (IsDigitAt(t_, g - 1)) return "a digit before the spelled-out number";
      if (HitEndingAt(g) >= 0 && g_.tokens_[hits_[HitEndingAt(g)].token].kind == Kind::kScale) {
        return "a scale word before the spelled-out number (read whole or not at all)";
      }
      size_t s = g;
      while (s > 0 && g - s < 12 && core::IsAsciiAlpha(static_cast<unsigned char>(t_[s - 1]))) --s;
      std::string_view w = t_.substr(s, g - s);
      if (IsWord(w, "and")) {  // "and" joins a number only after one ("hundred and twenty").
        size_t g2 = s;
        while (g2 > 0 && s - g2 < 2 && t_[g2 - 1] == ' ') --g2;
        size_t s2 = g2;
        while (s2 > 0 && g2 - s2 < 12 && core::IsAsciiAlpha(static_cast<unsigned char>(t_[s2 - 1]))) {
          --s2;
        }
        std::string_view w2 = t_.substr(s2, g2 - s2);
        bool scale = HitEndingAt(g2) >= 0 &&
                     g_.tokens_[hits_[HitEndingAt(g2)].token].kind == Kind::kScale;
        if (g2 != s && (scale || IsDigitAt(t_, g2 - 1) || NumberWordOf(w2) != nullptr ||
                        IsWord(w2, "hundred"))) {
          *begin = s2;
          return "a number before \"and\" before the spelled-out number";
        }
        return {};
      }
      if (NumberWordOf(w) != nullptr || IsWord(w, "hundred") ||
          IsWord(w, "half") || IsWord(w, "quarter") || IsWord(w, "third") ||
          IsWord(w, "point")) {
        *begin = s;
        return "a number word before the spelled-out number";
      }
      return {};
    }
    size_t len = 0;
    char32_t cp = core::DecodeBefore(t_, b, &len);
    if (len == 0) return {};
    if (!n.chinese && core::IsAsciiAlpha(static_cast<unsigned char>(t_[b - 1]))) {
      *look_alike = true;
      return {};
    }
    if (IsAsciiOrWideDigit(cp)) {
      *begin = b - len;
      return "a digit right before the number";
    }
    auto cn = ChineseNumeralOf(cp);
    bool starts_chinese = !IsDigitAt(t_, b) && t_[b] != '.';
    // 點/点 is a decimal point only after a numeral (最高点72美元: "highest point").
    bool decimal_word = false;
    if (IsChineseDecimalPoint(cp) && b > len) {
      size_t l2 = 0;
      char32_t before = core::DecodeBefore(t_, b - len, &l2);
      decimal_word = IsAsciiOrWideDigit(before) || ChineseNumeralOf(before).has_value();
    }
    if (decimal_word || (cn && (starts_chinese || cn->digit < 0))) {
      *begin = b - len;
      return "a Chinese numeral right before the number";
    }
    if (cp == '.' || cp == ',' || cp == '/' || cp == U'．' || cp == U'，' || cp == ':') {
      size_t l2 = 0;
      char32_t before = b > len ? core::DecodeBefore(t_, b - len, &l2) : 0;
      if (IsAsciiOrWideDigit(before)) {
        *begin = b - len - l2;
        return "the number continues before it (a decimal, a group, a fraction or a quote)";
      }
    }
    return {};
  }

  // Whether the number `n` continues after its end (a decimal, a slash, a numeral).
  std::string_view ContinuesAfter(const Number& n) const {
    size_t e = n.end;
    if (e >= t_.size()) return {};
    if (n.words) {
      size_t p = e;
      if (p < t_.size() && (t_[p] == ' ' || t_[p] == '-')) ++p;
      std::string_view w = WordAt(t_, p);
      if (NumberWordOf(w) != nullptr || IsWord(w, "hundred")) return "the spelled-out number goes on";
      return {};
    }
    size_t len = 0;
    char32_t cp = core::DecodeAt(t_, e, &len);
    auto cn = ChineseNumeralOf(cp);
    if (IsAsciiOrWideDigit(cp) || (cn && cn->digit >= 0)) return "a numeral right after the number";
    if (cp == '.' || cp == U'．' || cp == '/' || IsChineseDecimalPoint(cp)) {
      size_t l2 = 0;
      char32_t next = core::DecodeAt(t_, e + len, &l2);
      if (IsAsciiOrWideDigit(next) || ChineseNumeralOf(next)) {
        return "the number continues after it (a decimal, a fraction or a quote)";
      }
    }
    return {};
  }

  // The number ending at `end` (or, for a Chinese run, running on through it), not starting
  // before `floor`. `before_scale`: a scale word follows, so "a" counts as one ("a million").
  // A number that continues before what could be read is skipped (Skip) and nullopt returned.
  std::optional<Number> NumberBefore(size_t end, size_t floor, bool before_scale) {
    if (end > floor && core::IsAsciiAlpha(static_cast<unsigned char>(t_[end - 1]))) {
      return WordsBefore(end, floor, before_scale);
    }
    size_t s = end;
    while (s > floor && end - s < kMaxNumberBytes) {
      ++work_;
      size_t len = 0;
      char32_t cp = core::DecodeBefore(t_, s, &len);
      if (len == 0 || s - len < floor || !IsNumberChar(cp)) break;
      s -= len;
    }
    std::optional<Number> found;
    bool prev_digit = false;
    for (size_t c = s; c < end;) {
      ++work_;
      size_t len = 0;
      char32_t cp = core::DecodeAt(t_, c, &len);
      if (len == 0) break;
      bool digit = IsAsciiOrWideDigit(cp);
      auto cn = ChineseNumeralOf(cp);
      bool lead_dot = cp == '.' && !prev_digit && c + 1 < t_.size() && t_[c + 1] >= '0' &&
                      t_[c + 1] <= '9';
      bool candidate = (digit && !prev_digit) || lead_dot ||
                       (cn && (cn->digit >= 0 || cn->unit == 1));
      if (candidate) {
        auto n = Parse(c);
        // Anything unreadable in the run of number characters before the hit: the run is
        // not read ("1.5340/50 dlrs", "二三成").
        if (n && n->bad != nullptr) return Skip(s, std::max<size_t>(n->end, end), n->bad);
        if (n && n->bad == nullptr && (n->end == end || (n->chinese && n->end > end))) {
          found = n;
          break;
        }
        if (n && n->end > c + len) {  // Candidates inside a number that stops short: none.
          prev_digit = IsDigitAt(t_, n->end - 1);
          c = n->end;
          continue;
        }
      }
      prev_digit = digit;
      c += len;
    }
    if (!found) return std::nullopt;
    // "7-1/2", "7 3/8": the whole number before a fraction belongs to it.
    size_t b = found->begin;
    if (found->decimals && !found->chinese && b >= 2 && (t_[b - 1] == '-' || t_[b - 1] == ' ') &&
        t_[b - 2] >= '0' && t_[b - 2] <= '9' &&
        t_.substr(b, found->end - b).find('/') != std::string_view::npos) {
      size_t w = b - 1;
      while (w > floor && b - 1 - w < 12 && t_[w - 1] >= '0' && t_[w - 1] <= '9') --w;
      auto whole = Parse(w);
      if (whole && whole->bad == nullptr && whole->end == found->end) found = whole;
    }
    size_t begin = 0;
    bool look_alike = false;
    std::string_view why = ContinuesBefore(*found, &begin, &look_alike);
    if (look_alike) return std::nullopt;
    if (!why.empty()) return Skip(std::max(begin, floor), end, why);
    return found;
  }

  std::optional<Number> WordsBefore(size_t end, size_t floor, bool before_scale) {
    // The last word must be a number word ("percent" after "the" costs one lookup).
    {
      size_t w = WordStartBefore(end);
      std::string_view last = t_.substr(w, end - w);
      ++work_;
      if (NumberWordOf(last) == nullptr && !IsWord(last, "hundred") &&
          !(before_scale && (IsWord(last, "a") || IsWord(last, "an")))) {
        return std::nullopt;
      }
    }
    size_t s = end;
    while (s > floor && end - s < 64) {
      ++work_;
      char c = t_[s - 1];
      if (!core::IsAsciiAlpha(static_cast<unsigned char>(c)) && c != ' ' && c != '-') break;
      --s;
    }
    for (size_t c = s; c < end; ++c) {
      ++work_;
      if (!core::IsAsciiAlpha(static_cast<unsigned char>(t_[c])) ||
          (c > 0 && core::IsAsciiAlpha(static_cast<unsigned char>(t_[c - 1])))) {
        continue;
      }
      std::optional<Number> n;
      std::string_view w = WordAt(t_, c);
      if (before_scale && c + w.size() == end && (IsWord(w, "a") || IsWord(w, "an"))) {
        n = Number{};
        n->begin = static_cast<uint32_t>(c);
        n->end = static_cast<uint32_t>(end);
        n->mantissa = 1;
        n->words = true;
      } else {
        n = ParseWords(t_, c, end);
      }
      if (!n || n->end != end) continue;
      size_t begin = 0;
      bool look_alike = false;
      std::string_view why = ContinuesBefore(*n, &begin, &look_alike);
      if (!why.empty()) return Skip(std::max(begin, floor), end, why);
      return n;
    }
    return std::nullopt;
  }

  static bool PrefixAllows(Kind prefix, const FigureToken& terminal) {
    Kind kind = terminal.kind;
    bool currency = kind == Kind::kCurrencySuffix || kind == Kind::kAmbiguousSuffix ||
                    UsableAfterNumber(terminal);
    switch (prefix) {
      case Kind::kCurrencyPrefix:
      case Kind::kAmbiguousPrefix:
        return currency;
      case Kind::kPercentPrefix:
        return false;
      default:
        return currency || kind == Kind::kPercentSuffix || kind == Kind::kPointSuffix ||
               kind == Kind::kUnit;
    }
  }

  // The white space allowed between the parts of a figure: up to three bytes of spaces, tabs and
  // line breaks, at most one line break (newswire wraps "2.4 mln\ndlrs"; a blank line separates
  // paragraphs). Returns the position after (GapAfter) or before (GapBefore) it; `p` if none.
  size_t GapAfter(size_t p) const {
    size_t q = p, newlines = 0;
    while (q < t_.size() && q - p < 3) {
      char c = t_[q];
      if (c == '\n' && ++newlines > 1) return p;
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
      ++q;
    }
    return q < t_.size() && q - p == 3 && IsGap(t_[q]) ? p : q;
  }
  size_t GapBefore(size_t p, size_t floor) const {
    size_t q = p, newlines = 0;
    while (q > floor && p - q < 3) {
      char c = t_[q - 1];
      if (c == '\n' && ++newlines > 1) return p;
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
      --q;
    }
    return q > floor && p - q == 3 && IsGap(t_[q - 1]) ? p : q;
  }
  static bool IsGap(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  // A compound adjective joins a number and its English word with one hyphen: "a $5-billion
  // plant", "a 30-percent stake", "a two-billion-dollar deal". JoinAfter / JoinBefore are
  // GapAfter / GapBefore that also step over such a hyphen: between a digit or letter and a
  // letter, no space on either side (a digit after it is a range: "15-10%"; before a word it is
  // the word's business whether a token starts there).
  // Where the digits (with separators) ending at `p` begin: the span a diagnostic names ("15-10%",
  // not "5-10%"). Bounded like a number.
  size_t NumberStartBefore(size_t p, size_t floor) const {
    size_t q = p;
    while (q > floor && p - q < kMaxNumberBytes &&
           (IsDigitAt(t_, q - 1) || t_[q - 1] == '.' || t_[q - 1] == ',')) {
      --q;
    }
    return IsDigitAt(t_, q) ? q : p;
  }
  size_t JoinAfter(size_t p) const {
    size_t q = GapAfter(p);
    if (q != p || p == 0 || p + 1 >= t_.size() || t_[p] != '-') return q;
    if (!IsAlphaAt(t_, p + 1) || !(IsAlphaAt(t_, p - 1) || IsDigitAt(t_, p - 1))) return q;
    return p + 1;
  }
  size_t JoinBefore(size_t q, size_t floor) const {
    size_t g = GapBefore(q, floor);
    if (g != q || q < floor + 2 || q >= t_.size() || t_[q - 1] != '-') return g;
    if (!IsAlphaAt(t_, q) || !(IsAlphaAt(t_, q - 2) || IsDigitAt(t_, q - 2))) return g;
    return q - 1;
  }

  // Reads [多] [scale...] [多] [terminal [半 | digit]] after the number of `part`. `prefix_kind`
  // is the kind of the figure's prefix (kScale: none) and decides which terminals may follow.
  void ReadTail(Part* part, Kind prefix_kind) const {
    size_t p = part->num.end;
    if (size_t m = MoreMarkAt(t_, p)) {
      part->more = true;
      p += m;
    }
    if (prefix_kind != Kind::kPercentPrefix) {
      for (;;) {
        ++work_;
        size_t q = JoinAfter(p);
        int j = HitAt(q);
        if (j < 0 || Tok(j).kind != Kind::kScale) break;
        part->has_scale = true;
        part->scale_exp += Tok(j).scale_exp10;
        ++part->scale_words;
        p = hits_[j].end;
        if (size_t m = MoreMarkAt(t_, p)) {  // "10萬多元"
          part->more = true;
          p += m;
        }
        if (part->scale_words > 3) break;
      }
      size_t q = JoinAfter(p);
      int j = HitAt(q);
      if (j < 0) {
        for (std::string_view c : kCounters) {
          if (BytesAt(t_, q, c)) {
            int k = HitAt(q + c.size());
            if (k >= 0 && Tok(k).kind == Kind::kPointSuffix) j = k;
          }
        }
      }
      if (j >= 0 && PrefixAllows(prefix_kind, Tok(j))) {
        part->terminal = j;
        p = hits_[j].end;
        if (Tok(j).kind == Kind::kAmbiguousSuffix) {  // "100億元人民幣": the code after 元
          size_t r = GapAfter(p);
          int k = HitAt(r);
          if (k >= 0 && UsableAfterNumber(Tok(k))) {
            part->currency_after = k;
            p = hits_[k].end;
          }
        }
        if (Tok(j).kind == Kind::kPercentSuffix && Tok(j).scale_exp10 == 1 &&
            !part->num.decimals && !part->has_scale) {
          p = ReadTenthTail(part, p);
        }
      }
    }
    part->end = p;
  }

  // After 成: 半 (兩成半 = 2.5 tenths) or one Chinese digit (三成五 = 3.5 tenths).
  size_t ReadTenthTail(Part* part, size_t p) const {
    int add = -1;
    size_t q = p;
    if (BytesAt(t_, p, kTenthHalf)) {
      add = 5;
      q = p + kTenthHalf.size();
    } else {
      size_t len = 0;
      auto c = ChineseNumeralOf(core::DecodeAt(t_, p, &len));
      if (len == 0 || !c || c->digit <= 0) return p;
      q = p + len;
      size_t l2 = 0;
      char32_t next = core::DecodeAt(t_, q, &l2);
      bool ok = q >= t_.size() || next < 0x2E80;
      for (std::string_view s : kAfterTenthDigitOk) ok = ok || BytesAt(t_, q, s);
      if (!ok) return p;  // 三成五年: the digit may start another word; the after-check skips.
      add = c->digit;
    }
    Fixed v = 0;
    if (!ToFixed(part->num, &v)) return p;
    v += static_cast<Fixed>(add) * (kFixedOne / 10);
    FromFixed(v, &part->num);
    part->num.decimals = true;
    return q;
  }

  // A connector ("-", "to", "至") starting at `pos` (with a space either side if Latin or
  // optional otherwise); returns the position after it and its trailing space, or 0.
  size_t ConnectorAt(size_t pos, std::string_view* which) const {
    const size_t gap = GapAfter(pos);
    if (gap >= t_.size() || !g_.connector_first_byte_[FoldByte(t_[gap])]) return 0;
    const bool space_before = gap != pos;
    for (const std::string& c : g_.range_connectors_) {
      ++work_;
      size_t p = gap;
      if (!MatchAt(p, c, StartsLatin(c))) continue;
      p += c.size();
      size_t after = GapAfter(p);
      bool space_after = after != p;
      if (StartsLatin(c) && !(space_before && space_after)) continue;
      *which = c;
      return after;
    }
    return 0;
  }

  // A connector ending at `end`; returns where it (and its leading space) starts, or npos.
  size_t ConnectorBefore(size_t end, size_t floor) const {
    const size_t gap = GapBefore(end, floor);
    if (gap == 0 || !g_.connector_last_byte_[FoldByte(t_[gap - 1])]) {
      return std::string_view::npos;
    }
    const bool space_after = gap != end;
    for (const std::string& c : g_.range_connectors_) {
      ++work_;
      size_t p = gap;
      if (p < floor + c.size()) continue;
      std::string_view seen = t_.substr(p - c.size(), c.size());
      if (!(StartsLatin(c) ? AsciiEqualsIgnoreCase(seen, c) : core::SameBytes(seen, c))) continue;
      p -= c.size();
      size_t before = GapBefore(p, floor);
      bool space_before = before != p;
      if (StartsLatin(c) && !(space_before && space_after)) continue;
      return before;
    }
    return std::string_view::npos;
  }

  // Currency of the figure: explicit prefix > explicit suffix > ambiguous prefix > ambiguous
  // suffix ("新台幣100億元" is TWD from the text, not 元's default).
  int CurrencyHit(const Part& a, const Part* b) const {
    int best = -1;
    int best_rank = 0;
    auto consider = [&](int j) {
      if (j < 0) return;
      int rank = 0;
      switch (Tok(j).kind) {
        case Kind::kCurrencyPrefix: rank = 4; break;
        case Kind::kCurrencySuffix: rank = 3; break;
        case Kind::kAmbiguousPrefix: rank = 2; break;
        case Kind::kAmbiguousSuffix: rank = 1; break;
        case Kind::kTableRow: rank = 1; break;  // only without a currency or unit of its own
        default: return;
      }
      if (rank > best_rank) {
        best = j;
        best_rank = rank;
      }
    };
    for (const Part* p : {&a, b}) {
      if (p == nullptr) continue;
      consider(p->prefix);
      consider(p->terminal);
      consider(p->currency_after);
    }
    return best;
  }

  // Two ends make a range only if what they write agrees: "10% to 15 billion yuan" is two
  // figures, "$10-15 billion" one.
  bool Compatible(const Part& a, const Part& b) const {
    if (a.terminal >= 0 && b.terminal < 0) return false;
    if (a.terminal >= 0 && b.terminal >= 0) {
      const FigureToken& x = Tok(a.terminal);
      const FigureToken& y = Tok(b.terminal);
      if (x.unit != y.unit || x.subunit_exp != y.subunit_exp ||
          (x.kind == Kind::kAmbiguousSuffix) != (y.kind == Kind::kAmbiguousSuffix)) {
        return false;
      }
    }
    if (b.prefix >= 0 && (a.prefix < 0 || Tok(a.prefix).unit != Tok(b.prefix).unit)) return false;
    if (a.has_scale && !b.has_scale) return false;
    return true;
  }

  // Builds the mention for part `a` (and range end `b`), or nothing if it is not a figure.
  std::optional<FigureMention> Make(const Part& a, const Part* b) {
    FigureMention m;
    int currency = CurrencyHit(a, b);
    int terminal = b != nullptr && b->terminal >= 0 ? b->terminal : a.terminal;
    int subunit_exp = 0;
    if (currency >= 0) {
      const FigureToken& c = Tok(currency);
      m.type = FigureType::kMoney;
      if (c.ambiguous >= 0) {
        m.unit = g_.ResolveAmbiguous(c.ambiguous, source_);
        m.currency_inferred = true;
        m.currency_token = c.text;
      } else if (c.kind == Kind::kTableRow) {
        m.unit = c.unit;  // the wire's currency: no currency word was written
        m.currency_inferred = true;
        m.currency_token = c.text;
      } else {
        m.unit = c.unit;
      }
      if (c.subunit_exp > 0) {
        subunit_exp = c.subunit_exp;
        m.subunit = c.text;
      }
      // "marks", "won": English words too ("9.5 marks" out of ten); money only after a scale.
      if (c.needs_scale) {
        for (const Part* p : {&a, b}) {
          if (p != nullptr && !p->has_scale) return std::nullopt;
        }
      }
    } else if (a.prefix >= 0 && Tok(a.prefix).kind == Kind::kPercentPrefix) {
      m.type = FigureType::kPercent;
      m.unit = Tok(a.prefix).unit;
    } else if (terminal >= 0) {
      const FigureToken& tt = Tok(terminal);
      m.type = tt.kind == Kind::kUnit ? FigureType::kQuantity : FigureType::kPercent;
      m.unit = tt.unit;
    } else {
      // A number with only a scale ("48.2 mln") says nothing about what it counts: no figure.
      return std::nullopt;
    }
    const size_t begin =
        a.prefix >= 0 && Tok(a.prefix).kind != Kind::kTableRow ? hits_[a.prefix].begin : a.num.begin;
    const size_t end = b != nullptr ? b->end : a.end;
    for (const Part* p : {&a, b}) {
      if (p != nullptr && p->scale_words > 3) return Skip(begin, end, "too many scale words");
      if (p != nullptr && p->scale_exp > 15) return Skip(begin, end, "scale too large");
    }
    int low_exp = a.has_scale ? a.scale_exp : (b != nullptr ? b->scale_exp : 0);
    // A percent word or prefix that counts tenths (成) or thousandths (‰, 千分之) scales the
    // number like a scale word would.
    int unit_exp = 0;
    if (terminal >= 0 && Tok(terminal).kind == Kind::kPercentSuffix) {
      unit_exp = Tok(terminal).scale_exp10;
    } else if (a.prefix >= 0 && Tok(a.prefix).kind == Kind::kPercentPrefix) {
      unit_exp = Tok(a.prefix).scale_exp10;
    }
    if (unit_exp == 1) {  // 成: at most ten tenths (十成 = 100 %); "二十成" is no figure.
      for (const Part* p : {&a, b}) {
        if (p != nullptr && (p->has_scale || ToDouble(p->num.mantissa, p->num.exp10) > 10)) {
          return Skip(begin, end, "more than ten tenths (成)");
        }
      }
    }
    m.value = ToDouble(a.num.mantissa, a.num.exp10 + low_exp + unit_exp - subunit_exp);
    if (a.negative) m.value = -m.value;
    m.scale = Pow10(low_exp);
    m.value_max = m.value;
    m.begin = static_cast<uint32_t>(begin);
    m.end = static_cast<uint32_t>(a.end);
    if (a.more) m.qualifier = wirescan::v1::QUALIFIER_MORE_THAN;
    if (b != nullptr) {
      int high_exp = b->has_scale ? b->scale_exp : a.scale_exp;
      m.value_max = ToDouble(b->num.mantissa, b->num.exp10 + high_exp + unit_exp - subunit_exp);
      if (b->negative) m.value_max = -m.value_max;
      if (m.value_max < m.value) return std::nullopt;
      m.is_range = true;
      m.end = static_cast<uint32_t>(b->end);
      if (!a.has_scale) m.scale = Pow10(high_exp);
    }
    return m;
  }

  // A minus sign or negative word right before the number of `b` at `p` (the high end of a
  // range, after a connector that is not itself a hyphen). Returns the position of the number.
  size_t HighEndSign(size_t p, std::string_view connector, Part* b) const {
    if (connector == "-") return p;
    if (size_t m = MinusAt(t_, p)) {
      b->negative = true;
      return p + m;
    }
    for (const std::string& w : g_.negative_words_) {
      if (!MatchAt(p, w, StartsLatin(w))) continue;
      size_t q = p + w.size();
      if (StartsLatin(w)) {
        if (IsAlnumAt(t_, q) || GapAfter(q) == q) continue;
        q = GapAfter(q);
      }
      b->negative = true;
      return q;
    }
    return p;
  }

  // Tries "<a> - <number...>" after `a`; returns the mention of the range if there is one.
  std::optional<FigureMention> ForwardRange(const Part& a) {
    std::string_view connector;
    size_t p = ConnectorAt(a.end, &connector);
    if (p == 0) return std::nullopt;
    Part b;
    p = HighEndSign(p, connector, &b);
    if (a.prefix >= 0) {  // "$10-$15 billion"
      int j = HitAt(p);
      if (j >= 0 && hits_[j].token == hits_[a.prefix].token) {
        b.prefix = j;
        p = hits_[j].end;
        if (Tok(j).kind != Kind::kPercentPrefix) p = GapAfter(p);
      } else {
        b.prefix = -1;
      }
    }
    auto n = Parse(p);
    if (!n || n->bad != nullptr) return std::nullopt;
    if (!n->chinese && !n->words && p > 0 && IsAlphaAt(t_, p - 1)) return std::nullopt;
    if (!ContinuesAfter(*n).empty()) return std::nullopt;
    b.num = *n;
    // The second end follows the first's prefix rules ("百分之十至十五", "$10-15 billion").
    ReadTail(&b, PrefixKind(a));
    if (!Compatible(a, b)) return std::nullopt;
    return Make(a, &b);
  }

  // The sign before the figure starting at m->begin: a minus sign right before it ("-3.4%",
  // "虧-2.3%") or a negative word ("minus 5%", 负15%) makes it negative and joins the span.
  // Returns false (after Skip) when the mark is ambiguous: a hyphen after a digit (a range or
  // a code that was not read), "+/-", "±", 正负, a dash that may be a minus; clears *figure for
  // a hyphenated word ("COVID-19", "mid-2024").
  bool ApplySign(FigureMention* m, bool* figure) {
    *figure = true;
    size_t b = m->begin;
    size_t floor = consumed_;
    auto negate = [&](size_t begin) {
      double lo = -m->value_max, hi = -m->value;
      if (m->is_range) {
        Skip(begin, m->end, "a minus before a range");
        return false;
      }
      m->value = lo;
      m->value_max = hi;
      m->begin = static_cast<uint32_t>(begin);
      return true;
    };
    if (size_t len = MinusBefore(t_, b); len > 0 && b - len >= floor) {
      size_t s = b - len;
      if (s == 0) return negate(s);
      size_t l2 = 0;
      char32_t cp = core::DecodeBefore(t_, s, &l2);
      if (core::IsAsciiAlpha(static_cast<unsigned char>(t_[s - 1]))) {
        *figure = false;  // "COVID-19", "mid-2024", "Su-35": the number belongs to a word.
        return true;
      }
      if (IsAsciiOrWideDigit(cp) || ChineseNumeralOf(cp) || cp == '+' || cp == '/' ||
          cp == U'±' || cp == '-' || cp == '.' || cp == '%' || cp == U'％' ||
          MinusBefore(t_, s) > 0) {
        Skip(NumberStartBefore(s >= l2 ? s - l2 : s, floor), m->end,
             "a hyphen or sign that may not be a minus");
        return false;
      }
      return negate(s);
    }
    if (size_t len = DashBefore(t_, b); len > 0 && b - len >= floor) {
      {
        Skip(b - len, m->end, "a dash right before the number (a minus or a dash?)");
        return false;
      }
    }
    if (BytesBefore(t_, b, floor, "±")) {
      {
        Skip(b - std::string_view("±").size(), m->end, "a plus-minus sign");
        return false;
      }
    }
    const size_t gap_before = GapBefore(b, floor);
    const bool maybe_negative =
        (gap_before > 0 && g_.negative_last_byte_[FoldByte(t_[gap_before - 1])]) ||
        (b > 0 && g_.negative_last_byte_[FoldByte(t_[b - 1])]);
    for (const std::string& w : g_.negative_words_) {
      if (!maybe_negative) break;
      ++work_;
      if (StartsLatin(w)) {
        size_t g = gap_before;
        if (g == b || g < floor + w.size()) continue;
        size_t s = g - w.size();
        if (!MatchAt(s, w, true) || (s > 0 && IsAlphaAt(t_, s - 1))) continue;
        // "plus or minus 5%": not a sign.
        size_t g2 = GapBefore(s, floor);
        if (g2 >= 2 && g2 != s && AsciiEqualsIgnoreCase(t_.substr(g2 - 2, 2), "or")) {
          {
        Skip(s, m->end, "plus or minus");
        return false;
      }
        }
        return negate(s);
      }
      if (!BytesBefore(t_, b, floor, w)) continue;
      size_t s = b - w.size();
      if (BytesBefore(t_, s, floor, "正")) {
        {
        Skip(s - std::string_view("正").size(), m->end, "正负 (plus or minus)");
        return false;
      }
      }
      return negate(s);
    }
    return true;
  }

  // A range connector right before the figure with a number before it: the low end of a range
  // that was not read ("2023-15%", "1986 to 15 pct").
  // A word connector ("to") is not checked: "rose on March 12 to 3.038 billion dlrs" and "fell
  // from 3.45 to 1.35 billion dlrs" go from one figure to another, and the last one stands.
  bool RangeLeftOut(const FigureMention& m) {
    // "between 10 and 15 pct", "5 or 10 pct": a bare number before "and"/"or" is the other end.
    size_t g = GapBefore(m.begin, consumed_);
    if (g != m.begin && g >= 3 && (FoldByte(t_[g - 1]) == 'd' || FoldByte(t_[g - 1]) == 'r')) {
      size_t s = WordStartBefore(g);
      std::string_view w = t_.substr(s, g - s);
      if ((IsWord(w, "and") || IsWord(w, "or")) && s > consumed_) {
        size_t g2 = GapBefore(s, consumed_);
        if (g2 != s && g2 > 0 &&
            (IsDigitAt(t_, g2 - 1) || NumberWordOf(WordAt(t_, WordStartBefore(g2))) != nullptr)) {
          Skip(WordStartBefore(g2), m.end, "the other end of \"X and/or Y\" was not read");
          return true;
        }
      }
    }
    size_t c = ConnectorBefore(m.begin, consumed_);
    if (c == std::string_view::npos || c == 0) return false;
    if (core::IsAsciiAlpha(static_cast<unsigned char>(t_[GapBefore(m.begin, consumed_) - 1]))) {
      return false;
    }
    size_t len = 0;
    char32_t cp = core::DecodeBefore(t_, c, &len);
    if (len == 0) return false;
    auto cn = ChineseNumeralOf(cp);
    bool number = IsAsciiOrWideDigit(cp) || (cn && cn->digit >= 0) ||
                  (c > 0 && core::IsAsciiAlpha(static_cast<unsigned char>(t_[c - 1])) &&
                   NumberWordOf(WordAt(t_, WordStartBefore(c))) != nullptr);
    if (!number) return false;
    Skip(NumberStartBefore(c - len, consumed_), m.end, "the other end of a range was not read");
    return true;
  }
  size_t WordStartBefore(size_t e) const {
    size_t s = e;
    while (s > 0 && e - s < 12 && core::IsAsciiAlpha(static_cast<unsigned char>(t_[s - 1]))) --s;
    return s;
  }

  // Adds qualifier words around `m` and widens its span over them. Returns false (after Skip)
  // for a qualifier with a negation right before it that the pack does not list as a whole
  // ("not above 5%" when only "above" is known): its direction would be inverted.
  bool Qualify(FigureMention* m) {
    size_t begin = m->begin;
    size_t before_end = GapBefore(begin, consumed_);
    static const std::vector<uint16_t> kNone;
    const std::vector<uint16_t>& before_words =
        before_end > 0 ? g_.qualifiers_by_last_byte_[FoldByte(t_[before_end - 1])] : kNone;
    for (uint16_t qi : before_words) {
      ++work_;
      const QualifierWord& q = g_.qualifiers_[qi];
      if (before_end < consumed_ + q.text.size()) continue;
      size_t start = before_end - q.text.size();
      if (!MatchAt(start, q.text, true)) continue;
      if (StartsLatin(q.text) && start > 0 && IsAlphaAt(t_, start - 1)) continue;
      if (EndsLatin(q.text) && before_end == begin && IsAlnumAt(t_, begin)) continue;
      if (!StartsLatin(q.text) && start > 0 && IsDigitAt(t_, start - 1)) {
        Skip(start, m->end, "a digit glued to the qualifier (Q1約5%)");
        return false;
      }
      if (Negated(start, StartsLatin(q.text))) {
        Skip(start, m->end, "a negation before the qualifier");
        return false;
      }
      m->qualifier = q.qualifier;
      m->begin = static_cast<uint32_t>(start);
      break;
    }
    size_t end = m->end;
    size_t start = GapAfter(end);
    const std::vector<uint16_t>& after_words =
        start < t_.size() ? g_.qualifiers_by_first_byte_[FoldByte(t_[start])] : kNone;
    for (uint16_t qi : after_words) {
      ++work_;
      const QualifierWord& q = g_.qualifiers_[qi];
      if (StartsLatin(q.text) && start == end) continue;  // "25% or more": a space is needed.
      if (!MatchAt(start, q.text, true)) continue;
      size_t stop = start + q.text.size();
      if (EndsLatin(q.text) && IsAlnumAt(t_, stop)) continue;
      // 多 already said "more than"; an explicit word before the number says more than either.
      if (m->qualifier == wirescan::v1::QUALIFIER_EXACT) m->qualifier = q.qualifier;
      m->end = static_cast<uint32_t>(stop);
      break;
    }
    return true;
  }

  // A negation right before `start`: "not", "no", "never", "nor" (a whole word, a space
  // between) before a Latin qualifier; 不, 未, 沒, 非, 無... right before a CJK one.
  bool Negated(size_t start, bool latin) const {
    if (latin) {
      size_t g = GapBefore(start, consumed_);
      if (g == start) return false;
      size_t s = WordStartBefore(g);
      if (s == g || s < consumed_) return false;
      std::string_view w = t_.substr(s, g - s);
      for (std::string_view n : kLatinNegations) {
        if (AsciiEqualsIgnoreCase(w, n)) return true;
      }
      return false;
    }
    size_t len = 0;
    char32_t cp = core::DecodeBefore(t_, start, &len);
    if (len == 0 || start - len < consumed_) return false;
    for (char32_t n : kCjkNegations) {
      if (cp == n) return true;
    }
    return false;
  }

  // Sign, the range check and qualifiers around a mention built by Make; false: no figure.
  bool Complete(FigureMention* m) {
    bool figure = true;
    if (!ApplySign(m, &figure) || !figure) return false;
    if (RangeLeftOut(*m)) return false;
    if (!Qualify(m)) return false;
    // The number text goes on right after a figure that ends in its number or in 成 (which
    // takes a digit after it: 三成五): a digit, a numeral, a decimal point before one
    // ("三成五年", "$5-"). A figure closed by a unit or currency ("18.88%1.20%" in a table)
    // is not continued by what follows.
    size_t len = 0, last_len = 0;
    char32_t next = core::DecodeAt(t_, m->end, &len);
    char32_t last = core::DecodeBefore(t_, m->end, &last_len);
    bool open = IsAsciiOrWideDigit(last) || ChineseNumeralOf(last).has_value();
    if (last == U'成' && ChineseNumeralOf(next).has_value()) {  // 三成五年; not 八成80后
      Skip(m->begin, m->end + len, "a numeral right after 成");
      return false;
    }
    // "$5-billion" with only its left half read: not "$5".
    if (int j = open && next == '-' ? HitAt(m->end + 1) : -1;
        j >= 0 && (Tok(j).kind == Kind::kScale || PrefixAllows(Kind::kScale, Tok(j)))) {
      Skip(m->begin, hits_[j].end, "a hyphenated word of the figure not read");
      return false;
    }
    if (open && len > 0) {
      size_t l2 = 0;
      char32_t after = core::DecodeAt(t_, m->end + len, &l2);
      bool number_after = IsAsciiOrWideDigit(after) || ChineseNumeralOf(after).has_value();
      if (IsAsciiOrWideDigit(next) || ChineseNumeralOf(next) ||
          ((IsChineseDecimalPoint(next) || next == '.' || next == U'．' || MinusAt(t_, m->end)) &&
           number_after)) {
        Skip(m->begin, m->end + len, "a numeral right after the figure");
        return false;
      }
    }
    return true;
  }

  std::optional<FigureMention> FromWordFigure(size_t i) {
    const FigureToken& tok = Tok(i);
    FigureMention m;
    m.begin = hits_[i].begin;
    m.end = hits_[i].end;
    m.type = tok.type;
    m.value = m.value_max = tok.value;
    m.unit = tok.unit;
    // A numeral glued to a Chinese word figure ("二一半") is more number than it reads.
    if (m.begin > 0 && !StartsLatin(tok.text)) {
      size_t len = 0;
      char32_t cp = core::DecodeBefore(t_, m.begin, &len);
      if (IsAsciiOrWideDigit(cp) || ChineseNumeralOf(cp)) {
        return Skip(m.begin - len, m.end, "a numeral right before a word figure");
      }
    }
    // A sign or dash before a word figure ("-一半"): a minus or punctuation, not sure which.
    if (size_t len = std::max(MinusBefore(t_, m.begin), DashBefore(t_, m.begin)); len > 0) {
      return Skip(m.begin - len, m.end, "a sign or dash right before a word figure");
    }
    if (!Qualify(&m)) return std::nullopt;
    return m;
  }

  std::optional<FigureMention> FromPrefix(size_t i) {
    const TokenHit& h = hits_[i];
    Kind kind = Tok(i).kind;
    // "A$5" or "C$5" with no rule of their own: a dollar, but not the default one.
    if (kind == Kind::kAmbiguousPrefix && h.begin > 0 && IsAlphaAt(t_, h.begin - 1)) {
      return std::nullopt;
    }
    if (h.begin > 0 && IsDigitAt(t_, h.begin - 1) && kind != Kind::kPercentPrefix) {
      return std::nullopt;  // "5$3": not a currency prefix.
    }
    if (kind == Kind::kPercentPrefix && h.begin > 0) {
      size_t len = 0;
      char32_t cp = core::DecodeBefore(t_, h.begin, &len);
      if (IsAsciiOrWideDigit(cp) || ChineseNumeralOf(cp)) {  // 三百分之一 is 1/300, not 1 %.
        return Skip(h.begin - len, h.end, "a numeral before a percent prefix (a fraction)");
      }
    }
    size_t p = h.end;
    if (kind != Kind::kPercentPrefix) p = GapAfter(p);
    auto n = Parse(p);
    if (!n) return std::nullopt;
    if (n->bad != nullptr) return Skip(h.begin, n->end, n->bad);
    if (n->words && kind != Kind::kPercentPrefix) return std::nullopt;  // "$ one" is no figure.
    if (std::string_view why = ContinuesAfter(*n); !why.empty()) {
      return Skip(h.begin, n->end + 1, why);
    }
    Part a;
    a.num = *n;
    a.prefix = static_cast<int>(i);
    ReadTail(&a, kind);
    return Finish(a);
  }

  // A results-table row: "Net 1.2 mln vs 1.0 mln" (proto TableRows). Anything else about the
  // row (no line start, no " vs ", a currency or unit of the number's own) reads nothing here;
  // the number's own tokens are then read as usual.
  std::optional<FigureMention> FromTableRow(size_t i) {
    const TokenHit& h = hits_[i];
    if (!core::AtLineStart(t_, h.begin)) return std::nullopt;
    if (h.end >= t_.size() || t_[h.end] != ' ') return std::nullopt;
    auto n = Parse(h.end + 1);
    if (!n || n->bad != nullptr || n->words) return std::nullopt;
    if (!ContinuesAfter(*n).empty()) return std::nullopt;
    Part a;
    a.num = *n;
    a.prefix = static_cast<int>(i);
    ReadTail(&a, Kind::kTableRow);
    if (a.terminal >= 0 || a.currency_after >= 0 || a.more) return std::nullopt;
    if (!BytesAt(t_, a.end, " vs ")) return std::nullopt;
    return Finish(a);
  }

  std::optional<FigureMention> FromSuffix(size_t i) {
    const TokenHit& h = hits_[i];
    size_t floor = consumed_;
    size_t q = h.begin;
    q = JoinBefore(q, floor);
    if (Tok(i).kind == Kind::kPointSuffix) {
      for (std::string_view c : kCounters) {
        if (BytesBefore(t_, q, floor, c)) q -= c.size();
      }
    }
    q -= MoreMarkBefore(t_, q, floor);
    auto n = NumberBefore(q, floor, Tok(i).kind == Kind::kScale);
    if (!n) return std::nullopt;
    Part b;
    b.num = *n;
    ReadTail(&b, Kind::kScale);
    if (b.end < h.end) return std::nullopt;  // The hit is not part of this number's chain.
    // "10-15%", "10至15億元": the low end sits before the number we found.
    size_t c = ConnectorBefore(b.num.begin, floor);
    if (c != std::string_view::npos) {
      size_t e = c;
      bool more = false;
      if (size_t m = MoreMarkBefore(t_, e, floor)) {
        e -= m;
        more = true;
      }
      auto low = e > floor ? NumberBefore(e, floor, false) : std::nullopt;
      if (!skip_.reason.empty()) return std::nullopt;  // The low end is unreadable.
      if (low && low->end == e && !InNotFigure(low->begin, low->end)) {
        Part a;
        a.num = *low;
        a.more = more;
        a.end = c;
        if (auto m = Make(a, &b)) {
          if (!Complete(&*m)) return std::nullopt;
          return m;
        }
        if (!skip_.reason.empty()) return std::nullopt;
      }
    }
    return Finish(b);
  }

  // A figure from part `a` alone or as the low end of a range after it.
  std::optional<FigureMention> Finish(const Part& a) {
    std::optional<FigureMention> m = ForwardRange(a);
    if (!m && skip_.reason.empty()) m = Make(a, nullptr);
    if (m && !Complete(&*m)) return std::nullopt;
    return m;
  }

  std::string_view t_;
  const FigureGrammar& g_;
  std::string_view source_;
  std::vector<FigureMention>* out_;
  FigureReport* report_;
  std::vector<TokenHit> hits_;         // Resolved: sorted by begin, non-overlapping.
  std::vector<TokenHit> not_figures_;  // Look-alike hits, resolved the same way.
  size_t consumed_ = 0;  // End of the last figure or skipped span; nothing before it is read again.
  mutable FigureSkip skip_;  // Why the current attempt emits nothing (reason empty: no skip).
  mutable uint64_t work_ = 0;
};

void AssembleFigures(std::string_view text, std::span<const TokenHit> hits,
                     const FigureGrammar& grammar, std::string_view source,
                     std::vector<FigureMention>* out, FigureReport* report) {
  if (report != nullptr) report->Clear();
  FigureGrammar::Assembler assembler(text, hits, grammar, source, out, report);
  assembler.Run();
}

}  // namespace wirescan::extract

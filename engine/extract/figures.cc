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
// Chinese numeral runs longer than this are not amounts (and could overflow).
constexpr int kMaxChineseChars = 24;

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

// A Chinese numeral character: a digit (0-9, 兩 = 2), a unit (十百千) or a big unit (萬億).
struct ChineseNumeral {
  int digit = -1;  // 0..9, or -1
  int unit = 0;    // 1, 2, 3 for 十百千 (power of ten), else 0
  int big = 0;     // 4, 8 for 萬億, else 0
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
    default: return std::nullopt;
  }
}

bool IsNumberChar(char32_t cp) {
  return (cp >= '0' && cp <= '9') || cp == ',' || cp == '.' || (cp >= U'０' && cp <= U'９') ||
         cp == U'，' || cp == U'．' || ChineseNumeralOf(cp).has_value();
}

// A parsed number: value = mantissa * 10^exp10, kept exact until the very end.
struct Number {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint64_t mantissa = 0;
  int exp10 = 0;
  bool chinese = false;  // A Chinese numeral run: its 萬/億 are inside the number.
};

// Digits with thousands separators and a decimal part: "1,234.5", "１２．５". Separators only
// count when exactly three digits follow, so "2023,12" is two numbers.
std::optional<Number> ParseDigits(std::string_view t, size_t pos, size_t limit) {
  constexpr uint64_t kMantissaCap = 100000000000000000ULL;  // 1e17: room for one more digit
  Number n;
  n.begin = static_cast<uint32_t>(pos);
  size_t p = pos;
  size_t len = 0;
  bool any = false;
  while (p < limit) {
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
    p += sep;
  }
  if (!any) return std::nullopt;
  size_t dp = DecimalPointAt(t, p);
  if (dp != 0 && p + dp < limit && IsDigitAt(t, p + dp)) {
    p += dp;
    int d;
    while (p < limit && (d = DigitAt(t, p, &len)) >= 0) {
      if (n.mantissa < kMantissaCap) {
        n.mantissa = n.mantissa * 10 + static_cast<uint64_t>(d);
        --n.exp10;
      }
      p += len;
    }
  }
  n.end = static_cast<uint32_t>(p);
  return n;
}

// Chinese numerals: positional ("三千五百萬" = 35000000, "十二億", "一萬二千", "一千零五",
// colloquial "兩萬五" = 25000) or, without any unit character, a digit string ("二〇二三").
std::optional<Number> ParseChinese(std::string_view t, size_t pos, size_t limit) {
  struct Item {
    ChineseNumeral c;
    size_t begin;
    size_t end;
  };
  Item items[kMaxChineseChars];
  int count = 0;
  bool positional = false;
  for (size_t p = pos; p < limit && count < kMaxChineseChars;) {
    size_t len = 0;
    char32_t cp = core::DecodeAt(t, p, &len);
    auto c = ChineseNumeralOf(cp);
    if (!c || p + len > limit) break;
    positional = positional || c->digit < 0;
    items[count++] = Item{*c, p, p + len};
    p += len;
  }
  if (count == 0) return std::nullopt;
  Number n;
  n.begin = static_cast<uint32_t>(pos);
  n.chinese = true;
  if (!positional) {
    int used = std::min(count, 17);
    for (int i = 0; i < used; ++i) n.mantissa = n.mantissa * 10 + items[i].c.digit;
    n.end = static_cast<uint32_t>(items[used - 1].end);
    return n;
  }
  uint64_t total = 0;
  uint64_t section = 0;
  int pending = -1;             // A digit waiting for its unit.
  int pending_after = 0;        // Exponent of the unit right before `pending`, 0 if none.
  int last_big = 0;             // Exponent of the largest 萬/億 applied so far.
  bool valued = false;          // Saw a digit or a leading 十.
  size_t end = pos;
  for (int i = 0; i < count; ++i) {
    const ChineseNumeral& c = items[i].c;
    if (c.digit >= 0) {
      if (pending > 0) break;  // Two digits in a row inside a positional number: stop.
      const ChineseNumeral& prev = items[i > 0 ? i - 1 : 0].c;
      pending_after = i > 0 && prev.digit < 0 ? std::max(prev.unit, prev.big) : 0;
      pending = c.digit;
      valued = true;
    } else if (c.unit > 0) {
      if (pending == 0) break;
      if (pending < 0) {
        if (c.unit != 1) break;  // 百/千 without a digit is not a number ("千萬不要").
        pending = 1;             // 十 stands for 一十.
        valued = true;
      }
      section += static_cast<uint64_t>(pending) * static_cast<uint64_t>(kPow10[c.unit]);
      pending = -1;
    } else {
      if (pending > 0) section += static_cast<uint64_t>(pending);
      pending = -1;
      if (total == 0 && section == 0) break;  // 萬/億 without a number before it.
      auto big = static_cast<uint64_t>(kPow10[c.big]);
      if (c.big > last_big) {
        total = (total + section) * big;
        last_big = c.big;
      } else {
        total += section * big;
      }
      section = 0;
    }
    end = items[i].end;
    if (total > 1000000000000000000ULL) return std::nullopt;
  }
  if (!valued || end == pos) return std::nullopt;
  uint64_t value = total + section;
  if (pending > 0) {
    // A final digit right after 百/千/萬/億 means one step down: 兩萬五 = 25000, 一千五 = 1500.
    // After 十, 零 or nothing it is the units digit (二十五, 一千零五).
    uint64_t step = pending_after >= 2 ? static_cast<uint64_t>(kPow10[pending_after - 1]) : 1;
    value += static_cast<uint64_t>(pending) * step;
  }
  n.mantissa = value;
  n.end = static_cast<uint32_t>(end);
  return n;
}

std::optional<Number> ParseNumberAt(std::string_view t, size_t pos, size_t limit) {
  limit = std::min(limit, t.size());
  if (pos >= limit) return std::nullopt;
  if (IsDigitAt(t, pos)) return ParseDigits(t, pos, limit);
  // Newswire writes fractions without the zero: ".125 dlrs".
  if (t[pos] == '.' && pos + 1 < limit && t[pos + 1] >= '0' && t[pos + 1] <= '9') {
    size_t end = pos + 1;
    while (end < limit && t[end] >= '0' && t[end] <= '9') ++end;
    auto n = ParseDigits(t, pos + 1, end);
    if (!n || n->end != end || end - pos - 1 > 18) return std::nullopt;
    n->begin = static_cast<uint32_t>(pos);
    n->exp10 -= static_cast<int>(end - pos - 1);
    return n;
  }
  return ParseChinese(t, pos, limit);
}

// mantissa * 10^exp10 rounded once, by the standard library's correctly rounded parser.
double ToDouble(uint64_t mantissa, int exp10) {
  char buf[64];
  char* p = std::to_chars(buf, buf + 30, mantissa).ptr;
  *p++ = 'e';
  p = std::to_chars(p, buf + sizeof(buf), exp10).ptr;
  double v = 0;
  std::from_chars(buf, p, v);
  return v;
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
           a.value == b.value && a.type == b.type && a.ambiguous == b.ambiguous;
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
      if (c.prefixes().empty() && c.suffixes().empty()) {
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
//   [qualifier] [currency prefix | 百分之] number [多] [scale...] [terminal] [qualifier after]
// where the terminal is a currency suffix, percent, points or a unit, and a range repeats the
// number part after a connector. Hits are resolved leftmost-longest first; each remaining hit
// that is not yet inside a figure anchors one attempt: a prefix reads the number after it, any
// other hit the number before it. The chain then runs forward from that number.

class FigureGrammar::Assembler {
 public:
  Assembler(std::string_view text, std::span<const TokenHit> hits, const FigureGrammar& g,
            std::string_view source, std::vector<FigureMention>* out)
      : t_(text), g_(g), source_(source), out_(out) {
    hits_.reserve(hits.size());
    for (const TokenHit& h : hits) {
      if (h.begin < h.end && h.end <= t_.size() && h.token < g_.tokens_.size()) hits_.push_back(h);
    }
    std::stable_sort(hits_.begin(), hits_.end(), [](const TokenHit& a, const TokenHit& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    // Leftmost-longest: "US$" beats "$", "percentage points" beats "percent", "美元" beats "元".
    size_t kept = 0;
    uint32_t last_end = 0;
    for (const TokenHit& h : hits_) {
      if (h.begin < last_end) continue;
      hits_[kept++] = h;
      last_end = h.end;
    }
    hits_.resize(kept);
  }

  void Run() {
    for (size_t i = 0; i < hits_.size(); ++i) {
      if (hits_[i].begin < consumed_) continue;
      std::optional<FigureMention> m;
      switch (Tok(i).kind) {
        case Kind::kWordFigure:
          m = FromWordFigure(i);
          break;
        case Kind::kCurrencyPrefix:
        case Kind::kAmbiguousPrefix:
        case Kind::kPercentPrefix:
          m = FromPrefix(i);
          if (!m && UsableAfterNumber(Tok(i))) m = FromSuffix(i);
          break;
        default:
          m = FromSuffix(i);
          break;
      }
      if (!m) continue;
      consumed_ = m->end;
      out_->push_back(*m);
    }
  }

 private:
  // One end of a figure: the number and what the text wrote around it.
  struct Part {
    Number num;
    int prefix = -1;    // Resolved hit index of a currency prefix / 百分之.
    bool more = false;  // 多/余/餘.
    bool has_scale = false;
    int scale_exp = 0;
    int terminal = -1;  // Resolved hit index of a currency suffix / percent / points / unit.
    int currency_after = -1;  // A currency written after an ambiguous 元 ("元人民幣").
    size_t end = 0;
  };

  const FigureToken& Tok(size_t i) const { return g_.tokens_[hits_[i].token]; }
  Kind PrefixKind(const Part& p) const { return p.prefix >= 0 ? Tok(p.prefix).kind : Kind::kScale; }

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

  // Numbers stop where a non-scale hit starts, so 二百分點 leaves 百分點 alone.
  size_t NumberLimit(size_t pos) const {
    auto it = std::lower_bound(hits_.begin(), hits_.end(), pos,
                               [](const TokenHit& h, size_t p) { return h.begin < p; });
    for (; it != hits_.end(); ++it) {
      if (g_.tokens_[it->token].kind != Kind::kScale) return it->begin;
    }
    return t_.size();
  }

  // The number ending at `end` (or, for a Chinese run, running on through it), not starting
  // before `floor`.
  std::optional<Number> NumberBefore(size_t end, size_t floor) const {
    size_t s = end;
    while (s > floor && end - s < kMaxNumberBytes) {
      size_t len = 0;
      char32_t cp = core::DecodeBefore(t_, s, &len);
      if (len == 0 || s - len < floor || !IsNumberChar(cp)) break;
      s -= len;
    }
    bool prev_digit = false;
    for (size_t c = s; c < end;) {
      size_t len = 0;
      char32_t cp = core::DecodeAt(t_, c, &len);
      bool digit = (cp >= '0' && cp <= '9') || (cp >= U'０' && cp <= U'９');
      auto cn = ChineseNumeralOf(cp);
      bool lead_dot = cp == '.' && !prev_digit && c + 1 < t_.size() && t_[c + 1] >= '0' &&
                      t_[c + 1] <= '9';
      bool candidate = (digit && !prev_digit) || lead_dot ||
                       (cn && (cn->digit >= 0 || cn->unit == 1));
      if (candidate) {
        auto n = ParseNumberAt(t_, c, NumberLimit(c));
        if (n && (n->end == end || (n->chinese && n->end > end))) {
          return Acceptable(*n) ? n : std::nullopt;
        }
      }
      prev_digit = digit;
      c += len;
    }
    return std::nullopt;
  }

  // Digits glued to a Latin word ("H20", "A380") are model names, and a number right after
  // "1." or "1," is the tail of something we could not read ("1.2.3", "1,5").
  bool Acceptable(const Number& n) const {
    if (n.chinese || n.begin == 0) return true;
    if (IsAlphaAt(t_, n.begin - 1)) return false;
    size_t b = n.begin;
    size_t sep = 0;
    if (b >= 1 && (t_[b - 1] == '.' || t_[b - 1] == ',')) sep = 1;
    if (sep == 0 && BytesBefore(t_, b, 0, "．")) sep = 3;
    if (sep > 0 && b > sep) {
      size_t len = 0;
      char32_t cp = core::DecodeBefore(t_, b - sep, &len);
      if ((cp >= '0' && cp <= '9') || (cp >= U'０' && cp <= U'９')) return false;
    }
    return true;
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

  // Reads [多] [scale...] [多] [terminal] after the number of `part`. `prefix_kind` is the kind
  // of the figure's prefix (kScale: none) and decides which terminals may follow.
  void ReadTail(Part* part, Kind prefix_kind) const {
    size_t p = part->num.end;
    if (size_t m = MoreMarkAt(t_, p)) {
      part->more = true;
      p += m;
    }
    if (prefix_kind != Kind::kPercentPrefix) {
      for (;;) {
        size_t q = GapAfter(p);
        int j = HitAt(q);
        if (j < 0 || Tok(j).kind != Kind::kScale) break;
        part->has_scale = true;
        part->scale_exp += Tok(j).scale_exp10;
        p = hits_[j].end;
        if (size_t m = MoreMarkAt(t_, p)) {  // "10萬多元"
          part->more = true;
          p += m;
        }
      }
      size_t q = GapAfter(p);
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
      }
    }
    part->end = p;
  }

  // A connector ("-", "to", "至") starting at `pos` (with a space either side if Latin or
  // optional otherwise); returns the position after it and its trailing space, or 0.
  size_t ConnectorAt(size_t pos) const {
    const size_t gap = GapAfter(pos);
    const bool space_before = gap != pos;
    for (const std::string& c : g_.range_connectors_) {
      size_t p = gap;
      if (!MatchAt(p, c, StartsLatin(c))) continue;
      p += c.size();
      size_t after = GapAfter(p);
      bool space_after = after != p;
      if (StartsLatin(c) && !(space_before && space_after)) continue;
      return after;
    }
    return 0;
  }

  // A connector ending at `end`; returns where it (and its leading space) starts, or npos.
  size_t ConnectorBefore(size_t end, size_t floor) const {
    const size_t gap = GapBefore(end, floor);
    const bool space_after = gap != end;
    for (const std::string& c : g_.range_connectors_) {
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
      if (x.unit != y.unit ||
          (x.kind == Kind::kAmbiguousSuffix) != (y.kind == Kind::kAmbiguousSuffix)) {
        return false;
      }
    }
    if (b.prefix >= 0 && (a.prefix < 0 || Tok(a.prefix).unit != Tok(b.prefix).unit)) return false;
    if (a.has_scale && !b.has_scale) return false;
    return true;
  }

  // Builds the mention for part `a` (and range end `b`), or nothing if it is not a figure.
  std::optional<FigureMention> Make(const Part& a, const Part* b) const {
    FigureMention m;
    int currency = CurrencyHit(a, b);
    int terminal = b != nullptr && b->terminal >= 0 ? b->terminal : a.terminal;
    if (currency >= 0) {
      const FigureToken& c = Tok(currency);
      m.type = FigureType::kMoney;
      if (c.ambiguous >= 0) {
        m.unit = g_.ResolveAmbiguous(c.ambiguous, source_);
        m.currency_inferred = true;
        m.currency_token = c.text;
      } else {
        m.unit = c.unit;
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
    int low_exp = a.has_scale ? a.scale_exp : (b != nullptr ? b->scale_exp : 0);
    // A percent word that counts tenths (成) scales the number like a scale word would.
    const int unit_exp = (terminal >= 0 && Tok(terminal).kind == Kind::kPercentSuffix)
                             ? Tok(terminal).scale_exp10
                             : 0;
    m.value = ToDouble(a.num.mantissa, a.num.exp10 + low_exp + unit_exp);
    m.scale = Pow10(low_exp);
    m.value_max = m.value;
    m.begin = a.prefix >= 0 ? hits_[a.prefix].begin : a.num.begin;
    m.end = static_cast<uint32_t>(a.end);
    if (a.more) m.qualifier = wirescan::v1::QUALIFIER_MORE_THAN;
    if (b != nullptr) {
      int high_exp = b->has_scale ? b->scale_exp : a.scale_exp;
      m.value_max = ToDouble(b->num.mantissa, b->num.exp10 + high_exp + unit_exp);
      if (m.value_max < m.value) return std::nullopt;
      m.is_range = true;
      m.end = static_cast<uint32_t>(b->end);
      if (!a.has_scale) m.scale = Pow10(high_exp);
    }
    return m;
  }

  // Tries "<a> - <number...>" after `a`; returns the mention of the range if there is one.
  std::optional<FigureMention> ForwardRange(const Part& a) const {
    size_t p = ConnectorAt(a.end);
    if (p == 0) return std::nullopt;
    Part b;
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
    auto n = ParseNumberAt(t_, p, NumberLimit(p));
    if (!n || !Acceptable(*n)) return std::nullopt;
    b.num = *n;
    // The second end follows the first's prefix rules ("百分之十至十五", "$10-15 billion").
    ReadTail(&b, PrefixKind(a));
    if (!Compatible(a, b)) return std::nullopt;
    return Make(a, &b);
  }

  // Adds qualifier words around `m` and widens its span over them.
  void Qualify(FigureMention* m) const {
    size_t begin = m->begin;
    size_t before_end = GapBefore(begin, consumed_);
    static const std::vector<uint16_t> kNone;
    const std::vector<uint16_t>& before_words =
        before_end > 0 ? g_.qualifiers_by_last_byte_[FoldByte(t_[before_end - 1])] : kNone;
    for (uint16_t qi : before_words) {
      const QualifierWord& q = g_.qualifiers_[qi];
      if (before_end < consumed_ + q.text.size()) continue;
      size_t start = before_end - q.text.size();
      if (!MatchAt(start, q.text, true)) continue;
      if (StartsLatin(q.text) && start > 0 && IsAlphaAt(t_, start - 1)) continue;
      if (EndsLatin(q.text) && before_end == begin && IsAlnumAt(t_, begin)) continue;
      m->qualifier = q.qualifier;
      m->begin = static_cast<uint32_t>(start);
      break;
    }
    size_t end = m->end;
    size_t start = GapAfter(end);
    const std::vector<uint16_t>& after_words =
        start < t_.size() ? g_.qualifiers_by_first_byte_[FoldByte(t_[start])] : kNone;
    for (uint16_t qi : after_words) {
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
  }

  std::optional<FigureMention> FromWordFigure(size_t i) const {
    const FigureToken& tok = Tok(i);
    FigureMention m;
    m.begin = hits_[i].begin;
    m.end = hits_[i].end;
    m.type = tok.type;
    m.value = m.value_max = tok.value;
    m.unit = tok.unit;
    Qualify(&m);
    return m;
  }

  std::optional<FigureMention> FromPrefix(size_t i) const {
    const TokenHit& h = hits_[i];
    Kind kind = Tok(i).kind;
    // "A$5" or "C$5" with no rule of their own: a dollar, but not the default one.
    if (kind == Kind::kAmbiguousPrefix && h.begin > 0 && IsAlphaAt(t_, h.begin - 1)) {
      return std::nullopt;
    }
    size_t p = h.end;
    if (kind != Kind::kPercentPrefix) p = GapAfter(p);
    auto n = ParseNumberAt(t_, p, NumberLimit(p));
    if (!n) return std::nullopt;
    Part a;
    a.num = *n;
    a.prefix = static_cast<int>(i);
    ReadTail(&a, kind);
    return Finish(a);
  }

  std::optional<FigureMention> FromSuffix(size_t i) const {
    const TokenHit& h = hits_[i];
    size_t floor = consumed_;
    size_t q = h.begin;
    q = GapBefore(q, floor);
    if (Tok(i).kind == Kind::kPointSuffix) {
      for (std::string_view c : kCounters) {
        if (BytesBefore(t_, q, floor, c)) q -= c.size();
      }
    }
    q -= MoreMarkBefore(t_, q, floor);
    auto n = NumberBefore(q, floor);
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
      auto low = NumberBefore(e, floor);
      if (low && low->end == e) {
        Part a;
        a.num = *low;
        a.more = more;
        a.end = c;
        if (auto m = Make(a, &b)) {
          Qualify(&*m);
          return m;
        }
      }
    }
    return Finish(b);
  }

  // A figure from part `a` alone or as the low end of a range after it.
  std::optional<FigureMention> Finish(const Part& a) const {
    std::optional<FigureMention> m = ForwardRange(a);
    if (!m) m = Make(a, nullptr);
    if (m) Qualify(&*m);
    return m;
  }

  std::string_view t_;
  const FigureGrammar& g_;
  std::string_view source_;
  std::vector<FigureMention>* out_;
  std::vector<TokenHit> hits_;  // Resolved: sorted by begin, non-overlapping.
  size_t consumed_ = 0;         // End of the last figure; nothing before it is read again.
};

void AssembleFigures(std::string_view text, std::span<const TokenHit> hits,
                     const FigureGrammar& grammar, std::string_view source,
                     std::vector<FigureMention>* out) {
  FigureGrammar::Assembler assembler(text, hits, grammar, source, out);
  assembler.Run();
}

}  // namespace wirescan::extract

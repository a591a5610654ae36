#pragma once
// Figure normalisation: turns the figure-vocabulary hits the matcher found in one field into
// figure mentions (MONEY, PERCENT, QUANTITY) with fully scaled values and normalised units.
//
//   FigureGrammar  immutable, built once per rule set from the packs' `figures:` sections;
//                  lists the literals the matcher compiles into its Hyperscan database.
//   AssembleFigures  per field, on the partition thread: hits + text -> FigureMention list.
//
// Numbers are parsed from the text around the hits: ASCII digits with thousands separators
// ("1,234.5"), full-width digits ("２０１２", "１２．５"), Chinese numerals ("三千五百萬",
// "十二億", "兩"), and digit/scale mixes ("7.8億", "596億美元", "$1.15B", "48.2 mln dlrs").
// Values are computed from a decimal mantissa and a power of ten, so 1.15 billion is exactly
// 1150000000.
//
// Conventions the rule writer and the matcher rely on:
//  - Scales and units carry their own case_sensitive flag; every other literal follows
//    CASE_AUTO: written in capitals only ("USD", "RMB", "KRW", "US$") it is case-sensitive,
//    otherwise ASCII-caseless.
//  - A number with only a scale ("48.2 mln", "100億") is not a figure, nor is a bare number.
//  - Currency prefixes written in letters or Han ("USD", "人民幣") also work after the number
//    ("1.5 billion USD", "78億人民幣", "100億元人民幣"); symbol prefixes ("$", "€") do not.
//  - An explicit currency beats an ambiguous one anywhere in the figure ("新台幣100億元" is TWD).
//  - "$" right after an ASCII letter ("Z$5") is an unknown dollar: not a figure.
//  - 多/余/餘 right after a number, and 個/个 before 百分點, are grammar, not vocabulary.
//  - A written-out Chinese numeral keeps its 萬/億/兆 inside the number (十二億: scale 1), and
//    so do digits that go on after them (3萬5千億 = 3.5e12); after digits alone they are
//    scales (7.8億: scale 1e8). 兆 is 1e12.
//  - Read whole or not at all: a number that continues past what was parsed, an unreadable
//    fraction, a range end not read, a negated qualifier the pack does not list whole, an
//    ambiguous sign: no figure, and the span is reported in FigureReport::skipped.
//  - A minus sign or a negative word right before the number makes it negative ("-3.4%", 负15%);
//    a hyphen after a letter is part of a word ("COVID-19": no figure).
//
// Thread safety: FigureGrammar is immutable after Build() and safe to share between threads;
// AssembleFigures is thread-safe (it only reads the grammar).

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "wirescan/v1/analysis.pb.h"
#include "wirescan/v1/rules.pb.h"

namespace wirescan::extract {

enum class FigureType : uint8_t { kMoney, kPercent, kQuantity };

// "MONEY", "PERCENT", "QUANTITY".
std::string_view FigureTypeName(FigureType type);

// What one vocabulary literal means.
struct FigureToken {
  enum class Kind : uint8_t {
    kCurrencyPrefix,   // "US$", "NT$", "€", "人民幣" before the number
    kCurrencySuffix,   // "yuan", "dlrs", "美元" after the number (and scale)
    kAmbiguousPrefix,  // "$": currency from AmbiguousCurrency (default or by source)
    kAmbiguousSuffix,  // "元"
    kScale,            // "billion", "mln", "億", "B"
    kPercentSuffix,    // "%", "percent", "pct"
    kPercentPrefix,    // "百分之"
    kPointSuffix,      // "percentage points", "百分點"
    kUnit,             // "wafers per month", "nm", "kW"
    kWordFigure,       // "一半", "doubled", "翻倍"
    kNotFigure,        // "一成不變", "成本": a look-alike; figures overlapping it are dropped
    kTableRow,         // "Net", "Revs" opening a results-table row: its bare amount is money
  };
  Kind kind;
  std::string text;          // The literal as written in the rules.
  bool case_sensitive;       // Latin letters compared exactly (else ASCII-caseless).
  std::string unit;          // Currency code, unit name, "%" or "pp"; word figures: their unit.
  // kScale: the power of ten (9 for "billion", 8 for 億). kPercentSuffix / kPercentPrefix:
  // what the number is multiplied by to give percent (1 for 成, -1 for ‰ and 千分之).
  int scale_exp10 = 0;
  int subunit_exp = 0;       // Currency subunits ("cents", "pence"): 2, the value is / 100.
  bool needs_scale = false;  // kCurrencySuffix "marks", "won": only after a scale or decimals.
  double value = 0;          // kWordFigure: its value.
  FigureType type = FigureType::kQuantity;  // kWordFigure: its type.
  int ambiguous = -1;        // kAmbiguous*: index of the AmbiguousCurrency.
};

// One hit of a vocabulary literal in a field. `token` indexes FigureGrammar::tokens().
struct TokenHit {
  uint32_t begin;
  uint32_t end;
  uint32_t token;
};

// One normalised figure found in a field.
struct FigureMention {
  uint32_t begin = 0;        // Byte span in the field: the whole figure, including currency
  uint32_t end = 0;          // symbols, scale, unit and qualifier words ("at least", "約").
  FigureType type = FigureType::kQuantity;
  double value = 0;          // Fully scaled; lower end of a range.
  double value_max = 0;      // Upper end of a range; == value otherwise.
  bool is_range = false;
  wirescan::v1::Qualifier qualifier = wirescan::v1::QUALIFIER_EXACT;
  double scale = 1;          // The multiplier the text used; 1 if none.
  std::string_view unit;     // Points into the grammar (valid while the grammar lives).
  bool currency_inferred = false;  // Currency from an AmbiguousCurrency default/source rule.
  std::string_view currency_token;  // That ambiguous token ("元"), else empty.
  std::string_view subunit;  // The subunit word as written ("cents"); value is in the main unit.
};

// A span the grammar could not read whole: no figure was emitted for it.
struct FigureSkip {
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string_view reason;  // A static string ("number continues before it", ...).
};

// What AssembleFigures reports besides its figures (optional; the extractor turns `skipped` into
// CODE_FIGURE_SKIPPED diagnostics).
struct FigureReport {
  std::vector<FigureSkip> skipped;  // In text order, non-overlapping.
  // Elementary steps of the grammar (bytes scanned, tokens parsed, hits tried): a cheap counter
  // that the tests bound to a small multiple of the text size (the grammar is linear).
  uint64_t work = 0;
  void Clear() {
    skipped.clear();
    work = 0;
  }
};

// Returns "file:line" for a message of the rule files (used to prefix validation errors).
using Locator = absl::FunctionRef<std::string(const google::protobuf::Message&)>;

class FigureGrammar {
 public:
  // Builds the grammar from the `figures:` sections of all files of a pack (concatenated).
  // Validates exactly: currency codes are three capital letters, scales are powers of ten from
  // 1e3 to 1e15, words are non-empty, a literal has one meaning (the same text with another
  // meaning is an error, compared ASCII-caselessly unless both are case-sensitive; the same
  // text with the same meaning, e.g. in two files, is kept once), word figures have a type
  // (MONEY, PERCENT, QUANTITY) and a unit, qualifier words a qualifier. Errors read
  // "<locate(msg)>: <what is wrong>"; loose strings (percent_suffixes, range_connectors) are
  // located at their FigureVocabulary.
  static absl::StatusOr<FigureGrammar> Build(
      std::span<const wirescan::v1::rules::FigureVocabulary* const> vocabularies, Locator locate);

  // Every literal the matcher must find; a TokenHit's `token` indexes this vector.
  const std::vector<FigureToken>& tokens() const { return tokens_; }

  // The currency code of ambiguous currency `index` for an article from `source`.
  std::string_view ResolveAmbiguous(int index, std::string_view source) const;

  // Internal tables (qualifier words, range connectors, ambiguous currencies) are private.

 private:
  struct Ambiguous {
    std::string token;
    std::string default_code;
    std::vector<std::pair<std::string, std::string>> by_source;  // (source suffix, code)
  };
  struct QualifierWord {
    std::string text;
    wirescan::v1::Qualifier qualifier;
    bool before;
  };
  class Assembler;  // The per-call state of AssembleFigures (figures.cc).
  friend void AssembleFigures(std::string_view, std::span<const TokenHit>, const FigureGrammar&,
                              std::string_view, std::vector<FigureMention>*, FigureReport*);

  absl::Status AddToken(FigureToken token, const google::protobuf::Message& where,
                        Locator locate);

  std::vector<FigureToken> tokens_;
  std::vector<Ambiguous> ambiguous_;
  std::vector<QualifierWord> qualifiers_;       // Longest first (longest match wins).
  // Indices into qualifiers_, in its order: the words before a number by their last byte, those
  // after it by their first (ASCII letters lower-cased), so a figure tries only the few words
  // that can match there.
  std::array<std::vector<uint16_t>, 256> qualifiers_by_last_byte_;
  std::array<std::vector<uint16_t>, 256> qualifiers_by_first_byte_;
  std::vector<std::string> range_connectors_;   // Longest first.
  std::vector<std::string> negative_words_;     // Longest first.
  // Bytes that can end (or start) a range connector or a negative word, ASCII letters folded:
  // most figures have none next to them and skip the loops.
  std::array<bool, 256> connector_last_byte_{};
  std::array<bool, 256> connector_first_byte_{};
  std::array<bool, 256> negative_last_byte_{};
};

// Assembles the figures of one field. `source` is the article's source (for ambiguous
// currencies). Appends to `*out` in order of `begin`, non-overlapping.
// REQUIRES: `hits` sorted by begin (ties: longer first); each Latin hit already passed the
// matcher's word-boundary check. Overlapping hits are allowed: resolved leftmost-longest.
// Never reads outside `text`; any byte sequence is safe (invalid UTF-8 included). The work is
// linear in the size of the text and of `hits`. A figure the grammar cannot read whole is not
// emitted; it is listed in `report->skipped` when `report` is given (cleared first).
void AssembleFigures(std::string_view text, std::span<const TokenHit> hits,
                     const FigureGrammar& grammar, std::string_view source,
                     std::vector<FigureMention>* out, FigureReport* report = nullptr);

}  // namespace wirescan::extract

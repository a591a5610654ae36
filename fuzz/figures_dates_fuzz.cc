// Fuzz target: the figure grammar and the date grammar (engine/extract) on the default pack,
// fed by the real matcher: text -> Matcher::Scan -> AssembleFigures / AssembleDates.
//
// The first input byte picks the article source (which decides a bare 元 or $); the rest is the
// field's text, any bytes. Checks, beyond "no crash, no sanitizer report" (figures.h, dates.h):
//  - figures come in order of begin, do not overlap, and lie inside the text;
//  - a figure's value is a number, value_max == value unless it is a range, and a range's
//    upper end is not NaN; its unit is not empty;
//  - a range goes up (value <= value_max): a reversed one ("15-10%") is read whole or skipped;
//  - a figure that starts with a digit does not start right after one (the number was read
//    whole, not its last 96 bytes);
//  - a figure whose text has a non-zero ASCII digit is not 0 (or 0..0): an overflowing number
//    is not silently 0;
//  - dates lie inside the text and are not empty, at most one per form and start.
// Inputs of the defects these checks found are in fuzz/regressions/figures_dates/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/extract/dates.h"
#include "engine/extract/figures.h"
#include "engine/match/rule_set.h"
#include "fuzz/fuzz_common.h"

using wirescan::extract::DateMention;
using wirescan::extract::FigureMention;
using wirescan::extract::TokenHit;

namespace {

bool AsciiOrFullWidthDigitEndsAt(std::string_view text, size_t end) {
  if (end >= 1 && text[end - 1] >= '0' && text[end - 1] <= '9') return true;
  // U+FF10..U+FF19 are EF BC 90..99.
  return end >= 3 && text.substr(end - 3, 2) == "\xEF\xBC" &&
         static_cast<unsigned char>(text[end - 1]) >= 0x90 &&
         static_cast<unsigned char>(text[end - 1]) <= 0x99;
}

bool DigitStartsAt(std::string_view text, size_t pos) {
  if (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') return true;
  return pos + 3 <= text.size() && AsciiOrFullWidthDigitEndsAt(text, pos + 3) &&
         text[pos] == '\xEF';
}

}  // namespace

// The pack is compiled before the first input, outside the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  wirescan::fuzz::DefaultPack();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kSources[] = {"", "reuters", "xinhua", "cna.com.tw",
                                                  "hket.com", "wirescan-fuzz"};
  const wirescan::rules::RulePack& pack = wirescan::fuzz::DefaultPack();
  static wirescan::match::Matcher* matcher = new wirescan::match::Matcher(pack.rules);
  static wirescan::match::Hits* hits = new wirescan::match::Hits;
  std::string_view source = kSources[data[0] % std::size(kSources)];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  absl::Status s = matcher->Scan(text, hits);
  WS_FUZZ_CHECK(s.ok(), "scan failed: %s", std::string(s.message()).c_str());

  std::vector<TokenHit> tokens;
  for (const auto& h : hits->tokens) tokens.push_back({h.begin, h.end, h.target});
  std::vector<FigureMention> figures;
  wirescan::extract::AssembleFigures(text, tokens, pack.model->grammar, source, &figures);
  uint32_t last_end = 0;
  for (const FigureMention& f : figures) {
    WS_FUZZ_CHECK(f.begin < f.end && f.end <= text.size(), "figure [%u, %u) outside %zu bytes",
                  f.begin, f.end, text.size());
    WS_FUZZ_CHECK(f.begin >= last_end, "figure at %u overlaps the one ending at %u", f.begin,
                  last_end);
    last_end = f.end;
    WS_FUZZ_CHECK(!std::isnan(f.value) && !std::isnan(f.value_max), "NaN figure at %u", f.begin);
    WS_FUZZ_CHECK(f.is_range || f.value_max == f.value, "value_max %g != value %g, not a range",
                  f.value_max, f.value);
    WS_FUZZ_CHECK(!f.unit.empty(), "figure at %u without a unit", f.begin);
    std::string_view span = text.substr(f.begin, f.end - f.begin);
    WS_FUZZ_CHECK(!f.is_range || f.value <= f.value_max, "range '%.*s' goes down: %g..%g",
                  int(span.size()), span.data(), f.value, f.value_max);
    WS_FUZZ_CHECK(!(DigitStartsAt(text, f.begin) && AsciiOrFullWidthDigitEndsAt(text, f.begin)),
                  "figure '%.*s' starts inside a number", int(span.size()), span.data());
    WS_FUZZ_CHECK(f.value != 0 || f.value_max != 0 ||
                      span.find_first_of("123456789") == std::string_view::npos,
                  "figure '%.*s' has the value 0", int(span.size()), span.data());
  }

  if (pack.model->dates.enabled()) {
    std::vector<TokenHit> words;
    for (const auto& h : hits->date_words) words.push_back({h.begin, h.end, h.target});
    std::vector<DateMention> dates;
    wirescan::extract::AssembleDates(text, words, pack.model->dates, &dates);
    std::set<std::tuple<uint32_t, int>> seen;
    for (const DateMention& d : dates) {
      WS_FUZZ_CHECK(d.begin < d.end && d.end <= text.size(), "date [%u, %u) outside %zu bytes",
                    d.begin, d.end, text.size());
      WS_FUZZ_CHECK(seen.insert({d.begin, int(d.form)}).second,
                    "two dates of form %d at %u", int(d.form), d.begin);
    }
  }
  return 0;
}

// Corpus robustness: every article of the shared test corpora (Reuters-21578 and the Chinese
// sources in ../shared/corpus), converted to NDJSON by tests/tools/corpus_to_ndjson.py, goes
// through an in-process JsonArticleParser + Extractor with the shipped rule pack. Checked:
//   - no crash (under the asan preset: no sanitizer report), Analyze() succeeds, the analysis
//     serialises and parses back;
//   - every mention's text is field[begin:end], offsets within the field, mentions sorted by
//     field (title first) then begin, non-overlapping within a field, sentence indices
//     non-decreasing; events' slots are mentions of the article;
//   - every MONEY / PERCENT / QUANTITY has a figure with a unit; a MONEY unit is a 3-letter code;
//   - figures are found: floors on the number of MONEY (USD / CNY) and PERCENT figures (set at
//     about 80% of what was measured when the test was written; the counts are printed);
//   - spot checks of Reuters figures read by hand (exact value, unit, qualifier, range);
//   - figures are read whole (issue 11): no figure span starts or ends next to a digit, a
//     Chinese numeral, a decimal point (點/点, or "." / "," before digits) or a minus sign that
//     it leaves out, and no qualifier is read with a negation right before it ("not more
//     than" read as "more than"). Counted separately (`figure_violations`) and printed; any one
//     fails the test. CODE_FIGURE_SKIPPED diagnostics (spans not read) are counted, not errors.
//
// Skips when ../shared/corpus (relative to WIRESCAN_SOURCE_DIR) is absent.

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <cctype>
#include <vector>

#include "engine/core/article.h"
#include "engine/extract/extractor.h"
#include "engine/extract/output.h"
#include "engine/parse/article_parser.h"
#include "engine/rules/rule_pack.h"
#include "gtest/gtest.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan {
namespace {

namespace fs = std::filesystem;

// Every kStride-th article is analysed. The whole corpus takes ~3 s in the release build and
// ~9 s under the asan preset (measured 2026-11-22 on 2 cores), so sanitised builds need no
// sampling either; raise it (e.g. `#if defined(__SANITIZE_ADDRESS__)`) if that changes.
constexpr size_t kStride = 1;

std::string SourceDir() {
  const char* dir = std::getenv("WIRESCAN_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : ".";
}

fs::path CorpusDir() { return fs::path(SourceDir()) / ".." / "shared" / "corpus"; }

// Counts of one language's run.
struct Counts {
  size_t records = 0;
  size_t analysed = 0;
  size_t bytes = 0;
  size_t mentions = 0;
  size_t events = 0;
  size_t violations = 0;
  size_t figures = 0;
  size_t figure_violations = 0;
  size_t figure_skips = 0;
  std::map<std::string, size_t> by_type_unit;  // "MONEY USD", "PERCENT %", "ORG", ...
  size_t Get(const std::string& key) const {
    auto it = by_type_unit.find(key);
    return it == by_type_unit.end() ? 0 : it->second;
  }
};

bool IsCurrencyCode(std::string_view u) {
  if (u.size() != 3) return false;
  for (char c : u) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsFigureType(const std::string& t) {
  return t == "MONEY" || t == "PERCENT" || t == "QUANTITY";
}

// --- The whole-figure invariant (issue 11), written from the text alone, independently of the
// grammar's code.

// The code point ending at / starting at `pos` (0 if none or invalid), and its byte length.
char32_t CpBefore(std::string_view t, size_t pos, size_t* len) {
  *len = 0;
  if (pos == 0) return 0;
  size_t b = pos - 1;
  while (b > 0 && pos - b < 4 && (static_cast<unsigned char>(t[b]) & 0xC0) == 0x80) --b;
  unsigned char c = static_cast<unsigned char>(t[b]);
  char32_t cp = c < 0x80 ? c : c < 0xE0 ? c & 0x1F : c < 0xF0 ? c & 0x0F : c & 0x07;
  for (size_t i = b + 1; i < pos; ++i) cp = (cp << 6) | (static_cast<unsigned char>(t[i]) & 0x3F);
  *len = pos - b;
  return cp;
}
char32_t CpAt(std::string_view t, size_t pos, size_t* len) {
  *len = 0;
  if (pos >= t.size()) return 0;
  unsigned char c = static_cast<unsigned char>(t[pos]);
  size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (pos + n > t.size()) return 0;
  char32_t cp = c < 0x80 ? c : c < 0xE0 ? c & 0x1F : c < 0xF0 ? c & 0x0F : c & 0x07;
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(t[pos + i]) & 0x3F);
  *len = n;
  return cp;
}
bool IsDigitCp(char32_t c) { return (c >= '0' && c <= '9') || (c >= U'０' && c <= U'９'); }
bool IsCnDigit(char32_t c) {
  return std::u32string_view(U"零〇一二兩两三四五六七八九").find(c) != std::u32string_view::npos;
}
bool IsCnUnit(char32_t c) {
  return std::u32string_view(U"十百千萬万億亿兆").find(c) != std::u32string_view::npos;
}
bool IsCnNumeral(char32_t c) { return IsCnDigit(c) || IsCnUnit(c); }
bool IsMinusCp(char32_t c) { return c == '-' || c == U'−' || c == U'－'; }
bool IsDecimalWord(char32_t c) { return c == U'點' || c == U'点'; }

// Why the figure span [b, e) of `field` is not whole, or empty.
std::string FigureNotWhole(std::string_view f, size_t b, size_t e, v1::Qualifier qualifier) {
  size_t pl = 0, nl = 0, fl = 0, ll = 0;
  char32_t prev = CpBefore(f, b, &pl);
  char32_t next = CpAt(f, e, &nl);
  char32_t first = CpAt(f, b, &fl);
  char32_t last = CpBefore(f, e, &ll);
  size_t l2 = 0;
  if (IsDigitCp(prev)) return "starts next to a digit";
  char32_t before_prev = CpBefore(f, b - pl, &l2);
  if (IsDecimalWord(prev) && (IsDigitCp(before_prev) || IsCnNumeral(before_prev))) {
    return "starts next to 點/点 after a numeral";
  }
  // A Chinese digit before an ASCII digit never makes one number with it ("之一5%").
  if (IsCnNumeral(prev) && (IsCnNumeral(first) || (IsDigitCp(first) && IsCnUnit(prev)))) {
    return "starts next to a Chinese numeral";
  }
  if (IsMinusCp(prev)) return "starts next to a minus sign it leaves out";
  if ((prev == '.' || prev == ',' || prev == U'．') && IsDigitCp(CpBefore(f, b - pl, &l2))) {
    return "starts after a decimal point or separator";
  }
  // At the end, only a span that ends in its number (or in 成, which takes a digit after it)
  // can leave a part of it out: "18.88%1.20%" is two figures, "百分之七" before 點二 is not.
  if (last == U'成' && IsCnNumeral(next)) return "ends next to a Chinese numeral after 成";
  if (IsDigitCp(last) || IsCnNumeral(last)) {
    char32_t after = CpAt(f, e + nl, &l2);
    bool number_after = IsDigitCp(after) || IsCnNumeral(after);
    if (IsDigitCp(next) || IsCnNumeral(next)) return "ends next to a numeral";
    if ((IsDecimalWord(next) || next == '.' || next == U'．') && number_after) {
      return "ends next to a decimal point";
    }
    if (IsMinusCp(next) && number_after) return "ends next to a minus and a number";
  }
  // A qualifier read at the start of the span with a negation right before it.
  if (qualifier != v1::QUALIFIER_EXACT && !IsDigitCp(first) && !IsCnNumeral(first) &&
      !IsMinusCp(first)) {
    if (std::u32string_view(U"不未沒没非無无毋莫").find(prev) != std::u32string_view::npos) {
      return "a qualifier after a negation";
    }
    size_t g = b;
    while (g > 0 && f[g - 1] == ' ') --g;
    size_t s = g;
    while (s > 0 && std::isalpha(static_cast<unsigned char>(f[s - 1]))) --s;
    std::string w(f.substr(s, g - s));
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (g != b && (w == "not" || w == "no" || w == "never" || w == "nor")) {
      return "a qualifier after a negation";
    }
  }
  return "";
}

class CorpusRobustnessTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::is_directory(CorpusDir())) return;
    auto pack = rules::LoadRulePack(SourceDir() + "/rules");
    if (!pack.ok()) {
      setup_error_ = new std::string("shipped rule pack does not load: " + pack.status().ToString());
      return;
    }
    pack_ = new std::shared_ptr<const rules::RulePack>(*pack);

    std::string tmpl = (fs::temp_directory_path() / "wirescan_corpus_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      setup_error_ = new std::string("mkdtemp failed");
      return;
    }
    tmp_dir_ = new std::string(tmpl);
    for (const char* lang : {"en", "zh"}) {
      std::string out = *tmp_dir_ + "/" + lang + ".ndjson";
      std::string cmd = "python3 '" + SourceDir() + "/tests/tools/corpus_to_ndjson.py' --corpus '" +
                        CorpusDir().string() + "' --lang " + lang + " -o '" + out +
                        "' 2>'" + *tmp_dir_ + "/" + lang + ".log'";
      int rc = std::system(cmd.c_str());
      if (rc != 0) {
        setup_error_ = new std::string("converter failed (" + std::to_string(rc) + "): " + cmd);
        return;
      }
    }
  }

  static void TearDownTestSuite() {
    if (tmp_dir_ != nullptr) {
      std::error_code ec;
      fs::remove_all(*tmp_dir_, ec);
    }
    delete tmp_dir_;
    tmp_dir_ = nullptr;
    delete pack_;
    pack_ = nullptr;
    delete setup_error_;
    setup_error_ = nullptr;
  }

  void SetUp() override {
    if (!fs::is_directory(CorpusDir())) GTEST_SKIP() << "../shared/corpus absent";
    if (setup_error_ != nullptr) FAIL() << *setup_error_;
  }

  static std::string Ndjson(const char* lang) { return *tmp_dir_ + "/" + lang + ".ndjson"; }

  // Parses every `stride`-th record of `path` and calls `fn(view, analysis)` with its analysis.
  // Every record must parse: the converter writes only well-formed articles.
  void ForEachArticle(const std::string& path, size_t stride,
                      const std::function<void(const core::ArticleView&,
                                               const v1::ArticleAnalysis&)>& fn,
                      Counts* counts) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    parse::JsonArticleParser parser;
    extract::Extractor extractor((*pack_)->rules, (*pack_)->model);
    v1::ArticleAnalysis analysis;
    std::string line, detail;
    size_t n = 0, parse_failures = 0, analyse_failures = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (n++ % stride != 0) continue;
      ++counts->records;
      core::ArticleView view;
      parse::RecordError e = parser.Parse(line, &view, &detail);
      if (e != parse::RecordError::kOk) {
        if (++parse_failures <= 5) {
          ADD_FAILURE() << "record " << n << " does not parse: " << parse::RecordErrorName(e)
                        << ": " << detail;
        }
        continue;
      }
      absl::Status s = extractor.Analyze(view, {}, &analysis);
      if (!s.ok()) {
        if (++analyse_failures <= 5) {
          ADD_FAILURE() << std::string(view.id) << ": Analyze: " << s.ToString();
        }
        continue;
      }
      ++counts->analysed;
      counts->bytes += line.size();
      fn(view, analysis);
    }
    EXPECT_EQ(parse_failures, 0u);
    EXPECT_EQ(analyse_failures, 0u);
  }

  // Checks the invariants of one analysis; appends violations (the first few are reported).
  void CheckInvariants(const core::ArticleView& view, const v1::ArticleAnalysis& a,
                       Counts* counts, std::vector<std::string>* violations) {
    auto bad = [&](const std::string& what) {
      ++counts->violations;
      if (violations->size() < 30) violations->push_back(std::string(view.id) + ": " + what);
    };
    std::string wire;
    if (!a.SerializeToString(&wire)) {
      bad("does not serialise");
    } else {
      v1::ArticleAnalysis back;
      if (!back.ParseFromString(wire) || back.mentions_size() != a.mentions_size() ||
          back.events_size() != a.events_size()) {
        bad("does not parse back");
      }
    }
    if (a.article().id() != view.id) bad("article id differs");
    if (a.article().title_bytes() != view.title.size()) bad("title_bytes differs");
    if (a.article().body_bytes() != view.body.size()) bad("body_bytes differs");
    // Records are valid UTF-8 (the parser checks), so no repair: offsets refer to the input.
    // CODE_FIGURE_SKIPPED (a figure not read whole) is counted; any other diagnostic is wrong.
    for (const v1::Diagnostic& d : a.diagnostics()) {
      if (d.code() == v1::Diagnostic::CODE_FIGURE_SKIPPED) {
        ++counts->figure_skips;
      } else {
        bad("diagnostic: " + d.message());
      }
    }

    int prev_field = -1;  // 1: title, 0: body
    uint32_t prev_end = 0, prev_sentence = 0;
    for (const v1::Mention& m : a.mentions()) {
      ++counts->mentions;
      std::string_view field;
      if (m.field() == v1::FIELD_TITLE) {
        field = view.title;
      } else if (m.field() == v1::FIELD_BODY) {
        field = view.body;
      } else {
        bad("mention with field " + std::to_string(m.field()));
        continue;
      }
      const std::string where = std::string(extract::FieldName(m.field())) + "[" +
                                std::to_string(m.begin()) + "," + std::to_string(m.end()) + ") '" +
                                m.text() + "'";
      if (m.begin() >= m.end() || m.end() > field.size()) {
        bad("offsets out of bounds: " + where + " field size " + std::to_string(field.size()));
        continue;
      }
      if (m.text() != field.substr(m.begin(), m.end() - m.begin())) {
        bad("text is not field[begin:end]: " + where + " vs '" +
            std::string(field.substr(m.begin(), m.end() - m.begin())) + "'");
      }
      const int this_field = m.field() == v1::FIELD_TITLE ? 1 : 0;
      if (this_field == prev_field) {
        if (m.begin() < prev_end) bad("overlapping or unsorted mentions at " + where);
        if (m.sentence() < prev_sentence) bad("sentence index decreases at " + where);
      } else if (prev_field >= 0 && !(prev_field == 1 && this_field == 0)) {
        bad("mentions not sorted by field (title first) at " + where);
      }
      prev_field = this_field;
      prev_end = m.end();
      prev_sentence = m.sentence();
      if (m.has_entity()) {
        const v1::Entity* entity = extract::EntityOf(a, m);
        if (entity == nullptr) {
          bad("mention entity index out of range: " + where);
          continue;
        }
        if (entity->type().empty() || entity->rule_id().empty() || entity->canonical().empty()) {
          bad("entity without type/rule_id/canonical: " + where);
        }
        if (!m.type().empty() || !m.canonical().empty()) bad("entity mention repeats its entity: " + where);
      } else if (m.type().empty() || m.rule_id().empty() || m.canonical().empty()) {
        bad("mention without type/rule_id/canonical: " + where);
      }

      std::string key(extract::MentionType(a, m));
      if (IsFigureType(key)) {
        if (!m.has_figure()) {
          bad(m.type() + " without a figure: " + where);
          continue;
        }
        const v1::Figure& f = m.figure();
        if (f.unit().empty()) bad("figure without a unit: " + where);
        if (m.type() == "MONEY" && !IsCurrencyCode(f.unit())) {
          bad("MONEY unit is not a currency code: " + where + " unit '" + f.unit() + "'");
        }
        if (m.type() == "PERCENT" && f.unit() != "%" && f.unit() != "pp") {
          bad("PERCENT unit '" + f.unit() + "': " + where);
        }
        if (!std::isfinite(f.value()) || !std::isfinite(f.value_max())) {
          bad("figure value not finite: " + where);
        }
        // value_max is unset unless the figure is a range.
        if (f.is_range() ? !(f.value_max() >= f.value()) : f.value_max() != 0) {
          bad("figure range inconsistent: " + where + " " + m.canonical());
        }
        if (f.currency_inferred() != !f.currency_token().empty()) {
          bad("currency_inferred without currency_token (or the reverse): " + where);
        }
        ++counts->figures;
        std::string not_whole = FigureNotWhole(field, m.begin(), m.end(), f.qualifier());
        if (!not_whole.empty()) {
          ++counts->figure_violations;
          size_t from = m.begin() >= 12 ? m.begin() - 12 : 0;
          while (from > 0 && (static_cast<unsigned char>(field[from]) & 0xC0) == 0x80) --from;
          size_t to = std::min<size_t>(field.size(), m.end() + 12);
          while (to < field.size() && (static_cast<unsigned char>(field[to]) & 0xC0) == 0x80) ++to;
          bad("figure not whole (" + not_whole + "): " + where + " in '" +
              std::string(field.substr(from, to - from)) + "'");
        }
        key += " " + f.unit();
      }
      ++counts->by_type_unit[key];
    }

    for (const v1::Event& e : a.events()) {
      ++counts->events;
      if (e.type().empty() || e.id().size() != 16) bad("event without type or 16-hex id");
      if (e.article_id() != a.article().id()) bad("event article_id differs");
      std::string_view field = e.field() == v1::FIELD_TITLE ? view.title : view.body;
      if (e.begin() > e.end() || e.end() > field.size()) bad("event span out of bounds");
      for (const v1::EventSlot& m : e.slots()) {
        // A slot with `from_title` fills a body event from the title: outside the event's span;
        // so do slots merged from later statements of the event.
        std::string_view slot_field = m.field() == v1::FIELD_TITLE ? view.title : view.body;
        if (m.end() > slot_field.size() ||
            slot_field.substr(m.begin(), m.end() - m.begin()) != m.text()) {
          bad("event slot text is not its field's bytes: " + m.text());
        }
        if (m.canonical().empty() || m.role().empty()) bad("event slot without role/canonical");
        if (m.has_entity() && m.entity() >= static_cast<uint32_t>(e.entities_size())) {
          bad("event slot entity index out of range: " + m.text());
        }
        bool found = false;
        for (const v1::Mention& am : a.mentions()) {
          found |= am.field() == m.field() && am.begin() == m.begin() && am.end() == m.end();
        }
        if (!found) bad("event slot is not a mention of the article: " + m.text());
      }
    }
  }

  void RunLanguage(const char* lang, Counts* counts) {
    std::vector<std::string> violations;
    ForEachArticle(
        Ndjson(lang), kStride,
        [&](const core::ArticleView& view, const v1::ArticleAnalysis& a) {
          CheckInvariants(view, a, counts, &violations);
        },
        counts);
    std::cout << "[ corpus ] " << lang << ": " << counts->analysed << " of " << counts->records
              << " articles (stride " << kStride << "), " << counts->bytes << " bytes, "
              << counts->mentions << " mentions, " << counts->events << " events\n";
    std::cout << "[ corpus ] " << lang << ": " << counts->figures << " figures, "
              << counts->figure_violations << " not whole (invariant violations), "
              << counts->figure_skips << " CODE_FIGURE_SKIPPED diagnostics\n";
    for (const auto& [k, v] : counts->by_type_unit) {
      if (v >= 10) std::cout << "[ corpus ]   " << lang << " " << k << ": " << v << "\n";
    }
    std::string list;
    for (const std::string& v : violations) list += "\n  " + v;
    EXPECT_EQ(counts->violations, 0u) << "invariant violations (first " << violations.size()
                                      << "):" << list;
  }

  static std::shared_ptr<const rules::RulePack>* pack_;
  static std::string* tmp_dir_;
  static std::string* setup_error_;
};

std::shared_ptr<const rules::RulePack>* CorpusRobustnessTest::pack_ = nullptr;
std::string* CorpusRobustnessTest::tmp_dir_ = nullptr;
std::string* CorpusRobustnessTest::setup_error_ = nullptr;

// Floors at ~80% of the counts measured on the full corpora (rules and engine of 2026-11-22):
// Reuters MONEY USD 18,757, PERCENT % 15,558, MONEY GBP 1,559, MONEY JPY 983, ORG 4,663;
// Chinese MONEY CNY 5,121, PERCENT % 12,539, MONEY USD 1,134, ORG 3,582.
size_t Floor(size_t full_corpus_floor) { return full_corpus_floor / kStride; }

TEST_F(CorpusRobustnessTest, ReutersInvariantsAndFigureCounts) {
  Counts c;
  RunLanguage("en", &c);
  EXPECT_GE(c.records, 19000u / kStride);
  EXPECT_GE(c.Get("MONEY USD"), Floor(15000));
  EXPECT_GE(c.Get("PERCENT %"), Floor(12400));
  EXPECT_GE(c.Get("MONEY GBP"), Floor(1250));  // "stg"
  EXPECT_GE(c.Get("MONEY JPY"), Floor(780));   // "yen"
  EXPECT_GE(c.Get("ORG"), Floor(3700));
}

TEST_F(CorpusRobustnessTest, ChineseInvariantsAndFigureCounts) {
  Counts c;
  RunLanguage("zh", &c);
  EXPECT_GE(c.records, 3300u / kStride);
  EXPECT_GE(c.Get("MONEY CNY"), Floor(4000));
  EXPECT_GE(c.Get("PERCENT %"), Floor(10000));
  EXPECT_GE(c.Get("MONEY USD"), Floor(900));  // 美元
  EXPECT_GE(c.Get("ORG"), Floor(2850));
}

// Figures read by hand in a few Reuters articles. The surface string is searched in the body;
// the figure mention must cover it (it may be wider: qualifiers are part of a figure).
struct Spot {
  const char* id;
  const char* surface;
  const char* type;
  double value;
  const char* unit;
  v1::Qualifier qualifier = v1::QUALIFIER_EXACT;
  double value_max = -1;  // a range when >= 0
};

const Spot kSpots[] = {
    // reuters-3: "would link 31 banks having\n13.5 billion dlrs in assets and 7.5 billion dlrs in
    // deposits."
    {"reuters-3", "13.5 billion dlrs", "MONEY", 13500000000, "USD"},
    {"reuters-3", "7.5 billion dlrs", "MONEY", 7500000000, "USD"},
    // reuters-10: the sale of "200,000 shares ... for 50,000 dlrs"; warrants "at a purchase price
    // of .125 dlrs per share"; "up to 40 pct"; "not to exceed 1.50 dlrs per share".
    {"reuters-10", "200,000 shares", "QUANTITY", 200000, "shares"},
    {"reuters-10", "50,000 dlrs", "MONEY", 50000, "USD"},
    {"reuters-10", ".125 dlrs", "MONEY", 0.125, "USD"},
    {"reuters-10", "40 pct", "PERCENT", 40, "%", v1::QUALIFIER_AT_MOST},
    // "not to exceed 1.50 dlrs": at most (issue 11: negated qualifiers are read whole).
    {"reuters-10", "1.50 dlrs", "MONEY", 1.5, "USD", v1::QUALIFIER_AT_MOST},
    // reuters-12: "profits may be below the 2.4 mln\ndlrs, or 15 cts a share"; "82 pct of the
    // outstanding capital stock"; "last year's 67.1 mln dlrs".
    {"reuters-12", "2.4 mln\ndlrs", "MONEY", 2400000, "USD"},
    {"reuters-12", "82 pct", "PERCENT", 82, "%"},
    {"reuters-12", "67.1 mln dlrs", "MONEY", 67100000, "USD"},
    // reuters-32: "reduce licensing requirements by 65  to\n70 pct".
    {"reuters-32", "65  to\n70 pct", "PERCENT", 65, "%", v1::QUALIFIER_EXACT, 70},
    // reuters-40: "increase at least 15 to 20 pct from the 9,140,000\ndlrs, or 2.52 dlrs per share".
    {"reuters-40", "15 to 20 pct", "PERCENT", 15, "%", v1::QUALIFIER_AT_LEAST, 20},
    {"reuters-40", "9,140,000\ndlrs", "MONEY", 9140000, "USD"},
    {"reuters-40", "2.52 dlrs", "MONEY", 2.52, "USD"},
    {"reuters-40", "1.10 billion dlrs", "MONEY", 1100000000, "USD"},
    // reuters-217: "The proposed issue volume is 475 billion yen".
    {"reuters-217", "475 billion yen", "MONEY", 475000000000, "JPY"},
    // reuters-307: "a shortage of around 800 mln stg in the money market today".
    {"reuters-307", "800 mln stg", "MONEY", 800000000, "GBP", v1::QUALIFIER_APPROXIMATE},
    // reuters-330: "290 mln stg".
    {"reuters-330", "290 mln stg", "MONEY", 290000000, "GBP"},
};

TEST_F(CorpusRobustnessTest, ReutersSpotChecks) {
  std::set<std::string> ids;
  for (const Spot& s : kSpots) ids.insert(s.id);
  // id -> (body, analysis), for the spot-checked articles only.
  std::map<std::string, std::pair<std::string, v1::ArticleAnalysis>> found;
  Counts counts;
  ForEachArticle(
      Ndjson("en"), 1,
      [&](const core::ArticleView& view, const v1::ArticleAnalysis& a) {
        std::string id(view.id);
        if (ids.count(id) != 0) found[id] = {std::string(view.body), a};
      },
      &counts);
  for (const Spot& s : kSpots) {
    SCOPED_TRACE(std::string(s.id) + " '" + s.surface + "'");
    auto it = found.find(s.id);
    ASSERT_NE(it, found.end()) << "article not in the corpus";
    const std::string& body = it->second.first;
    const v1::ArticleAnalysis& a = it->second.second;
    size_t pos = body.find(s.surface);
    ASSERT_NE(pos, std::string::npos) << "surface not in the article";
    size_t end = pos + std::string_view(s.surface).size();
    const v1::Mention* m = nullptr;
    std::string nearby;
    for (const v1::Mention& x : a.mentions()) {
      if (x.field() != v1::FIELD_BODY) continue;
      if (x.begin() <= pos && x.end() >= end) m = &x;
      if (x.end() + 40 >= pos && x.begin() <= end + 40) {
        nearby += "\n    " + std::string(extract::MentionType(a, x)) + " '" + x.text() + "' -> " +
                  std::string(extract::MentionCanonical(a, x));
      }
    }
    if (m == nullptr || !m->has_figure()) {
      ADD_FAILURE() << "no figure covers '" << s.surface << "' (expected " << s.type << " "
                    << std::fixed << s.value << " " << s.unit << "); nearby:"
                    << (nearby.empty() ? " none" : nearby);
      continue;
    }
    EXPECT_EQ(m->type(), s.type) << m->text();
    EXPECT_DOUBLE_EQ(m->figure().value(), s.value) << m->text();
    EXPECT_EQ(m->figure().unit(), s.unit) << m->text();
    EXPECT_EQ(m->figure().qualifier(), s.qualifier) << m->text();
    if (s.value_max >= 0) {
      EXPECT_TRUE(m->figure().is_range()) << m->text();
      EXPECT_DOUBLE_EQ(m->figure().value_max(), s.value_max) << m->text();
    } else {
      EXPECT_FALSE(m->figure().is_range()) << m->text();
    }
  }
}

}  // namespace
}  // namespace wirescan

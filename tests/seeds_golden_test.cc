// Golden test on the seed articles in ../shared/seeds (relative to the repository root): each
// file is read as a plain-text article (first non-empty line the title, the rest the body) and
// analysed with the shipped rule pack. The expectations were written by hand from reading the
// articles: the figures (exact value, unit, qualifier) and organisations a careful reader finds,
// the investment events, and things that must NOT be figures (phone numbers, licence numbers,
// stock codes, "2.5D").
//
// An expectation about a surface string applies to every occurrence of that string in the
// field (at a token boundary): each must lie inside one mention of the expected kind. A mention
// may be wider than the string (qualifiers are part of a figure: "約0.93元").
//
// Skips when ../shared/seeds is absent.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
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

std::string SourceDir() {
  const char* dir = std::getenv("WIRESCAN_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : ".";
}

fs::path SeedsDir() { return fs::path(SourceDir()) / ".." / "shared" / "seeds"; }

bool IsDigitOrSep(char c) { return (c >= '0' && c <= '9') || c == '.' || c == ','; }
bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Byte offsets of `needle` in `hay` that are not part of a longer number or word: "5%" is not
// found inside "25%", "ASE" not inside "PHASE".
std::vector<size_t> Occurrences(std::string_view hay, std::string_view needle) {
  std::vector<size_t> out;
  const bool starts_alnum = IsAlnum(needle.front()) || IsDigitOrSep(needle.front());
  const bool ends_alnum = IsAlnum(needle.back());
  for (size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + 1)) {
    if (starts_alnum && pos > 0 && (IsAlnum(hay[pos - 1]) || IsDigitOrSep(hay[pos - 1]))) continue;
    size_t end = pos + needle.size();
    if (ends_alnum && end < hay.size() && IsAlnum(hay[end])) continue;
    out.push_back(pos);
  }
  return out;
}

class SeedsGoldenTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pack = rules::LoadRulePack(SourceDir() + "/rules");
    if (!pack.ok()) {
      pack_error_ = new std::string(pack.status().ToString());
      return;
    }
    pack_ = new std::shared_ptr<const rules::RulePack>(*pack);
  }
  static void TearDownTestSuite() {
    delete pack_;
    pack_ = nullptr;
    delete pack_error_;
    pack_error_ = nullptr;
  }

  void SetUp() override {
    if (!fs::is_directory(SeedsDir())) GTEST_SKIP() << "../shared/seeds absent";
    ASSERT_NE(pack_, nullptr) << "shipped rule pack does not load: "
                              << (pack_error_ != nullptr ? *pack_error_ : "");
  }

  // Reads the seed whose file name starts with `prefix` and analyses it. `source` plays the
  // role of the feed name (the seeds are plain text and have none).
  void Analyze(std::string_view prefix, std::string_view source = "") {
    fs::path path;
    for (const auto& e : fs::directory_iterator(SeedsDir())) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) path = e.path();
    }
    ASSERT_FALSE(path.empty()) << "no seed " << prefix << "* in " << SeedsDir();
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text_ = ss.str();
    name_ = path.filename().string();
    core::ArticleView view = parse::ParsePlainText(text_, name_);
    view.source = source;
    title_ = view.title;
    body_ = view.body;
    extract::Extractor extractor((*pack_)->rules, (*pack_)->model);
    ASSERT_TRUE(extractor.Analyze(view, {}, &analysis_).ok());
    std::string wire;
    ASSERT_TRUE(analysis_.SerializeToString(&wire));
  }

  std::string_view Field(std::string_view field) const { return field == "title" ? title_ : body_; }

  // The mention of `field` that covers [begin, end), if any.
  const v1::Mention* Covering(std::string_view field, size_t begin, size_t end) const {
    for (const v1::Mention& m : analysis_.mentions()) {
      if (extract::FieldName(m.field()) == field && m.begin() <= begin && m.end() >= end) return &m;
    }
    return nullptr;
  }

  std::string Near(std::string_view field, size_t pos) const {
    std::string out;
    for (const v1::Mention& m : analysis_.mentions()) {
      if (extract::FieldName(m.field()) != field) continue;
      if (m.end() + 80 < pos || m.begin() > pos + 80) continue;
      out += "\n    " + std::string(extract::MentionType(analysis_, m)) + " '" + m.text() + "' [" +
             std::to_string(m.begin()) + "," + std::to_string(m.end()) + ") " +
             std::string(extract::MentionCanonical(analysis_, m));
    }
    return out.empty() ? " (no mentions nearby)" : out;
  }

  std::string Context(std::string_view field, size_t pos, size_t len) const {
    std::string_view t = Field(field);
    // Snapped to UTF-8 character starts, so the message stays readable.
    auto cont = [&](size_t i) { return i < t.size() && (static_cast<unsigned char>(t[i]) & 0xC0) == 0x80; };
    size_t b = pos > 30 ? pos - 30 : 0;
    while (b > 0 && cont(b)) --b;
    size_t e = std::min(t.size(), pos + len + 30);
    while (e < t.size() && cont(e)) ++e;
    return std::string(t.substr(b, e - b));
  }

  // Every occurrence of `surface` in `field` (at least `min_count`) lies in a figure mention of
  // `type` with exactly this value and unit (and qualifier).
  void ExpectFigure(std::string_view field, std::string_view surface, std::string_view type,
                    double value, std::string_view unit,
                    v1::Qualifier qualifier = v1::QUALIFIER_EXACT, size_t min_count = 1) {
    SCOPED_TRACE(name_ + " " + std::string(field) + " '" + std::string(surface) + "'");
    std::vector<size_t> occ = Occurrences(Field(field), surface);
    ASSERT_GE(occ.size(), min_count) << "the expectation's text is not in the seed";
    for (size_t pos : occ) {
      const v1::Mention* m = Covering(field, pos, pos + surface.size());
      std::string where = " at " + std::to_string(pos) + " in \"" +
                          Context(field, pos, surface.size()) + "\"";
      if (m == nullptr || !m->has_figure()) {
        ADD_FAILURE() << "expected " << type << " " << std::fixed << value << " " << unit
                      << " for '" << surface << "'" << where << "; found:" << Near(field, pos);
        continue;
      }
      EXPECT_EQ(m->type(), type) << where << " mention '" << m->text() << "'";
      EXPECT_DOUBLE_EQ(m->figure().value(), value) << where << " mention '" << m->text() << "'";
      EXPECT_EQ(m->figure().unit(), unit) << where << " mention '" << m->text() << "'";
      EXPECT_EQ(m->figure().qualifier(), qualifier) << where << " mention '" << m->text() << "'";
      EXPECT_FALSE(m->figure().is_range()) << where;
    }
  }

  // The figure mention covering the first occurrence of `surface`, or null (with a failure).
  const v1::Mention* FigureAt(std::string_view field, std::string_view surface) {
    std::vector<size_t> occ = Occurrences(Field(field), surface);
    if (occ.empty()) {
      ADD_FAILURE() << "'" << surface << "' not in " << field;
      return nullptr;
    }
    const v1::Mention* m = Covering(field, occ[0], occ[0] + surface.size());
    if (m == nullptr || !m->has_figure()) {
      ADD_FAILURE() << "no figure at '" << surface << "':" << Near(field, occ[0]);
      return nullptr;
    }
    return m;
  }

  // Every occurrence of `surface` in `field` lies in an ORG mention (of rule `rule_id` when
  // given).
  void ExpectOrg(std::string_view field, std::string_view surface, std::string_view rule_id = "",
                 size_t min_count = 1) {
    SCOPED_TRACE(name_ + " " + std::string(field) + " '" + std::string(surface) + "'");
    std::vector<size_t> occ = Occurrences(Field(field), surface);
    ASSERT_GE(occ.size(), min_count) << "the expectation's text is not in the seed";
    std::string missing;
    size_t n_missing = 0;
    for (size_t pos : occ) {
      const v1::Mention* m = Covering(field, pos, pos + surface.size());
      std::string where = " at " + std::to_string(pos) + " in \"" +
                          Context(field, pos, surface.size()) + "\"";
      if (m == nullptr || extract::MentionType(analysis_, *m) != "ORG") {
        ++n_missing;
        missing += "\n    " + where + "; nearby:" + Near(field, pos);
        continue;
      }
      if (!rule_id.empty()) {
        EXPECT_EQ(extract::MentionRuleId(analysis_, *m), rule_id) << where;
      }
    }
    if (n_missing > 0) {
      ADD_FAILURE() << "expected ORG " << (rule_id.empty() ? "(any rule)" : rule_id) << " for '"
                    << surface << "': " << n_missing << " of " << occ.size()
                    << " occurrence(s) not found:" << missing;
    }
  }

  // No MONEY / PERCENT / QUANTITY mention overlaps any occurrence of `surface`.
  void ExpectNoFigure(std::string_view field, std::string_view surface) {
    SCOPED_TRACE(name_ + " " + std::string(field) + " '" + std::string(surface) + "'");
    std::string_view t = Field(field);
    size_t n = 0;
    for (size_t pos = t.find(surface); pos != std::string_view::npos;
         pos = t.find(surface, pos + 1), ++n) {
      for (const v1::Mention& m : analysis_.mentions()) {
        if (extract::FieldName(m.field()) != field || !m.has_figure() || m.type() == "DATE") continue;
        if (m.begin() < pos + surface.size() && m.end() > pos) {
          ADD_FAILURE() << "'" << surface << "' is not a figure, found " << m.type() << " '"
                        << m.text() << "' -> " << m.canonical();
        }
      }
    }
    EXPECT_GT(n, 0u) << "the expectation's text is not in the seed";
  }

  // An event of `type` whose attributes include all of `attrs`.
  void ExpectEvent(std::string_view type, const std::map<std::string, std::string>& attrs) {
    for (const v1::Event& e : analysis_.events()) {
      if (e.type() != type) continue;
      bool all = true;
      for (const auto& [k, v] : attrs) {
        const std::string* got = extract::EventValue(e, k);
        all &= got != nullptr && *got == v;
      }
      if (all) return;
    }
    std::string want, have;
    for (const auto& [k, v] : attrs) want += " " + k + "=" + v;
    for (const v1::Event& e : analysis_.events()) {
      have += "\n    " + e.type() + " trigger '" + e.trigger() + "' (" +
              std::string(extract::FieldName(e.field())) + ")";
      for (const auto& [k, v] : extract::EventValues(e)) have += " " + k + "=" + v;
    }
    ADD_FAILURE() << name_ << ": no " << type << " event with" << want << "; events:" << have;
  }

  // Every event of `type` whose `key` attribute is `value` has attribute `attr` == `want` if it
  // has `attr` at all.
  void ExpectEventsAttribute(std::string_view type, std::string_view key, std::string_view value,
                             const std::string& attr, std::string_view want) {
    for (const v1::Event& e : analysis_.events()) {
      if (e.type() != type) continue;
      const std::string* k = extract::EventValue(e, key);
      if (k == nullptr || *k != value) continue;
      const std::string* a = extract::EventValue(e, attr);
      if (a == nullptr) continue;
      EXPECT_EQ(*a, want) << name_ << ": " << type << " event of " << value << " (trigger '"
                          << e.trigger() << "' in " << extract::FieldName(e.field()) << " ["
                          << e.begin() << "," << e.end() << ")) has " << attr << " " << *a;
    }
  }

  static std::shared_ptr<const rules::RulePack>* pack_;
  static std::string* pack_error_;
  std::string text_, name_;
  std::string_view title_, body_;
  v1::ArticleAnalysis analysis_;
};

std::shared_ptr<const rules::RulePack>* SeedsGoldenTest::pack_ = nullptr;
std::string* SeedsGoldenTest::pack_error_ = nullptr;

constexpr auto kExact = v1::QUALIFIER_EXACT;
constexpr auto kApprox = v1::QUALIFIER_APPROXIMATE;
constexpr auto kAtLeast = v1::QUALIFIER_AT_LEAST;

// 000: "JCET Invests $1.15B in New Shanghai Advanced Packaging Plant" (SCMP via an aggregator;
// the file has mojibake bullets, which must not disturb anything).
TEST_F(SeedsGoldenTest, Jcet000Figures) {
  Analyze("000_");
  ASSERT_EQ(title_, "JCET Invests $1.15B in New Shanghai Advanced Packaging Plant");
  ExpectFigure("title", "$1.15B", "MONEY", 1150000000, "USD");
  ExpectFigure("body", "$1.15B", "MONEY", 1150000000, "USD");
  ExpectFigure("body", "7.8 billion yuan", "MONEY", 7800000000, "CNY");
  ExpectFigure("body", "US$1.15 billion", "MONEY", 1150000000, "USD");
  // A bare "$" is resolved by the pack's default; "US$" is written out.
  if (const v1::Mention* m = FigureAt("body", "$1.15B")) {
    EXPECT_TRUE(m->figure().currency_inferred());
    EXPECT_EQ(m->figure().currency_token(), "$");
    EXPECT_DOUBLE_EQ(m->figure().scale(), 1e9);
  }
  if (const v1::Mention* m = FigureAt("body", "US$1.15 billion")) {
    EXPECT_FALSE(m->figure().currency_inferred());
    EXPECT_EQ(m->text(), "US$1.15 billion");
  }
  if (const v1::Mention* m = FigureAt("body", "7.8 billion yuan")) {
    EXPECT_EQ(m->text(), "7.8 billion yuan");
    EXPECT_EQ(m->canonical(), "7800000000 CNY");
  }
  ExpectNoFigure("body", "30-Second");
  ExpectNoFigure("body", "2.5D");
  ExpectNoFigure("body", "3D stacking");
}

TEST_F(SeedsGoldenTest, Jcet000Organisations) {
  Analyze("000_");
  ExpectOrg("title", "JCET", "org.jcet");
  ExpectOrg("body", "JCET", "org.jcet", 4);
  ExpectOrg("body", "ASE Technology", "org.ase");
  ExpectOrg("body", "Amkor Technology", "org.amkor");
  ExpectOrg("body", "Tongfu Microelectronics", "org.tongfu");
  ExpectOrg("body", "Powertech Technology", "org.powertech");
  ExpectOrg("body", "AMD", "org.amd");
  ExpectOrg("body", "Big Fund", "org.big_fund");
}

TEST_F(SeedsGoldenTest, Jcet000InvestmentEvents) {
  Analyze("000_");
  // Title: "JCET Invests $1.15B in New Shanghai ..."
  ExpectEvent("investment",
              {{"company", "JCET Group"}, {"amount", "1150000000 USD"}, {"place", "Shanghai"}});
  // "JCET will invest 7.8 billion yuan (US$1.15 billion) in a new Shanghai-based facility."
  ExpectEvent("investment",
              {{"company", "JCET Group"}, {"amount", "7800000000 CNY"}, {"place", "Shanghai"}});
  ExpectEventsAttribute("investment", "company", "JCET Group", "place", "Shanghai");
  for (const v1::Event& e : analysis_.events()) {
    if (e.type() == "investment") {
      EXPECT_EQ(e.primary_entity(), "org.jcet");
    }
  }
}

// 001: "Innotron Invests $2.4B in Shanghai Chip Plant".
TEST_F(SeedsGoldenTest, Innotron001Figures) {
  Analyze("001_");
  ASSERT_EQ(title_, "Innotron Invests $2.4B in Shanghai Chip Plant");
  ExpectFigure("title", "$2.4B", "MONEY", 2400000000, "USD");
  ExpectFigure("body", "$2.4 Billion", "MONEY", 2400000000, "USD");
  ExpectFigure("body", "$2.4 billion", "MONEY", 2400000000, "USD", kExact, 2);
  ExpectFigure("body", "5.5%", "PERCENT", 5.5, "%");
  ExpectFigure("body", "82%", "PERCENT", 82, "%");
  ExpectNoFigure("body", "mid-2026");
  ExpectNoFigure("body", "Q4 forecast");
}

TEST_F(SeedsGoldenTest, Innotron001Organisations) {
  Analyze("001_");
  ExpectOrg("title", "Innotron", "org.innotron");
  ExpectOrg("body", "Innotron", "org.innotron", 8);
  ExpectOrg("body", "CXMT", "org.cxmt", 2);
  ExpectOrg("body", "ChangXin Memory Technologies", "org.cxmt");
  ExpectOrg("body", "Micron", "org.micron", 4);
}

TEST_F(SeedsGoldenTest, Innotron001InvestmentEvents) {
  Analyze("001_");
  ExpectEvent("investment",
              {{"company", "Innotron Memory"}, {"amount", "2400000000 USD"}, {"place", "Shanghai"}});
  // "Innotron, the parent company of China's CXMT, has revealed its plans to invest $2.4 billion
  // in a cutting-edge chip packaging facility in Shanghai." The plant is in Shanghai; "China's"
  // qualifies CXMT. Every Innotron investment event that names a place names Shanghai.
  ExpectEventsAttribute("investment", "company", "Innotron Memory", "place", "Shanghai");
  // "Micron's Q3 revenue surges by 82%".
  ExpectEvent("earnings", {{"company", "Micron Technology"}, {"change", "82 %"}});
}

// 003: four pieces from Taiwanese financial sites (cnyes.com 鉅亨: the notes link to
// https://www.cnyes.com/twstock/...; "台幣貶值"). A bare 元 there is the New Taiwan dollar.
struct ZhFigure {
  const char* surface;
  const char* type;
  double value;
  v1::Qualifier qualifier;
};

// The 元 amounts and percentages of the two 鉅樂部 notes (AES-KY, 鴻準), by hand.
const ZhFigure kZhMoney[] = {
    {"1,580 億元", "MONEY", 158000000000, kExact},
    {"1,003 億元", "MONEY", 100300000000, kExact},
    {"2,011 億元", "MONEY", 201100000000, kExact},
    {"27.5 億元", "MONEY", 2750000000, kExact},
    {"55.9 億元", "MONEY", 5590000000, kExact},
    {"25.39 元", "MONEY", 25.39, kExact},
    {"51.54 元", "MONEY", 51.54, kExact},
    {"50 元以上", "MONEY", 50, kAtLeast},
    {"412.2億元", "MONEY", 41220000000, kExact},
    {"423.5億元", "MONEY", 42350000000, kExact},
    {"約0.93元", "MONEY", 0.93, kApprox},
    {"1436億元", "MONEY", 143600000000, kExact},
    {"約40億元", "MONEY", 4000000000, kApprox},
    {"1492億元", "MONEY", 149200000000, kExact},
    {"758億元", "MONEY", 75800000000, kExact},
    {"46億元", "MONEY", 4600000000, kExact},
    {"約56億元", "MONEY", 5600000000, kApprox},
};
const ZhFigure kZhPercent[] = {
    {"57%", "PERCENT", 57, kExact},     {"37.0%", "PERCENT", 37, kExact},
    {"33%", "PERCENT", 33, kExact},     {"27%", "PERCENT", 27, kExact},
    {"11% 左右", "PERCENT", 11, kApprox}, {"25.9%", "PERCENT", 25.9, kExact},
    {"42%", "PERCENT", 42, kExact},     {"37%", "PERCENT", 37, kExact},
    {"26%", "PERCENT", 26, kExact},     {"37.4%", "PERCENT", 37.4, kExact},
    {"205.4%", "PERCENT", 205.4, kExact}, {"2.97%", "PERCENT", 2.97, kExact},
    {"4.4%", "PERCENT", 4.4, kExact},   {"89%", "PERCENT", 89, kExact},
    {"5%以上", "PERCENT", 5, kAtLeast},  {"36%", "PERCENT", 36, kExact},
    {"6.36%", "PERCENT", 6.36, kExact}, {"4.18%", "PERCENT", 4.18, kExact},
    {"5.25%", "PERCENT", 5.25, kExact},
    // "工控儲能佔比提高至 3 成": three tenths.
    {"3 成", "PERCENT", 30, kExact},
};

TEST_F(SeedsGoldenTest, Zh003FiguresFromTaiwaneseSource) {
  Analyze("003_", "cnyes.com");
  for (const ZhFigure& f : kZhMoney) {
    ExpectFigure("body", f.surface, f.type, f.value, "TWD", f.qualifier);
  }
  for (const ZhFigure& f : kZhPercent) {
    ExpectFigure("body", f.surface, f.type, f.value, "%", f.qualifier);
  }
  if (const v1::Mention* m = FigureAt("body", "1,580 億元")) {
    EXPECT_EQ(m->text(), "1,580 億元");
    EXPECT_TRUE(m->figure().currency_inferred());
    EXPECT_EQ(m->figure().currency_token(), "元");
    EXPECT_DOUBLE_EQ(m->figure().scale(), 1e8);
  }
  // Not figures: a phone number, a licence number, stock codes, a quarter count.
  ExpectNoFigure("body", "02-87722136");
  ExpectNoFigure("body", "(110)金管投顧字第021號");
  ExpectNoFigure("body", "AES-KY(6781)");
  ExpectNoFigure("body", "鴻準(2354)");
  ExpectNoFigure("body", "27季");
}

// Without a source the bare 元 falls back to the pack default, and says so.
TEST_F(SeedsGoldenTest, Zh003BareYuanWithoutSourceIsInferred) {
  Analyze("003_");
  for (const ZhFigure& f : kZhMoney) {
    if (const v1::Mention* m = FigureAt("body", f.surface)) {
      EXPECT_DOUBLE_EQ(m->figure().value(), f.value) << f.surface;
      EXPECT_TRUE(m->figure().currency_inferred()) << f.surface;
      EXPECT_EQ(m->figure().currency_token(), "元") << f.surface;
      EXPECT_EQ(m->figure().unit(), "CNY") << f.surface;
    }
  }
}

TEST_F(SeedsGoldenTest, Zh003Organisations) {
  Analyze("003_", "cnyes.com");
  ExpectOrg("body", "輝達", "org.nvidia");
  ExpectOrg("body", "Amazon", "org.amazon", 2);
  ExpectOrg("body", "Google", "org.google", 2);
  ExpectOrg("body", "Microsoft", "org.microsoft", 2);
  ExpectOrg("body", "Meta", "org.meta");
  ExpectOrg("body", "鴻海", "org.foxconn");
  ExpectOrg("body", "蘋果", "org.apple");
  // The companies the two notes are about, and a customer.
  ExpectOrg("body", "AES-KY");      // 6781.TW, Simplo's battery-module arm
  ExpectOrg("body", "新普科技");    // Simplo Technology, 6121.TW
  ExpectOrg("body", "鴻準");        // Foxconn Technology, 2354.TW
  ExpectOrg("body", "任天堂");      // Nintendo
}

TEST_F(SeedsGoldenTest, EveryMentionIsItsText) {
  for (const char* prefix : {"000_", "001_", "003_"}) {
    Analyze(prefix);
    for (const v1::Mention& m : analysis_.mentions()) {
      std::string_view f = Field(extract::FieldName(m.field()));
      ASSERT_LE(m.begin(), m.end());
      ASSERT_LE(m.end(), f.size());
      EXPECT_EQ(m.text(), f.substr(m.begin(), m.end() - m.begin())) << name_;
      if (m.has_figure()) {
        EXPECT_FALSE(m.figure().unit().empty()) << name_ << " " << m.text();
      }
    }
  }
}

}  // namespace
}  // namespace wirescan

// The extractor's work on generated worst cases (issue 14): one sentence of a megabyte full of
// triggers, figures and aliases, a megabyte of digits, a megabyte of one CJK scale character.
// The work is counted (core::WorkBudget's steps: bytes scanned, figure grammar steps, mentions,
// event slot candidates), never timed. Also: the per-slot indexes of long windows choose what
// the window scan chooses, and a budget or a cancel stops an analysis part-way.

#include <atomic>
#include <climits>
#include <random>
#include <string>
#include <vector>

#include "engine/core/work_budget.h"
#include "engine/extract/extractor.h"
#include "engine/rules/rule_pack.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace wirescan::extract {
namespace {

std::shared_ptr<const rules::RulePack> Pack() {
  static const std::shared_ptr<const rules::RulePack> pack = [] {
    auto p = rules::LoadRulePack(std::string(WIRESCAN_DEFAULT_RULES_DIR), "");
    if (!p.ok()) {
      ADD_FAILURE() << p.status();
      return std::shared_ptr<const rules::RulePack>();
    }
    return *p;
  }();
  return pack;
}

// Words of the shipped rules (rules/*.yaml): event triggers, company and place aliases,
// figures. No full stop: `n` bytes are one sentence.
std::string DenseSentence(size_t n) {
  static constexpr std::string_view kUnit =
      "TSMC will invest US$1.5 billion and Samsung plans to spend 20% more, while Intel raises "
      "capacity by 30,000 wafers per month in Taiwan and 台積電投資120億美元, JCET revenue rose 5% "
      "to $2 billion, a tariff of 25% on China, export controls on Huawei, ";
  std::string s;
  while (s.size() + kUnit.size() <= n) s.append(kUnit);
  return s;
}
std::string Digits(size_t n) { return std::string(n, '7'); }
std::string CjkScale(size_t n) {
  std::string s;
  while (s.size() + 3 <= n) s.append("億");
  return s;
}

core::ArticleView View(const std::string& body) {
  core::ArticleView v;
  v.id = "work";
  v.title = "Worst case";
  v.body = body;
  v.source = "test";
  return v;
}

// The steps of one analysis of `body`, counted without a limit.
uint64_t Work(Extractor& extractor, const std::string& body, v1::ArticleAnalysis* out) {
  core::WorkBudget budget(nullptr, nullptr);
  budget.Arm(0);
  absl::Status s = extractor.Analyze(View(body), {.budget = &budget}, out);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_FALSE(budget.stopped());
  return budget.work();
}

// Steps per byte allowed: the dense sentence needs ~10 (a mention every ~8 bytes, each with
// its grammar steps, and the event slots of ~1 trigger per 40 bytes).
constexpr uint64_t kStepsPerByte = 32;

class ExtractorWorkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(Pack(), nullptr);
    extractor_ = std::make_unique<Extractor>(Pack()->rules, Pack()->model);
  }
  std::unique_ptr<Extractor> extractor_;
};

TEST_F(ExtractorWorkTest, WorstCasesAreLinear) {
  struct Case {
    const char* name;
    std::string (*make)(size_t);
  };
  for (const Case& c : {Case{"dense sentence", DenseSentence}, Case{"digits", Digits},
                        Case{"CJK scale", CjkScale}}) {
    v1::ArticleAnalysis small_out, large_out;
    const std::string small = c.make(256 << 10), large = c.make(1 << 20);
    const uint64_t small_work = Work(*extractor_, small, &small_out);
    const uint64_t large_work = Work(*extractor_, large, &large_out);
    std::printf("%s: %zu bytes %llu steps (%d mentions, %d events); %zu bytes %llu steps "
                "(%d mentions, %d events)\n",
                c.name, small.size(), static_cast<unsigned long long>(small_work),
                small_out.mentions_size(), small_out.events_size(), large.size(),
                static_cast<unsigned long long>(large_work), large_out.mentions_size(),
                large_out.events_size());
    EXPECT_LE(large_work, kStepsPerByte * large.size()) << c.name;
    // Four times the bytes, about four times the work (a quadratic step would be 16).
    EXPECT_LE(large_work, 5 * small_work) << c.name;
  }
  // The dense sentence really is the worst case it claims to be.
  v1::ArticleAnalysis out;
  Work(*extractor_, DenseSentence(1 << 20), &out);
  EXPECT_GT(out.mentions_size(), 50000);
  // Events assembled, before agreeing ones merge into one per real-world event.
  const MergeStats& merge = extractor_->last_merge_stats();
  EXPECT_GT(static_cast<size_t>(out.events_size()) + merge.merged, 5000u);
  EXPECT_GE(out.events_size(), 1);
}

// The counter sees the quadratic step: scanning every long window (the assembly before issue
// 14's fix) goes far over the bound already at 64 KiB.
TEST_F(ExtractorWorkTest, ScanningLongWindowsWouldBreakTheBound) {
  const std::string body = DenseSentence(64 << 10);
  v1::ArticleAnalysis indexed, scanned;
  const uint64_t linear = Work(*extractor_, body, &indexed);
  extractor_->SetDirectWindowForTesting(INT_MAX);
  const uint64_t quadratic = Work(*extractor_, body, &scanned);
  EXPECT_LE(linear, kStepsPerByte * body.size());
  EXPECT_GT(quadratic, 10 * kStepsPerByte * body.size());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(indexed, scanned));
}

// The indexes choose exactly what the scan chooses, on random sentences of the shipped
// vocabulary (every slot preference, ties, mentions taken by another slot, byte windows).
TEST_F(ExtractorWorkTest, IndexesChooseWhatTheScanChooses) {
  static constexpr std::string_view kWords[] = {
      "TSMC", "Samsung", "Intel", "JCET", "Huawei", "SMIC", "ASE", "UMC", "Taiwan", "China",
      "Japan", "Nanjing", "Arizona", "invest", "invested", "to spend", "capacity", "output",
      "revenue", "net profit", "sales", "tariff", "duty", "export controls", "Entity List",
      "US$1.5 billion", "$2 billion", "20%", "5%", "25 percent", "30,000 wafers", "1,000 units",
      "120億美元", "投資", "產能", "台積電", "in 2025", "on Monday", "EUV", "HBM", "3nm",
      "and", "while", "said", "the", "of", ",", "rose", "by", "per month", "plans", "\n"};
  std::mt19937 rng(14);
  Extractor scan(Pack()->rules, Pack()->model);
  scan.SetDirectWindowForTesting(INT_MAX);
  extractor_->SetDirectWindowForTesting(0);
  int events = 0;
  for (int round = 0; round < 300; ++round) {
    std::string body;
    const int words = 20 + static_cast<int>(rng() % 400);
    for (int i = 0; i < words; ++i) {
      body.append(kWords[rng() % std::size(kWords)]);
      body.push_back(rng() % 40 == 0 ? '.' : ' ');
      if (body.back() == '.') body.push_back(' ');
    }
    v1::ArticleAnalysis a, b;
    ASSERT_TRUE(extractor_->Analyze(View(body), {}, &a).ok());
    ASSERT_TRUE(scan.Analyze(View(body), {}, &b).ok());
    events += a.events_size();
    ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a, b))
        << "round " << round << ": " << body;
  }
  EXPECT_GT(events, 1000);  // the comparison saw events
}

// A clock that moves 1 ms of CPU per reading; on reading `cancel_at` it sets `cancel` (a
// shutdown arriving mid-record) and notes how much work the budget had counted.
class FakeClock : public core::CpuClock {
 public:
  int64_t NowNanos() override {
    ++readings;
    if (readings == cancel_at && cancel != nullptr) {
      cancel->store(true);
      work_at_cancel = budget->work();
    }
    return readings * 1000000;
  }
  int readings = 0;
  int cancel_at = -1;
  std::atomic<bool>* cancel = nullptr;
  core::WorkBudget* budget = nullptr;
  uint64_t work_at_cancel = 0;
};

TEST_F(ExtractorWorkTest, ABudgetCutsTheRecordTooSlow) {
  const std::string body = DenseSentence(1 << 20);
  v1::ArticleAnalysis full;
  const uint64_t full_work = Work(*extractor_, body, &full);
  FakeClock clock;
  core::WorkBudget budget(&clock, nullptr);
  budget.Arm(5000000);  // 5 ms: six readings
  v1::ArticleAnalysis cut;
  ASSERT_TRUE(extractor_->Analyze(View(body), {.budget = &budget}, &cut).ok());
  EXPECT_EQ(budget.stop(), core::WorkBudget::Stop::kTooSlow);
  EXPECT_EQ(clock.readings, 6);
  // Stopped at the sixth reading, well before the end (a field's scan and its figure grammar
  // are one step each, so the first readings come after them).
  EXPECT_LT(budget.work(), full_work / 2);
  EXPECT_LT(cut.events_size(), full.events_size());
  // The same extractor analyses the next record whole.
  v1::ArticleAnalysis again;
  EXPECT_EQ(Work(*extractor_, body, &again), full_work);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(full, again));
}

TEST_F(ExtractorWorkTest, ACancelMidRecordStopsAtTheNextCheck) {
  const std::string body = DenseSentence(1 << 20);
  v1::ArticleAnalysis full;
  const uint64_t full_work = Work(*extractor_, body, &full);
  for (int cancel_at : {1, 3, 10}) {
    std::atomic<bool> cancel{false};
    FakeClock clock;
    core::WorkBudget budget(&clock, &cancel);
    clock.cancel = &cancel;
    clock.cancel_at = cancel_at;
    clock.budget = &budget;
    budget.Arm(INT64_MAX);  // no CPU limit in reach: only the cancel stops it
    v1::ArticleAnalysis out;
    ASSERT_TRUE(extractor_->Analyze(View(body), {.budget = &budget}, &out).ok());
    EXPECT_EQ(budget.stop(), core::WorkBudget::Stop::kCancelled) << cancel_at;
    EXPECT_EQ(clock.readings, cancel_at);
    // Nothing was counted after the cancel: the next check stopped it.
    EXPECT_EQ(budget.work(), clock.work_at_cancel);
    EXPECT_LT(budget.work(), full_work / 2);
  }
}

}  // namespace
}  // namespace wirescan::extract

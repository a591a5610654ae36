#include "engine/eval/eval.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/eval/eval_command.h"
#include "engine/extract/output.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace wirescan::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::DoubleEq;

v1::eval::Labels LabelsFromJson(const std::string& json) {
  v1::eval::Labels labels;
  auto s = google::protobuf::util::JsonStringToMessage(json, &labels);
  EXPECT_TRUE(s.ok()) << s.message() << " in " << json;
  return labels;
}

v1::eval::TopicMapping Mapping() {
  v1::eval::TopicMapping m;
  auto s = ParseTopicMapping(
      "topics:\n"
      "  - {topic: earn, events: [earnings]}\n"
      "  - {topic: trade, events: [tariff, trade_balance]}\n",
      "topics.yaml");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : m;
}

v1::Event* AddEvent(v1::ArticleAnalysis* a, const std::string& type,
                    std::vector<std::pair<std::string, std::string>> attributes,
                    uint32_t begin = 0, uint32_t end = 0, const std::string& field = "body") {
  v1::Event* e = a->add_events();
  e->set_type(type);
  e->set_field(extract::FieldOf(field));
  e->set_begin(begin);
  e->set_end(end);
  for (const auto& [k, v] : attributes) {
    v1::EventSlot* slot = e->add_slots();
    slot->set_role(k);
    slot->set_canonical(v);
  }
  return e;
}

TEST(CountsTest, PrecisionRecallF1) {
  Counts c{.tp = 3, .fp = 1, .fn = 3};
  EXPECT_DOUBLE_EQ(c.Precision(), 0.75);
  EXPECT_DOUBLE_EQ(c.Recall(), 0.5);
  EXPECT_DOUBLE_EQ(c.F1(), 0.6);
  Counts none;
  EXPECT_DOUBLE_EQ(none.Precision(), 1.0);  // nothing claimed, nothing wrong
  EXPECT_DOUBLE_EQ(none.Recall(), 1.0);
  Counts all_wrong{.tp = 0, .fp = 2, .fn = 2};
  EXPECT_DOUBLE_EQ(all_wrong.F1(), 0.0);
}

TEST(TopicMappingTest, RejectsBadFiles) {
  EXPECT_THAT(ParseTopicMapping("topics:\n  - {topic: earn}\n", "t.yaml").status().message(),
              HasSubstr("t.yaml:2: a topic needs 'topic' and 'events'"));
  EXPECT_THAT(ParseTopicMapping("topics:\n  - {topic: a, events: [x]}\n  - {topic: a, events: [y]}\n",
                                "t.yaml")
                  .status()
                  .message(),
              HasSubstr("t.yaml:3: duplicate topic 'a'"));
  EXPECT_THAT(ParseTopicMapping("topics:\n  - {topic: a, event: [x]}\n", "t.yaml").status().message(),
              HasSubstr("t.yaml:2"));
  EXPECT_FALSE(LoadTopicMapping("/nonexistent/topics.yaml").ok());
}

// Five documents with known outcomes: earn found (tp), earn missed (fn), an earnings event in a
// story without the topic (fp), a trade story found through its second event type (tp), and an
// unindexed story that is not scored at all.
TEST(ScoreTest, DocumentLevelTopics) {
  Report r;
  v1::eval::TopicMapping topics = Mapping();
  v1::ArticleAnalysis with_earnings, with_balance, nothing;
  AddEvent(&with_earnings, "earnings", {{"company", "A"}});
  AddEvent(&with_balance, "trade_balance", {{"place", "US"}});
  ScoreArticle("d1", "", "", LabelsFromJson(R"({"topics": ["earn"], "topicsComplete": true})"),
               with_earnings, topics, &r);
  ScoreArticle("d2", "", "", LabelsFromJson(R"({"topics": ["earn"], "topicsComplete": true})"),
               nothing, topics, &r);
  ScoreArticle("d3", "", "", LabelsFromJson(R"({"topics": [], "topicsComplete": true})"),
               with_earnings, topics, &r);
  ScoreArticle("d4", "", "", LabelsFromJson(R"({"topics": ["trade", "acq"], "topicsComplete": true})"),
               with_balance, topics, &r);
  ScoreArticle("d5", "", "", LabelsFromJson(R"({"topics": [], "topicsComplete": false})"),
               with_earnings, topics, &r);
  EXPECT_EQ(r.topic_articles, 4u);
  const ClassReport& earn = r.topics.at("earn");
  EXPECT_EQ(earn.counts.tp, 1u);
  EXPECT_EQ(earn.counts.fp, 1u);
  EXPECT_EQ(earn.counts.fn, 1u);
  EXPECT_THAT(earn.misses, ElementsAre("d2"));
  EXPECT_THAT(earn.false_alarms, ElementsAre("d3"));
  EXPECT_THAT(r.Metric("topic.earn.precision"), Optional(DoubleEq(0.5)));
  EXPECT_THAT(r.Metric("topic.trade.recall"), Optional(DoubleEq(1.0)));
  EXPECT_EQ(r.Metric("topic.acq.recall"), std::nullopt);  // not in the mapping
  EXPECT_EQ(r.Metric("topic.earn.accuracy"), std::nullopt);
  EXPECT_THAT(r.Format(10), HasSubstr("earn -> earnings"));
}

// Two labelled investments and a background sentence; the pack emitted the first one twice
// (a duplicate), the second one with a wrong place, and an event inside the background text.
TEST(ScoreTest, EventsSlotsDuplicatesAndBackground) {
  const std::string body =
      "JCET will invest 7.8 billion yuan in Shanghai. Amkor invests $2 billion in Arizona. "
      "Amid US export controls, prices rose.";
  v1::eval::Labels labels = LabelsFromJson(R"({
    "events": [
      {"type": "investment", "status": "planned",
       "slots": {"company": "JCET Group", "amount": "7800000000 CNY|1150000000 USD",
                 "place": "Shanghai"}},
      {"type": "investment",
       "slots": {"company": "Amkor Technology", "amount": "2000000000 USD", "place": "Arizona",
                 "technology": ""}}],
    "notEvents": ["Amid US export controls", "not in the text"]})");
  v1::ArticleAnalysis a;
  AddEvent(&a, "investment",
           {{"company", "JCET Group"}, {"amount", "1150000000 USD"}, {"place", "Shanghai"},
            {"status", "planned"}},
           0, 45);
  AddEvent(&a, "investment", {{"company", "JCET Group"}, {"amount", "7800000000 CNY"}}, 0, 30);
  AddEvent(&a, "investment",
           {{"company", "Amkor Technology"}, {"amount", "2000000000 USD"}, {"place", "US"},
            {"technology", "HBM"}},
           47, 82);
  AddEvent(&a, "export_control", {{"target", "United States"}}, 89, 107);
  Report r;
  ScoreArticle("a1", "", body, labels, a, Mapping(), &r);
  EXPECT_EQ(r.event_articles, 1u);
  const ClassReport& inv = r.events.at("investment");
  EXPECT_EQ(inv.gold, 2u);
  EXPECT_EQ(inv.predicted, 3u);
  EXPECT_EQ(inv.counts.tp, 2u);
  EXPECT_EQ(inv.counts.fp, 1u);
  EXPECT_EQ(inv.counts.fn, 0u);
  const ClassReport& ec = r.events.at("export_control");
  EXPECT_EQ(ec.counts.fp, 1u);
  EXPECT_EQ(r.duplicates.size(), 1u);
  EXPECT_THAT(r.duplicates[0], HasSubstr("a1: investment{amount=7800000000 CNY"));
  ASSERT_EQ(r.background.size(), 1u);
  EXPECT_THAT(r.background[0], HasSubstr("export_control{target=United States}"));
  EXPECT_EQ(r.not_event_texts, 1u);
  // Slots: JCET 4/4 (status planned, either amount); Amkor company and amount right, place
  // wrong, technology emitted where none is expected.
  EXPECT_EQ(r.slots_scored, 8u);
  EXPECT_EQ(r.slots_correct, 6u);
  EXPECT_THAT(r.Metric("slots.accuracy"), Optional(DoubleEq(0.75)));
  const ClassReport& place = r.slots.at("investment.place");
  EXPECT_EQ(place.counts.tp, 1u);
  EXPECT_EQ(place.counts.fp, 1u);
  EXPECT_EQ(place.counts.fn, 1u);
  EXPECT_THAT(place.misses, ElementsAre("a1: place expected Arizona, got US"));
  EXPECT_EQ(r.slots.at("investment.technology").counts.fp, 1u);
  EXPECT_EQ(r.slots.at("investment.status").counts.tp, 1u);
  EXPECT_THAT(r.Metric("event.investment.precision"), Optional(DoubleEq(2.0 / 3)));
  EXPECT_THAT(r.Metric("events.precision"), Optional(DoubleEq(0.5)));
  EXPECT_THAT(r.Metric("events.recall"), Optional(DoubleEq(1.0)));
  EXPECT_THAT(r.Metric("events.duplicates"), Optional(DoubleEq(1)));
  EXPECT_THAT(r.Metric("events.background"), Optional(DoubleEq(1)));
  EXPECT_THAT(r.Metric("slot.investment.place.f1"), Optional(DoubleEq(0.5)));
  std::string text = r.Format(10);
  EXPECT_THAT(text, HasSubstr("slot accuracy: 0.750 (6/8)"));
  EXPECT_THAT(text, HasSubstr("duplicates: 1; background false alarms: 1"));
}

// An event whose slots all disagree with the label is not its pair: a miss and a false alarm.
TEST(ScoreTest, DisagreeingEventIsMissAndFalseAlarm) {
  v1::eval::Labels labels = LabelsFromJson(
      R"({"events": [{"type": "tariff", "slots": {"rate": "25 %", "target": "China"}}]})");
  v1::ArticleAnalysis a;
  AddEvent(&a, "tariff", {{"rate", "10 %"}, {"target", "Japan"}});
  Report r;
  ScoreArticle("t1", "", "", labels, a, Mapping(), &r);
  const ClassReport& t = r.events.at("tariff");
  EXPECT_EQ(t.counts.tp, 0u);
  EXPECT_EQ(t.counts.fp, 1u);
  EXPECT_EQ(t.counts.fn, 1u);
  EXPECT_THAT(t.misses, ElementsAre("t1: tariff{rate=25 %, target=China}"));
  EXPECT_TRUE(r.duplicates.empty());
  EXPECT_EQ(r.slots_scored, 0u);
  EXPECT_EQ(r.Metric("slots.accuracy"), std::nullopt);
}

// An article whose labels list no event but a background text: every event is a false alarm.
TEST(ScoreTest, NotEventsOnlyMakesTheEmptyListComplete) {
  v1::eval::Labels labels = LabelsFromJson(R"({"notEvents": ["is set to"]})");
  v1::ArticleAnalysis a;
  AddEvent(&a, "earnings", {{"company", "X"}});
  Report r;
  ScoreArticle("n1", "", "The market is set to grow.", labels, a, Mapping(), &r);
  EXPECT_EQ(r.events.at("earnings").counts.fp, 1u);
  EXPECT_EQ(r.background.size(), 0u);  // the event's span [0,0) is outside the text
}

TEST(ScoreTest, Mentions) {
  v1::eval::Labels labels = LabelsFromJson(R"({"mentions": [
      {"type": "ORG", "text": "JCET", "canonical": "JCET Group"},
      {"type": "ORG", "text": "Kestrel Micro Devices Inc"},
      {"type": "ORG", "text": "ASE", "canonical": "ASE Technology Holding"},
      {"type": "MONEY", "text": "$2 billion", "canonical": "2000000000 USD"}]})");
  v1::ArticleAnalysis a;
  auto add = [&](const std::string& type, const std::string& text, const std::string& canonical) {
    v1::Mention* m = a.add_mentions();
    m->set_text(text);
    if (type == "ORG") {  // an entity's mention: the type and canonical name are the entity's
      v1::Entity* e = a.add_entities();
      e->set_type(type);
      e->set_canonical(canonical);
      m->set_entity(static_cast<uint32_t>(a.entities_size() - 1));
      return;
    }
    m->set_type(type);
    m->set_canonical(canonical);
  };
  add("ORG", "JCET", "JCET Group");
  add("ORG", "JCET", "JCET Group");     // a second occurrence: one distinct mention
  add("ORG", "ASE", "Asia Pacific Steel");  // wrong canonical: fp + fn
  add("ORG", "Amkor", "Amkor Technology");  // not labelled: fp
  add("MONEY", "$2 billion", "2000000000 USD");
  add("PLACE", "Shanghai", "Shanghai");     // type not labelled: not scored
  Report r;
  ScoreArticle("m1", "", "", labels, a, Mapping(), &r);
  EXPECT_EQ(r.mention_articles, 1u);
  const ClassReport& org = r.mentions.at("ORG");
  EXPECT_EQ(org.gold, 3u);
  EXPECT_EQ(org.predicted, 3u);
  EXPECT_EQ(org.counts.tp, 1u);
  EXPECT_EQ(org.counts.fp, 2u);
  EXPECT_EQ(org.counts.fn, 2u);
  EXPECT_THAT(org.misses, ElementsAre("m1: 'ASE' -> ASE Technology Holding (got Asia Pacific Steel)",
                                      "m1: 'Kestrel Micro Devices Inc'"));
  EXPECT_EQ(r.mentions.at("MONEY").counts.tp, 1u);
  EXPECT_EQ(r.mentions.count("PLACE"), 0u);
  EXPECT_THAT(r.Metric("mention.ORG.recall"), Optional(DoubleEq(1.0 / 3)));
}

constexpr char kPack[] = R"yaml(figures:
  currencies:
    - {code: USD, prefixes: [US$], suffixes: [dollars]}
  scales:
    - {value: 1e9, words: [billion]}
entities:
  - {id: org.acme, type: ORG, canonical: Acme Corp, aliases: [Acme]}
events:
  - id: event.investment
    type: investment
    triggers: [invest, invests]
    slots:
      - {name: company, types: [ORG], required: true}
      - {name: amount, types: [MONEY], required: true}
)yaml";

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pack = rules::CompileRulePack({{"pack.yaml", kPack}});
    ASSERT_TRUE(pack.ok()) << pack.status();
    pack_ = *pack;
  }
  std::shared_ptr<const rules::RulePack> pack_;
};

TEST_F(EvaluatorTest, AnalysesAndScoresLines) {
  Evaluator ev(pack_, Mapping(), "TRAIN");
  ASSERT_TRUE(ev.AddLine(R"({"id": "a", "body": "Acme will invest US$2 billion.", "labels": {"split": "TRAIN", "events": [{"type": "investment", "slots": {"company": "Acme Corp", "amount": "2000000000 USD"}}]}})").ok());
  ASSERT_TRUE(ev.AddLine(R"({"id": "b", "body": "Acme will invest US$3 billion.", "labels": {"split": "TEST", "events": [{"type": "investment"}]}})").ok());
  ASSERT_TRUE(ev.AddLine(R"({"id": "c", "body": "Acme said nothing.", "labels": {"split": "TRAIN", "notEvents": ["said nothing"]}})").ok());
  ASSERT_TRUE(ev.AddLine(R"({"id": "d", "body": "No labels at all; Acme invests US$1 billion."})").ok());
  const Report& r = ev.report();
  EXPECT_EQ(r.articles, 2u);     // a and c; d has no split
  EXPECT_EQ(r.other_split, 2u);  // b and d
  EXPECT_EQ(r.event_articles, 2u);
  EXPECT_EQ(r.events.at("investment").counts.tp, 1u);
  EXPECT_EQ(r.events.at("investment").counts.fp, 0u);
  EXPECT_EQ(r.slots_correct, 2u);
}

TEST_F(EvaluatorTest, RejectsBadLines) {
  Evaluator ev(pack_, Mapping(), "");
  EXPECT_THAT(ev.AddLine("not json").message(), HasSubstr("not an article (not_json)"));
  EXPECT_THAT(ev.AddLine(R"({"id": "x", "title": "t"})").message(), HasSubstr("missing_body"));
  EXPECT_THAT(ev.AddLine(R"({"id": "x", "body": "b", "labels": {"topic": ["earn"]}})").message(),
              HasSubstr("labels:"));
  EXPECT_THAT(ev.AddLine(R"({"id": "x", "body": "b", "labels": {"events": [{"type": 3, "slots": []}]}})")
                  .message(),
              HasSubstr("labels:"));
  EXPECT_EQ(ev.report().articles, 0u);
}

class EvalCommandTest : public EvaluatorTest {
 protected:
  void SetUp() override {
    EvaluatorTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("wirescan_eval_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "rules");
    std::ofstream(dir_ / "rules" / "pack.yaml") << kPack;
    std::ofstream(dir_ / "labelled.ndjson")
        << R"({"id": "a", "body": "Acme will invest US$2 billion.", "labels": {"events": [{"type": "investment", "slots": {"company": "Acme Corp"}}]}})"
        << "\n\n"
        << R"({"id": "b", "body": "Acme's plan is background.", "labels": {"events": [{"type": "investment", "slots": {"company": "Acme Corp"}}]}})"
        << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunEvalCommand(args, (dir_ / "rules").string(), out_, err_);
  }
  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(EvalCommandTest, ChecksFloorsAndCeilings) {
  const std::string file = (dir_ / "labelled.ndjson").string();
  EXPECT_EQ(Run({file, "--min", "events.recall=0.5", "--max=events.duplicates=0"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("check events.recall >= 0.5: ok (0.5000)"));
  EXPECT_EQ(Run({file, "--min", "events.recall=0.6"}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("check events.recall >= 0.6: FAILED (0.5000)"));
  EXPECT_EQ(Run({file, "--min", "topic.earn.recall=0"}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("FAILED (not measured)"));
  EXPECT_EQ(Run({file, "--show", "all"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("misses event investment (1):\n  b: investment{company=Acme Corp}"));
}

TEST_F(EvalCommandTest, UsageErrors) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("no labelled article file"));
  EXPECT_EQ(Run({"--min", "events.recall"}), 2);
  EXPECT_EQ(Run({"--show", "many", "x"}), 2);
  EXPECT_EQ(Run({"--bogus", "x"}), 2);
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("Usage: wirescan rules eval"));
  EXPECT_EQ(Run({(dir_ / "missing.ndjson").string()}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read"));
  EXPECT_EQ(Run({"--rules", (dir_ / "nope").string(), (dir_ / "labelled.ndjson").string()}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot load rules"));
}

}  // namespace
}  // namespace wirescan::eval

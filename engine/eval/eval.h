#pragma once
// Quality of a rule pack, measured against labelled articles (`wirescan rules eval`).
//
// A labelled article is an NDJSON article with a `labels` object (wirescan.v1.eval.Labels,
// proto/wirescan/v1/eval.proto). Three levels are scored, each where the labels give it:
//   - document: a corpus topic (Reuters "earn") is found when the pack emits an event of one
//     of the types a TopicMapping file names for it (earn -> earnings);
//   - event: the labelled events against the emitted ones, per type (one-to-one, each label
//     paired with the emitted event of its type that agrees on most of its slots); the slots
//     of paired events, per type and slot; duplicates (a second event for one labelled event)
//     and background false alarms (an event inside a `not_events` text) are counted apart;
//   - mention: distinct (type, text) pairs, per type, for the types the labels list.
// Every level reports precision, recall and F1 per class and keeps the ids of its misses and
// false alarms.
//
// Lifecycle: ScoreArticle() is the pure scoring of one analysed article; Evaluator reads
// labelled NDJSON lines, analyses them with a rule pack and scores them; Report::Format()
// prints the tables, Report::Metric() answers "--min event.investment.recall=0.9" checks.
//
// Thread safety: thread-compatible (one Evaluator per thread); Report is a plain value.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/core/article.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
#include "engine/rules/rule_pack.h"
#include "simdjson.h"
#include "wirescan/v1/analysis.pb.h"
#include "wirescan/v1/eval.pb.h"

namespace wirescan::eval {

struct Counts {
  uint64_t tp = 0;
  uint64_t fp = 0;
  uint64_t fn = 0;
  // With nothing to score (tp + fp == 0, resp. tp + fn == 0) precision, resp. recall, is 1.
  double Precision() const;
  double Recall() const;
  double F1() const;
  void Add(const Counts& other) {
    tp += other.tp;
    fp += other.fp;
    fn += other.fn;
  }
};

// One scored class (a topic, an event type, a slot, a mention type).
struct ClassReport {
  Counts counts;
  uint64_t gold = 0;                       // labelled instances
  uint64_t predicted = 0;                  // emitted instances
  std::vector<std::string> misses;         // "article-id" or "article-id: what"
  std::vector<std::string> false_alarms;
};

struct Report {
  uint64_t articles = 0;          // scored or not, after the split filter
  uint64_t other_split = 0;       // left out by the split filter
  uint64_t topic_articles = 0;    // scored on document level
  uint64_t event_articles = 0;    // with event labels
  uint64_t mention_articles = 0;  // with mention labels
  std::vector<std::string> topic_order;  // the mapping's order
  std::map<std::string, std::string> topic_events;  // topic -> "earnings|..." (for printing)
  std::map<std::string, ClassReport> topics;
  std::map<std::string, ClassReport> events;    // by event type
  std::map<std::string, ClassReport> slots;     // "type.slot"
  std::map<std::string, ClassReport> mentions;  // by mention type
  uint64_t slots_correct = 0;     // slots of paired events whose value is right
  uint64_t slots_scored = 0;      // labelled slots of paired events
  uint64_t not_event_texts = 0;   // labelled background / look-alike texts found in articles
  std::vector<std::string> duplicates;   // second events of one labelled event
  std::vector<std::string> background;   // events emitted inside a not_events text

  Counts EventTotals() const;     // micro-average over event types
  // A metric by name: topic.<topic>.<m>, event.<type>.<m>, events.<m>, slot.<type>.<slot>.<m>,
  // mention.<TYPE>.<m> with <m> one of precision, recall, f1; slots.accuracy; the counts
  // events.duplicates and events.background. Unknown names (or a class that was never scored)
  // give nullopt.
  std::optional<double> Metric(std::string_view name) const;
  // The tables, then up to `show` misses and false alarms per class (SIZE_MAX: all).
  std::string Format(size_t show) const;
};

// Reads a TopicMapping YAML file ("topics: [{topic: earn, events: [earnings]}]").
absl::StatusOr<v1::eval::TopicMapping> ParseTopicMapping(std::string_view yaml,
                                                         std::string_view file);
absl::StatusOr<v1::eval::TopicMapping> LoadTopicMapping(const std::string& path);

// Scores one analysed article against its labels. `title` and `body` are the article's texts
// (the `not_events` texts are looked up in them).
void ScoreArticle(std::string_view id, std::string_view title, std::string_view body,
                  const v1::eval::Labels& labels, const v1::ArticleAnalysis& analysis,
                  const v1::eval::TopicMapping& topics, Report* report);

// The status of an emitted event as the eval compares it: "reported" unless the event says
// otherwise.
std::string_view EventStatus(const v1::Event& event);

class Evaluator {
 public:
  // `split`: only articles whose labels.split equals it are scored (empty: all).
  Evaluator(std::shared_ptr<const rules::RulePack> pack, v1::eval::TopicMapping topics,
            std::string split);

  // One NDJSON line: parsed like `wirescan extract` parses it (plus `labels`), analysed,
  // scored. An error says what is wrong with the line (the caller adds file:line).
  absl::Status AddLine(std::string_view line);

  const Report& report() const { return report_; }

 private:
  std::shared_ptr<const rules::RulePack> pack_;
  v1::eval::TopicMapping topics_;
  std::string split_;
  extract::Extractor extractor_;
  parse::JsonArticleParser parser_;
  simdjson::dom::parser labels_parser_;
  std::string padded_;
  v1::eval::Labels labels_;
  Report report_;
};

}  // namespace wirescan::eval

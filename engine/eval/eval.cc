#include "engine/eval/eval.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/core/strings.h"
#include "engine/extract/output.h"
#include "engine/rules/yaml_proto.h"
#include "google/protobuf/util/json_util.h"

namespace wirescan::eval {
namespace {

using v1::eval::EventLabel;
using v1::eval::Labels;
using v1::eval::TopicMapping;

// "a|b": either value is right. An empty expectation means "no value".
bool SlotValueMatches(std::string_view expected, std::string_view got) {
  for (absl::string_view alt : absl::StrSplit(core::Sv(expected), '|')) {
    if (std::string_view(alt.data(), alt.size()) == got) return true;
  }
  return false;
}

std::string DescribeLabel(const EventLabel& e) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : std::map<std::string, std::string>(e.slots().begin(), e.slots().end())) {
    parts.push_back(absl::StrCat(k, "=", v));
  }
  if (!e.status().empty()) parts.push_back(absl::StrCat("status=", e.status()));
  return absl::StrCat(e.type(), "{", absl::StrJoin(parts, ", "), "}");
}

std::string DescribeEvent(const v1::Event& e) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : extract::EventValues(e)) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrCat(e.type(), "{", absl::StrJoin(parts, ", "), "} '", e.trigger(), "' ",
                      core::Sv(extract::FieldName(e.field())), "[", e.begin(), ",", e.end(), ")");
}

const std::string* Attribute(const v1::Event& e, const std::string& name) {
  if (name == "status") return nullptr;
  return extract::EventValue(e, name);
}

// The value of slot `name` of an emitted event as scored ("status" included).
std::optional<std::string> PredictedSlot(const v1::Event& e, const std::string& name) {
  if (name == "status") return std::string(EventStatus(e));
  const std::string* v = Attribute(e, name);
  if (v == nullptr) return std::nullopt;
  return *v;
}

// The label's slots with the status as one more slot, sorted by name.
std::vector<std::pair<std::string, std::string>> ScoredSlots(const EventLabel& label) {
  std::vector<std::pair<std::string, std::string>> out(label.slots().begin(), label.slots().end());
  if (!label.status().empty()) out.emplace_back("status", label.status());
  std::sort(out.begin(), out.end());
  return out;
}

// How many of the label's (non-empty) slots the event gets right, or -1 when they cannot be
// one event: another type, or a labelled slot that has values and agrees with none.
int Agreement(const EventLabel& label, const v1::Event& e) {
  if (label.type() != e.type()) return -1;
  int agree = 0, valued = 0;
  for (const auto& [name, want] : label.slots()) {
    if (want.empty()) continue;
    ++valued;
    std::optional<std::string> got = PredictedSlot(e, name);
    if (got.has_value() && SlotValueMatches(want, *got)) ++agree;
  }
  if (valued > 0 && agree == 0) return -1;
  return agree;
}

// Occurrences of `needle` in `hay`.
std::vector<std::pair<uint32_t, uint32_t>> Find(std::string_view hay, std::string_view needle) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  if (needle.empty()) return out;
  for (size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + 1)) {
    out.emplace_back(static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + needle.size()));
  }
  return out;
}

void ScoreTopics(std::string_view id, const Labels& labels, const v1::ArticleAnalysis& analysis,
                 const TopicMapping& topics, Report* report) {
  if (!labels.topics_complete() && labels.topics().empty()) return;
  ++report->topic_articles;
  for (const auto& rule : topics.topics()) {
    bool gold = std::find(labels.topics().begin(), labels.topics().end(), rule.topic()) !=
                labels.topics().end();
    bool predicted = std::any_of(analysis.events().begin(), analysis.events().end(),
                                 [&](const v1::Event& e) {
                                   return std::find(rule.events().begin(), rule.events().end(),
                                                    e.type()) != rule.events().end();
                                 });
    ClassReport& c = report->topics[rule.topic()];
    c.gold += gold;
    c.predicted += predicted;
    if (gold && predicted) ++c.counts.tp;
    if (gold && !predicted) {
      ++c.counts.fn;
      c.misses.emplace_back(id);
    }
    if (!gold && predicted) {
      ++c.counts.fp;
      c.false_alarms.emplace_back(id);
    }
  }
}

void ScoreEvents(std::string_view id, std::string_view title, std::string_view body,
                 const Labels& labels, const v1::ArticleAnalysis& analysis, Report* report) {
  if (labels.events().empty() && labels.not_events().empty()) return;
  ++report->event_articles;
  const int n_gold = labels.events_size(), n_pred = analysis.events_size();
  // Candidate pairs, best agreement first; ties in label order, then emission order.
  std::vector<std::tuple<int, int, int>> pairs;  // (-agreement, gold, pred)
  for (int g = 0; g < n_gold; ++g) {
    for (int p = 0; p < n_pred; ++p) {
      int a = Agreement(labels.events(g), analysis.events(p));
      if (a >= 0) pairs.emplace_back(-a, g, p);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<int> gold_to(n_gold, -1), pred_to(n_pred, -1);
  for (const auto& [neg, g, p] : pairs) {
    if (gold_to[g] >= 0 || pred_to[p] >= 0) continue;
    gold_to[g] = p;
    pred_to[p] = g;
  }
  for (int g = 0; g < n_gold; ++g) {
    const EventLabel& label = labels.events(g);
    ClassReport& c = report->events[label.type()];
    ++c.gold;
    if (gold_to[g] < 0) {
      ++c.counts.fn;
      c.misses.push_back(absl::StrCat(core::Sv(id), ": ", DescribeLabel(label)));
      continue;
    }
    ++c.counts.tp;
    const v1::Event& e = analysis.events(gold_to[g]);
    for (const auto& [name, want] : ScoredSlots(label)) {
      ClassReport& s = report->slots[absl::StrCat(label.type(), ".", name)];
      std::optional<std::string> got = PredictedSlot(e, name);
      ++report->slots_scored;
      if (!want.empty()) ++s.gold;
      if (got.has_value()) ++s.predicted;
      if (want.empty()) {
        // The label says the event has no such value.
        if (got.has_value()) {
          ++s.counts.fp;
          s.false_alarms.push_back(absl::StrCat(core::Sv(id), ": ", name, "=", *got, " (none expected)"));
        } else {
          ++report->slots_correct;
        }
        continue;
      }
      if (got.has_value() && SlotValueMatches(want, *got)) {
        ++s.counts.tp;
        ++report->slots_correct;
        continue;
      }
      ++s.counts.fn;
      s.misses.push_back(absl::StrCat(core::Sv(id), ": ", name, " expected ", want,
                                      got.has_value() ? absl::StrCat(", got ", *got) : ", none"));
      if (got.has_value()) {
        ++s.counts.fp;
        s.false_alarms.push_back(absl::StrCat(core::Sv(id), ": ", name, "=", *got, " (expected ", want, ")"));
      }
    }
  }
  // Background texts: where no event may be.
  std::vector<std::pair<std::string_view, std::pair<uint32_t, uint32_t>>> quiet;
  for (const std::string& text : labels.not_events()) {
    bool found = false;
    for (auto span : Find(title, text)) {
      quiet.push_back({"title", span});
      found = true;
    }
    for (auto span : Find(body, text)) {
      quiet.push_back({"body", span});
      found = true;
    }
    report->not_event_texts += found;
  }
  for (int p = 0; p < n_pred; ++p) {
    const v1::Event& e = analysis.events(p);
    ClassReport& c = report->events[e.type()];
    ++c.predicted;
    bool in_quiet = false;
    for (const auto& [field, span] : quiet) {
      in_quiet |= field == extract::FieldName(e.field()) && e.begin() < span.second &&
                  span.first < e.end();
    }
    if (in_quiet) report->background.push_back(absl::StrCat(core::Sv(id), ": ", DescribeEvent(e)));
    if (pred_to[p] >= 0) continue;
    ++c.counts.fp;
    c.false_alarms.push_back(absl::StrCat(core::Sv(id), ": ", DescribeEvent(e)));
    // A duplicate: it could have been the pair of a label that another event already took.
    for (int g = 0; g < n_gold; ++g) {
      if (gold_to[g] >= 0 && Agreement(labels.events(g), e) >= 0) {
        report->duplicates.push_back(absl::StrCat(core::Sv(id), ": ", DescribeEvent(e)));
        break;
      }
    }
  }
}

void ScoreMentions(std::string_view id, const Labels& labels, const v1::ArticleAnalysis& analysis,
                   Report* report) {
  if (labels.mentions().empty()) return;
  ++report->mention_articles;
  // (type, text) -> expected canonical (empty: any), and what was emitted.
  std::map<std::pair<std::string, std::string>, std::string> gold;
  for (const auto& m : labels.mentions()) gold[{m.type(), m.text()}] = m.canonical();
  std::set<std::string> types;
  for (const auto& [key, canonical] : gold) types.insert(key.first);
  std::map<std::pair<std::string, std::string>, std::set<std::string>> predicted;
  for (const v1::Mention& m : analysis.mentions()) {
    const std::string type(extract::MentionType(analysis, m));
    if (types.count(type) > 0) {
      predicted[{type, m.text()}].insert(std::string(extract::MentionCanonical(analysis, m)));
    }
  }
  for (const auto& [key, canonical] : gold) {
    ClassReport& c = report->mentions[key.first];
    ++c.gold;
    auto it = predicted.find(key);
    if (it != predicted.end() && (canonical.empty() || it->second.count(canonical) > 0)) {
      ++c.counts.tp;
      continue;
    }
    ++c.counts.fn;
    c.misses.push_back(absl::StrCat(
        core::Sv(id), ": '", key.second, "'",
        canonical.empty() ? "" : absl::StrCat(" -> ", canonical),
        it == predicted.end() ? "" : absl::StrCat(" (got ", absl::StrJoin(it->second, "|"), ")")));
    if (it != predicted.end()) ++c.counts.fp;
  }
  for (const auto& [key, canonicals] : predicted) {
    ClassReport& c = report->mentions[key.first];
    ++c.predicted;
    if (gold.count(key) > 0) continue;
    ++c.counts.fp;
    c.false_alarms.push_back(absl::StrCat(core::Sv(id), ": '", key.second, "' -> ",
                                          absl::StrJoin(canonicals, "|")));
  }
}

std::string Ratio(double v) { return absl::StrFormat("%.3f", v); }

void AppendRow(std::string* out, std::string_view name, const ClassReport& c, size_t width) {
  absl::StrAppendFormat(out, "  %-*s %6d %6d %6d %6d %6d  %9s %6s %6s\n", static_cast<int>(width),
                        core::Sv(name), c.gold, c.predicted, c.counts.tp, c.counts.fp,
                        c.counts.fn, Ratio(c.counts.Precision()), Ratio(c.counts.Recall()),
                        Ratio(c.counts.F1()));
}

void AppendTable(std::string* out, std::string_view title,
                 const std::vector<std::pair<std::string, const ClassReport*>>& rows,
                 const ClassReport* total) {
  size_t width = 12;
  for (const auto& [name, c] : rows) width = std::max(width, name.size());
  absl::StrAppendFormat(out, "%s\n  %-*s %6s %6s %6s %6s %6s  %9s %6s %6s\n", core::Sv(title),
                        static_cast<int>(width), "", "gold", "pred", "tp", "fp", "fn",
                        "precision", "recall", "f1");
  for (const auto& [name, c] : rows) AppendRow(out, name, *c, width);
  if (total != nullptr) AppendRow(out, "(all)", *total, width);
}

void AppendList(std::string* out, std::string_view what, std::string_view name,
                const std::vector<std::string>& items, size_t show) {
  if (items.empty() || show == 0) return;
  absl::StrAppendFormat(out, "%s %s (%d):\n", core::Sv(what), core::Sv(name), items.size());
  size_t n = std::min(show, items.size());
  for (size_t i = 0; i < n; ++i) absl::StrAppend(out, "  ", items[i], "\n");
  if (n < items.size()) {
    absl::StrAppend(out, "  ... ", items.size() - n, " more (--show N)\n");
  }
}

std::optional<double> Pick(const Counts& c, std::string_view metric) {
  if (metric == "precision") return c.Precision();
  if (metric == "recall") return c.Recall();
  if (metric == "f1") return c.F1();
  return std::nullopt;
}

std::optional<double> PickClass(const std::map<std::string, ClassReport>& classes,
                                std::string_view key, std::string_view metric) {
  auto it = classes.find(std::string(key));
  if (it == classes.end()) return std::nullopt;
  return Pick(it->second.counts, metric);
}

}  // namespace

double Counts::Precision() const {
  return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fp);
}
double Counts::Recall() const {
  return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fn);
}
double Counts::F1() const {
  double p = Precision(), r = Recall();
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

Counts Report::EventTotals() const {
  Counts total;
  for (const auto& [type, c] : events) total.Add(c.counts);
  return total;
}

std::optional<double> Report::Metric(std::string_view name) const {
  if (name == "slots.accuracy") {
    if (slots_scored == 0) return std::nullopt;
    return static_cast<double>(slots_correct) / static_cast<double>(slots_scored);
  }
  if (name == "events.duplicates") return static_cast<double>(duplicates.size());
  if (name == "events.background") return static_cast<double>(background.size());
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view head = name.substr(0, dot), metric = name.substr(dot + 1);
  if (head == "events") {
    if (event_articles == 0) return std::nullopt;
    return Pick(EventTotals(), metric);
  }
  auto strip = [&](std::string_view prefix, std::string_view* rest) {
    if (head.substr(0, prefix.size()) != prefix) return false;
    *rest = head.substr(prefix.size());
    return true;
  };
  std::string_view key;
  if (strip("topic.", &key)) return PickClass(topics, key, metric);
  if (strip("event.", &key)) return PickClass(events, key, metric);
  if (strip("slot.", &key)) return PickClass(slots, key, metric);
  if (strip("mention.", &key)) return PickClass(mentions, key, metric);
  return std::nullopt;
}

std::string Report::Format(size_t show) const {
  std::string out;
  absl::StrAppend(&out, articles, " article(s)",
                  other_split > 0 ? absl::StrCat(" (", other_split, " of other splits left out)")
                                  : "",
                  ": ", topic_articles, " with document labels, ", event_articles,
                  " with event labels, ", mention_articles, " with mention labels\n");
  if (topic_articles > 0) {
    std::vector<std::pair<std::string, const ClassReport*>> rows;
    for (const std::string& topic : topic_order) {
      auto it = topics.find(topic);
      if (it == topics.end()) continue;
      auto ev = topic_events.find(topic);
      rows.emplace_back(absl::StrCat(topic, " -> ", ev == topic_events.end() ? "" : ev->second),
                        &it->second);
    }
    absl::StrAppend(&out, "\n");
    AppendTable(&out, "document level (topic -> event types)", rows, nullptr);
  }
  if (event_articles > 0) {
    std::vector<std::pair<std::string, const ClassReport*>> rows;
    ClassReport total;
    for (const auto& [type, c] : events) {
      rows.emplace_back(type, &c);
      total.counts.Add(c.counts);
      total.gold += c.gold;
      total.predicted += c.predicted;
    }
    absl::StrAppend(&out, "\n");
    AppendTable(&out, "events", rows, &total);
    absl::StrAppend(&out, "  duplicates: ", duplicates.size(), "; background false alarms: ",
                    background.size(), " (", not_event_texts, " not_events text(s) found)\n");
    rows.clear();
    for (const auto& [slot, c] : slots) rows.emplace_back(slot, &c);
    absl::StrAppend(&out, "\n");
    AppendTable(&out, "slots (of paired events)", rows, nullptr);
    absl::StrAppend(&out, "  slot accuracy: ",
                    slots_scored == 0 ? "-"
                                      : Ratio(static_cast<double>(slots_correct) /
                                              static_cast<double>(slots_scored)),
                    " (", slots_correct, "/", slots_scored, ")\n");
  }
  if (mention_articles > 0) {
    std::vector<std::pair<std::string, const ClassReport*>> rows;
    for (const auto& [type, c] : mentions) rows.emplace_back(type, &c);
    absl::StrAppend(&out, "\n");
    AppendTable(&out, "mentions (distinct type + text per article)", rows, nullptr);
  }
  if (show == 0) return out;
  bool header = false;
  auto lists = [&](std::string_view kind, const std::map<std::string, ClassReport>& classes,
                   const std::vector<std::string>* order) {
    std::vector<std::string> names;
    if (order != nullptr) {
      names = *order;
    } else {
      for (const auto& [name, c] : classes) names.push_back(name);
    }
    for (const std::string& name : names) {
      auto it = classes.find(name);
      if (it == classes.end()) continue;
      if (!header && (!it->second.misses.empty() || !it->second.false_alarms.empty())) {
        absl::StrAppend(&out, "\n");
        header = true;
      }
      AppendList(&out, absl::StrCat("misses ", core::Sv(kind)), name, it->second.misses, show);
      AppendList(&out, absl::StrCat("false alarms ", core::Sv(kind)), name, it->second.false_alarms, show);
    }
  };
  lists("topic", topics, &topic_order);
  lists("event", events, nullptr);
  lists("slot", slots, nullptr);
  lists("mention", mentions, nullptr);
  AppendList(&out, "duplicate", "events", duplicates, show);
  AppendList(&out, "background", "events", background, show);
  return out;
}

absl::StatusOr<TopicMapping> ParseTopicMapping(std::string_view yaml, std::string_view file) {
  TopicMapping mapping;
  rules::SourceMap sources;
  absl::Status s = rules::ParseYamlToProto(yaml, file, &mapping, &sources);
  if (!s.ok()) return s;
  std::set<std::string> seen;
  for (const auto& rule : mapping.topics()) {
    if (rule.topic().empty() || rule.events().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.Locate(rule), ": a topic needs 'topic' and 'events'"));
    }
    if (!seen.insert(rule.topic()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(sources.Locate(rule), ": duplicate topic '", rule.topic(), "'"));
    }
  }
  return mapping;
}

absl::StatusOr<TopicMapping> LoadTopicMapping(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseTopicMapping(buf.str(), path);
}

std::string_view EventStatus(const v1::Event& event) {
  const std::string* status = extract::EventValue(event, "status");
  return status == nullptr ? std::string_view("reported") : std::string_view(*status);
}

void ScoreArticle(std::string_view id, std::string_view title, std::string_view body,
                  const Labels& labels, const v1::ArticleAnalysis& analysis,
                  const TopicMapping& topics, Report* report) {
  if (report->topic_order.empty()) {
    for (const auto& rule : topics.topics()) {
      report->topic_order.push_back(rule.topic());
      report->topic_events[rule.topic()] = absl::StrJoin(rule.events(), "|");
    }
  }
  ScoreTopics(id, labels, analysis, topics, report);
  ScoreEvents(id, title, body, labels, analysis, report);
  ScoreMentions(id, labels, analysis, report);
}

Evaluator::Evaluator(std::shared_ptr<const rules::RulePack> pack, TopicMapping topics,
                     std::string split)
    : pack_(std::move(pack)),
      topics_(std::move(topics)),
      split_(std::move(split)),
      extractor_(pack_->rules, pack_->model) {}

absl::Status Evaluator::AddLine(std::string_view line) {
  core::ArticleView view;
  std::string detail;
  parse::RecordError err = parser_.Parse(line, &view, &detail);
  if (err != parse::RecordError::kOk) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an article (", core::Sv(parse::RecordErrorName(err)), "): ", detail));
  }
  // The labels, through Protobuf's JSON mapping: an unknown key is an error.
  padded_.assign(line.data(), line.size());
  padded_.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  if (labels_parser_.parse(padded_.data(), line.size(), false).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("not JSON");
  }
  labels_.Clear();
  simdjson::dom::element labels;
  if (root["labels"].get(labels) == simdjson::SUCCESS) {
    std::string json = simdjson::minify(labels);
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto s = google::protobuf::util::JsonStringToMessage(json, &labels_, options);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels: ", s.message().ToString()));
    }
  }
  if (!split_.empty() && labels_.split() != split_) {
    ++report_.other_split;
    return absl::OkStatus();
  }
  ++report_.articles;
  absl::StatusOr<const v1::ArticleAnalysis*> analysis = extractor_.Analyze(view, {});
  if (!analysis.ok()) return analysis.status();
  ScoreArticle(view.id, view.title, view.body, labels_, **analysis, topics_, &report_);
  return absl::OkStatus();
}

}  // namespace wirescan::eval

#include "engine/pipeline/probe.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace wirescan::pipeline {

PipelineProbe::PipelineProbe(metrics::Registry* registry) : registry_(registry) {
  source_messages_ = registry->AddCounter("wirescan_source_messages_total",
                                          "Messages consumed from the input topics.",
                                          {"topic", "partition"});
  source_bytes_ = registry->AddCounter("wirescan_source_bytes_total",
                                       "Payload bytes consumed from the input topics.",
                                       {"topic", "partition"});
  sink_messages_ = registry->AddCounter("wirescan_sink_messages_total",
                                        "Messages produced (queued to the producer) per topic.",
                                        {"topic"});
  sink_bytes_ = registry->AddCounter("wirescan_sink_bytes_total",
                                     "Payload bytes produced per topic.", {"topic"});
  dead_letters_ = registry->AddCounter("wirescan_dead_letters_total",
                                       "Input records sent to the dead-letter topic, by reason.",
                                       {"reason"});
  matches_ = registry->AddCounter("wirescan_rule_matches_total",
                                  "Mentions produced per rule (entities, patterns, figures).",
                                  {"rule"});
  events_ = registry->AddCounter("wirescan_events_total", "Events produced per type.", {"type"});
  reloads_ = registry->AddCounter("wirescan_rule_reloads_total", "Rule reloads by outcome.",
                                  {"outcome"});
  rules_info_ = registry->AddGauge("wirescan_rules_info",
                                   "The live rule pack: 1 for its version.", {"version"});
  auto processing = registry->AddHistogram(
      "wirescan_article_processing_seconds",
      "Time to parse, match, extract and build the outputs of one article.",
      metrics::ExponentialBuckets(10e-6, 2, 16));
  processing_ = processing->WithLabels({});
  auto e2e = registry->AddHistogram(
      "wirescan_end_to_end_latency_seconds",
      "From the input's broker timestamp to the delivery report of its last output.",
      metrics::ExponentialBuckets(0.001, 2, 16));
  end_to_end_ = e2e->WithLabels({});
  // Every reason exists from the start (at 0), so alerts see the first increase.
  for (int r = 1; r <= static_cast<int>(parse::RecordError::kInvalidUtf8); ++r) {
    std::string_view name = parse::RecordErrorName(static_cast<parse::RecordError>(r));
    dead_letter_children_.emplace_back(name, dead_letters_->WithLabels({name}));
  }
  for (std::string_view name : kOutputReasons) {
    dead_letter_children_.emplace_back(name, dead_letters_->WithLabels({name}));
  }
  cut_analyses_ = registry
                      ->AddCounter("wirescan_analyses_cut_total",
                                   "Analyses produced without some of their mentions or events "
                                   "because they exceeded the output size limit.",
                                   {})
                      ->WithLabels({});
  reloads_->WithLabels({std::string_view("success")});
  reloads_->WithLabels({std::string_view("failure")});
}

PipelineProbe::PartitionMetrics PipelineProbe::ForPartition(const std::string& topic,
                                                            int32_t partition) {
  std::string p = absl::StrCat(partition);
  return {source_messages_->WithLabels({topic, p}), source_bytes_->WithLabels({topic, p})};
}

PipelineProbe::TopicMetrics PipelineProbe::ForOutputTopic(const std::string& topic) {
  return {sink_messages_->WithLabels({topic}), sink_bytes_->WithLabels({topic})};
}

metrics::Counter* PipelineProbe::DeadLetter(std::string_view reason) {
  for (const auto& [name, child] : dead_letter_children_) {
    if (name == reason) return child.get();
  }
  return DeadLetter("extract_failed");
}

std::shared_ptr<const PipelineProbe::PackMetrics> PipelineProbe::ForPack(
    const rules::RulePack& pack) {
  absl::MutexLock lock(&pack_mu_);
  if (pack_metrics_ != nullptr && pack_version_ == pack.version) return pack_metrics_;
  auto m = std::make_shared<PackMetrics>();
  for (const auto& e : pack.model->entities) m->matches[e.id] = matches_->WithLabels({e.id});
  for (const auto& p : pack.model->patterns) m->matches[p.id] = matches_->WithLabels({p.id});
  for (std::string_view f : {"figure.money", "figure.percent", "figure.quantity"}) {
    m->matches[std::string(f)] = matches_->WithLabels({f});
  }
  for (const auto& ev : pack.model->events) m->events[ev.type] = events_->WithLabels({ev.type});
  // Series of rules the pack no longer has disappear (bounded by the live rule set).
  matches_->RemoveIf([&](absl::Span<const std::string> labels) {
    return !labels.empty() && !m->matches.contains(labels[0]);
  });
  events_->RemoveIf([&](absl::Span<const std::string> labels) {
    return !labels.empty() && !m->events.contains(labels[0]);
  });
  pack_version_ = pack.version;
  pack_metrics_ = m;
  return m;
}

void PipelineProbe::RecordReload(bool ok) {
  reloads_->WithLabels({std::string_view(ok ? "success" : "failure")})->Inc();
}

void PipelineProbe::SetRulesVersion(const std::string& version) {
  rules_info_->RemoveIf([](absl::Span<const std::string>) { return true; });
  rules_info_->WithLabels({version})->Set(1);
}

}  // namespace wirescan::pipeline

#pragma once
// RecordProcessor: one input record -> parse -> extract -> the complete list of its output
// messages (the analysis, its events, or one dead letter), each with its topic, partition, key,
// headers and value, encoded as its topic wants it (emit/encoder.h), fitted to the output limit
// (emit/output_limits.h). Pure: no Kafka, no threads, no I/O; what happens to the outputs (the
// producer, delivery reports, offsets) is the caller's.
//
// Used by the daemon's workers (pipeline.cc: one processor per worker) and by `wirescan extract`
// (Analyse(): parse -> extract only).
//
// Every output is serialised once: with a Protobuf analysis topic, the analysis is encoded and
// each event's value is its bytes inside that encoding (the same bytes as encoding the event on
// its own: deterministic serialisation of a sub-message is the sub-message's).
//
// Lifecycle: construct with a rule pack; Bind() a newer one between records (hot reload). The
// results of Process()/DeadLetter() (views into the processor's buffers and into the record)
// are valid until the next call of either and while the record's bytes live.
// Thread safety: thread-compatible; one per thread.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "engine/config/daemon_config.h"
#include "engine/core/article.h"
#include "engine/core/work_budget.h"
#include "engine/emit/encoder.h"
#include "engine/emit/output_limits.h"
#include "engine/emit/sink.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
#include "engine/rules/rule_pack.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::pipeline {

// What the processor needs of the daemon's configuration (a part of PipelineOptions). The
// defaults are the configuration's (config/daemon_config.h kDefault*, documented in
// proto/wirescan/v1/config.proto): one place.
struct ProcessorOptions {
  bool plain_text = false;
  parse::FieldMapping fields;
  size_t max_record_bytes = config::kDefaultMaxRecordBytes;
  std::string default_source;
  std::string analysis_topic{config::kDefaultAnalysisTopic};  // "-": no analyses
  int analysis_partitions = 1;  // partition = input partition mod this
  std::string event_topic_prefix{config::kDefaultEventTopicPrefix};
  std::map<std::string, std::string> event_topics;  // type -> topic (overrides rule topics)
  std::string dead_letter_topic{config::kDefaultDeadLetterTopic};
  // The largest output (emit::RecordSize) the producer and every output topic accept: the
  // producer's message.max.bytes as planned at start-up (emit::PlanOutputSizes). Larger
  // analyses are cut, larger dead letters keep a prefix of the input, and an input whose
  // outputs cannot be made to fit is dead-lettered `output_too_large`.
  size_t max_message_bytes = emit::kDefaultProducerMaxBytes;
  bool include_text = false;
  // Wire format and content type of each output topic (emit/encoder.h); null: bare Protobuf.
  // Must outlive the processor.
  const emit::OutputEncodings* encodings = nullptr;
  // CPU time of the thread one record's extraction may take (core::WorkBudget); a record over
  // it is dead-lettered `too_slow`. <= 0: no limit.
  int record_budget_ms = static_cast<int>(config::kDefaultRecordBudgetMs);
  // Baseline for benchmarks: every input is one output to the analysis topic, unchanged, with
  // no parsing or extraction.
  bool passthrough = false;
};

// The topic an event goes to: options.event_topics[type], else the rule's topic, else
// prefix + type.
std::string EventTopic(const ProcessorOptions& options, const std::string& type,
                       const std::string& rule_topic);

// An input record, borrowed for the duration of a call.
struct InputRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
};

enum class Outcome : uint8_t {
  kAnalysed,    // outputs(): the analysis (unless analysis_topic is "-"), then its events
  kDeadLetter,  // outputs(): one dead letter (reason(), detail())
  kCancelled,   // no outputs: the cancel flag stopped the extraction (process it again later)
  kFailed,      // no outputs: an output cannot be encoded (detail()); the daemon must stop
};

// The dead-letter reason of an extraction that failed (an internal error; not expected).
inline constexpr std::string_view kExtractFailed = "extract_failed";
inline constexpr std::string_view kTooSlow = "too_slow";
inline constexpr std::string_view kOutputTooLarge = "output_too_large";

class RecordProcessor {
 public:
  // REQUIRES: `options` outlives the processor; `pack` is not null.
  RecordProcessor(const ProcessorOptions* options, std::shared_ptr<const rules::RulePack> pack);
  RecordProcessor(const RecordProcessor&) = delete;
  RecordProcessor& operator=(const RecordProcessor&) = delete;

  // Switches to `pack` for the next records; on error the current pack stays.
  absl::Status Bind(std::shared_ptr<const rules::RulePack> pack);
  const rules::RulePack& pack() const { return *pack_; }

  // All the outputs of one record. `cancel` (may be null) stops a long extraction: kCancelled.
  Outcome Process(const InputRecord& record, const std::atomic<bool>* cancel);

  // Parse -> extract, no outputs: kAnalysed (analysis()) or kDeadLetter (reason(), detail())
  // or kCancelled. `fallback_id` names an article whose record has no id (JSON) or every
  // plain-text article; it is called only when needed.
  Outcome Analyse(std::string_view value, bool plain_text,
                  absl::FunctionRef<std::string()> fallback_id, const std::atomic<bool>* cancel);
  // Extract only, for an article already read (wirescan extract's plain-text files).
  Outcome AnalyseView(const core::ArticleView& view, const std::atomic<bool>* cancel);

  // The dead letter of `record`: its key and bytes with the source headers, the reason and
  // the detail, cut to a prefix to fit `*limit` bytes (emit::FitDeadLetter). `last_resort`
  // keeps only a short prefix (what is produced when the dead-letter topic refused the whole
  // one) and lowers *limit to its size. `reason` and `detail` must stay valid while the
  // message is used (detail() does: this call does not change it).
  const emit::OutputMessage& DeadLetter(const InputRecord& record, std::string_view reason,
                                        std::string_view detail, size_t* limit, bool last_resort);

  // Results of the last Process() (or Analyse()).
  std::span<const emit::OutputMessage> outputs() const { return outputs_; }
  std::string_view reason() const { return reason_; }
  const std::string& detail() const { return detail_; }
  // The id of the article last given to the extractor (a view into the record or the parser).
  std::string_view article_id() const { return article_id_; }
  // kAnalysed: the analysis (the extractor's, until the next record).
  const v1::ArticleAnalysis* analysis() const { return analysis_; }
  bool cut() const { return cut_analysis_; }  // the analysis left out mentions or events
  int events() const { return n_events_; }

  // The last-resort dead letter keeps this much of the input (and of its key).
  static constexpr size_t kLastResortValueBytes = 1024;
  static constexpr size_t kLastResortKeyBytes = 256;

 private:
  void SetSourceHeaders(const InputRecord& record);
  Outcome DeadLetterOutcome(const InputRecord& record, std::string_view reason);
  Outcome Failed(const absl::Status& s);
  Outcome Extract(const core::ArticleView& view, const std::atomic<bool>* cancel);
  Outcome BuildOutputs(const InputRecord& record);

  const ProcessorOptions& options_;
  std::shared_ptr<const rules::RulePack> pack_;
  extract::Extractor extractor_;
  parse::JsonArticleParser parser_;
  emit::OutputEncoder encoder_;

  // Results and their storage, reused across records.
  std::vector<emit::OutputMessage> outputs_;
  std::string_view reason_;
  std::string detail_;
  std::string_view article_id_;
  const v1::ArticleAnalysis* analysis_ = nullptr;
  bool cut_analysis_ = false;
  int n_events_ = 0;
  std::string fallback_id_, partition_text_, offset_text_, original_size_;
  emit::Header source_headers_[4];
  std::vector<std::array<emit::Header, 5>> headers_;  // per output: source + content type
  std::string analysis_bytes_;                 // the encoded analysis (events sliced from it)
  std::string cut_bytes_;                      // the cut analysis, encoded
  std::string binary_scratch_;                 // the binary analysis while it is being cut
  std::vector<std::string> event_bytes_;       // events encoded on their own (when needed)
  std::vector<std::string_view> event_values_;
  std::vector<std::string_view> slices_;       // the events inside analysis_bytes_
  std::vector<std::string> event_topic_;
  v1::ArticleAnalysis cut_;                    // a cut analysis (emit::FitAnalysis)
  emit::OutputMessage dead_letter_;
  emit::Header dead_letter_headers_[8];
};

}  // namespace wirescan::pipeline

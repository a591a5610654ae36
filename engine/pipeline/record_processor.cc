#include "engine/pipeline/record_processor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"
#include "engine/emit/output_writer.h"

namespace wirescan::pipeline {

// `wirescan extract` and the daemon reject records above the same default size.
static_assert(config::kDefaultMaxRecordBytes == parse::JsonArticleParser::kDefaultMaxRecordBytes);

std::string EventTopic(const ProcessorOptions& options, const std::string& type,
                       const std::string& rule_topic) {
  auto it = options.event_topics.find(type);
  if (it != options.event_topics.end()) return it->second;
  if (!rule_topic.empty()) return rule_topic;
  return options.event_topic_prefix + type;
}

namespace {

// The value of every top-level length-delimited entry of `field` in the serialised message
// `bytes`, in order. False when `bytes` is not a well-formed message (then *out is unusable).
bool SliceField(std::string_view bytes, uint32_t field, std::vector<std::string_view>* out) {
  out->clear();
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  auto varint = [&](uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p != end; shift += 7) {
      const auto b = static_cast<uint8_t>(*p++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  };
  while (p != end) {
    uint64_t tag = 0, v = 0;
    if (!varint(&tag)) return false;
    switch (tag & 7) {
      case 0:
        if (!varint(&v)) return false;
        break;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 2:
        if (!varint(&v) || v > static_cast<uint64_t>(end - p)) return false;
        if ((tag >> 3) == field) out->emplace_back(p, v);
        p += v;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      default:  // groups: not in our schema
        return false;
    }
  }
  return true;
}

std::string_view EventKey(const v1::Event& e) {
  return e.primary_entity().empty() ? std::string_view(e.article_id())
                                    : std::string_view(e.primary_entity());
}

}  // namespace

RecordProcessor::RecordProcessor(const ProcessorOptions* options,
                                 std::shared_ptr<const rules::RulePack> pack)
    : options_(*options),
      pack_(std::move(pack)),
      extractor_(pack_->rules, pack_->model),
      parser_(options_.fields, options_.max_record_bytes),
      encoder_(options_.encodings) {}

absl::Status RecordProcessor::Bind(std::shared_ptr<const rules::RulePack> pack) {
  absl::Status bound = extractor_.Bind(pack->rules, pack->model);
  if (bound.ok()) pack_ = std::move(pack);
  return bound;
}

void RecordProcessor::SetSourceHeaders(const InputRecord& record) {
  // clear + append: the texts stay in place (views into them stay valid) and allocate nothing
  // once grown.
  partition_text_.clear();
  absl::StrAppend(&partition_text_, record.partition);
  offset_text_.clear();
  absl::StrAppend(&offset_text_, record.offset);
  source_headers_[0] = {"wirescan-source-topic", record.topic};
  source_headers_[1] = {"wirescan-source-partition", partition_text_};
  source_headers_[2] = {"wirescan-source-offset", offset_text_};
  source_headers_[3] = {"wirescan-rules-version", pack_->version};
}

const emit::OutputMessage& RecordProcessor::DeadLetter(const InputRecord& record,
                                                       std::string_view reason,
                                                       std::string_view detail, size_t* limit,
                                                       bool last_resort) {
  SetSourceHeaders(record);
  emit::Header* headers = dead_letter_headers_;
  std::copy(std::begin(source_headers_), std::end(source_headers_), headers);
  headers[4] = {"wirescan-dlq-reason", reason};
  headers[5] = {"wirescan-dlq-message", detail};
  std::string_view key = record.key;
  const std::string_view payload = record.value;
  if (last_resort) {
    key = key.substr(0, kLastResortKeyBytes);
    *limit = std::min(*limit, emit::RecordSize(key, payload.substr(0, kLastResortValueBytes),
                                               std::span(headers, 6)) +
                                  emit::kDeadLetterHeaderReserve);
  }
  std::string_view k = key, v = payload;
  bool truncated = false;
  emit::FitDeadLetter(*limit, std::span(headers, 6), &k, &v, &truncated);
  size_t n = 6;
  if (truncated) {
    original_size_ = absl::StrCat(payload.size());
    headers[n++] = {emit::kOriginalSizeHeader, original_size_};
    headers[n++] = {emit::kTruncatedHeader, "true"};
  }
  dead_letter_ = {options_.dead_letter_topic, -1, k, v, std::span(headers, n), nullptr};
  return dead_letter_;
}

Outcome RecordProcessor::DeadLetterOutcome(const InputRecord& record, std::string_view reason) {
  reason_ = reason;
  size_t limit = options_.max_message_bytes;
  outputs_.assign(1, DeadLetter(record, reason_, detail_, &limit, /*last_resort=*/false));
  return Outcome::kDeadLetter;
}

Outcome RecordProcessor::Failed(const absl::Status& s) {
  outputs_.clear();
  detail_ = std::string(s.message());
  return Outcome::kFailed;
}

Outcome RecordProcessor::Process(const InputRecord& record, const std::atomic<bool>* cancel) {
  outputs_.clear();
  SetSourceHeaders(record);
  if (options_.passthrough) {
    reason_ = {};
    detail_.clear();
    analysis_ = nullptr;
    cut_analysis_ = false;
    n_events_ = 0;
    outputs_.push_back({options_.analysis_topic, record.partition % options_.analysis_partitions,
                        record.key, record.value, std::span(source_headers_, 4), nullptr});
    return Outcome::kAnalysed;
  }
  Outcome o = Analyse(
      record.value, options_.plain_text,
      [&] {
        return record.key.empty()
                   ? absl::StrCat(core::Sv(record.topic), "-", record.partition, "-", record.offset)
                   : std::string(record.key);
      },
      cancel);
  switch (o) {
    case Outcome::kAnalysed:
      return BuildOutputs(record);
    case Outcome::kDeadLetter:
      return DeadLetterOutcome(record, reason_);
    case Outcome::kCancelled:
    case Outcome::kFailed:
      break;
  }
  return o;
}

Outcome RecordProcessor::Analyse(std::string_view value, bool plain_text,
                                 absl::FunctionRef<std::string()> fallback_id,
                                 const std::atomic<bool>* cancel) {
  core::ArticleView view;
  parse::RecordError err = parse::RecordError::kOk;
  detail_.clear();
  if (plain_text) {
    if (value.size() > options_.max_record_bytes) {
      err = parse::RecordError::kTooLarge;
      detail_ = absl::StrCat("record of ", value.size(), " bytes exceeds the limit");
    } else {
      fallback_id_ = fallback_id();
      view = parse::ParsePlainText(value, fallback_id_);
      if (view.title.empty() && view.body.empty()) {
        err = parse::RecordError::kEmptyBody;
        detail_ = "empty message";
      }
    }
  } else {
    err = parser_.Parse(value, &view, &detail_);
    if (err == parse::RecordError::kOk && view.id.empty()) {
      fallback_id_ = fallback_id();
      view.id = fallback_id_;
    }
  }
  if (err != parse::RecordError::kOk) {
    outputs_.clear();
    analysis_ = nullptr;
    cut_analysis_ = false;
    n_events_ = 0;
    reason_ = parse::RecordErrorName(err);
    return Outcome::kDeadLetter;
  }
  if (view.source.empty()) view.source = options_.default_source;
  return AnalyseView(view, cancel);
}

Outcome RecordProcessor::AnalyseView(const core::ArticleView& view,
                                     const std::atomic<bool>* cancel) {
  outputs_.clear();
  analysis_ = nullptr;
  cut_analysis_ = false;
  n_events_ = 0;
  reason_ = {};
  article_id_ = view.id;
  // The record's budget: its CPU time, and the caller's cancel flag (shutdown, revoke).
  core::WorkBudget budget(core::ThreadCpuClock(), cancel);
  budget.Arm(int64_t{options_.record_budget_ms} * 1000000);
  absl::StatusOr<const v1::ArticleAnalysis*> analysed =
      extractor_.Analyze(view, {.include_text = options_.include_text, .budget = &budget});
  if (budget.stop() == core::WorkBudget::Stop::kCancelled) return Outcome::kCancelled;
  if (budget.stop() == core::WorkBudget::Stop::kTooSlow) {
    // The last line of defence against a record whose extraction would hold the partition
    // (extraction is linear, but a 4 MiB record dense with triggers still takes seconds).
    reason_ = kTooSlow;
    detail_ = absl::StrCat("extraction stopped after ", budget.spent_nanos() / 1000000,
                           " ms of CPU time (pipeline.record_budget_ms ",
                           options_.record_budget_ms, ")");
    return Outcome::kDeadLetter;
  }
  if (!analysed.ok()) {  // unreachable in practice
    reason_ = kExtractFailed;
    detail_ = std::string(analysed.status().message());
    return Outcome::kDeadLetter;
  }
  analysis_ = *analysed;
  n_events_ = analysis_->events_size();
  return Outcome::kAnalysed;
}

Outcome RecordProcessor::BuildOutputs(const InputRecord& record) {
  // Every output's size is settled before any is returned: an input gets its analysis (maybe
  // cut) and all its events, or one dead letter.
  const v1::ArticleAnalysis& analysis = *analysis_;
  const size_t limit = options_.max_message_bytes;
  const int n = n_events_;
  const bool with_analysis = options_.analysis_topic != "-";
  headers_.resize(static_cast<size_t>(n) + 1);
  for (auto& h : headers_) {
    std::copy(std::begin(source_headers_), std::end(source_headers_), h.begin());
    h[4] = {"content-type", {}};
  }
  if (event_topic_.size() < static_cast<size_t>(n)) {
    event_topic_.resize(n);
    event_bytes_.resize(n);
    event_values_.resize(n);
  }

  // The analysis, encoded once; with a Protobuf encoding its events are slices of it.
  bool sliced = false;
  if (with_analysis) {
    emit::WireFormat format;
    std::string_view prefix, content_type;
    absl::Status s = encoder_.Framing(options_.analysis_topic, v1::ArticleAnalysis::descriptor(),
                                      &format, &prefix, &content_type);
    if (s.ok()) {
      const size_t prefix_size = prefix.size();
      s = encoder_.Encode(options_.analysis_topic, analysis, &analysis_bytes_, &content_type);
      if (s.ok() && format != emit::WireFormat::kJson) {
        sliced = SliceField(std::string_view(analysis_bytes_).substr(prefix_size),
                            v1::ArticleAnalysis::kEventsFieldNumber, &slices_) &&
                 slices_.size() == static_cast<size_t>(n);
      }
    }
    if (!s.ok()) return Failed(s);
    headers_[0][4].value = content_type;
  }

  for (int i = 0; i < n; ++i) {
    const v1::Event& e = analysis.events(i);
    event_topic_[i] = EventTopic(options_, e.type(), e.topic());
    emit::WireFormat format;
    std::string_view prefix, content_type;
    absl::Status s =
        encoder_.Framing(event_topic_[i], v1::Event::descriptor(), &format, &prefix, &content_type);
    if (!s.ok()) return Failed(s);
    if (sliced && format != emit::WireFormat::kJson) {
      if (prefix.empty()) {
        event_values_[i] = slices_[i];
      } else {
        event_bytes_[i].assign(prefix);
        event_bytes_[i].append(slices_[i]);
        event_values_[i] = event_bytes_[i];
      }
    } else {
      s = encoder_.Encode(event_topic_[i], e, &event_bytes_[i], &content_type);
      if (!s.ok()) return Failed(s);
      event_values_[i] = event_bytes_[i];
    }
    auto& headers = headers_[static_cast<size_t>(i) + 1];
    headers[4].value = content_type;
    const size_t size = emit::RecordSize(EventKey(e), event_values_[i], headers);
    if (size > limit) {
      detail_ = absl::StrCat("event ", e.type(), " ", e.id(), " of ", size,
                             " bytes exceeds the output limit of ", limit, " bytes");
      return DeadLetterOutcome(record, kOutputTooLarge);
    }
  }

  if (with_analysis) {
    std::string_view value = analysis_bytes_;
    const size_t framing = emit::RecordSize(analysis.article().id(), {}, headers_[0]);
    const size_t room = limit > framing ? limit - framing : 0;
    if (value.size() > room) {
      // The cut is sized on the binary encoding; for another format (JSON is larger) the room
      // is scaled by the two sizes of the whole analysis, and the cut re-encoded and checked.
      const size_t full = value.size();
      std::string& binary = binary_scratch_;
      binary.clear();
      analysis.AppendToString(&binary);
      const size_t binary_room =
          binary.size() == full ? room
                                : static_cast<size_t>(static_cast<double>(room) *
                                                      static_cast<double>(binary.size()) /
                                                      static_cast<double>(full));
      emit::AnalysisFit fit = emit::FitAnalysis(analysis, binary_room, &binary, &cut_);
      if (fit == emit::AnalysisFit::kCut) {
        std::string_view content_type;
        absl::Status s = encoder_.Encode(options_.analysis_topic, cut_, &cut_bytes_, &content_type);
        if (!s.ok()) return Failed(s);
        headers_[0][4].value = content_type;
        value = cut_bytes_;
        if (value.size() > room) fit = emit::AnalysisFit::kTooLarge;
      } else if (fit == emit::AnalysisFit::kWhole) {
        fit = emit::AnalysisFit::kTooLarge;  // only by rounding the scaled room: still too large
      }
      if (fit == emit::AnalysisFit::kTooLarge) {
        detail_ = absl::StrCat("the analysis of ", full, " bytes exceeds the output limit of ",
                               limit, " bytes even without its mentions and events");
        return DeadLetterOutcome(record, kOutputTooLarge);
      }
      cut_analysis_ = true;
    }
    outputs_.push_back({options_.analysis_topic,
                        record.partition % options_.analysis_partitions,
                        analysis.article().id(), value, headers_[0], nullptr});
  }
  for (int i = 0; i < n; ++i) {
    const v1::Event& e = analysis.events(i);
    outputs_.push_back({event_topic_[i], -1, EventKey(e), event_values_[i],
                        headers_[static_cast<size_t>(i) + 1], nullptr});
  }
  return Outcome::kAnalysed;
}

}  // namespace wirescan::pipeline

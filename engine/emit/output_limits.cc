#include "engine/emit/output_limits.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"
#include "google/protobuf/io/coded_stream.h"

namespace wirescan::emit {
namespace {

size_t VarintSize(size_t n) { return google::protobuf::io::CodedOutputStream::VarintSize64(n); }

// Bytes one element of a repeated message field takes in its parent (tag, length, body); the
// fields concerned have numbers below 16 (one-byte tags).
size_t ElementSize(const google::protobuf::MessageLite& m) {
  const size_t body = m.ByteSizeLong();
  return 1 + VarintSize(body) + body;
}

// The diagnostic of a cut analysis is at most this large (tag, length, code, field, message).
constexpr size_t kDiagnosticReserve = 320;

}  // namespace

size_t HeadersSize(std::span<const Header> headers) {
  size_t n = VarintSize(headers.size());
  for (const Header& h : headers) {
    n += VarintSize(h.key.size()) + h.key.size() + VarintSize(h.value.size()) + h.value.size();
  }
  return n;
}

size_t RecordSize(std::string_view key, std::string_view value, std::span<const Header> headers) {
  return kRecordOverhead + key.size() + value.size() + HeadersSize(headers);
}

absl::StatusOr<SizePlan> PlanOutputSizes(const SizeSettings& s) {
  SizePlan plan;
  plan.smallest_topic_bytes = SIZE_MAX;
  for (const std::string& t : s.output_topics) {
    auto it = s.topic_max_bytes.find(t);
    const size_t limit = it == s.topic_max_bytes.end() ? kDefaultTopicMaxBytes : it->second;
    if (limit < plan.smallest_topic_bytes) {
      plan.smallest_topic_bytes = limit;
      plan.smallest_topic = t;
    }
  }
  if (plan.smallest_topic.empty()) plan.smallest_topic_bytes = kDefaultTopicMaxBytes;
  const size_t allowed =
      plan.smallest_topic_bytes > kTopicMargin ? plan.smallest_topic_bytes - kTopicMargin : 0;
  auto too_large = [&](std::string_view property, size_t value) {
    return absl::FailedPreconditionError(absl::StrCat(
        "producer ", core::Sv(property), " ", value, " exceeds what output topic ", plan.smallest_topic,
        " accepts (max.message.bytes ", plan.smallest_topic_bytes, ", less ", kTopicMargin,
        " for batch framing): the broker would refuse whole batches of outputs. Set producer.",
        core::Sv(property), " to at most ", allowed, " (or leave it unset: wirescan then picks it), or "
        "raise the topic's max.message.bytes to at least ", value + kTopicMargin));
  };
  if (s.producer_max_bytes.has_value()) {
    if (*s.producer_max_bytes > allowed) return too_large("message.max.bytes", *s.producer_max_bytes);
    plan.max_bytes = *s.producer_max_bytes;
  } else {
    plan.max_bytes = std::min(kDefaultProducerMaxBytes, allowed);
  }
  if (s.producer_batch_size.has_value()) {
    if (*s.producer_batch_size > allowed) return too_large("batch.size", *s.producer_batch_size);
    plan.batch_size = *s.producer_batch_size;
  } else {
    plan.batch_size = std::min(kDefaultProducerMaxBytes, allowed);
  }
  if (plan.max_bytes < kMinOutputBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the output size limit is ", plan.max_bytes, " bytes (producer message.max.bytes",
        s.producer_max_bytes.has_value() ? "" : absl::StrCat(", from output topic ",
                                                             plan.smallest_topic,
                                                             "'s max.message.bytes ",
                                                             plan.smallest_topic_bytes),
        "); wirescan needs at least ", kMinOutputBytes,
        " to produce its outputs and dead letters"));
  }
  // A record the input limit admits must be fetchable at all: a fetch response holding it is
  // larger than the record (512 bytes of framing is what librdkafka itself allows for).
  if (s.max_record_bytes + 512 > s.consumer_receive_max_bytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "input.max_record_bytes ", s.max_record_bytes,
        " admits records the consumer cannot fetch (consumer receive.message.max.bytes ",
        s.consumer_receive_max_bytes, "): lower input.max_record_bytes or raise "
        "consumer.receive.message.max.bytes to at least ", s.max_record_bytes + 512));
  }
  return plan;
}

void FitDeadLetter(size_t max_bytes, std::span<const Header> headers, std::string_view* key,
                   std::string_view* value, bool* truncated) {
  *truncated = RecordSize(*key, *value, headers) > max_bytes;
  if (!*truncated) return;
  const size_t fixed = kRecordOverhead + HeadersSize(headers) + kDeadLetterHeaderReserve;
  const size_t room = max_bytes > fixed ? max_bytes - fixed : 0;
  // The key stays whole unless it would leave less than 1 KiB of the input.
  if (key->size() + 1024 > room) *key = key->substr(0, room / 2);
  *value = value->substr(0, std::min(value->size(), room - key->size()));
}

AnalysisFit FitAnalysis(const v1::ArticleAnalysis& analysis, size_t max_value_bytes,
                        std::string* bytes, v1::ArticleAnalysis* scratch) {
  const size_t full = bytes->size();
  if (full <= max_value_bytes) return AnalysisFit::kWhole;
  // Leave out mentions from the end, then events from the end, until it fits with the
  // diagnostic. Sizes are exact per element; the result is checked after serialising.
  const size_t excess = full + kDiagnosticReserve - std::min(full, max_value_bytes);
  const int mentions = analysis.mentions_size();
  const int events = analysis.events_size();
  int keep_mentions = mentions;
  int keep_events = events;
  size_t removed = 0;
  while (removed < excess && keep_mentions > 0) removed += ElementSize(analysis.mentions(--keep_mentions));
  while (removed < excess && keep_events > 0) removed += ElementSize(analysis.events(--keep_events));
  if (removed < excess) return AnalysisFit::kTooLarge;
  for (;;) {
    scratch->CopyFrom(analysis);
    scratch->mutable_mentions()->DeleteSubrange(keep_mentions, mentions - keep_mentions);
    scratch->mutable_events()->DeleteSubrange(keep_events, events - keep_events);
    v1::Diagnostic* d = scratch->add_diagnostics();
    d->set_code(v1::Diagnostic::CODE_OUTPUT_CUT);
    d->set_message(absl::StrCat("the analysis (", full, " bytes) exceeds the output limit of ",
                                max_value_bytes, " bytes: kept the first ", keep_mentions, " of ",
                                mentions, " mentions and ", keep_events, " of ", events,
                                " events"));
    scratch->SerializeToString(bytes);
    if (bytes->size() <= max_value_bytes) return AnalysisFit::kCut;
    // Not expected (the sizes above are exact): halve what is kept until it fits.
    if (keep_mentions > 0) {
      keep_mentions /= 2;
    } else if (keep_events > 0) {
      keep_events /= 2;
    } else {
      return AnalysisFit::kTooLarge;
    }
  }
}

}  // namespace wirescan::emit

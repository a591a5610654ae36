#pragma once
// Output size limits: what fits into one Kafka message, decided before anything is produced.
//
// - RecordSize(): the size librdkafka checks against the producer's `message.max.bytes`
//   (key + value + headers + the worst-case record framing). An output with RecordSize() at or
//   below the limit is accepted by the producer; the start-up plan (PlanOutputSizes) makes sure
//   the broker accepts whatever the producer does.
// - PlanOutputSizes(): the coherence check of the daemon's size settings at start-up (input
//   limit, the producer's message.max.bytes and batch.size, the consumer's
//   receive.message.max.bytes, the output topics' max.message.bytes): a contradiction is an
//   error (the daemon exits 78); unset producer limits are lowered to fit the topics.
// - FitDeadLetter(): a dead letter too large for its topic keeps its headers and key, and a
//   prefix of the input (with the original size in a header).
// - FitAnalysis(): an analysis too large for its topic keeps its first mentions (title first,
//   then body by offset) and says in a Diagnostic (CODE_OUTPUT_CUT) how many it left out; if
//   even that is too large, its events are left out of it too (they are on the event topics);
//   if still too large, the input is dead-lettered `output_too_large`.
//
// Thread safety: the functions are thread-safe (no shared state).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/emit/sink.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::emit {

// librdkafka's worst-case framing of one record (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD, 36 bytes in
// 2.0), rounded up: what it adds to key + value + headers before comparing with
// message.max.bytes.
inline constexpr size_t kRecordOverhead = 64;
// librdkafka's default message.max.bytes and batch.size, and Kafka's default max.message.bytes.
inline constexpr size_t kDefaultProducerMaxBytes = 1000000;
inline constexpr size_t kDefaultTopicMaxBytes = 1048588;
// What a topic's max.message.bytes must exceed the producer's limits by: a batch is at most
// max(message.max.bytes, batch.size) plus the batch header (61 bytes) and the log overhead (12),
// and compression may grow incompressible data a little (lz4: 0.4%).
inline constexpr size_t kTopicMargin = 16384;
// Smallest output limit wirescan accepts: a dead letter needs room for its headers, its key and
// a useful prefix of the input.
inline constexpr size_t kMinOutputBytes = 65536;

// Bytes of `headers` as a Kafka record carries them (varint lengths + names + values).
size_t HeadersSize(std::span<const Header> headers);
// What librdkafka compares with message.max.bytes (upper bound).
size_t RecordSize(std::string_view key, std::string_view value, std::span<const Header> headers);

// --- Start-up coherence ---------------------------------------------------------------------

struct SizeSettings {
  size_t max_record_bytes = 0;  // input.max_record_bytes
  // The producer's message.max.bytes and batch.size when the configuration sets them (in
  // `kafka:` or `producer:`), else empty (wirescan chooses them).
  std::optional<size_t> producer_max_bytes;
  std::optional<size_t> producer_batch_size;
  size_t consumer_receive_max_bytes = 100000000;  // the consumer's receive.message.max.bytes
  // Output topic -> its max.message.bytes (DescribeConfigs); a topic that could not be
  // described is absent and assumed to have Kafka's default.
  std::map<std::string, size_t> topic_max_bytes;
  std::vector<std::string> output_topics;  // every topic the daemon may write
};

struct SizePlan {
  // The producer settings to use; every output is produced with RecordSize() <= max_bytes.
  size_t max_bytes = kDefaultProducerMaxBytes;
  size_t batch_size = kDefaultProducerMaxBytes;
  std::string smallest_topic;  // the output topic with the smallest max.message.bytes
  size_t smallest_topic_bytes = kDefaultTopicMaxBytes;
};

// FailedPrecondition with what contradicts what and how to fix it, or the plan.
absl::StatusOr<SizePlan> PlanOutputSizes(const SizeSettings& settings);

// --- Fitting one output into its limit ----------------------------------------------------

// Header names of a cut dead letter.
inline constexpr std::string_view kOriginalSizeHeader = "wirescan-dlq-original-size";
inline constexpr std::string_view kTruncatedHeader = "wirescan-dlq-truncated";

// The key and value of a dead letter for an input (`key`, `value`) with `headers`, within
// `max_bytes` (RecordSize). Whole when it fits; otherwise *value is a prefix of the input (and
// *key a prefix of the input key if the key alone would not leave room for 1 KiB of it), and
// *truncated is set: the caller adds kOriginalSizeHeader and kTruncatedHeader (whose size is
// already reserved here, kDeadLetterHeaderReserve).
inline constexpr size_t kDeadLetterHeaderReserve = 128;
void FitDeadLetter(size_t max_bytes, std::span<const Header> headers, std::string_view* key,
                   std::string_view* value, bool* truncated);

enum class AnalysisFit : uint8_t {
  kWhole,     // `*bytes` unchanged
  kCut,       // `*bytes` is the cut analysis (mentions and maybe events left out, diagnostic)
  kTooLarge,  // not even the analysis without mentions and events fits
};

// Fits the serialised `analysis` (`*bytes`, as produced) into `max_value_bytes`. `scratch` is
// working space (the cut message, reused across calls).
AnalysisFit FitAnalysis(const v1::ArticleAnalysis& analysis, size_t max_value_bytes,
                        std::string* bytes, v1::ArticleAnalysis* scratch);

}  // namespace wirescan::emit

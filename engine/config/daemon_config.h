#pragma once
// The daemon's configuration: one YAML file (`wirescan run --config FILE`) mapped exactly onto
// v1::config::DaemonConfig (proto/wirescan/v1/config.proto), then environment overrides, then
// defaults, then Validate(). LoadDaemonConfig() does all four; the steps are public so the CLI
// can show the effective config and tests can drive them one at a time.
//
// Environment overrides (generic, driven by the descriptor): every field reachable from
// DaemonConfig through singular messages can be set by WIRESCAN_ + its path in capitals with
// "__" between levels: WIRESCAN_BROKERS, WIRESCAN_INPUT__TOPICS, WIRESCAN_INPUT__FIELDS__BODY,
// WIRESCAN_PIPELINE__WORKERS, WIRESCAN_KAFKA. A variable that is set is applied, even if empty
// (an empty string then means the default, an empty list is empty, an empty map adds nothing).
//   - strings: taken as is;
//   - integers: decimal digits only, within the field's type (no sign on unsigned fields);
//   - bools: true / false / 1 / 0;
//   - enums: the short lower-case name (`json`, `text`) or the full name (INPUT_FORMAT_JSON),
//     as in the YAML file;
//   - repeated scalars: a comma-separated list, which replaces the file's list (items are not
//     trimmed and empty items are kept, so Validate() reports them);
//   - maps: "k1=v1,k2=v2", merged over the file's map (same key: the variable wins). A value may
//     contain '=' (only the first one separates); ',' always separates entries.
// A bad value is an error naming the variable:
//   "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got 'x'".
// Any other WIRESCAN_* variable is an error ("WIRESCAN_PIPELINE__WORKER: no such configuration
// key (did you mean WIRESCAN_PIPELINE__WORKERS?)"), except those of kOtherVariables below.
//
// Defaults: proto3 cannot tell "absent" from zero, so an empty string / zero number left after
// the overrides means "use the default" (see the kDefault* constants below). `rules_dir` stays
// empty, meaning "the shipped pack": the caller resolves it.
//
// Errors name the field and carry where its value came from: "FILE:LINE: " (the line of the
// YAML mapping that holds the field) when it came from the file, "WIRESCAN_X: " when it came
// from the environment, "FILE: " when the field is absent from the file (a default or a missing
// required value). Out-of-bounds values are errors naming the bounds; nothing is clamped.
//
// Thread safety: functions are thread-safe (Environment::Process() reads the process
// environment: do not setenv() concurrently); Environment is immutable and copyable;
// ConfigSources is thread-compatible.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/rules/yaml_proto.h"
#include "wirescan/v1/config.pb.h"

namespace wirescan::config {

// ----------------------------------------------------------------------------- defaults
inline constexpr std::string_view kDefaultGroupId = "wirescan";
inline constexpr std::string_view kDefaultClientId = "wirescan";
// input.format: INPUT_FORMAT_JSON (the enum's zero value, so nothing to fill).
inline constexpr std::string_view kDefaultFieldId = "id";
inline constexpr std::string_view kDefaultFieldTitle = "title";
inline constexpr std::string_view kDefaultFieldBody = "body";
inline constexpr std::string_view kDefaultFieldSource = "source";
inline constexpr std::string_view kDefaultFieldUrl = "url";
inline constexpr std::string_view kDefaultFieldPublishedAt = "published_at";
inline constexpr uint32_t kDefaultMaxRecordBytes = 4 * 1024 * 1024;  // 4 MiB
inline constexpr std::string_view kDefaultAnalysisTopic = "wirescan.analysis";
inline constexpr std::string_view kDefaultEventTopicPrefix = "wirescan.events.";
inline constexpr std::string_view kDefaultDeadLetterTopic = "wirescan.dlq";
inline constexpr uint32_t kDefaultWorkers = 2;
inline constexpr uint32_t kDefaultQueueCapacity = 4096;   // messages (perf/RESULTS.md: 1024 paused too often)
inline constexpr uint32_t kDefaultBatchSize = 64;         // messages
inline constexpr uint32_t kDefaultCommitIntervalMs = 1000;
inline constexpr uint32_t kDefaultShutdownTimeoutMs = 10000;
inline constexpr uint32_t kDefaultRecordBudgetMs = 10000;  // CPU time per record's extraction
inline constexpr std::string_view kDefaultMetricsAddress = "127.0.0.1:9464";
inline constexpr uint32_t kDefaultAdminThreads = 2;
inline constexpr uint32_t kDefaultAdminMaxConnections = 64;
inline constexpr uint32_t kDefaultAdminRequestTimeoutMs = 5000;
inline constexpr uint32_t kDefaultAdminKeepAliveTimeoutMs = 5000;
inline constexpr uint32_t kDefaultMaxUnassignedMs = 30000;
inline constexpr uint32_t kDefaultMaxStalledMs = 60000;

// ----------------------------------------------------------------------------- bounds (inclusive)
inline constexpr uint32_t kMinWorkers = 1, kMaxWorkers = 64;
inline constexpr uint32_t kMinQueueCapacity = 16, kMaxQueueCapacity = 65536;
// Shared by the assigned partitions: one partition gets 32768 (its pause/resume cycles bound
// its rate: 4096 gave ~8,900 articles/s, 16384 ~21,800; perf/RESULTS.md), eight or more get
// queue_capacity each.
inline constexpr uint32_t kDefaultQueueBudget = 32768;
inline constexpr uint32_t kMinQueueBudget = 16, kMaxQueueBudget = 1u << 22;
inline constexpr uint32_t kMinBatchSize = 1, kMaxBatchSize = 4096;  // and <= queue_capacity
inline constexpr uint32_t kMinCommitIntervalMs = 10, kMaxCommitIntervalMs = 60000;
inline constexpr uint32_t kMinShutdownTimeoutMs = 100, kMaxShutdownTimeoutMs = 600000;
inline constexpr uint32_t kMinRecordBudgetMs = 10, kMaxRecordBudgetMs = 600000;
inline constexpr uint32_t kMinMaxRecordBytes = 1, kMaxMaxRecordBytes = 64 * 1024 * 1024;
inline constexpr size_t kMaxTopicNameLength = 249;  // Kafka's limit
inline constexpr uint32_t kMinAdminThreads = 1, kMaxAdminThreads = 16;
inline constexpr uint32_t kMinAdminMaxConnections = 4, kMaxAdminMaxConnections = 4096;
inline constexpr uint32_t kMinAdminRequestTimeoutMs = 100, kMaxAdminRequestTimeoutMs = 60000;
inline constexpr uint32_t kMinAdminKeepAliveTimeoutMs = 100, kMaxAdminKeepAliveTimeoutMs = 600000;
inline constexpr uint32_t kMinReadinessBoundMs = 1000, kMaxReadinessBoundMs = 3600000;
inline constexpr size_t kMaxReloadTokenBytes = 4096;
// output.analysis_topic set to this disables analyses.
inline constexpr std::string_view kDisabledTopic = "-";

// librdkafka properties wirescan sets itself; `kafka` / `consumer` / `producer` may not set them.
inline constexpr std::string_view kManagedKafkaProperties[] = {
    "enable.auto.commit",  "enable.auto.offset.store",      "enable.idempotence",
    "group.id",            "bootstrap.servers",             "partition.assignment.strategy",
    "enable.partition.eof", "auto.commit.interval.ms",       "metadata.broker.list"};

// WIRESCAN_* variables that name no configuration key but are not mistakes either: read by
// wirescan itself (the default rule pack, the extract rules cache) or by this repository's
// scripts and tests, which pass their environment on to the daemons they start. Any other
// WIRESCAN_* variable that is not a key's override is an error (a typo must not be ignored).
inline constexpr std::string_view kOtherVariables[] = {
    "WIRESCAN_RULES",        "WIRESCAN_RULES_CACHE",   "WIRESCAN_BIN",
    "WIRESCAN_SOURCE_DIR",   "WIRESCAN_BINARY_DIR",    "WIRESCAN_SANITIZED",
    "WIRESCAN_FAKE_FAULT",   "WIRESCAN_COMMIT",
    "WIRESCAN_KAFKA_HOME",   "WIRESCAN_KAFKA_VERSION", "WIRESCAN_KAFKA_HEAP",
    "WIRESCAN_KAFKA_START_TIMEOUT", "WIRESCAN_PROMETHEUS_URL"};
inline constexpr std::string_view kOtherVariablePrefixes[] = {
    "WIRESCAN_E2E_", "WIRESCAN_CHAOS_", "WIRESCAN_BENCH_", "WIRESCAN_FUZZ", "WIRESCAN_APICURIO_"};

// The reload token of `admin` (README.md, "Admin endpoint"): reload_token, or the content of
// reload_token_file with surrounding whitespace removed; "" when neither is set.
// FailedPrecondition "admin.reload_token_file: FILE: cannot read" / "...: the token is empty" /
// "...: the token must be printable ASCII without spaces, at most 4096 bytes".
absl::StatusOr<std::string> LoadReloadToken(const v1::config::Admin& admin);

// ----------------------------------------------------------------------------- environment

// Read-only access to environment variables. Production uses Process() (getenv); tests use
// FromMap().
// Thread safety: immutable after construction; Get() is as thread-safe as the lookup function.
class Environment {
 public:
  // Returns the value of a variable or nullptr when it is unset. The pointer must stay valid
  // until Get() has copied it.
  using Lookup = std::function<const char*(const char*)>;

  // The names of all variables that are set.
  using Names = std::function<std::vector<std::string>()>;

  explicit Environment(Lookup lookup, Names names = {})
      : lookup_(std::move(lookup)), names_(std::move(names)) {}

  // The process environment (::getenv).
  static Environment Process();
  // A fixed set of variables (owned by the returned Environment and its copies).
  static Environment FromMap(absl::flat_hash_map<std::string, std::string> vars);

  // The variable's value, or nullopt when it is unset.
  std::optional<std::string> Get(const std::string& name) const;
  // Every variable that is set (none when constructed without `names`).
  std::vector<std::string> AllNames() const;

 private:
  Lookup lookup_;
  Names names_;
};

// The variable that overrides the field at `path` ("pipeline.workers" ->
// "WIRESCAN_PIPELINE__WORKERS").
std::string EnvVarName(std::string_view path);

// ----------------------------------------------------------------------------- loading

// Where the values of a config came from, for error messages. `messages` points into the
// DaemonConfig it was filled with: valid while that message is alive and not moved.
// Thread safety: thread-compatible.
struct ConfigSources {
  std::string file;           // the config file's path, as given
  rules::SourceMap messages;  // file:line of each message read from the file
  // Field path -> variable that set it: "pipeline.workers" -> "WIRESCAN_PIPELINE__WORKERS";
  // map entries as "kafka[security.protocol]" -> "WIRESCAN_KAFKA".
  absl::flat_hash_map<std::string, std::string> env;
};

// Reads `path` ("PATH: cannot read" if it cannot), maps it onto DaemonConfig exactly (unknown
// keys, wrong kinds: "PATH:LINE: ..."), applies `env` overrides, applies the defaults and
// validates. The returned config is complete: every defaulted field is filled in.
absl::StatusOr<v1::config::DaemonConfig> LoadDaemonConfig(const std::string& path,
                                                          const Environment& env);

// Applies the WIRESCAN_* overrides in `env` to `config` (conventions in the file comment).
// Records the variable of every field it sets in `sources->env` if `sources` is not null.
absl::Status ApplyEnvOverrides(const Environment& env, v1::config::DaemonConfig* config,
                               ConfigSources* sources);

// Fills every empty / zero field that has a default (the kDefault* constants).
void ApplyDefaults(v1::config::DaemonConfig* config);

// Checks a complete config (defaults applied). Returns the first problem as InvalidArgument
// "<field path>: <what>"; with `sources`, prefixed by where the value came from (file comment).
absl::Status Validate(const v1::config::DaemonConfig& config);
absl::Status Validate(const v1::config::DaemonConfig& config, const ConfigSources& sources);

}  // namespace wirescan::config

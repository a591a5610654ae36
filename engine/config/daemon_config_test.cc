#include "engine/config/daemon_config.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using v1::config::DaemonConfig;
using Vars = absl::flat_hash_map<std::string, std::string>;

// The shipped example config (deploy/wirescan.example.yaml): every field, commented.
std::string ExampleConfig() {
  const char* root = std::getenv("WIRESCAN_SOURCE_DIR");
  std::ifstream in(std::string(root != nullptr ? root : ".") + "/deploy/wirescan.example.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("wirescan_config_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

constexpr const char* kMinimal =
    "brokers: localhost:9092\n"
    "input:\n"
    "  topics: [news]\n";

class DaemonConfigTest : public ::testing::Test {
 protected:
  absl::StatusOr<DaemonConfig> Load(const std::string& text, const Vars& vars = {}) {
    path_ = dir_.Write("wirescan.yaml", text);
    return LoadDaemonConfig(path_, Environment::FromMap(vars));
  }

  // Asserts that loading fails with a message starting with `prefix` and containing `fragment`.
  // In `prefix`, "@" stands for the config file's path.
  void ExpectError(const std::string& text, const Vars& vars, const std::string& prefix,
                   const std::string& fragment) {
    absl::StatusOr<DaemonConfig> config = Load(text, vars);
    ASSERT_FALSE(config.ok()) << "accepted:\n" << text;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    std::string want = prefix;
    if (size_t at = want.find('@'); at != std::string::npos) want.replace(at, 1, path_);
    EXPECT_THAT(std::string(config.status().message()), StartsWith(want));
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(fragment));
  }
  void ExpectError(const std::string& text, const std::string& prefix,
                   const std::string& fragment) {
    ExpectError(text, {}, prefix, fragment);
  }

  TempDir dir_;
  std::string path_;
};

// ============================================================================= failing inputs

// ----------------------------------------------------------------------------- the file

TEST_F(DaemonConfigTest, MissingFileCannotBeRead) {
  std::string path = dir_.path() + "/absent.yaml";
  absl::StatusOr<DaemonConfig> config = LoadDaemonConfig(path, Environment::FromMap({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(), path + ": cannot read");
}

TEST_F(DaemonConfigTest, DirectoryCannotBeRead) {
  absl::StatusOr<DaemonConfig> config = LoadDaemonConfig(dir_.path(), Environment::FromMap({}));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), StartsWith(dir_.path() + ": cannot read"));
}

TEST_F(DaemonConfigTest, UnknownTopLevelKeyHasFileAndLine) {
  ExpectError("brokers: localhost:9092\nbroker: x:1\n", "@:2: ",
              "unknown key 'broker' in DaemonConfig");
}

TEST_F(DaemonConfigTest, UnknownNestedKeyHasFileAndLine) {
  ExpectError(std::string(kMinimal) + "pipeline:\n  workers: 2\n  worker: 3\n", "@:6: ",
              "unknown key 'worker' in Pipeline");
}

TEST_F(DaemonConfigTest, WrongKindHasFileAndLine) {
  ExpectError(std::string(kMinimal) + "pipeline:\n  workers: many\n", "@:5: ",
              "field 'workers' expects a non-negative integer, got 'many'");
}

TEST_F(DaemonConfigTest, UnknownEnumNameInFile) {
  ExpectError("brokers: a:1\ninput:\n  topics: [t]\n  format: xml\n", "@:4: ",
              "one of: json, text");
}

TEST_F(DaemonConfigTest, YamlSyntaxError) {
  ExpectError("brokers: [a:1\n", "@:", "YAML syntax error");
}

TEST_F(DaemonConfigTest, EmptyFileLacksBrokers) {
  ExpectError("", "@: brokers: ", "required");
}

// ----------------------------------------------------------------------------- brokers

TEST_F(DaemonConfigTest, BrokersRequired) {
  ExpectError("input:\n  topics: [news]\n", "@", "brokers: required");
}

TEST_F(DaemonConfigTest, BrokersMustBeHostPort) {
  const std::pair<const char*, const char*> cases[] = {
      {"localhost", "expected host:port, got 'localhost'"},
      {"localhost:0", "port must be a number in [1, 65535]"},
      {"localhost:65536", "port must be a number in [1, 65535]"},
      {"localhost:kafka", "port must be a number in [1, 65535]"},
      {"localhost:", "port must be a number in [1, 65535]"},
      {":9092", "missing host in ':9092'"},
      {"a:1,,b:2", "expected host:port, got ''"},
      {"a:1, b:2", "invalid host in ' b:2'"},
      {"[::1:9092", "invalid host"},
  };
  for (const auto& [brokers, fragment] : cases) {
    SCOPED_TRACE(brokers);
    ExpectError(absl::StrCat("brokers: \"", brokers, "\"\ninput:\n  topics: [news]\n"), "@:1: ",
                absl::StrCat("brokers: ", fragment));
  }
}

// ----------------------------------------------------------------------------- input

TEST_F(DaemonConfigTest, InputTopicsRequired) {
  ExpectError("brokers: a:1\n", "@: ", "input.topics: required: at least one topic");
  ExpectError("brokers: a:1\ninput:\n  topics: []\n", "@:3: ", "input.topics: required");
}

TEST_F(DaemonConfigTest, InputTopicNamesMustBeValid) {
  ExpectError("brokers: a:1\ninput:\n  topics: [news, '']\n", "@:3: ",
              "input.topics: a topic name cannot be empty");
  ExpectError("brokers: a:1\ninput:\n  topics: [news, news]\n", "@:3: ",
              "input.topics: duplicate topic 'news'");
  ExpectError("brokers: a:1\ninput:\n  topics: ['news feed']\n", "@:3: ",
              "input.topics: invalid topic name 'news feed'");
  ExpectError("brokers: a:1\ninput:\n  topics: [news/en]\n", "@:3: ", "invalid topic name");
  ExpectError("brokers: a:1\ninput:\n  topics: ['..']\n", "@:3: ", "'..' is not a valid topic");
  ExpectError("brokers: a:1\ninput:\n  topics: [" + std::string(250, 'a') + "]\n", "@:3: ",
              "is 250 characters long (at most 249)");
}

TEST_F(DaemonConfigTest, LongestTopicNameIsAccepted) {
  EXPECT_TRUE(Load("brokers: a:1\ninput:\n  topics: [" + std::string(249, 'a') + "]\n").ok());
}

TEST_F(DaemonConfigTest, MaxRecordBytesBounds) {
  ExpectError(std::string(kMinimal) + "  max_record_bytes: 67108865\n", "@:3: ",
              "input.max_record_bytes: must be in [1, 67108864], got 67108865");
  EXPECT_TRUE(Load(std::string(kMinimal) + "  max_record_bytes: 67108864\n").ok());
}

// ----------------------------------------------------------------------------- output

TEST_F(DaemonConfigTest, OutputTopicsMustBeValid) {
  const std::string base = std::string(kMinimal) + "output:\n";  // output: is on line 4
  ExpectError(base + "  analysis_topic: 'bad topic'\n", "@:5: ",
              "output.analysis_topic: invalid topic name 'bad topic'");
  ExpectError(base + "  dead_letter_topic: 'dlq!'\n", "@:5: ",
              "output.dead_letter_topic: invalid topic name 'dlq!'");
  ExpectError(base + "  event_topic_prefix: 'events/'\n", "@:5: ",
              "output.event_topic_prefix: 'events/' cannot start a topic name");
  ExpectError(base + "  event_topic_prefix: " + std::string(249, 'e') + "\n", "@:5: ",
              "output.event_topic_prefix:");
  ExpectError(base + "  event_topics:\n    earnings: 'a b'\n", "@:6: ",
              "output.event_topics: event type 'earnings': invalid topic name 'a b'");
}

TEST_F(DaemonConfigTest, DeadLetterTopicMustNotBeAnInputTopic) {
  ExpectError(std::string(kMinimal) + "output:\n  dead_letter_topic: news\n", "@:5: ",
              "output.dead_letter_topic: 'news' is also an input topic");
}

TEST_F(DaemonConfigTest, DeadLetterTopicMustNotBeTheAnalysisTopic) {
  ExpectError(std::string(kMinimal) + "output:\n  dead_letter_topic: wirescan.analysis\n", "@:5: ",
              "output.dead_letter_topic: 'wirescan.analysis' is also the analysis topic");
}

TEST_F(DaemonConfigTest, AnalysisTopicMustNotBeAnInputTopic) {
  ExpectError(std::string(kMinimal) + "output:\n  analysis_topic: news\n", "@:5: ",
              "output.analysis_topic: 'news' is also an input topic");
}

TEST_F(DaemonConfigTest, AnalysisTopicDashDisablesAnalyses) {
  absl::StatusOr<DaemonConfig> config = Load(std::string(kMinimal) +
                                             "output:\n  analysis_topic: '-'\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->output().analysis_topic(), "-");
}

// ----------------------------------------------------------------------------- pipeline

TEST_F(DaemonConfigTest, PipelineBoundsNameFieldAndBounds) {
  const std::pair<const char*, const char*> cases[] = {
      {"workers: 65", "pipeline.workers: must be in [1, 64], got 65"},
      {"queue_capacity: 15", "pipeline.queue_capacity: must be in [16, 65536], got 15"},
      {"queue_capacity: 65537", "pipeline.queue_capacity: must be in [16, 65536], got 65537"},
      {"queue_budget: 15", "pipeline.queue_budget: must be in [16, 4194304], got 15"},
      {"queue_budget: 4194305", "pipeline.queue_budget: must be in [16, 4194304], got 4194305"},
      {"batch_size: 4097", "pipeline.batch_size: must be in [1, 4096], got 4097"},
      {"commit_interval_ms: 9", "pipeline.commit_interval_ms: must be in [10, 60000], got 9"},
      {"commit_interval_ms: 60001",
       "pipeline.commit_interval_ms: must be in [10, 60000], got 60001"},
      {"shutdown_timeout_ms: 99", "pipeline.shutdown_timeout_ms: must be in [100, 600000], got 99"},
      {"shutdown_timeout_ms: 600001",
       "pipeline.shutdown_timeout_ms: must be in [100, 600000], got 600001"},
      {"record_budget_ms: 9", "pipeline.record_budget_ms: must be in [10, 600000], got 9"},
      {"record_budget_ms: 600001",
       "pipeline.record_budget_ms: must be in [10, 600000], got 600001"},
  };
  for (const auto& [line, fragment] : cases) {
    SCOPED_TRACE(line);
    // "pipeline:" is line 4, so its mapping (and the error) is on line 5.
    ExpectError(absl::StrCat(kMinimal, "pipeline:\n  ", line, "\n"), "@:5: ", fragment);
  }
}

TEST_F(DaemonConfigTest, BatchSizeAtMostQueueCapacity) {
  ExpectError(std::string(kMinimal) + "pipeline:\n  queue_capacity: 32\n  batch_size: 33\n",
              "@:5: ", "pipeline.batch_size: must be at most pipeline.queue_capacity (32), got 33");
  // The default batch size (64) does not fit a queue of 16 either.
  ExpectError(std::string(kMinimal) + "pipeline:\n  queue_capacity: 16\n", "@:5: ",
              "pipeline.batch_size: must be at most pipeline.queue_capacity (16), got 64");
}

TEST_F(DaemonConfigTest, PipelineBoundsAreInclusive) {
  absl::StatusOr<DaemonConfig> config = Load(std::string(kMinimal) +
                                             "pipeline:\n"
                                             "  workers: 64\n"
                                             "  queue_capacity: 65536\n"
                                             "  batch_size: 4096\n"
                                             "  commit_interval_ms: 10\n"
                                             "  shutdown_timeout_ms: 600000\n"
                                             "  record_budget_ms: 600000\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pipeline().workers(), 64u);
  EXPECT_EQ(config->pipeline().record_budget_ms(), 600000u);
  EXPECT_TRUE(Load(absl::StrCat(kMinimal, "pipeline:\n  record_budget_ms: 10\n")).ok());
}

// ----------------------------------------------------------------------------- the rest

TEST_F(DaemonConfigTest, MetricsAddressMustBeHostPort) {
  ExpectError(std::string(kMinimal) + "metrics_address: '9464'\n", "@:1: ",
              "metrics_address: expected host:port, got '9464'");
  ExpectError(std::string(kMinimal) + "metrics_address: 'localhost:99999'\n", "@:1: ",
              "metrics_address: port must be a number in [1, 65535]");
}

TEST_F(DaemonConfigTest, AdminBoundsNameFieldAndBounds) {
  const std::pair<const char*, const char*> cases[] = {
      {"threads: 17", "admin.threads: must be in [1, 16], got 17"},
      {"max_connections: 3", "admin.max_connections: must be in [4, 4096], got 3"},
      {"max_connections: 4097", "admin.max_connections: must be in [4, 4096], got 4097"},
      {"request_timeout_ms: 99", "admin.request_timeout_ms: must be in [100, 60000], got 99"},
      {"keep_alive_timeout_ms: 600001",
       "admin.keep_alive_timeout_ms: must be in [100, 600000], got 600001"},
      {"max_unassigned_ms: 999", "admin.max_unassigned_ms: must be in [1000, 3600000], got 999"},
      {"max_stalled_ms: 3600001",
       "admin.max_stalled_ms: must be in [1000, 3600000], got 3600001"},
      {"reload_token: 'has space'",
       "admin.reload_token: the token must be printable ASCII without spaces"},
      {"{reload_token: abc, reload_token_file: /run/secrets/t}",
       "admin.reload_token: set reload_token or reload_token_file, not both"},
  };
  for (const auto& [line, fragment] : cases) {
    SCOPED_TRACE(line);
    const bool flow = line[0] == '{';
    ExpectError(flow ? absl::StrCat(kMinimal, "admin: ", line, "\n")
                     : absl::StrCat(kMinimal, "admin:\n  ", line, "\n"),
                flow ? "@:4: " : "@:5: ", fragment);
  }
  // From the environment: the variable is named.
  ExpectError(kMinimal, {{"WIRESCAN_ADMIN__RELOAD_TOKEN", "a\tb"}}, "WIRESCAN_ADMIN__RELOAD_TOKEN: ",
              "admin.reload_token: the token must be printable ASCII");
}

TEST_F(DaemonConfigTest, ReloadTokenFromFileOrEnvironment) {
  v1::config::Admin admin;
  EXPECT_EQ(*LoadReloadToken(admin), "");  // no token: no authentication
  admin.set_reload_token("t0ken");
  EXPECT_EQ(*LoadReloadToken(admin), "t0ken");

  admin.clear_reload_token();
  admin.set_reload_token_file(dir_.Write("token", "  s3cret-from-a-secret\n"));
  EXPECT_EQ(*LoadReloadToken(admin), "s3cret-from-a-secret");
  const std::pair<std::string, std::string> bad[] = {
      {dir_.Write("empty", "\n \n"), "the token is empty"},
      {dir_.Write("spaced", "two words\n"), "printable ASCII without spaces"},
      {dir_.Write("huge", std::string(5000, 'a')), "at most 4096"},
      {dir_.path() + "/missing", "cannot read"},
      {dir_.path(), "cannot read (a directory)"},
  };
  for (const auto& [path, fragment] : bad) {
    admin.set_reload_token_file(path);
    absl::StatusOr<std::string> token = LoadReloadToken(admin);
    ASSERT_FALSE(token.ok()) << path;
    EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(token.status().message()),
                StartsWith("admin.reload_token_file: " + path + ": "));
    EXPECT_THAT(std::string(token.status().message()), HasSubstr(fragment));
  }
  // The file's path can come from the environment too.
  absl::StatusOr<DaemonConfig> config =
      Load(kMinimal, {{"WIRESCAN_ADMIN__RELOAD_TOKEN_FILE", "/run/secrets/wirescan/token"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->admin().reload_token_file(), "/run/secrets/wirescan/token");
}

TEST_F(DaemonConfigTest, ManagedKafkaPropertiesAreRejected) {
  for (const char* map : {"kafka", "consumer", "producer"}) {
    for (std::string_view key : kManagedKafkaProperties) {
      SCOPED_TRACE(absl::StrCat(map, " ", core::Sv(key)));
      // At the property's own line.
      ExpectError(absl::StrCat(kMinimal, map, ":\n  ", core::Sv(key), ": 'x'\n"), "@:5: ",
                  absl::StrCat(map, ": '", core::Sv(key), "' is managed by wirescan"));
    }
  }
}

TEST_F(DaemonConfigTest, ValidateWithoutSourcesNamesTheField) {
  DaemonConfig config;
  config.set_brokers("a:1");
  config.mutable_input()->add_topics("news");
  ApplyDefaults(&config);
  ASSERT_TRUE(Validate(config).ok());
  config.mutable_pipeline()->set_workers(0);
  EXPECT_EQ(Validate(config).message(), "pipeline.workers: must be in [1, 64], got 0");
}

// ----------------------------------------------------------------------------- environment

TEST_F(DaemonConfigTest, BadEnvNumberNamesTheVariable) {
  ExpectError(kMinimal, {{"WIRESCAN_PIPELINE__WORKERS", "x"}}, "",
              "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got 'x'");
}

TEST_F(DaemonConfigTest, BadEnvValuesNameTheVariable) {
  const std::pair<Vars, const char*> cases[] = {
      {{{"WIRESCAN_PIPELINE__WORKERS", "-1"}},
       "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got '-1'"},
      {{{"WIRESCAN_PIPELINE__WORKERS", " 4"}},
       "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got ' 4'"},
      {{{"WIRESCAN_PIPELINE__WORKERS", "4294967296"}},
       "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got '4294967296'"},
      {{{"WIRESCAN_PIPELINE__WORKERS", ""}},
       "WIRESCAN_PIPELINE__WORKERS: expected a non-negative integer, got ''"},
      {{{"WIRESCAN_OUTPUT__INCLUDE_TEXT", "yes please"}},
       "WIRESCAN_OUTPUT__INCLUDE_TEXT: expected true or false, got 'yes please'"},
      {{{"WIRESCAN_INPUT__FORMAT", "xml"}},
       "WIRESCAN_INPUT__FORMAT: expected one of: json, text, got 'xml'"},
      {{{"WIRESCAN_KAFKA", "linger.ms"}},
       "WIRESCAN_KAFKA: expected key=value entries separated by ',', got 'linger.ms'"},
      {{{"WIRESCAN_KAFKA", "=5"}},
       "WIRESCAN_KAFKA: expected key=value entries separated by ',', got '=5'"},
  };
  for (const auto& [vars, message] : cases) {
    SCOPED_TRACE(message);
    absl::StatusOr<DaemonConfig> config = Load(kMinimal, vars);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().message(), message);
  }
}

TEST_F(DaemonConfigTest, RecordBudgetFromEnvironment) {
  ExpectError(kMinimal, {{"WIRESCAN_PIPELINE__RECORD_BUDGET_MS", "5"}},
              "WIRESCAN_PIPELINE__RECORD_BUDGET_MS: pipeline.record_budget_ms: ",
              "must be in [10, 600000], got 5");
  absl::StatusOr<DaemonConfig> config =
      Load(kMinimal, {{"WIRESCAN_PIPELINE__RECORD_BUDGET_MS", "250"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pipeline().record_budget_ms(), 250u);
}

TEST_F(DaemonConfigTest, ValidationErrorFromEnvNamesTheVariable) {
  ExpectError(kMinimal, {{"WIRESCAN_PIPELINE__WORKERS", "100"}},
              "WIRESCAN_PIPELINE__WORKERS: pipeline.workers: ", "must be in [1, 64], got 100");
  ExpectError(kMinimal, {{"WIRESCAN_INPUT__TOPICS", "news,"}},
              "WIRESCAN_INPUT__TOPICS: input.topics: ", "a topic name cannot be empty");
  ExpectError(kMinimal, {{"WIRESCAN_INPUT__TOPICS", ""}}, "WIRESCAN_INPUT__TOPICS: input.topics: ",
              "required");
  ExpectError(kMinimal, {{"WIRESCAN_CONSUMER", "fetch.max.bytes=1,group.id=other"}},
              "WIRESCAN_CONSUMER: consumer: ", "'group.id' is managed by wirescan");
  ExpectError(kMinimal, {{"WIRESCAN_BROKERS", "kafka"}}, "WIRESCAN_BROKERS: brokers: ",
              "expected host:port, got 'kafka'");
}

TEST_F(DaemonConfigTest, FileValueNextToEnvValueKeepsFileLine) {
  // The env sets a valid pipeline.workers; the file's bad batch size still points at the file.
  ExpectError(std::string(kMinimal) + "pipeline:\n  batch_size: 5000\n",
              {{"WIRESCAN_PIPELINE__WORKERS", "4"}}, "@:5: ", "pipeline.batch_size");
}

// ============================================================================= accepted inputs

TEST_F(DaemonConfigTest, EnvVarNames) {
  EXPECT_EQ(EnvVarName("brokers"), "WIRESCAN_BROKERS");
  EXPECT_EQ(EnvVarName("input.fields.body"), "WIRESCAN_INPUT__FIELDS__BODY");
  EXPECT_EQ(EnvVarName("output.analysis_topic"), "WIRESCAN_OUTPUT__ANALYSIS_TOPIC");
}

TEST_F(DaemonConfigTest, EnvOverridesScalar) {
  absl::StatusOr<DaemonConfig> config =
      Load(kMinimal, {{"WIRESCAN_BROKERS", "k1:9092,k2:9093"}, {"WIRESCAN_GROUP_ID", "g2"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->brokers(), "k1:9092,k2:9093");
  EXPECT_EQ(config->group_id(), "g2");
}

TEST_F(DaemonConfigTest, EnvOverridesNestedScalars) {
  absl::StatusOr<DaemonConfig> config =
      Load(std::string(kMinimal) + "pipeline:\n  workers: 3\n",
           {{"WIRESCAN_PIPELINE__WORKERS", "8"},
            {"WIRESCAN_OUTPUT__ANALYSIS_TOPIC", "an.alysis"},
            {"WIRESCAN_INPUT__FIELDS__BODY", "content"},
            {"WIRESCAN_OUTPUT__INCLUDE_TEXT", "true"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pipeline().workers(), 8u);
  EXPECT_EQ(config->output().analysis_topic(), "an.alysis");
  EXPECT_EQ(config->input().fields().body(), "content");
  EXPECT_EQ(config->input().fields().title(), "title");  // untouched: the default
  EXPECT_TRUE(config->output().include_text());
}

TEST_F(DaemonConfigTest, EnvOverridesEnum) {
  for (const char* name : {"text", "INPUT_FORMAT_TEXT"}) {
    absl::StatusOr<DaemonConfig> config = Load(std::string(kMinimal) + "  format: json\n",
                                               {{"WIRESCAN_INPUT__FORMAT", name}});
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->input().format(), v1::config::INPUT_FORMAT_TEXT);
  }
}

TEST_F(DaemonConfigTest, EnvReplacesRepeatedList) {
  absl::StatusOr<DaemonConfig> config =
      Load("brokers: a:1\ninput:\n  topics: [one, two, three]\n",
           {{"WIRESCAN_INPUT__TOPICS", "x.en,x.zh"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->input().topics(), ::testing::ElementsAre("x.en", "x.zh"));
}

TEST_F(DaemonConfigTest, EnvMergesMap) {
  absl::StatusOr<DaemonConfig> config = Load(std::string(kMinimal) +
                                                 "kafka:\n"
                                                 "  socket.timeout.ms: '30000'\n"
                                                 "  socket.keepalive.enable: 'false'\n",
                                             {{"WIRESCAN_KAFKA",
                                               "socket.timeout.ms=20000,"
                                               "sasl.kerberos.service.name=a=b c=d"},
                                              {"WIRESCAN_OUTPUT__EVENT_TOPICS", "earnings=e.x"}});
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& kafka = config->kafka();
  EXPECT_EQ(kafka.size(), 3u);
  EXPECT_EQ(kafka.at("socket.timeout.ms"), "20000");        // replaced
  EXPECT_EQ(kafka.at("socket.keepalive.enable"), "false");  // kept from the file
  EXPECT_EQ(kafka.at("sasl.kerberos.service.name"), "a=b c=d");  // '=' after the first: value
  EXPECT_EQ(config->output().event_topics().at("earnings"), "e.x");
}

TEST_F(DaemonConfigTest, EmptyEnvMapAddsNothing) {
  absl::StatusOr<DaemonConfig> config =
      Load(std::string(kMinimal) + "producer:\n  linger.ms: '5'\n", {{"WIRESCAN_PRODUCER", ""}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->producer().size(), 1u);
}

TEST_F(DaemonConfigTest, UnknownWirescanVariableIsAnError) {
  ExpectError(kMinimal, {{"WIRESCAN_PIPELINE__WORKER", "4"}}, "WIRESCAN_PIPELINE__WORKER: ",
              "no such configuration key (did you mean WIRESCAN_PIPELINE__WORKERS?)");
  ExpectError(kMinimal, {{"WIRESCAN_BROKER", "h:1"}}, "WIRESCAN_BROKER: ",
              "did you mean WIRESCAN_BROKERS?");
  // A section is not a key; no near miss, no suggestion.
  ExpectError(kMinimal, {{"WIRESCAN_PIPELINE", "z"}}, "WIRESCAN_PIPELINE: ",
              "no such configuration key; WIRESCAN_ + the key's path");
  ExpectError(kMinimal, {{"WIRESCAN_SOMETHING_ELSE", "1"}}, "WIRESCAN_SOMETHING_ELSE: ",
              "no such configuration key");
}

TEST_F(DaemonConfigTest, OtherWirescanVariablesAreAccepted) {
  absl::StatusOr<DaemonConfig> config =
      Load(kMinimal, {{"WIRESCAN_RULES", "/x"}, {"WIRESCAN_BIN", "/y"},
                      {"WIRESCAN_RULES_CACHE", "/c"}, {"WIRESCAN_E2E_BUDGET", "5"},
                      {"WIRESCAN_SOURCE_DIR", "/s"}, {"OTHER_PIPELINE__WORKER", "oops"}});
  ASSERT_TRUE(config.ok()) << config.status();
}

TEST_F(DaemonConfigTest, ProcessEnvironmentListsNames) {
  ASSERT_EQ(::setenv("WIRESCAN_CONFIG_TEST_VAR", "value", 1), 0);
  std::vector<std::string> names = Environment::Process().AllNames();
  EXPECT_THAT(names, ::testing::Contains("WIRESCAN_CONFIG_TEST_VAR"));
  ASSERT_EQ(::unsetenv("WIRESCAN_CONFIG_TEST_VAR"), 0);
}

// ----------------------------------------------------------------------------- librdkafka

TEST_F(DaemonConfigTest, UnknownKafkaPropertyIsLocated) {
  ExpectError(std::string(kMinimal) + "kafka:\n  linger.ms: '5'\n  securty.protocol: SASL_SSL\n",
              "@:6: kafka: ", "'securty.protocol': No such configuration property");
  ExpectError(std::string(kMinimal) + "consumer:\n  fetch.wait.max.ms: abc\n", "@:5: consumer: ",
              "'fetch.wait.max.ms': Invalid value");
  ExpectError(kMinimal, {{"WIRESCAN_PRODUCER", "lingr.ms=5"}}, "WIRESCAN_PRODUCER: producer: ",
              "'lingr.ms': No such configuration property");
}

TEST_F(DaemonConfigTest, KafkaClientCreationProblemsAreLocated) {
  // librdkafka checks these only when a client is created: a throwaway one (no brokers).
  ExpectError(std::string(kMinimal) +
                  "kafka:\n  security.protocol: SASL_PLAINTEXT\n  sasl.mechanism: PLAN\n"
                  "  sasl.username: u\n  sasl.password: p\n",
              "@:6: kafka: ", "'sasl.mechanism': Unsupported SASL mechanism: PLAN");
  ExpectError(std::string(kMinimal) +
                  "kafka:\n  security.protocol: SASL_PLAINTEXT\n  sasl.mechanism: PLAIN\n"
                  "  sasl.username: u\n",
              "@:7: kafka: ", "'sasl.username': sasl.username and sasl.password must be set");
  ExpectError(std::string(kMinimal) + "producer:\n  acks: '0'\n", "@:5: producer: ",
              "'acks': ");
  ExpectError(std::string(kMinimal) + "kafka:\n  metadata.broker.list: h:1\n", "@:5: kafka: ",
              "'metadata.broker.list' is managed by wirescan");
}

TEST_F(DaemonConfigTest, ValidKafkaPropertiesAreAccepted) {
  absl::StatusOr<DaemonConfig> config = Load(
      std::string(kMinimal) +
      "kafka:\n  security.protocol: SASL_PLAINTEXT\n  sasl.mechanism: SCRAM-SHA-512\n"
      "  sasl.username: u\n  sasl.password: p\n  statistics.interval.ms: '1000'\n"
      "consumer:\n  fetch.wait.max.ms: '100'\nproducer:\n  linger.ms: '20'\n  acks: all\n");
  ASSERT_TRUE(config.ok()) << config.status();
}

TEST_F(DaemonConfigTest, ProcessEnvironmentReadsGetenv) {
  ASSERT_EQ(::setenv("WIRESCAN_CONFIG_TEST_VAR", "value", 1), 0);
  EXPECT_EQ(Environment::Process().Get("WIRESCAN_CONFIG_TEST_VAR"), "value");
  ASSERT_EQ(::unsetenv("WIRESCAN_CONFIG_TEST_VAR"), 0);
  EXPECT_EQ(Environment::Process().Get("WIRESCAN_CONFIG_TEST_VAR"), std::nullopt);
}

TEST_F(DaemonConfigTest, DefaultsApplied) {
  absl::StatusOr<DaemonConfig> config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->group_id(), "wirescan");
  EXPECT_EQ(config->client_id(), "wirescan");
  EXPECT_EQ(config->rules_dir(), "");  // the shipped pack; resolved by the caller
  EXPECT_EQ(config->input().format(), v1::config::INPUT_FORMAT_JSON);
  const auto& fields = config->input().fields();
  EXPECT_EQ(fields.id(), "id");
  EXPECT_EQ(fields.title(), "title");
  EXPECT_EQ(fields.body(), "body");
  EXPECT_EQ(fields.source(), "source");
  EXPECT_EQ(fields.url(), "url");
  EXPECT_EQ(fields.published_at(), "published_at");
  EXPECT_EQ(config->input().max_record_bytes(), 4194304u);
  EXPECT_EQ(config->input().default_source(), "");
  EXPECT_EQ(config->output().analysis_topic(), "wirescan.analysis");
  EXPECT_EQ(config->output().event_topic_prefix(), "wirescan.events.");
  EXPECT_EQ(config->output().dead_letter_topic(), "wirescan.dlq");
  EXPECT_FALSE(config->output().include_text());
  EXPECT_EQ(config->pipeline().workers(), 2u);
  EXPECT_EQ(config->pipeline().queue_capacity(), 4096u);
  EXPECT_EQ(config->pipeline().queue_budget(), 32768u);
  EXPECT_EQ(config->pipeline().batch_size(), 64u);
  EXPECT_EQ(config->pipeline().commit_interval_ms(), 1000u);
  EXPECT_EQ(config->pipeline().shutdown_timeout_ms(), 10000u);
  EXPECT_EQ(config->pipeline().record_budget_ms(), 10000u);
  EXPECT_EQ(config->metrics_address(), "127.0.0.1:9464");
  EXPECT_EQ(config->admin().threads(), 2u);
  EXPECT_EQ(config->admin().max_connections(), 64u);
  EXPECT_EQ(config->admin().request_timeout_ms(), 5000u);
  EXPECT_EQ(config->admin().keep_alive_timeout_ms(), 5000u);
  EXPECT_EQ(config->admin().max_unassigned_ms(), 30000u);
  EXPECT_EQ(config->admin().max_stalled_ms(), 60000u);
  EXPECT_FALSE(config->admin().ready_without_partitions());
  EXPECT_EQ(config->admin().reload_token(), "");
  EXPECT_EQ(config->admin().reload_token_file(), "");
  EXPECT_TRUE(config->kafka().empty());
}

TEST_F(DaemonConfigTest, DefaultsDoNotOverrideSetValues) {
  absl::StatusOr<DaemonConfig> config = Load(std::string(kMinimal) +
                                             "group_id: g\n"
                                             "output:\n  dead_letter_topic: d\n"
                                             "pipeline:\n  batch_size: 7\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->group_id(), "g");
  EXPECT_EQ(config->output().dead_letter_topic(), "d");
  EXPECT_EQ(config->pipeline().batch_size(), 7u);
}

TEST_F(DaemonConfigTest, FullExampleNeedsItsSaslPassword) {
  ExpectError(ExampleConfig(), {}, "@:",
              "kafka: 'sasl.username': sasl.username and sasl.password must be set");
}

TEST_F(DaemonConfigTest, FullExampleLoads) {
  absl::StatusOr<DaemonConfig> config =
      Load(ExampleConfig(), {{"WIRESCAN_KAFKA", "sasl.password=secret"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->brokers(), "kafka-1.internal:9092,kafka-2.internal:9092");
  EXPECT_THAT(config->input().topics(), ::testing::ElementsAre("news.raw.en", "news.raw.zh"));
  EXPECT_EQ(config->input().format(), v1::config::INPUT_FORMAT_JSON);
  EXPECT_EQ(config->input().default_source(), "newswire");
  EXPECT_EQ(config->output().event_topics().at("earnings"), "wirescan.events.earnings-v2");
  EXPECT_EQ(config->pipeline().shutdown_timeout_ms(), 10000u);
  EXPECT_EQ(config->kafka().at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config->consumer().at("auto.offset.reset"), "earliest");
  EXPECT_EQ(config->producer().at("compression.type"), "zstd");

  // The documented way to pass the secret.
  config = Load(ExampleConfig(), {{"WIRESCAN_KAFKA", "sasl.password=s3cr=t"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->kafka().at("sasl.password"), "s3cr=t");
  EXPECT_EQ(config->kafka().at("sasl.username"), "wirescan");
}

TEST_F(DaemonConfigTest, ApplyEnvOverridesRecordsOrigins) {
  DaemonConfig config;
  ConfigSources sources;
  ASSERT_TRUE(ApplyEnvOverrides(Environment::FromMap({{"WIRESCAN_PIPELINE__WORKERS", "3"},
                                                      {"WIRESCAN_KAFKA", "a=1"}}),
                                &config, &sources)
                  .ok());
  EXPECT_EQ(sources.env.at("pipeline.workers"), "WIRESCAN_PIPELINE__WORKERS");
  EXPECT_EQ(sources.env.at("kafka[a]"), "WIRESCAN_KAFKA");
  EXPECT_EQ(config.pipeline().workers(), 3u);
}


// ----------------------------------------------------------------------------- output formats

TEST_F(DaemonConfigTest, ConfluentFormatNeedsARegistryOrSchemaIds) {
  const std::string base = std::string(kMinimal) + "output:\n  format: confluent_protobuf\n";
  ExpectError(base, "@:5: output.format", "schema_registry.analysis_schema_id");
  ExpectError(base + "schema_registry:\n  analysis_schema_id: 3\n", "@:5: output.format",
              "schema_registry.event_schema_id");
  EXPECT_TRUE(Load(base + "schema_registry:\n  analysis_schema_id: 3\n  event_schema_id: 4\n").ok());
  EXPECT_TRUE(Load(base + "schema_registry:\n  url: http://registry:8081\n").ok());
  // Analyses disabled: only the event schema is needed.
  EXPECT_TRUE(Load(std::string(kMinimal) +
                   "output:\n  format: confluent_protobuf\n  analysis_topic: \"-\"\n"
                   "schema_registry:\n  event_schema_id: 4\n")
                  .ok());
}

TEST_F(DaemonConfigTest, TopicFormatsOverrideTheDefault) {
  const std::string base = std::string(kMinimal) + "output:\n  topic_formats:\n";
  ExpectError(base + "    wirescan.analysis: confluent_protobuf\n", "@:5: output.format",
              "analysis_schema_id");
  ExpectError(base + "    wirescan.events.tariff: confluent_protobuf\n", "@:5: output.format",
              "event_schema_id");
  ExpectError(base + "    \"bad topic\": json\n", "@", "invalid topic name");
  ExpectError(base + "    x: yaml\n", "@", "one of: protobuf, json, confluent_protobuf");
  absl::StatusOr<DaemonConfig> ok = Load(base + "    wirescan.events.tariff: json\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->output().topic_formats().at("wirescan.events.tariff"),
            v1::config::OUTPUT_FORMAT_JSON);
}

TEST_F(DaemonConfigTest, SchemaRegistryFieldsAreChecked) {
  const std::string base = std::string(kMinimal) + "schema_registry:\n";
  ExpectError(base + "  url: registry:8081\n", "@:5: schema_registry.url", "http://");
  ExpectError(base + "  url: http://r:1\n  timeout_ms: 10\n", "@:5: schema_registry.timeout_ms",
              "must be in [1000, 600000]");
  ExpectError(base + "  url: http://r:1\n  basic_auth_user_info: nocolon\n", "@:5: schema_registry",
              "user:password");
}

TEST_F(DaemonConfigTest, OutputFormatFromEnvironment) {
  absl::StatusOr<DaemonConfig> c =
      Load(kMinimal, {{"WIRESCAN_OUTPUT__FORMAT", "json"},
                      {"WIRESCAN_OUTPUT__TOPIC_FORMATS", "a=protobuf,b=json"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->output().format(), v1::config::OUTPUT_FORMAT_JSON);
  EXPECT_EQ(c->output().topic_formats().size(), 2u);
}

}  // namespace
}  // namespace wirescan::config

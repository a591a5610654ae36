// The streaming pipeline (PipelineManager + KafkaSource + KafkaSink) against librdkafka's
// in-process mock cluster, wired the way engine/daemon/run.cc wires the daemon. Each case loads
// an input topic, runs the pipeline on its own thread and then reads every output topic from
// the beginning to account for every input offset:
//   - every input offset has exactly one analysis or one dead letter (at least one after a
//     rebalance or a stop; duplicates are counted and printed);
//   - outputs carry the source headers, the rules version and the content type; analyses go to
//     partition (input partition mod analysis_partitions), keyed by the article id; dead
//     letters carry the input bytes and key unchanged with the expected reason;
//   - per input partition, outputs appear in source-offset order;
//   - the group's committed offsets reach the end offsets (or, after a stop, never pass an
//     offset whose outputs were not delivered);
//   - the pipeline's counters add up.
//
// Synchronisation is by bounded polling on conditions (counters, a done flag) with deadlines.
// The mock cluster's first group join takes ~3 s; a rejoin about session.timeout.ms.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/emit/kafka_sink.h"
#include "engine/pipeline/pipeline.h"
#include "engine/rules/rule_pack.h"
#include "engine/source/kafka_source.h"
#include "gtest/gtest.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan {
namespace {

using Clock = std::chrono::steady_clock;
using PartitionOffset = std::pair<int32_t, int64_t>;

constexpr std::string_view kAnalysisType =
    "application/x-protobuf; messageType=wirescan.v1.ArticleAnalysis";
constexpr std::string_view kEventType = "application/x-protobuf; messageType=wirescan.v1.Event";
constexpr auto kRunDeadline = std::chrono::seconds(60);
constexpr int kEventPartitions = 4;  // the mock keeps ~5 MiB per partition

std::string SourceDir() {
  const char* dir = std::getenv("WIRESCAN_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : ".";
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::shared_ptr<const rules::RulePack> Pack() {
  static const std::shared_ptr<const rules::RulePack> pack = [] {
    auto p = rules::LoadRulePack(std::string(WIRESCAN_DEFAULT_RULES_DIR));
    if (!p.ok()) {
      std::fprintf(stderr, "rule pack: %s\n", std::string(p.status().message()).c_str());
      std::abort();
    }
    return *p;
  }();
  return pack;
}

// --- Input ---------------------------------------------------------------------------------

struct Record {
  std::string key;
  std::string value;
  std::string id;          // good records: the article id the analysis must carry
  std::string dlq_reason;  // bad records: the expected wirescan-dlq-reason
  int sample = -1;         // good records: which sample article (events are per sample)
  bool expect_cut = false;      // good records: the analysis must be cut (CODE_OUTPUT_CUT)
  bool expect_prefix = false;   // bad records: the dead letter keeps a prefix of the input
  bool maybe_refused = false;   // may be dead-lettered (output_too_large) instead of analysed
};

// `good` records cycling through the eight sample articles with unique ids ("<id>#<n>"), and,
// if `with_bad`, every line of bad_records.ndjson spread evenly among them.
std::vector<Record> MakeRecords(int good, bool with_bad) {
  const std::string dir = SourceDir() + "/deploy/samples/";
  const std::vector<std::string> articles = ReadLines(dir + "articles.ndjson");
  EXPECT_EQ(articles.size(), 8u) << "deploy/samples/articles.ndjson";
  // deploy/samples/README.md: bad_records.ndjson line -> what is wrong with it.
  static const char* const kBadReasons[] = {"not_json",  "not_object", "missing_body",
                                            "wrong_type", "empty_body", "invalid_utf8"};
  std::vector<std::string> bad;
  if (with_bad) {
    bad = ReadLines(dir + "bad_records.ndjson");
    EXPECT_EQ(bad.size(), std::size(kBadReasons)) << "deploy/samples/bad_records.ndjson";
  }
  std::vector<Record> out;
  const size_t total = good + bad.size();
  const size_t every = bad.empty() ? total + 1 : total / bad.size();
  size_t next_bad = 0;
  int next_good = 0;
  for (size_t i = 0; i < total; ++i) {
    Record r;
    r.key = absl::StrCat("k-", i);
    if (next_bad < bad.size() && (i % every == every / 2 || next_good == good)) {
      r.value = bad[next_bad];
      r.dlq_reason = kBadReasons[next_bad];
      ++next_bad;
    } else {
      r.sample = next_good % static_cast<int>(articles.size());
      const std::string& line = articles[r.sample];
      const std::string marker = "\"id\": \"";
      const size_t begin = line.find(marker);
      const size_t end = line.find('"', begin + marker.size());
      if (begin == std::string::npos || end == std::string::npos) {
        ADD_FAILURE() << "no id in sample " << r.sample;
        return out;
      }
      r.id = absl::StrCat(line.substr(begin + marker.size(), end - begin - marker.size()), "#",
                          next_good);
      r.value = absl::StrCat(line.substr(0, begin + marker.size()), r.id, line.substr(end));
      ++next_good;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// The in-process broker, hosted by a client handle of its own (as in RunEmbedded).
class MockCluster {
 public:
  MockCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (host_ == nullptr) {
      std::fprintf(stderr, "mock host: %s\n", err);
      std::abort();
    }
    cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  // The next `errors.size()` Produce requests fail with these errors, one each.
  void FailProduceRequests(const std::vector<rd_kafka_resp_err_t>& errors) {
    rd_kafka_mock_push_request_errors_array(cluster_, /*Produce*/ 0, errors.size(), errors.data());
  }
  void CreateTopic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR)
        << topic;
  }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

// Where each record landed.
struct Input {
  std::string topic;
  int partitions = 0;
  std::vector<Record> records;
  std::map<PartitionOffset, size_t> at;  // (partition, offset) -> index into records
};

// Produces records[i] (i >= first) to partition i % partitions; offsets from the delivery
// reports.
void Load(const std::string& bootstrap, Input* input, size_t first = 0) {
  struct Reports {
    std::vector<PartitionOffset> where;
    int failures = 0;
  } reports;
  reports.where.assign(input->records.size(), {-1, -1});
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
  rd_kafka_conf_set(conf, "message.max.bytes", "10000000", err, sizeof(err));  // oversized inputs
  rd_kafka_conf_set_opaque(conf, &reports);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* r = static_cast<Reports*>(opaque);
    const auto index = reinterpret_cast<uintptr_t>(m->_private);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++r->failures;
      return;
    }
    r->where[index] = {m->partition, m->offset};
  });
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  ASSERT_NE(producer, nullptr) << err;
  for (size_t i = first; i < input->records.size(); ++i) {
    const Record& r = input->records[i];
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(input->topic.c_str()),
          RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % input->partitions)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(i))), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      ASSERT_EQ(e, RD_KAFKA_RESP_ERR__QUEUE_FULL) << rd_kafka_err2str(e);
      rd_kafka_poll(producer, 10);  // serves delivery reports: room for more
    }
  }
  EXPECT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
  EXPECT_EQ(reports.failures, 0);
  for (size_t i = first; i < reports.where.size(); ++i) {
    ASSERT_GE(reports.where[i].second, 0) << "record " << i << " not delivered";
    input->at[reports.where[i]] = i;
  }
}

// --- Output --------------------------------------------------------------------------------

struct OutMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  const std::string& Header(const std::string& name) const {
    static const std::string kNone = "<absent>";
    auto it = headers.find(name);
    return it == headers.end() ? kNone : it->second;
  }
};

rd_kafka_t* NewConsumer(const std::string& bootstrap, const std::string& group) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    ADD_FAILURE() << "consumer: " << err;
    return nullptr;
  }
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

// Every message of `topics` (name -> partition count), read from the beginning to the end.
std::vector<OutMessage> ReadAll(const std::string& bootstrap,
                                const std::map<std::string, int>& topics) {
  std::vector<OutMessage> out;
  rd_kafka_t* rk = NewConsumer(bootstrap, "pipeline-mock-test-reader");
  if (rk == nullptr) return out;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
  std::set<std::pair<std::string, int32_t>> open;
  for (const auto& [topic, partitions] : topics) {
    for (int32_t p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
      open.insert({topic, p});
    }
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  // The mock cluster keeps only ~5 MiB per partition and silently drops older messages: an
  // output partition that lost its head would look like lost outputs.
  for (const auto& [topic, partitions] : topics) {
    for (int32_t p = 0; p < partitions; ++p) {
      int64_t lo = -1, hi = -1;
      rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
      EXPECT_EQ(lo, 0) << topic << "[" << p << "]: the mock cluster dropped " << lo
                       << " old message(s) (5 MiB per partition): use more output partitions";
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!open.empty() && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      open.erase({rd_kafka_topic_name(m->rkt), m->partition});
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "reading outputs: " << rd_kafka_message_errstr(m);
    } else {
      OutMessage o;
      o.topic = rd_kafka_topic_name(m->rkt);
      o.partition = m->partition;
      o.offset = m->offset;
      if (m->key != nullptr) o.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) o.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          if (o.headers.contains(name)) ADD_FAILURE() << "header " << name << " twice";
          o.headers[name] = value != nullptr ? std::string(static_cast<const char*>(value), size)
                                             : std::string();
        }
      }
      out.push_back(std::move(o));
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_TRUE(open.empty()) << open.size() << " output partition(s) not read to the end";
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// High watermarks (end offsets) of the input partitions.
std::map<int32_t, int64_t> EndOffsets(const std::string& bootstrap, const Input& input) {
  std::map<int32_t, int64_t> out;
  rd_kafka_t* rk = NewConsumer(bootstrap, "pipeline-mock-test-reader");
  if (rk == nullptr) return out;
  for (int32_t p = 0; p < input.partitions; ++p) {
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk, input.topic.c_str(), p, &lo, &hi, 10000);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    out[p] = hi;
  }
  rd_kafka_destroy(rk);
  return out;
}

// The group's committed offsets of the input partitions (RD_KAFKA_OFFSET_INVALID when none).
std::map<int32_t, int64_t> Committed(const std::string& bootstrap, const std::string& group,
                                     const Input& input) {
  std::map<int32_t, int64_t> out;
  rd_kafka_t* rk = NewConsumer(bootstrap, group);
  if (rk == nullptr) return out;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(input.partitions);
  for (int32_t p = 0; p < input.partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, input.topic.c_str(), p);
  }
  rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 10000);
  EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

// --- The pipeline under test ---------------------------------------------------------------

// One PipelineManager with a real KafkaSink, running on its own thread (the consumer loop runs
// on the thread that calls Run, as in the daemon).
class PipelineRun {
 public:
  PipelineRun(pipeline::PipelineOptions options, std::map<std::string, std::string> producer)
      : live_(Pack()) {
    auto source = source::KafkaSource::Create(options.consumer_properties,
                                              options.commit_interval_ms);
    if (!source.ok()) {
      ADD_FAILURE() << source.status();
      return;
    }
    source_ = std::move(*source);
    manager_ = std::make_unique<pipeline::PipelineManager>(std::move(options), &live_);
    auto sink = emit::KafkaSink::Create(producer, manager_->listener());
    if (!sink.ok()) {
      ADD_FAILURE() << sink.status();
      return;
    }
    sink_ = std::move(*sink);
    emit::KafkaSink* out = sink_.get();
    thread_ = std::thread([this, out] {
      status_ = manager_->Run(source_.get(), out, [out](int ms) { return out->Flush(ms); },
                              &stop_);
      done_.store(true, std::memory_order_release);
    });
  }
  ~PipelineRun() {
    if (thread_.joinable()) {
      stop_.store(true, std::memory_order_release);
      thread_.join();
    }
    sink_.reset();  // serves the last delivery reports into the manager's listener
    manager_.reset();
  }

  const pipeline::PipelineCounters& counters() const { return manager_->counters(); }
  bool done() const { return done_.load(std::memory_order_acquire); }
  void RequestStop() { stop_.store(true, std::memory_order_release); }

  // Waits until Run returned (true) or `deadline` passed (false: then stops it, and aborts the
  // binary if even that does not end it within the shutdown timeout plus a margin).
  bool Wait(Clock::time_point deadline) {
    while (!done() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a condition
    }
    const bool finished = done();
    if (!finished) {
      RequestStop();
      const auto hard = Clock::now() + std::chrono::seconds(30);
      while (!done() && Clock::now() < hard) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!done()) {
        std::fprintf(stderr, "PipelineManager::Run did not return 30 s after stop; aborting\n");
        std::abort();
      }
    }
    thread_.join();
    return finished;
  }
  const absl::Status& status() const { return status_; }

 private:
  rules::LiveRules live_;  // the rules the manager's workers read
  std::unique_ptr<source::KafkaSource> source_;  // outlives the manager (it holds its records)
  std::unique_ptr<pipeline::PipelineManager> manager_;
  std::unique_ptr<emit::KafkaSink> sink_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  absl::Status status_;
  std::thread thread_;
};

// Polls `cond` until true or `deadline`.
bool WaitFor(const std::function<bool()>& cond, Clock::time_point deadline) {
  while (!cond()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string CountersText(const pipeline::PipelineCounters& c) {
  return absl::StrCat("consumed=", c.consumed.load(), " analysed=", c.analysed.load(),
                      " dead_letters=", c.dead_letters.load(), " events=", c.events.load(),
                      " produced=", c.produced.load(), " delivered=", c.delivered.load(),
                      " delivery_failures=", c.delivery_failures.load(),
                      " pauses=", c.pauses.load(), " commits=", c.commits.load());
}

// --- The fixture: a fresh cluster, topics and options per test ------------------------------

class PipelineMockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(Pack(), nullptr);
    options_.analysis_topic = "wirescan.analysis";
    options_.dead_letter_topic = "wirescan.dlq";
    options_.analysis_partitions = 2;
    options_.commit_interval_ms = 100;
    options_.shutdown_timeout_ms = 10000;
    options_.exit_when_idle = true;
  }

  // Creates the input topic (and the output topics) and loads `records` into it.
  void Prepare(const std::string& group, int partitions, std::vector<Record> records) {
    group_ = group;
    input_.topic = "articles";
    input_.partitions = partitions;
    input_.records = std::move(records);
    cluster_.CreateTopic(input_.topic, partitions);
    cluster_.CreateTopic(options_.analysis_topic, options_.analysis_partitions);
    cluster_.CreateTopic(options_.dead_letter_topic, 1);
    outputs_[options_.analysis_topic] = options_.analysis_partitions;
    outputs_[options_.dead_letter_topic] = 1;
    for (const auto& ev : Pack()->model->events) {
      const std::string topic = pipeline::EventTopic(options_, ev.type, ev.topic);
      if (outputs_.contains(topic)) continue;
      cluster_.CreateTopic(topic, kEventPartitions);
      outputs_[topic] = kEventPartitions;
      event_topics_.insert(topic);
    }
    options_.topics = {input_.topic};
    options_.consumer_properties = {{"bootstrap.servers", cluster_.bootstrap()},
                                    {"group.id", group_},
                                    // cooperative-sticky misbehaves on the mock cluster
                                    {"partition.assignment.strategy", "range"},
                                    {"session.timeout.ms", "6000"},
                                    {"heartbeat.interval.ms", "500"}};
    producer_ = {{"bootstrap.servers", cluster_.bootstrap()}};
    Load(cluster_.bootstrap(), &input_);
  }
  // Appends `records` to the input topic (after Prepare).
  void Append(std::vector<Record> records) {
    const size_t first = input_.records.size();
    for (Record& r : records) input_.records.push_back(std::move(r));
    Load(cluster_.bootstrap(), &input_, first);
  }

  // What the outputs say about the inputs.
  struct Accounting {
    std::map<PartitionOffset, int> primary;  // analyses + dead letters per input offset
    std::map<PartitionOffset, int> events;   // events per input offset
    uint64_t analyses = 0, dead_letters = 0, event_messages = 0;
    std::map<std::string, int> dead_letter_reasons;
    uint64_t duplicates = 0;  // primary outputs beyond the first, per input offset
    uint64_t missing = 0;     // input offsets without any primary output
  };

  // Checks every output message against the input and counts. `exactly_once`: no duplicates
  // expected. `require_all`: every input offset must have an output.
  Accounting Account(const std::vector<OutMessage>& out, bool exactly_once, bool require_all) {
    Accounting a;
    const std::string& version = Pack()->version;
    // Per (output topic, output partition, source partition): the last source offset seen.
    std::map<std::tuple<std::string, int32_t, int32_t>, int64_t> last_seen;
    std::set<std::string> event_ids;
    int header_errors = 0;
    auto fail_header = [&](const OutMessage& m, const std::string& what) {
      if (++header_errors <= 10) {
        ADD_FAILURE() << m.topic << "[" << m.partition << "]@" << m.offset << ": " << what;
      }
    };
    for (const OutMessage& m : out) {
      // Source headers.
      if (m.Header("wirescan-source-topic") != input_.topic) {
        fail_header(m, "wirescan-source-topic " + m.Header("wirescan-source-topic"));
        continue;
      }
      int32_t sp = -1;
      int64_t so = -1;
      try {
        sp = std::stoi(m.Header("wirescan-source-partition"));
        so = std::stoll(m.Header("wirescan-source-offset"));
      } catch (...) {
        fail_header(m, "unparsable source partition/offset headers");
        continue;
      }
      auto in = input_.at.find({sp, so});
      if (in == input_.at.end()) {
        fail_header(m, absl::StrCat("no input at ", sp, "@", so));
        continue;
      }
      const Record& rec = input_.records[in->second];
      if (m.Header("wirescan-rules-version") != version) {
        fail_header(m, "wirescan-rules-version " + m.Header("wirescan-rules-version"));
      }
      // Order: per output partition, the outputs of one input partition by source offset.
      const bool is_event = event_topics_.contains(m.topic);
      auto& last = last_seen.try_emplace({m.topic, m.partition, sp}, -1).first->second;
      if (exactly_once && (is_event ? so < last : so <= last)) {
        fail_header(m, absl::StrCat("source offset ", so, " after ", last));
      }
      last = std::max(last, so);

      if (m.topic == options_.analysis_topic) {
        ++a.analyses;
        ++a.primary[{sp, so}];
        if (m.Header("content-type") != kAnalysisType) fail_header(m, "content-type");
        if (m.partition != sp % options_.analysis_partitions) {
          fail_header(m, absl::StrCat("analysis of input partition ", sp, " in partition ",
                                      m.partition));
        }
        v1::ArticleAnalysis analysis;
        if (!analysis.ParseFromString(m.value)) {
          fail_header(m, "value is not an ArticleAnalysis");
          continue;
        }
        const bool cut = std::any_of(analysis.diagnostics().begin(), analysis.diagnostics().end(),
                                     [](const v1::Diagnostic& d) {
                                       return d.code() == v1::Diagnostic::CODE_OUTPUT_CUT;
                                     });
        EXPECT_EQ(cut, rec.expect_cut) << "analysis of " << rec.id;
        EXPECT_LE(m.value.size(), 1000000u) << "analysis of " << rec.id;
        if (!rec.dlq_reason.empty()) {
          ADD_FAILURE() << "bad record " << in->second << " (line of bad_records.ndjson, expected "
                        << "dead letter " << rec.dlq_reason << ") came out as an analysis with id '"
                        << analysis.article().id() << "': " << rec.value.substr(0, 100);
          continue;
        }
        if (m.key != rec.id || analysis.article().id() != rec.id) {
          fail_header(m, absl::StrCat("key '", m.key, "' / id '", analysis.article().id(),
                                      "' for input id '", rec.id, "'"));
        }
        if (analysis.rules_version() != version) fail_header(m, "analysis rules_version");
      } else if (m.topic == options_.dead_letter_topic) {
        ++a.dead_letters;
        ++a.primary[{sp, so}];
        ++a.dead_letter_reasons[m.Header("wirescan-dlq-reason")];
        if (rec.dlq_reason.empty() && !rec.maybe_refused) {
          ADD_FAILURE() << "good record " << rec.id << " dead-lettered: "
                        << m.Header("wirescan-dlq-reason") << ": "
                        << m.Header("wirescan-dlq-message");
          continue;
        }
        if (!rec.dlq_reason.empty()) {
          EXPECT_EQ(m.Header("wirescan-dlq-reason"), rec.dlq_reason) << rec.value.substr(0, 80);
        }
        EXPECT_TRUE(m.headers.contains("wirescan-dlq-message"));
        EXPECT_LE(m.value.size() + m.key.size(), 1000000u) << "dead letter of " << in->second;
        if (rec.expect_prefix) {
          EXPECT_EQ(m.Header("wirescan-dlq-truncated"), "true");
          EXPECT_EQ(m.Header("wirescan-dlq-original-size"), absl::StrCat(rec.value.size()));
          EXPECT_GT(m.value.size(), 900000u);
          EXPECT_LT(m.value.size(), rec.value.size());
          EXPECT_EQ(m.value, rec.value.substr(0, m.value.size())) << "not a prefix of the input";
        } else {
          EXPECT_FALSE(m.headers.contains("wirescan-dlq-truncated"));
          EXPECT_EQ(m.value, rec.value) << "dead letter bytes changed";
        }
        EXPECT_EQ(m.key, rec.key) << "dead letter key changed";
      } else if (is_event) {
        ++a.event_messages;
        ++a.events[{sp, so}];
        if (m.Header("content-type") != kEventType) fail_header(m, "content-type");
        v1::Event event;
        if (!event.ParseFromString(m.value)) {
          fail_header(m, "value is not an Event");
          continue;
        }
        if (event.article_id() != rec.id) fail_header(m, "event article_id " + event.article_id());
        const std::string& want_key =
            event.primary_entity().empty() ? event.article_id() : event.primary_entity();
        if (m.key != want_key) fail_header(m, "event key " + m.key);
        if (m.topic != pipeline::EventTopic(options_, event.type(), event.topic())) {
          fail_header(m, "event of type " + event.type() + " in this topic");
        }
        if (!event_ids.insert(event.id()).second && exactly_once) {
          fail_header(m, "event id " + event.id() + " twice");
        }
      } else {
        fail_header(m, "unexpected topic");
      }
    }
    EXPECT_EQ(header_errors, 0) << "(first 10 printed)";

    // Every input offset: exactly (or at least) one analysis or dead letter.
    std::map<int, std::set<uint64_t>> events_per_sample;
    for (const auto& [where, index] : input_.at) {
      auto it = a.primary.find(where);
      const int n = it == a.primary.end() ? 0 : it->second;
      if (n == 0) {
        ++a.missing;
        if (require_all && a.missing <= 10) {
          ADD_FAILURE() << "input " << where.first << "@" << where.second << " has no output";
        }
      } else if (n > 1) {
        a.duplicates += n - 1;
        if (exactly_once && a.duplicates <= 10) {
          ADD_FAILURE() << "input " << where.first << "@" << where.second << " has " << n
                        << " outputs";
        }
      }
      const Record& rec = input_.records[index];
      if (exactly_once && rec.sample >= 0 && !rec.maybe_refused && n > 0) {
        auto ev = a.events.find(where);
        events_per_sample[rec.sample].insert(ev == a.events.end() ? 0 : ev->second);
      }
    }
    if (require_all) {
      EXPECT_EQ(a.missing, 0u);
    }
    // The same article text gives the same events, whatever its id: a lost or doubled event
    // shows up as a second count for its sample.
    for (const auto& [sample, counts] : events_per_sample) {
      EXPECT_EQ(counts.size(), 1u) << "sample " << sample << " gave different event counts";
    }
    return a;
  }

  // The group's committed offsets must equal the end offsets.
  void ExpectCommittedAtEnd() {
    const auto end = EndOffsets(cluster_.bootstrap(), input_);
    const auto committed = Committed(cluster_.bootstrap(), group_, input_);
    for (int32_t p = 0; p < input_.partitions; ++p) {
      auto c = committed.find(p);
      EXPECT_EQ(c == committed.end() ? -2 : c->second, end.at(p))
          << "committed offset of " << input_.topic << "[" << p << "] (end offset " << end.at(p)
          << ")";
    }
  }

  MockCluster cluster_;
  pipeline::PipelineOptions options_;
  std::map<std::string, std::string> producer_;
  std::string group_;
  Input input_;
  std::map<std::string, int> outputs_;  // output topic -> partitions
  std::set<std::string> event_topics_;
};

// a. 500 articles + every bad record over 3 partitions: each offset accounted exactly once.
TEST_F(PipelineMockTest, AccountsForEveryInputOffsetExactlyOnce) {
  Prepare("accounting", 3, MakeRecords(500, /*with_bad=*/true));
  ASSERT_EQ(input_.at.size(), 506u);
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("accounting: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();

  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/true);
  EXPECT_EQ(a.duplicates, 0u);
  EXPECT_EQ(a.analyses + a.dead_letters, input_.records.size());

  // Each bad record is dead-lettered with its reason (checked per message in Account); here:
  // every one of them arrived.
  uint64_t bad = 0;
  for (const Record& r : input_.records) bad += r.dlq_reason.empty() ? 0 : 1;
  EXPECT_EQ(a.dead_letters, bad);

  const auto& c = run.counters();
  EXPECT_EQ(c.consumed.load(), input_.records.size());
  EXPECT_EQ(c.analysed.load(), a.analyses);
  EXPECT_EQ(c.dead_letters.load(), a.dead_letters);
  EXPECT_EQ(c.events.load(), a.event_messages);
  EXPECT_EQ(c.produced.load(), a.analyses + a.dead_letters + a.event_messages);
  EXPECT_EQ(c.delivered.load(), c.produced.load());
  EXPECT_EQ(c.delivery_failures.load(), 0u);
  EXPECT_GT(c.commits.load(), 0u);
  EXPECT_GT(a.event_messages, 0u) << "the samples should produce events";

  ExpectCommittedAtEnd();
}

// a'. The same contract with the periodic commit out of the picture: the commit made on the
// way out (after the idle drain) must by itself bring the group to the end offsets
// ("exit_when_idle: return once every assigned partition is drained and committed").
TEST_F(PipelineMockTest, IdleExitCommitsTheEndWithoutPeriodicCommits) {
  options_.commit_interval_ms = 600000;  // never during this test
  Prepare("idle-commit", 3, MakeRecords(60, /*with_bad=*/true));
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("idle-commit: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  Account(out, /*exactly_once=*/true, /*require_all=*/true);
  ExpectCommittedAtEnd();
}

// b. Tiny queues, one worker: the consumer pauses partitions, and nothing is lost.
TEST_F(PipelineMockTest, BackpressurePausesAndLosesNothing) {
  options_.queue_capacity = 16;
  options_.queue_budget = 0;  // queue_capacity each (the default budget would deepen them)
  options_.batch_size = 4;
  options_.workers = 1;
  options_.analysis_partitions = 3;  // ~4 KB analyses: 2,000 of them need > 2 partitions
  Prepare("backpressure", 3, MakeRecords(2000, /*with_bad=*/false));
  ASSERT_EQ(input_.at.size(), 2000u);
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("backpressure: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto& c = run.counters();
  EXPECT_GT(c.pauses.load(), 0u);

  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/true);
  EXPECT_EQ(a.analyses, 2000u);
  EXPECT_EQ(a.dead_letters, 0u);
  EXPECT_EQ(c.consumed.load(), 2000u);
  EXPECT_EQ(c.analysed.load(), 2000u);
  EXPECT_EQ(c.events.load(), a.event_messages);
  EXPECT_EQ(c.delivered.load(), c.produced.load());
  EXPECT_EQ(c.delivered.load(), a.analyses + a.event_messages);
  ExpectCommittedAtEnd();
}

// A producer slow enough that the pipeline is still busy seconds later: small producer queue,
// batches held for linger.ms. Workers block in Produce(), queues fill, partitions pause.
std::map<std::string, std::string> SlowProducer(std::map<std::string, std::string> p) {
  p["queue.buffering.max.messages"] = "100";
  p["linger.ms"] = "50";
  return p;
}

// c. Two members of one group split a 4-partition topic; a rebalance happens while the first
// is busy (the second joins), and again when one of them leaves.
TEST_F(PipelineMockTest, RebalanceBetweenTwoMembersAccountsForEveryOffset) {
  options_.queue_capacity = 64;
  options_.queue_budget = 0;  // queue_capacity each (the default budget would deepen them)
  options_.batch_size = 16;
  options_.analysis_partitions = 4;
  Prepare("rebalance", 4, MakeRecords(2000, /*with_bad=*/false));
  ASSERT_EQ(input_.at.size(), 2000u);
  const auto start = Clock::now();
  const auto deadline = start + kRunDeadline;
  PipelineRun first(options_, SlowProducer(producer_));
  // The second member joins once the first one is busy.
  ASSERT_TRUE(WaitFor([&] { return first.counters().delivered.load() >= 50 || first.done(); },
                      deadline))
      << CountersText(first.counters());
  EXPECT_FALSE(first.done()) << "the first member finished before the second one joined";
  PipelineRun second(options_, SlowProducer(producer_));
  const bool first_ok = first.Wait(deadline);
  const bool second_ok = second.Wait(deadline);
  std::printf("rebalance: ran %.1f s\n  first:  %s\n  second: %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(first.counters()).c_str(), CountersText(second.counters()).c_str());
  ASSERT_TRUE(first_ok) << "first member did not exit when idle within 60 s";
  ASSERT_TRUE(second_ok) << "second member did not exit when idle within 60 s";
  EXPECT_TRUE(first.status().ok()) << first.status();
  EXPECT_TRUE(second.status().ok()) << second.status();
  EXPECT_GT(second.counters().consumed.load(), 0u) << "the second member never got work";

  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/false, /*require_all=*/true);
  std::printf("rebalance: %llu analyses for 2000 inputs, %llu duplicate(s)\n",
              static_cast<unsigned long long>(a.analyses),
              static_cast<unsigned long long>(a.duplicates));
  EXPECT_EQ(a.analyses, 2000u + a.duplicates);
  const uint64_t analysed = first.counters().analysed.load() + second.counters().analysed.load();
  EXPECT_EQ(analysed, a.analyses);
  for (const PipelineRun* r : {&first, &second}) {
    EXPECT_EQ(r->counters().delivered.load(), r->counters().produced.load());
    EXPECT_EQ(r->counters().delivery_failures.load(), 0u);
  }
  ExpectCommittedAtEnd();
}

// d. Stop while consuming: Run returns OK, and nothing is committed without its outputs.
TEST_F(PipelineMockTest, StopCommitsOnlyDeliveredOffsets) {
  options_.queue_capacity = 64;
  options_.queue_budget = 0;  // queue_capacity each (the default budget would deepen them)
  options_.batch_size = 16;
  options_.analysis_partitions = 3;
  Prepare("stop", 3, MakeRecords(2000, /*with_bad=*/false));
  ASSERT_EQ(input_.at.size(), 2000u);
  const auto start = Clock::now();
  PipelineRun run(options_, SlowProducer(producer_));
  ASSERT_TRUE(WaitFor([&] { return run.counters().delivered.load() >= 200 || run.done(); },
                      start + kRunDeadline))
      << CountersText(run.counters());
  ASSERT_FALSE(run.done()) << "finished before the stop: make the input larger";
  const auto stop_at = Clock::now();
  run.RequestStop();
  ASSERT_TRUE(run.Wait(stop_at + std::chrono::seconds(20))) << "Run did not return after stop";
  std::printf("stop: returned %.1f s after the stop; %s\n",
              std::chrono::duration<double>(Clock::now() - stop_at).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto& c = run.counters();
  EXPECT_EQ(c.delivered.load(), c.produced.load());
  EXPECT_LT(c.analysed.load(), 2000u) << "the stop came too late to test anything";

  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/false);
  EXPECT_EQ(a.analyses, c.analysed.load());

  // Per partition: the outputs form a contiguous prefix of the input offsets; the committed
  // offset must not pass it (at-least-once) and, since a stop drains, flushes and commits,
  // should reach it.
  const auto committed = Committed(cluster_.bootstrap(), group_, input_);
  for (int32_t p = 0; p < input_.partitions; ++p) {
    int64_t covered_end = 0;  // first offset without an output
    bool gap = false;
    for (const auto& [where, index] : input_.at) {
      if (where.first != p) continue;
      const bool has = a.primary.contains(where);
      if (has && gap) {
        ADD_FAILURE() << "partition " << p << ": output for " << where.second
                      << " after an offset without one";
      }
      if (!has) gap = true;
      if (!gap) covered_end = where.second + 1;
    }
    const int64_t c_off = committed.count(p) ? committed.at(p) : RD_KAFKA_OFFSET_INVALID;
    std::printf("stop: partition %d committed %lld, outputs cover [0, %lld)\n", p,
                static_cast<long long>(c_off), static_cast<long long>(covered_end));
    if (c_off >= 0) {
      EXPECT_LE(c_off, covered_end) << "partition " << p
                                    << ": committed past an offset without delivered outputs";
    }
    EXPECT_EQ(std::max<int64_t>(c_off, 0), covered_end) << "partition " << p
                                  << ": after a stop, the drained and delivered offsets should "
                                     "be committed";
  }
}

// A valid article whose analysis is larger than `analysis_bytes` (sentences dense with
// entities, figures and triggers; several full stops keep extraction quick).
Record BigArticle(const std::string& id, size_t analysis_bytes) {
  const std::string sentence =
      "JCET Group said it will invest $1.5 billion in a new plant in Jiangyin, raising capacity "
      "by 20% to 35,000 wafers a month. ";
  Record r;
  r.key = id;
  r.id = id;
  r.expect_cut = true;
  // The analysis of this text is about 2.4 times its size: half the target is ample.
  std::string body;
  while (body.size() < analysis_bytes / 2) body += sentence;
  r.value = absl::StrCat(R"({"id":")", id, R"(","title":"JCET invests","body":")", body, R"("})");
  return r;
}

// e. All Kafka size settings at their defaults (producer message.max.bytes 1,000,000): a
// 1.04 MB record that is not JSON (its dead letter keeps a prefix of it), a 1.2 MB valid article
// over max_record_bytes (too_large, a prefix too) and a valid article whose analysis is far over
// 1 MB (cut, with a diagnostic), among good articles on three partitions. Nothing is fatal,
// nothing is lost, everything is committed.
TEST_F(PipelineMockTest, OversizedOutputsAreCutOrDeadLetteredNotFatal) {
  options_.max_record_bytes = 1100000;
  std::vector<Record> records = MakeRecords(300, /*with_bad=*/false);
  Record junk;
  junk.key = "junk";
  junk.value = std::string(1040000, '#');
  junk.dlq_reason = "not_json";
  junk.expect_prefix = true;
  Record over = BigArticle("over-limit", 6000000);
  over.value.resize(1200000 - 2);
  over.value += "\"}";  // still JSON, but larger than max_record_bytes
  over.id.clear();
  over.expect_cut = false;
  over.dlq_reason = "too_large";
  over.expect_prefix = true;
  records[50] = junk;                                // partition 2
  records[151] = BigArticle("big-article", 1500000);  // partition 1
  records[252] = over;                               // partition 0
  Prepare("oversized", 3, std::move(records));
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("oversized: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/true);
  EXPECT_EQ(a.dead_letters, 2u);
  EXPECT_EQ(a.dead_letter_reasons.at("not_json"), 1);
  EXPECT_EQ(a.dead_letter_reasons.at("too_large"), 1);
  EXPECT_EQ(a.analyses, 298u);
  const auto& c = run.counters();
  EXPECT_EQ(c.cut_analyses.load(), 1u);
  EXPECT_EQ(c.refused.load(), 0u);
  EXPECT_EQ(c.delivery_failures.load(), 0u);
  EXPECT_EQ(c.delivered.load(), c.produced.load());
  ExpectCommittedAtEnd();
}

// f. The broker refuses whole produce requests (MSG_SIZE_TOO_LARGE, INVALID_RECORD): the inputs
// of the refused outputs become dead letters (output_too_large, output_refused) instead of
// stopping the pipeline; every input has an output and everything is committed.
TEST_F(PipelineMockTest, OutputsTheBrokerRefusesBecomeDeadLetters) {
  std::vector<Record> records = MakeRecords(300, /*with_bad=*/false);
  for (Record& r : records) r.maybe_refused = true;
  Prepare("refused", 3, std::move(records));
  cluster_.FailProduceRequests(
      {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD});
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("refused: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto& c = run.counters();
  EXPECT_GT(c.refused.load(), 0u);
  EXPECT_EQ(c.delivery_failures.load(), 0u);
  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/false, /*require_all=*/true);
  EXPECT_GT(a.dead_letters, 0u);
  EXPECT_EQ(a.dead_letters, c.dead_letters.load());
  int refusals = 0;
  for (const auto& [reason, n] : a.dead_letter_reasons) {
    EXPECT_TRUE(reason == "output_too_large" || reason == "output_refused") << reason;
    refusals += n;
  }
  EXPECT_GT(refusals, 0);
  ExpectCommittedAtEnd();
}

// One sentence of `bytes` full of triggers, figures and aliases of the shipped rules (as in
// engine/extract/extractor_work_test.cc): the slowest text per byte there is, about half a
// second of extraction per MB in a release build.
std::string DenseSentence(size_t bytes) {
  static constexpr std::string_view kUnit =
      "TSMC will invest US$1.5 billion and Samsung plans to spend 20% more, while Intel raises "
      "capacity by 30,000 wafers per month in Taiwan and 台積電投資120億美元, JCET revenue rose 5% "
      "to $2 billion, a tariff of 25% on China, export controls on Huawei, ";
  std::string s;
  while (s.size() + kUnit.size() <= bytes) s.append(kUnit);
  return s;
}

// A valid article whose body is one dense sentence of `bytes`.
Record SlowArticle(const std::string& id, size_t bytes) {
  Record r;
  r.key = id;
  r.value = absl::StrCat(R"({"id":")", id, R"(","title":"Worst case","body":")",
                         DenseSentence(bytes), R"("})");
  return r;
}

// g. A 10 ms record budget: three 512 KB dense sentences (a quarter of a second each in a
// release build, far more under ASan) among good articles on three partitions are dead letters
// `too_slow`, with the input unchanged; the good ones (a few thousand budget steps: they never
// even read the clock) are analysed, and every offset is committed.
TEST_F(PipelineMockTest, RecordsOverTheBudgetAreDeadLetteredTooSlow) {
  options_.record_budget_ms = 10;
  std::vector<Record> records = MakeRecords(90, /*with_bad=*/false);
  for (size_t i : {10, 32, 54}) {  // partitions 1, 2, 0
    records[i] = SlowArticle(absl::StrCat("slow-", i), 512 << 10);
    records[i].dlq_reason = "too_slow";
  }
  Prepare("too-slow", 3, std::move(records));
  const auto start = Clock::now();
  PipelineRun run(options_, producer_);
  ASSERT_TRUE(run.Wait(start + kRunDeadline))
      << "did not exit when idle within 60 s; " << CountersText(run.counters());
  std::printf("too-slow: ran %.1f s; %s\n",
              std::chrono::duration<double>(Clock::now() - start).count(),
              CountersText(run.counters()).c_str());
  EXPECT_TRUE(run.status().ok()) << run.status();
  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  // Per message: a slow record has exactly one output, a dead letter with reason too_slow and
  // its bytes and key unchanged; a good one is analysed.
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/true);
  EXPECT_EQ(a.dead_letters, 3u);
  EXPECT_EQ(a.dead_letter_reasons.count("too_slow") ? a.dead_letter_reasons.at("too_slow") : 0,
            3);
  EXPECT_EQ(a.analyses, 87u);
  const auto& c = run.counters();
  EXPECT_EQ(c.too_slow.load(), 3u);
  EXPECT_EQ(c.cancelled.load(), 0u);
  EXPECT_EQ(c.analysed.load(), 87u);
  EXPECT_EQ(c.delivered.load(), c.produced.load());
  ExpectCommittedAtEnd();
}

// h. A stop while the only worker is deep in a long record (3 MB of dense sentence: seconds of
// extraction, never too slow under a 600 s budget): the shutdown budget (400 ms) cancels it, Run
// returns promptly and OK, the record has no output and is not committed (nor is anything after
// it), and the offsets before it are. A restart with a 10 ms budget (the operator's fix)
// dead-letters it too_slow and analyses the rest: every offset has exactly one output.
TEST_F(PipelineMockTest, StopMidRecordCancelsItUncommitted) {
  options_.workers = 1;
  options_.exit_when_idle = false;
  options_.record_budget_ms = 600000;
  options_.shutdown_timeout_ms = 400;
  constexpr uint64_t kGood = 20;
  std::vector<Record> good = MakeRecords(2 * kGood, /*with_bad=*/false);
  std::vector<Record> later(good.begin() + kGood, good.end());
  good.resize(kGood);
  Record slow = SlowArticle("slow", 3 << 20);
  slow.dlq_reason = "too_slow";  // after the restart
  slow.expect_prefix = true;     // 3 MB: its dead letter keeps a prefix
  later.insert(later.begin(), std::move(slow));
  Prepare("stop-mid-record", 1, std::move(good));
  const auto start = Clock::now();
  {
    PipelineRun run(options_, producer_);
    // The slow record comes only once the first records are analysed and delivered: then the
    // stop lands while the worker is in it (the queue hands it over at once; the drain before
    // the cancel waits 300 ms, the record takes seconds), and the outputs before it are out.
    ASSERT_TRUE(WaitFor(
        [&] {
          const auto& c = run.counters();
          return (c.analysed.load() >= kGood && c.delivered.load() == c.produced.load()) ||
                 run.done();
        },
        start + kRunDeadline))
        << CountersText(run.counters());
    ASSERT_FALSE(run.done()) << run.status();
    Append(std::move(later));
    ASSERT_TRUE(WaitFor([&] { return run.counters().consumed.load() > kGood || run.done(); },
                        start + kRunDeadline))
        << CountersText(run.counters());
    const auto stop_at = Clock::now();
    run.RequestStop();
    // Generous: without the cancel, Run returns only once the record is done.
    ASSERT_TRUE(run.Wait(stop_at + std::chrono::seconds(30))) << "Run did not return after stop";
    const double stop_s = std::chrono::duration<double>(Clock::now() - stop_at).count();
    std::printf("stop-mid-record: returned %.2f s after the stop; %s\n", stop_s,
                CountersText(run.counters()).c_str());
    EXPECT_TRUE(run.status().ok()) << run.status();
    const auto& c = run.counters();
    EXPECT_EQ(c.analysed.load(), kGood) << "the slow record was finished, not cancelled";
    EXPECT_EQ(c.cancelled.load(), 1u);
    EXPECT_EQ(c.too_slow.load(), 0u);
    EXPECT_EQ(c.dead_letters.load(), 0u);
    EXPECT_EQ(c.delivered.load(), c.produced.load());
  }
  {
    const auto out = ReadAll(cluster_.bootstrap(), outputs_);
    const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/false);
    EXPECT_EQ(a.analyses, kGood);
    EXPECT_EQ(a.dead_letters, 0u);
    for (const auto& [where, n] : a.primary) {
      EXPECT_LT(where.second, static_cast<int64_t>(kGood)) << "an output at or after the slow one";
    }
    const auto committed = Committed(cluster_.bootstrap(), group_, input_);
    EXPECT_EQ(committed.count(0) ? committed.at(0) : -2, static_cast<int64_t>(kGood))
        << "committed past the abandoned record, or not up to it";
  }
  // The restart reads the abandoned record again.
  options_.exit_when_idle = true;
  options_.record_budget_ms = 10;
  const auto restart = Clock::now();
  PipelineRun again(options_, producer_);
  ASSERT_TRUE(again.Wait(restart + kRunDeadline))
      << "the restart did not exit when idle within 60 s; " << CountersText(again.counters());
  EXPECT_TRUE(again.status().ok()) << again.status();
  EXPECT_EQ(again.counters().too_slow.load(), 1u);
  EXPECT_EQ(again.counters().analysed.load(), kGood);
  const auto out = ReadAll(cluster_.bootstrap(), outputs_);
  const Accounting a = Account(out, /*exactly_once=*/true, /*require_all=*/true);
  EXPECT_EQ(a.analyses, 2 * kGood);
  EXPECT_EQ(a.dead_letters, 1u);
  ExpectCommittedAtEnd();
}

}  // namespace
}  // namespace wirescan

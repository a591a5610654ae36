#include "engine/daemon/run.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/config/daemon_config.h"
#include "engine/core/kafka_log.h"
#include "engine/core/log.h"
#include "engine/core/strings.h"
#include "engine/core/thread.h"
#include "engine/daemon/output_schemas.h"
#include "engine/emit/kafka_sink.h"
#include "engine/emit/output_limits.h"
#include "engine/emit/output_writer.h"
#include "engine/metrics/http_server.h"
#include "engine/metrics/kafka_stats.h"
#include "engine/metrics/process.h"
#include "engine/metrics/readiness.h"
#include "engine/metrics/registry.h"
#include "engine/pipeline/pipeline.h"
#include "engine/rules/live_rules.h"
#include "engine/rules/reloader.h"
#include "engine/rules/rule_pack.h"
#include "engine/source/kafka_source.h"

namespace wirescan::daemon {

// The bundled sample articles (deploy/samples/articles.ndjson), embedded at build time.
extern const char kSampleArticles[];
extern const unsigned long kSampleArticlesSize;

std::string DefaultRulesDir();  // cli.cc

namespace {

// Exit status for a configuration or rule-pack error (sysexits' EX_CONFIG): a restart cannot
// help, so service managers should not retry (systemd: RestartPreventExitStatus=78).
constexpr int kExitConfig = 78;

constexpr std::string_view kUsage = R"(Usage: wirescan run [--config FILE] [options]

Runs the streaming daemon: consumes articles from Kafka, extracts mentions and events, and
produces Protobuf messages (analyses, events, dead letters) to Kafka, at least once.

Without --config: the embedded demo. An in-process Kafka-protocol broker (librdkafka's mock
cluster) on 127.0.0.1 is loaded with the bundled sample articles, the full pipeline runs, and
every produced event is printed as one JSON line on stdout.

Options:
  --config FILE       daemon configuration (YAML, see deploy/wirescan.example.yaml);
                      WIRESCAN_* environment variables override any key
  --exit-when-idle    exit once every assigned partition is drained and committed
  --log-level LEVEL   debug, info (default), warning, error
  --log-json          logs as one JSON object per line
  --passthrough       benchmark baseline: produce every input unchanged to the analysis topic
                      through the same pipeline, without parsing or extraction
  --help
Stops on SIGTERM or SIGINT: stops consuming, drains, flushes, commits, exits 0. SIGHUP reloads
the rules. Exit status: 0 after a clean stop, 1 on a runtime failure (an output that could not
be delivered: nothing past it was committed), 2 on a usage error, 78 on a configuration or
rule-pack error.
)";

std::atomic<bool> g_stop{false};  // set by ws:signals, read by ws:consumer
// The running daemon's reloader (SIGHUP); set by RunPipeline while it runs.
std::atomic<rules::Reloader*> g_reloader{nullptr};

// Blocks SIGTERM/SIGINT in this thread and every thread started after it, and waits for them
// on ws:signals. Must run before any other thread starts.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = core::NamedThread("ws:signals", [this] {
      timespec tick{0, 200 * 1000 * 1000};
      while (!done_.load(std::memory_order_acquire)) {
        int sig = sigtimedwait(&set_, nullptr, &tick);
        if (sig == SIGHUP) {
          rules::Reloader* reloader = g_reloader.load(std::memory_order_acquire);
          if (reloader != nullptr) reloader->Trigger();
        } else if (sig == SIGTERM || sig == SIGINT) {
          core::LogInfo(sig == SIGTERM ? "SIGTERM" : "SIGINT", ": shutting down");
          g_stop.store(true, std::memory_order_release);
        }
      }
    });
  }
  ~SignalWatcher() {
    done_.store(true, std::memory_order_release);
    thread_.Join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  core::NamedThread thread_;
};

std::map<std::string, std::string> Merge(const google::protobuf::Map<std::string, std::string>& a,
                                         const google::protobuf::Map<std::string, std::string>& b) {
  std::map<std::string, std::string> out(a.begin(), a.end());
  for (const auto& [k, v] : b) out[k] = v;
  return out;
}

// Output topics the pipeline may write, for creation at start-up.
std::vector<std::string> OutputTopics(const pipeline::PipelineOptions& options,
                                      const rules::RulePack& pack) {
  std::set<std::string> topics;
  if (options.analysis_topic != "-") topics.insert(options.analysis_topic);
  topics.insert(options.dead_letter_topic);
  for (const auto& ev : pack.model->events) topics.insert(pipeline::EventTopic(options, ev.type, ev.topic));
  return {topics.begin(), topics.end()};
}

// Start-up admin work needs a client but no deliveries.
class NoDeliveries : public emit::DeliveryListener {
 public:
  void OnDelivery(void*, emit::Delivery, std::string_view, std::string_view) override {}
};

// The size settings of the configuration (explicit producer limits, the consumer's receive
// limit) and the output topics' max.message.bytes, for emit::PlanOutputSizes.
emit::SizeSettings SizeSettingsOf(const pipeline::PipelineOptions& options,
                                  const std::map<std::string, std::string>& producer_props,
                                  std::vector<std::string> output_topics,
                                  std::map<std::string, size_t> topic_max_bytes) {
  emit::SizeSettings s;
  s.max_record_bytes = options.max_record_bytes;
  auto explicit_size = [&](const char* name) -> std::optional<size_t> {
    auto it = producer_props.find(name);
    size_t v = 0;
    if (it == producer_props.end() || !absl::SimpleAtoi(it->second, &v)) return std::nullopt;
    return v;
  };
  s.producer_max_bytes = explicit_size("message.max.bytes");
  s.producer_batch_size = explicit_size("batch.size");
  auto receive = emit::KafkaSink::EffectiveProperty(options.consumer_properties,
                                                    "receive.message.max.bytes");
  size_t v = 0;
  if (receive.ok() && absl::SimpleAtoi(*receive, &v)) s.consumer_receive_max_bytes = v;
  s.output_topics = std::move(output_topics);
  s.topic_max_bytes = std::move(topic_max_bytes);
  return s;
}

// Makes sure the output topics exist (created with as many partitions as the first input
// topic), reads their max.message.bytes and plans the output size limit (*plan); returns the
// analysis topic's partition count. Waits for the input topic (and so for the cluster) until it
// exists or a stop is requested (then returns 0). FailedPrecondition: the size settings
// contradict each other (emit::PlanOutputSizes), a configuration error. `describe_limits`
// false: the topics are known to have Kafka's default limit (the embedded demo's mock cluster,
// which answers DescribeConfigs only after a timeout). `client`: the running producer, for its
// admin calls (a rule reload), or null: a client is created for them (start-up). With
// `topics_required` (a reload: the new pack must not go live with an event topic that does not
// exist) a topic that cannot be created is an error; at start-up a warning (it may exist
// without this member being allowed to describe it).
absl::StatusOr<int> PrepareTopics(const pipeline::PipelineOptions& options,
                                  const std::map<std::string, std::string>& producer_props,
                                  const rules::RulePack& pack, bool describe_limits,
                                  emit::SizePlan* plan, emit::KafkaSink* client = nullptr,
                                  bool topics_required = false) {
  NoDeliveries none;
  std::unique_ptr<emit::KafkaSink> own;
  if (client == nullptr) {
    auto created = emit::KafkaSink::Create(producer_props, &none);
    if (!created.ok()) return created.status();
    own = std::move(*created);
    client = own.get();
  }
  emit::KafkaSink* const admin = client;
  int input_partitions = 0;
  for (int attempt = 0; !g_stop.load(std::memory_order_acquire); ++attempt) {
    auto n = admin->PartitionCount(options.topics.front(), 2000);
    if (n.ok()) {
      input_partitions = *n;
      break;
    }
    if (attempt % 10 == 0) {
      core::LogWarning("waiting for input topic ", options.topics.front(), ": ", n.status().message());
    }
    for (int i = 0; i < 10 && !g_stop.load(std::memory_order_acquire); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (input_partitions == 0) return 0;  // stopping
  const std::vector<std::string> outputs = OutputTopics(options, pack);
  absl::Status ensured = admin->EnsureTopics(outputs, input_partitions, 10000);
  if (!ensured.ok()) {
    if (topics_required) return ensured;
    core::LogWarning("output topics: ", ensured.message());
  }
  // The topics' limits decide what the producer may send. Without them (a broker or cluster
  // without DescribeConfigs, no DESCRIBE_CONFIGS permission) Kafka's default is assumed, and
  // an output a topic refuses all the same is dead-lettered when its delivery report says so.
  absl::StatusOr<std::map<std::string, size_t>> limits = std::map<std::string, size_t>();
  if (describe_limits) limits = admin->TopicMaxMessageBytes(outputs, 5000);
  if (!limits.ok()) {
    core::LogWarning("cannot read max.message.bytes of the output topics (", limits.status().message(),
                     "): assuming Kafka's default ", emit::kDefaultTopicMaxBytes);
    limits = std::map<std::string, size_t>();
  }
  auto planned = emit::PlanOutputSizes(SizeSettingsOf(options, producer_props, outputs, *limits));
  if (!planned.ok()) return planned.status();
  *plan = *planned;
  if (options.analysis_topic == "-") return 1;
  auto n = admin->PartitionCount(options.analysis_topic, 5000);
  return n.ok() ? *n : 1;
}

// The admin endpoint's settings (config `metrics_address` and `admin`).
struct AdminSettings {
  std::string address;
  metrics::HttpServer::Options http;
  std::string reload_token;  // empty: no authentication
  metrics::ConsumerReadiness::Options readiness;
};

AdminSettings AdminFromConfig(const v1::config::DaemonConfig& cfg, std::string reload_token) {
  const v1::config::Admin& a = cfg.admin();
  AdminSettings s;
  s.address = cfg.metrics_address();
  s.http.threads = static_cast<int>(a.threads());
  s.http.max_connections = static_cast<int>(a.max_connections());
  s.http.request_timeout_ms = static_cast<int>(a.request_timeout_ms());
  s.http.write_timeout_ms = static_cast<int>(a.request_timeout_ms());
  s.http.keep_alive_timeout_ms = static_cast<int>(a.keep_alive_timeout_ms());
  s.reload_token = std::move(reload_token);
  s.readiness.max_unassigned = std::chrono::milliseconds(a.max_unassigned_ms());
  s.readiness.max_stalled = std::chrono::milliseconds(a.max_stalled_ms());
  s.readiness.ready_without_partitions = a.ready_without_partitions();
  return s;
}

// Runs the pipeline until stopped (or idle); returns the exit code. The rules in `rules_dir`
// are reloaded on SIGHUP, when the directory changes, and on POST /-/reload. The admin endpoint
// (/metrics, /healthz, /readyz) listens on `admin.address` from the start, so a process that
// waits for its cluster is visibly alive but not ready.
int RunPipeline(pipeline::PipelineOptions options,
                std::map<std::string, std::string> producer_props,
                std::shared_ptr<const rules::RulePack> pack, const std::string& rules_dir,
                const std::string& cache_dir, const AdminSettings& admin,
                bool describe_limits = true,
                const std::function<void(const pipeline::PipelineCounters&)>& on_exit = {},
                emit::OutputEncodings* encodings = nullptr,
                const v1::config::SchemaRegistry* schema_registry = nullptr) {
  // librdkafka statistics of both clients (engine/metrics/kafka_stats.h); declared before the
  // registry whose collector reads them, so they outlive it.
  metrics::KafkaClientStats consumer_stats("consumer"), producer_stats("producer");
  metrics::Registry registry;
  metrics::AddProcessCollector(&registry);
  pipeline::PipelineProbe probe(&registry);
  probe.SetRulesVersion(pack->version);
  rules::LiveRules live(pack);
  // Set once they exist; read by /readyz and the collectors (ws:http threads).
  std::atomic<pipeline::PipelineManager*> running_manager{nullptr};
  std::atomic<emit::KafkaSink*> running_sink{nullptr};
  rules::Reloader reloader(
      {.dir = rules_dir,
       .cache_dir = cache_dir,
       .on_outcome =
           [&probe](bool ok, const std::string& version) {
             probe.RecordReload(ok);
             if (ok) probe.SetRulesVersion(version);
           }},
      &live, [&](const rules::RulePack& next) -> absl::Status {
        // A reloaded pack may name new event topics: create them (and register their schemas)
        // before it goes live. The running producer's limits must suit them (they count as set
        // explicitly).
        // Through the running producer once there is one (a reload before it exists gets a
        // client of its own).
        emit::SizePlan plan;
        absl::StatusOr<int> prepared =
            PrepareTopics(options, producer_props, next, describe_limits, &plan,
                          running_sink.load(std::memory_order_acquire), /*topics_required=*/true);
        if (!prepared.ok()) return prepared.status();
        if (encodings == nullptr) return absl::OkStatus();
        return PrepareSchemas(*schema_registry, TypedOutputTopics(options, next), encodings);
      });
  registry.AddCollector([&running_sink, &consumer_stats, &producer_stats](metrics::Emitter& out) {
    const metrics::KafkaClientStats* clients[] = {&consumer_stats, &producer_stats};
    metrics::KafkaClientStats::Emit(out, clients);
    emit::KafkaSink* sink = running_sink.load(std::memory_order_acquire);
    if (sink == nullptr) return;
    out.Gauge("wirescan_kafka_producer_queue_messages",
              "Messages in the producer's queue or in flight to the brokers.",
              sink->OutstandingMessages());
    out.Counter("wirescan_kafka_producer_errors_total",
                "Errors the producer client reported (transport, authentication, ...).",
                static_cast<double>(sink->errors()));
  });
  // Readiness (README.md, "Admin endpoint"): the consumer's assignment and progress as seen
  // at each probe and scrape; the verdict also feeds two gauges.
  metrics::ConsumerReadiness consumer_readiness(admin.readiness);
  auto judge_consumer = [&]() {
    metrics::ConsumerReadiness::Observation o;
    pipeline::PipelineManager* m = running_manager.load(std::memory_order_acquire);
    o.subscribed = m != nullptr && m->Ready();
    const metrics::KafkaClientStats::GroupState g = consumer_stats.Group();
    if (g.has_group) o.assigned = g.assigned;
    o.lag = g.lag;
    if (m != nullptr) {
      o.progress = m->counters().consumed.load(std::memory_order_relaxed) +
                   m->counters().delivered.load(std::memory_order_relaxed);
    }
    return consumer_readiness.Observe(o, metrics::ConsumerReadiness::Clock::now());
  };
  // Set while the admin endpoint runs; read by its collector (ws:http-N).
  std::atomic<metrics::HttpServer*> admin_server{nullptr};
  registry.AddCollector([&](metrics::Emitter& out) {
    const metrics::ConsumerReadiness::Verdict v = judge_consumer();
    out.Gauge("wirescan_consumer_unassigned_seconds",
              "Seconds this group member has had no partition assigned (0 while it has some).",
              v.unassigned_seconds);
    out.Gauge("wirescan_consumer_idle_seconds",
              "Seconds since records were last consumed or delivered while records wait on the "
              "assigned partitions (0 while there is nothing to consume).",
              v.idle_seconds);
    metrics::HttpServer* http = admin_server.load(std::memory_order_acquire);
    if (http == nullptr) return;
    const metrics::HttpServerStats st = http->stats();
    out.Gauge("wirescan_admin_connections", "Open connections to the admin endpoint.",
              static_cast<double>(st.connections_open));
    static constexpr std::string_view kReason[] = {"reason"};
    out.Declare("wirescan_admin_connections_closed_total", metrics::MetricType::kCounter,
                "Admin connections closed by the server: at the connection limit, or after a "
                "request, keep-alive or write timeout.",
                kReason);
    out.Add({"limit"}, static_cast<double>(st.closed_limit));
    out.Add({"timeout"}, static_cast<double>(st.closed_timeout));
    out.Counter("wirescan_admin_reload_unauthorized_total",
                "POST /-/reload requests refused (401): no or a wrong bearer token.",
                static_cast<double>(st.reloads_unauthorized));
  });
  metrics::HttpHandlers handlers;
  handlers.registry = &registry;
  handlers.readiness = [&]() {
    metrics::Readiness r;
    pipeline::PipelineManager* m = running_manager.load(std::memory_order_acquire);
    emit::KafkaSink* sink = running_sink.load(std::memory_order_acquire);
    if (m == nullptr || !m->Ready()) {
      r.ready = false;
      r.detail += "consumer: not subscribed yet, failed or stopping\n";
    }
    const metrics::ConsumerReadiness::Verdict v = judge_consumer();
    if (!v.ready) {
      r.ready = false;
      r.detail += v.reason;
    }
    if (sink == nullptr || !sink->connected()) {
      r.ready = false;
      r.detail += "producer: not connected to any broker\n";
    }
    r.detail = absl::StrCat("rules: ", live.Get()->version, "\n", r.detail);
    return r;
  };
  handlers.reload = [&reloader]() { return reloader.ReloadNow("POST /-/reload"); };
  handlers.reload_token = admin.reload_token;
  auto server = metrics::HttpServer::Start(admin.address, std::move(handlers), admin.http);
  if (!server.ok()) {
    core::LogError("admin endpoint: ", server.status().message());
    return absl::IsInvalidArgument(server.status()) ? kExitConfig : 1;
  }
  admin_server.store(server->get(), std::memory_order_release);
  core::LogInfo("admin endpoint on http://", (*server)->address(),
                " (/metrics, /healthz, /readyz, POST /-/reload",
                admin.reload_token.empty() ? ", reload without a token" : ", reload with a token",
                ")");

  emit::SizePlan plan;
  absl::StatusOr<int> prepared = PrepareTopics(options, producer_props, *pack, describe_limits, &plan);
  if (!prepared.ok()) {
    core::LogError(prepared.status().message());
    return absl::IsFailedPrecondition(prepared.status()) ? kExitConfig : 1;
  }
  options.analysis_partitions = *prepared;
  if (options.analysis_partitions == 0) return 0;  // stopped before the cluster was there
  // From here on the producer's limits are fixed: a reload checks new topics against them.
  producer_props["message.max.bytes"] = absl::StrCat(plan.max_bytes);
  producer_props["batch.size"] = absl::StrCat(std::min(plan.batch_size, plan.max_bytes));
  options.max_message_bytes = plan.max_bytes;
  core::LogInfo("output size limit ", plan.max_bytes, " bytes (smallest output topic limit: ",
                plan.smallest_topic, " ", plan.smallest_topic_bytes, "); input limit ",
                options.max_record_bytes);
  if (encodings != nullptr) {
    // Schema ids of the confluent_protobuf topics, before anything is produced: a registry
    // that refuses the schema is a configuration error (78), one that cannot be reached a
    // runtime failure (1: a restart may succeed).
    absl::Status schemas =
        PrepareSchemas(*schema_registry, TypedOutputTopics(options, *pack), encodings);
    if (!schemas.ok()) {
      core::LogError(schemas.message());
      return absl::IsFailedPrecondition(schemas) ? kExitConfig : 1;
    }
  }
  if (absl::Status watching = reloader.Start(); !watching.ok()) {
    core::LogWarning("rule reload on change disabled: ", watching.message());
  }
  g_reloader.store(&reloader, std::memory_order_release);
  // The input, built here (the pipeline sees a source::Source). Declared before the manager:
  // the manager destroys the records it still holds before the consumer goes.
  auto consumer = source::KafkaSource::Create(options.consumer_properties,
                                              options.commit_interval_ms, &consumer_stats);
  if (!consumer.ok()) {
    core::LogError("stopped: ", consumer.status().message());
    g_reloader.store(nullptr);
    return 1;
  }
  pipeline::PipelineManager manager(options, &live, &probe);
  auto sink = emit::KafkaSink::Create(producer_props, manager.listener(), &producer_stats);
  if (!sink.ok()) {
    core::LogError(sink.status().message());
    g_reloader.store(nullptr);
    return 1;
  }
  emit::KafkaSink* out = sink->get();
  running_sink.store(out, std::memory_order_release);
  running_manager.store(&manager, std::memory_order_release);
  core::LogInfo("rules ", pack->version, ": ", pack->stats.entities, " entities, ",
                pack->stats.events, " event rules; consuming ", absl::StrJoin(options.topics, ","),
                " with ", options.workers, " worker(s)");
  absl::Status s =
      manager.Run(consumer->get(), out, [out](int ms) { return out->Flush(ms); }, &g_stop);
  g_reloader.store(nullptr, std::memory_order_release);
  reloader.Stop();
  (*server)->Stop();  // before the manager and sink it reads go away
  admin_server.store(nullptr, std::memory_order_release);
  running_manager.store(nullptr);
  running_sink.store(nullptr);
  const auto& c = manager.counters();
  core::LogInfo("consumed ", c.consumed.load(), ", analysed ", c.analysed.load(), ", events ",
                c.events.load(), ", dead letters ", c.dead_letters.load(), ", delivered ",
                c.delivered.load(), ", delivery failures ", c.delivery_failures.load(),
                "; rule reloads ", reloader.successes(), " ok, ", reloader.failures(), " failed");
  if (on_exit) on_exit(c);
  if (!s.ok()) {
    core::LogError("stopped: ", s.message());
    return 1;
  }
  return 0;
}

pipeline::PipelineOptions OptionsFromConfig(const v1::config::DaemonConfig& cfg) {
  pipeline::PipelineOptions o;
  o.topics.assign(cfg.input().topics().begin(), cfg.input().topics().end());
  o.consumer_properties = Merge(cfg.kafka(), cfg.consumer());
  o.consumer_properties["bootstrap.servers"] = cfg.brokers();
  o.consumer_properties["group.id"] = cfg.group_id();
  o.consumer_properties["client.id"] = cfg.client_id();
  o.plain_text = cfg.input().format() == v1::config::INPUT_FORMAT_TEXT;
  const auto& f = cfg.input().fields();
  o.fields = {f.id(), f.title(), f.body(), f.source(), f.url(), f.published_at()};
  o.max_record_bytes = cfg.input().max_record_bytes();
  o.default_source = cfg.input().default_source();
  o.analysis_topic = cfg.output().analysis_topic();
  o.event_topic_prefix = cfg.output().event_topic_prefix();
  o.event_topics.insert(cfg.output().event_topics().begin(), cfg.output().event_topics().end());
  o.dead_letter_topic = cfg.output().dead_letter_topic();
  o.include_text = cfg.output().include_text();
  o.workers = static_cast<int>(cfg.pipeline().workers());
  o.queue_capacity = cfg.pipeline().queue_capacity();
  o.queue_budget = cfg.pipeline().queue_budget();
  o.batch_size = cfg.pipeline().batch_size();
  o.commit_interval_ms = static_cast<int>(cfg.pipeline().commit_interval_ms());
  o.shutdown_timeout_ms = static_cast<int>(cfg.pipeline().shutdown_timeout_ms());
  o.record_budget_ms = static_cast<int>(cfg.pipeline().record_budget_ms());
  return o;
}

int RunWithConfig(const std::string& path, bool exit_when_idle, bool passthrough) {
  auto cfg = config::LoadDaemonConfig(path, config::Environment::Process());
  if (!cfg.ok()) {
    core::LogError(cfg.status().message());
    return kExitConfig;
  }
  std::string rules_dir = cfg->rules_dir().empty() ? DefaultRulesDir() : cfg->rules_dir();
  const auto load_start = std::chrono::steady_clock::now();
  auto pack = rules::LoadRulePack(rules_dir, cfg->rules_cache_dir());
  if (!pack.ok()) {
    core::LogError("rules: ", pack.status().message());
    return kExitConfig;
  }
  core::LogInfo("rules loaded in ",
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - load_start).count(),
                " ms (database ", (*pack)->stats.database_from_cache ? "from cache" : "compiled", ")");
  pipeline::PipelineOptions options = OptionsFromConfig(*cfg);
  options.exit_when_idle = exit_when_idle;
  options.passthrough = passthrough;
  std::unique_ptr<emit::OutputEncodings> encodings = MakeEncodings(*cfg);
  options.encodings = encodings.get();
  absl::StatusOr<std::string> token = config::LoadReloadToken(cfg->admin());
  if (!token.ok()) {
    core::LogError(token.status().message());
    return kExitConfig;
  }
  std::map<std::string, std::string> producer = Merge(cfg->kafka(), cfg->producer());
  producer["bootstrap.servers"] = cfg->brokers();
  producer["client.id"] = cfg->client_id();
  return RunPipeline(std::move(options), producer, *pack, rules_dir, cfg->rules_cache_dir(),
                     AdminFromConfig(*cfg, *std::move(token)), /*describe_limits=*/true, {}, encodings.get(),
                     &cfg->schema_registry());
}

// ws:printer of the demo: prints every event of the event topics as one JSON line on stdout,
// until stopped or until `expected` (once known, >= 0) events were printed.
void PrintEvents(const std::string& bootstrap, const std::vector<std::string>& topics,
                 const std::atomic<int64_t>* expected, const std::atomic<bool>* stop) {
  char err[512];
  rd_kafka_conf_t* conf = core::NewKafkaConf();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "group.id", "wirescan-demo-printer", err, sizeof(err));
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
  rd_kafka_conf_set(conf, "session.timeout.ms", "6000", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    core::LogError("printer: ", err);
    return;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  v1::Event event;
  std::string json;
  int64_t printed = 0;
  while (!stop->load(std::memory_order_acquire)) {
    int64_t want = expected->load(std::memory_order_acquire);
    if (want >= 0 && printed >= want) break;
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 100);
    if (msg == nullptr) continue;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        event.ParseFromArray(msg->payload, static_cast<int>(msg->len)) &&
        emit::ToJsonLine(event, &json).ok()) {
      std::cout << json << "\n" << std::flush;
      ++printed;
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

int RunEmbedded(bool exit_when_idle) {
  const std::string rules_dir = DefaultRulesDir();
  auto pack = rules::LoadRulePack(rules_dir);
  if (!pack.ok()) {
    core::LogError("rules: ", pack.status().message());
    return kExitConfig;
  }
  // The in-process broker lives in a client handle of its own.
  char err[512];
  rd_kafka_conf_t* host_conf = core::NewKafkaConf();
  rd_kafka_conf_set(host_conf, "log_level", "3", err, sizeof(err));  // it never connects
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, host_conf, err, sizeof(err));
  if (host == nullptr) {
    core::LogError("mock cluster host: ", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 1);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  const std::string input = "wirescan.articles";
  pipeline::PipelineOptions options;
  options.topics = {input};
  options.consumer_properties = {{"bootstrap.servers", bootstrap},
                                 {"group.id", "wirescan-demo"},
                                 // cooperative-sticky misbehaves on the mock cluster
                                 {"partition.assignment.strategy", "range"},
                                 {"session.timeout.ms", "6000"}};
  options.exit_when_idle = exit_when_idle;
  options.commit_interval_ms = 200;
  rd_kafka_mock_topic_create(cluster, input.c_str(), 2, 1);
  std::vector<std::string> event_topics;
  for (const std::string& t : OutputTopics(options, **pack)) {
    rd_kafka_mock_topic_create(cluster, t.c_str(), 2, 1);
    if (t != options.analysis_topic && t != options.dead_letter_topic) event_topics.push_back(t);
  }
  core::LogInfo("embedded Kafka-protocol broker (librdkafka mock cluster) at ", bootstrap);

  // Load the bundled samples into the input topic.
  {
    rd_kafka_conf_t* conf = core::NewKafkaConf();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    std::string_view samples(kSampleArticles, kSampleArticlesSize);
    int loaded = 0;
    for (absl::string_view line : absl::StrSplit(core::Sv(samples), '\n', absl::SkipEmpty())) {
      rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(input.c_str()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
                        RD_KAFKA_V_END);
      ++loaded;
    }
    rd_kafka_flush(producer, 10000);
    rd_kafka_destroy(producer);
    core::LogInfo("loaded ", loaded, " sample article(s) into ", input);
  }

  std::atomic<int64_t> expected{-1};
  std::atomic<bool> printer_stop{false};
  std::atomic<bool> printer_done{false};
  core::NamedThread printer("ws:printer", [&] {
    PrintEvents(bootstrap, event_topics, &expected, &printer_stop);
    printer_done.store(true, std::memory_order_release);
  });
  // The demo's admin endpoint takes any free port (the log line says which).
  AdminSettings admin;
  admin.address = "127.0.0.1:0";
  int code = RunPipeline(options, {{"bootstrap.servers", bootstrap}}, *pack, rules_dir, "",
                         admin, /*describe_limits=*/false,
                         [&](const pipeline::PipelineCounters& c) {
                           expected.store(static_cast<int64_t>(c.events.load()));
                         });
  // The printer stops by itself once it printed every produced event; bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (code == 0 && !g_stop.load() && !printer_done.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  printer_stop.store(true, std::memory_order_release);
  printer.Join();
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return code;
}

}  // namespace

int RunDaemon(std::vector<std::string> args) {
  std::string config_path;
  bool exit_when_idle = false;
  bool passthrough = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--exit-when-idle") {
      exit_when_idle = true;
    } else if (a == "--passthrough") {
      passthrough = true;
    } else if (a == "--log-json") {
      core::SetLogJson(true);
    } else if ((a == "--log-level" && i + 1 < args.size()) || a.rfind("--log-level=", 0) == 0) {
      std::string v = a == "--log-level" ? args[++i] : a.substr(12);
      core::LogLevel level;
      if (!core::ParseLogLevel(v, &level)) {
        std::cerr << "wirescan: --log-level must be debug, info, warning or error\n\n" << kUsage;
        return 2;
      }
      core::SetLogLevel(level);
    } else {
      std::cerr << "wirescan: unknown option " << a << "\n\n" << kUsage;
      return 2;
    }
  }
  SignalWatcher signals;  // before any other thread
  pthread_setname_np(pthread_self(), "ws:consumer");  // this thread runs the consumer loop
  return config_path.empty() ? RunEmbedded(exit_when_idle)
                             : RunWithConfig(config_path, exit_when_idle, passthrough);
}

}  // namespace wirescan::daemon

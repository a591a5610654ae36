// paced_producer: the half-load generator of perf/e2e_bench.py. Produces the records of an NDJSON
// file (one record per line) to a topic at a steady rate, so the generator is not what shapes
// the latency tail it measures (the Python producer it replaces sent 5 ms bursts and shared the
// GIL with its delivery callbacks).
//
//   paced_producer --brokers HOST:PORT --topic T --input FILE --rate ARTICLES_PER_S
//                  (--count N | --seconds S) [--partitions P] [--skip K] [--tick-us 1000]
//                  [--trace FILE] [-X key=value]...
//
// Record i (0-based) is line (K + i) mod lines, keyed by its JSON `id` (when it has one), to
// partition i mod P (P = 0: librdkafka's partitioner). Pacing: at every tick (absolute deadlines
// on CLOCK_MONOTONIC) it produces all records due by then, due(t) = floor(t * rate) + 1, so a
// late tick catches up and no tick sends more than rate * (tick + lateness) + 1. Producer
// properties: enable.idempotence=true, linger.ms=0, message.max.bytes=8388608 unless -X says
// otherwise. One JSON object on stdout at the end: what was offered, how well the pacing held
// (tick lateness, each record's produce() time behind its ideal time) and the produce() ->
// delivery report time (the input side's own latency: queueing in librdkafka + broker append).
// --trace FILE: one CSV line per record (index, partition, produce() and delivery report times
// in epoch microseconds), to line up the input side's stalls with the consumer's.
// Exit status 0 when every record was delivered, 1 otherwise, 2 on a usage error.
//
// Before the clock starts it waits (up to 30 s) for the topic's metadata and, with idempotence,
// for the producer id, so connection set-up does not turn the first records into a burst.
//
// Thread safety: single-threaded; delivery reports are served by rd_kafka_poll on main.

#include <librdkafka/rdkafka.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "simdjson.h"

namespace {

struct Options {
  std::string brokers, topic, input, trace;
  double rate = 0;
  int64_t count = -1;
  double seconds = -1;
  int partitions = 0;
  int64_t skip = 0;
  int64_t tick_us = 1000;
  std::map<std::string, std::string> props = {
      {"enable.idempotence", "true"}, {"linger.ms", "0"}, {"message.max.bytes", "8388608"}};
};

struct Record {
  std::string key;  // empty: no key
  std::string value;
};

// Per-run state reachable from the delivery callback (rd_kafka_conf_set_opaque).
struct Run {
  std::vector<int64_t> produced_ns;  // by record index; set before produce()
  std::vector<int64_t> delivery_us;  // produce() -> delivery report, delivered records only
  std::vector<int64_t> delivered_ns;  // by record index: the report's time, 0 if none
  bool pid_assigned = false;  // from the statistics: the idempotent producer may send
  int64_t delivered = 0;
  int64_t failed = 0;
  std::string first_error;
};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SleepUntilNs(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

int Usage(const std::string& error) {
  std::fprintf(stderr,
               "paced_producer: %s\nusage: paced_producer --brokers HOST:PORT --topic T "
               "--input FILE --rate R (--count N | --seconds S) [--partitions P] [--skip K] "
               "[--tick-us US] [--trace FILE] [-X key=value]...\n",
               error.c_str());
  return 2;
}

// Returns "" on success, else what is wrong.
std::string ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return absl::StrCat(a, ": missing value");
    const std::string v = argv[++i];
    bool ok = true;
    if (a == "--brokers") {
      o->brokers = v;
    } else if (a == "--topic") {
      o->topic = v;
    } else if (a == "--trace") {
      o->trace = v;
    } else if (a == "--input") {
      o->input = v;
    } else if (a == "--rate") {
      ok = absl::SimpleAtod(v, &o->rate) && o->rate > 0;
    } else if (a == "--count") {
      ok = absl::SimpleAtoi(v, &o->count) && o->count > 0;
    } else if (a == "--seconds") {
      ok = absl::SimpleAtod(v, &o->seconds) && o->seconds > 0;
    } else if (a == "--partitions") {
      ok = absl::SimpleAtoi(v, &o->partitions) && o->partitions >= 0;
    } else if (a == "--skip") {
      ok = absl::SimpleAtoi(v, &o->skip) && o->skip >= 0;
    } else if (a == "--tick-us") {
      ok = absl::SimpleAtoi(v, &o->tick_us) && o->tick_us >= 10 && o->tick_us <= 1000000;
    } else if (a == "-X") {
      const size_t eq = v.find('=');
      ok = eq != std::string::npos && eq > 0;
      if (ok) o->props[v.substr(0, eq)] = v.substr(eq + 1);
    } else {
      return absl::StrCat("unknown option ", a);
    }
    if (!ok) return absl::StrCat(a, ": bad value '", v, "'");
  }
  if (o->brokers.empty() || o->topic.empty() || o->input.empty()) {
    return "--brokers, --topic and --input are required";
  }
  if (o->rate <= 0) return "--rate is required";
  if ((o->count > 0) == (o->seconds > 0)) return "give one of --count and --seconds";
  if (o->count < 0) o->count = static_cast<int64_t>(o->rate * o->seconds);
  return "";
}

// Reads the non-empty lines of PATH; each record's key is its JSON `id` string when it has one.
std::string ReadRecords(const std::string& path, std::vector<Record>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::StrCat(path, ": cannot open");
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Record r;
    simdjson::dom::element doc;
    std::string_view id;
    if (parser.parse(line).get(doc) == simdjson::SUCCESS &&
        doc["id"].get_string().get(id) == simdjson::SUCCESS) {
      r.key = std::string(id);
    }
    r.value = std::move(line);
    out->push_back(std::move(r));
  }
  if (out->empty()) return absl::StrCat(path, ": no records");
  return "";
}

// Nearest-rank percentile of XS (sorted in place), in the unit of XS divided by DIV.
double Pct(std::vector<int64_t>* xs, double q, double div) {
  if (xs->empty()) return 0;
  std::sort(xs->begin(), xs->end());
  const double rank = q / 100.0 * static_cast<double>(xs->size() - 1) + 0.5;
  const size_t i = std::min(xs->size() - 1, static_cast<size_t>(rank));
  return static_cast<double>((*xs)[i]) / div;
}

std::string Summary(std::vector<int64_t>* xs, double div) {
  return absl::StrFormat(R"({"p50": %.3f, "p99": %.3f, "p999": %.3f, "max": %.3f})",
                         Pct(xs, 50, div), Pct(xs, 99, div), Pct(xs, 99.9, div),
                         Pct(xs, 100, div));
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* run = static_cast<Run*>(opaque);
  const auto i = reinterpret_cast<uintptr_t>(msg->_private);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++run->delivered;
    run->delivered_ns[i] = NowNs();
    run->delivery_us.push_back((run->delivered_ns[i] - run->produced_ns[i]) / 1000);
  } else {
    if (run->failed++ == 0) run->first_error = rd_kafka_err2str(msg->err);
  }
}

int OnStats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  // "idemp_state": "Assigned" (the emitter's spacing is not part of any contract).
  const std::string_view doc(json, len);
  const size_t at = doc.find("\"idemp_state\"");
  if (at != std::string_view::npos &&
      doc.substr(at, 40).find("\"Assigned\"") != std::string_view::npos) {
    static_cast<Run*>(opaque)->pid_assigned = true;
  }
  return 0;  // librdkafka frees the document
}

// Metadata for TOPIC and, with idempotence, the producer id: what the first produce() would
// otherwise wait for. Returns "" when ready.
std::string WaitReady(rd_kafka_t* rk, const Options& opt, const Run& run) {
  const int64_t deadline = NowNs() + int64_t{30} * 1000000000;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, opt.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 30000);
  rd_kafka_topic_destroy(rkt);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::StrCat("metadata: ", rd_kafka_err2str(e));
  rd_kafka_metadata_destroy(md);
  if (opt.props.at("enable.idempotence") != "true") return "";
  while (!run.pid_assigned) {
    if (NowNs() > deadline) return "no producer id after 30 s";
    rd_kafka_poll(rk, 5);
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (std::string e = ParseArgs(argc, argv, &opt); !e.empty()) return Usage(e);
  std::vector<Record> records;
  if (std::string e = ReadRecords(opt.input, &records); !e.empty()) return Usage(e);

  Run run;
  run.produced_ns.assign(opt.count, 0);
  run.delivered_ns.assign(opt.count, 0);
  run.delivery_us.reserve(opt.count);
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : opt.props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Usage(absl::StrCat("-X ", k, ": ", err));
    }
  }
  if (rd_kafka_conf_set(conf, "bootstrap.servers", opt.brokers.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return Usage(err);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  if (opt.props.at("enable.idempotence") == "true") {
    // For WaitReady; the interval stays in force for the run (one small document per 100 ms).
    if (!opt.props.contains("statistics.interval.ms")) {
      rd_kafka_conf_set(conf, "statistics.interval.ms", "100", err, sizeof(err));
    }
    rd_kafka_conf_set_stats_cb(conf, OnStats);
  }
  rd_kafka_conf_set_opaque(conf, &run);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    std::fprintf(stderr, "paced_producer: %s\n", err);
    return 1;
  }

  if (std::string e = WaitReady(rk, opt, run); !e.empty()) {
    std::fprintf(stderr, "paced_producer: %s\n", e.c_str());
    rd_kafka_destroy(rk);
    return 1;
  }
  std::vector<int64_t> tick_late_us;  // wake-up time behind the tick's deadline
  std::vector<int64_t> send_lag_us;   // produce() time behind the record's ideal time i / rate
  send_lag_us.reserve(opt.count);
  int64_t queue_full = 0, max_burst = 0;
  const int64_t tick_ns = opt.tick_us * 1000;
  const double ns_per_record = 1e9 / opt.rate;
  const int64_t t0 = NowNs();
  int64_t sent = 0;
  for (int64_t tick = 0; sent < opt.count; ++tick) {
    const int64_t deadline = t0 + tick * tick_ns;
    SleepUntilNs(deadline);
    int64_t now = NowNs();
    tick_late_us.push_back((now - deadline) / 1000);
    const int64_t due = std::min<int64_t>(
        opt.count, static_cast<int64_t>(static_cast<double>(now - t0) / ns_per_record) + 1);
    max_burst = std::max(max_burst, due - sent);
    while (sent < due) {
      const Record& r = records[(opt.skip + sent) % records.size()];
      const int32_t part =
          opt.partitions > 0 ? static_cast<int32_t>(sent % opt.partitions) : RD_KAFKA_PARTITION_UA;
      now = NowNs();
      run.produced_ns[sent] = now;
      const rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(opt.topic.c_str()), RD_KAFKA_V_PARTITION(part),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(r.key.empty() ? nullptr : const_cast<char*>(r.key.data()), r.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(sent))),
          RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ++queue_full;
        rd_kafka_poll(rk, 1);
        continue;
      }
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "paced_producer: produce: %s\n", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return 1;
      }
      send_lag_us.push_back(
          std::max<int64_t>(0, now - t0 - static_cast<int64_t>(sent * ns_per_record)) / 1000);
      ++sent;
    }
    rd_kafka_poll(rk, 0);
  }
  const int64_t t_sent = NowNs();
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, 60000);
  rd_kafka_poll(rk, 0);
  const double seconds = static_cast<double>(t_sent - t0) / 1e9;
  const double offered = static_cast<double>(sent) / std::max(1e-9, seconds);
  std::printf(
      "{\"sent\": %lld, \"delivered\": %lld, \"failed\": %lld, \"seconds\": %.3f, "
      "\"target_rate\": %.1f, \"offered_rate\": %.1f, \"tick_us\": %lld, \"ticks\": %zu, "
      "\"max_burst\": %lld, \"queue_full\": %lld, \"tick_late_ms\": %s, \"send_lag_ms\": %s, "
      "\"delivery_ms\": %s, \"first_error\": \"%s\"}\n",
      static_cast<long long>(sent), static_cast<long long>(run.delivered),
      static_cast<long long>(run.failed), seconds, opt.rate, offered,
      static_cast<long long>(opt.tick_us), tick_late_us.size(), static_cast<long long>(max_burst),
      static_cast<long long>(queue_full), Summary(&tick_late_us, 1e3).c_str(),
      Summary(&send_lag_us, 1e3).c_str(), Summary(&run.delivery_us, 1e3).c_str(),
      run.first_error.c_str());
  std::fflush(stdout);
  rd_kafka_destroy(rk);
  if (!opt.trace.empty()) {
    timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    const int64_t to_epoch =
        static_cast<int64_t>(rt.tv_sec) * 1000000000 + rt.tv_nsec - NowNs();  // approximately
    std::ofstream trace(opt.trace);
    trace << "index,partition,produce_us,delivery_us\n";
    for (int64_t i = 0; i < sent; ++i) {
      trace << i << ',' << (opt.partitions > 0 ? i % opt.partitions : -1) << ','
            << (run.produced_ns[i] + to_epoch) / 1000 << ','
            << (run.delivered_ns[i] > 0 ? (run.delivered_ns[i] + to_epoch) / 1000 : 0) << '\n';
    }
  }
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || run.delivered != sent) {
    std::fprintf(stderr, "paced_producer: %lld of %lld delivered\n",
                 static_cast<long long>(run.delivered), static_cast<long long>(sent));
    return 1;
  }
  return 0;
}

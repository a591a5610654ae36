#include "engine/metrics/registry.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "engine/metrics/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wirescan::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RegistryTest, InvalidRegistrationsAreRecordedAndNotExposed) {
  Registry r;
  CounterFamily* no_total = r.AddCounter("wirescan_test_records", "No _total suffix.");
  ASSERT_NE(no_total, nullptr);
  no_total->WithLabels({})->Inc();  // usable, just not exposed
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("_total"));

  Registry bad_names;
  bad_names.AddGauge("9starts_with_digit", "x");
  EXPECT_FALSE(bad_names.status().ok());
  Registry bad_labels;
  bad_labels.AddGauge("wirescan_test_g", "x", {"__reserved"});
  EXPECT_FALSE(bad_labels.status().ok());
  Registry dup_labels;
  dup_labels.AddGauge("wirescan_test_g", "x", {"topic", "topic"});
  EXPECT_FALSE(dup_labels.status().ok());
  Registry le_label;
  le_label.AddHistogram("wirescan_test_h_seconds", "x", {1.0}, {"le"});
  EXPECT_FALSE(le_label.status().ok());
  Registry bad_buckets;
  bad_buckets.AddHistogram("wirescan_test_h_seconds", "x", {1.0, 1.0});
  EXPECT_THAT(bad_buckets.status().message(), HasSubstr("strictly increasing"));
  Registry inf_bucket;
  inf_bucket.AddHistogram("wirescan_test_h_seconds", "x",
                          {1.0, std::numeric_limits<double>::infinity()});
  EXPECT_FALSE(inf_bucket.status().ok());

  EXPECT_EQ(r.Expose(), "");
}

TEST(RegistryTest, ReRegistrationReturnsTheSameFamilyOrFails) {
  Registry r;
  CounterFamily* a = r.AddCounter("wirescan_test_hits_total", "Hits.", {"rule"});
  EXPECT_EQ(r.AddCounter("wirescan_test_hits_total", "Hits.", {"rule"}), a);
  EXPECT_TRUE(r.status().ok());

  GaugeFamily* g = r.AddGauge("wirescan_test_hits_total", "Hits.", {"rule"});
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  g->WithLabels({"x"})->Set(7);  // the detached family is usable, never exposed
  a->WithLabels({"x"})->Inc();
  EXPECT_THAT(r.Expose(), HasSubstr("# TYPE wirescan_test_hits_total counter\n"
                                    "wirescan_test_hits_total{rule=\"x\"} 1\n"));
}

TEST(RegistryTest, WrongLabelArityGivesADetachedChild) {
  Registry r;
  CounterFamily* f = r.AddCounter("wirescan_test_hits_total", "Hits.", {"rule"});
  std::shared_ptr<Counter> detached = f->WithLabels({"a", "b"});
  ASSERT_NE(detached, nullptr);
  detached->Inc();
  EXPECT_EQ(f->size(), 0u);
  EXPECT_FALSE(f->Remove({}));
  EXPECT_EQ(r.Expose(), "");
}

TEST(RegistryTest, ExpositionGolden) {
  Registry r;
  CounterFamily* records = r.AddCounter("wirescan_test_records_total", "Records consumed.",
                                        {"topic", "partition"});
  records->WithLabels({"wirescan.articles", "1"})->Inc(3);
  records->WithLabels({"wirescan.articles", "0"})->Inc();
  EXPECT_EQ(records->WithLabels({"wirescan.articles", "0"}).get(),
            records->WithLabels({"wirescan.articles", "0"}).get());

  GaugeFamily* depth =
      r.AddGauge("wirescan_test_queue_depth", "Queue depth.\nSecond line: a \\ and a \".");
  depth->WithLabels({})->Set(2.5);

  HistogramFamily* latency = r.AddHistogram("wirescan_test_latency_seconds",
                                            "Batch latency.", {0.25, 1, 2}, {"rule"});
  std::shared_ptr<Histogram> h = latency->WithLabels({"org.jcet"});
  h->Observe(0.125);
  h->Observe(0.25);  // on a bound: counted in that bucket (le)
  h->Observe(0.5);
  h->Observe(4);
  latency->WithLabels({"org.acme"});  // a child never observed is exposed at 0

  GaugeFamily* esc = r.AddGauge("wirescan_test_escape_info", "Label escaping.", {"value"});
  esc->WithLabels({"a\\b\"c\nd"})->Set(1);

  CounterFamily* seconds = r.AddCounter("wirescan_test_busy_seconds_total", "Busy time.");
  seconds->WithLabels({})->Add(0.5);
  seconds->WithLabels({})->Add(1);
  seconds->WithLabels({})->Add(-3);  // ignored

  r.AddGauge("wirescan_test_unused", "Has labels, no children: omitted.", {"topic"});
  ASSERT_TRUE(r.status().ok()) << r.status();

  EXPECT_EQ(r.Expose(),
            R"(# HELP wirescan_test_busy_seconds_total Busy time.
# TYPE wirescan_test_busy_seconds_total counter
wirescan_test_busy_seconds_total 1.5
# HELP wirescan_test_escape_info Label escaping.
# TYPE wirescan_test_escape_info gauge
wirescan_test_escape_info{value="a\\b\"c\nd"} 1
# HELP wirescan_test_latency_seconds Batch latency.
# TYPE wirescan_test_latency_seconds histogram
wirescan_test_latency_seconds_bucket{rule="org.acme",le="0.25"} 0
wirescan_test_latency_seconds_bucket{rule="org.acme",le="1"} 0
wirescan_test_latency_seconds_bucket{rule="org.acme",le="2"} 0
wirescan_test_latency_seconds_bucket{rule="org.acme",le="+Inf"} 0
wirescan_test_latency_seconds_sum{rule="org.acme"} 0
wirescan_test_latency_seconds_count{rule="org.acme"} 0
wirescan_test_latency_seconds_bucket{rule="org.jcet",le="0.25"} 2
wirescan_test_latency_seconds_bucket{rule="org.jcet",le="1"} 3
wirescan_test_latency_seconds_bucket{rule="org.jcet",le="2"} 3
wirescan_test_latency_seconds_bucket{rule="org.jcet",le="+Inf"} 4
wirescan_test_latency_seconds_sum{rule="org.jcet"} 4.875
wirescan_test_latency_seconds_count{rule="org.jcet"} 4
# HELP wirescan_test_queue_depth Queue depth.\nSecond line: a \\ and a ".
# TYPE wirescan_test_queue_depth gauge
wirescan_test_queue_depth 2.5
# HELP wirescan_test_records_total Records consumed.
# TYPE wirescan_test_records_total counter
wirescan_test_records_total{topic="wirescan.articles",partition="0"} 1
wirescan_test_records_total{topic="wirescan.articles",partition="1"} 3
)");
}

TEST(RegistryTest, RemovedSeriesDisappearAndHeldChildrenStayValid) {
  Registry r;
  CounterFamily* hits = r.AddCounter("wirescan_test_rule_hits_total", "Hits.", {"rule"});
  std::shared_ptr<Counter> a = hits->WithLabels({"org.a"});
  std::shared_ptr<Counter> b = hits->WithLabels({"org.b"});
  std::shared_ptr<Counter> c = hits->WithLabels({"org.c"});
  a->Inc();
  b->Inc(2);
  c->Inc(3);

  EXPECT_TRUE(hits->Remove({"org.b"}));
  EXPECT_FALSE(hits->Remove({"org.b"}));
  std::string text = r.Expose();
  EXPECT_THAT(text, HasSubstr("{rule=\"org.a\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("org.b")));

  // A reload that keeps only org.a.
  EXPECT_EQ(hits->RemoveIf([](absl::Span<const std::string> labels) {
              return labels[0] != "org.a";
            }),
            1u);
  EXPECT_EQ(hits->size(), 1u);
  EXPECT_THAT(r.Expose(), Not(HasSubstr("org.c")));

  // A partition thread still holding the old child can keep updating it (not exposed).
  c->Inc();
  EXPECT_EQ(c->Value(), 4);
  // The rule comes back: a fresh series, starting from 0.
  hits->WithLabels({"org.c"})->Inc();
  EXPECT_THAT(r.Expose(), HasSubstr("{rule=\"org.c\"} 1\n"));

  EXPECT_EQ(hits->RemoveIf([](absl::Span<const std::string>) { return true; }), 2u);
  EXPECT_EQ(r.Expose(), "");
}

TEST(RegistryTest, CollectorsAreMergedSortedAndRemovable) {
  Registry r;
  r.AddGauge("wirescan_test_b_gauge", "Registered.")->WithLabels({})->Set(1);
  Registry::CollectorId id = r.AddCollector([](Emitter& e) {
    e.Declare("wirescan_test_lag_messages", MetricType::kGauge, "Consumer lag.",
              {"topic", "partition"});
    e.Add({"t", "1"}, 5);
    e.Add({"t", "0"}, 7);
    e.Add({"t"}, 9);  // wrong arity: dropped
    e.Counter("wirescan_test_a_total", "Collected counter.", 12);
    const double bounds[] = {1, 10};
    const uint64_t counts[] = {1, 2, 3};
    e.Declare("wirescan_test_c_bytes", MetricType::kHistogram, "Sizes.");
    e.AddHistogram({}, bounds, counts, 60);
    e.Declare("not a name", MetricType::kGauge, "x");
    e.Add({}, 1);  // after an invalid Declare(): dropped
  });
  EXPECT_EQ(r.Expose(), R"(# HELP wirescan_test_a_total Collected counter.
# TYPE wirescan_test_a_total counter
wirescan_test_a_total 12
# HELP wirescan_test_b_gauge Registered.
# TYPE wirescan_test_b_gauge gauge
wirescan_test_b_gauge 1
# HELP wirescan_test_c_bytes Sizes.
# TYPE wirescan_test_c_bytes histogram
wirescan_test_c_bytes_bucket{le="1"} 1
wirescan_test_c_bytes_bucket{le="10"} 3
wirescan_test_c_bytes_bucket{le="+Inf"} 6
wirescan_test_c_bytes_sum 60
wirescan_test_c_bytes_count 6
# HELP wirescan_test_lag_messages Consumer lag.
# TYPE wirescan_test_lag_messages gauge
wirescan_test_lag_messages{topic="t",partition="0"} 7
wirescan_test_lag_messages{topic="t",partition="1"} 5
)");
  r.RemoveCollector(id);
  EXPECT_EQ(r.Expose(), R"(# HELP wirescan_test_b_gauge Registered.
# TYPE wirescan_test_b_gauge gauge
wirescan_test_b_gauge 1
)");
}

TEST(RegistryTest, FormatValue) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(12), "12");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(800000), "800000");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1e15), "1e+15");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(1.5e-7), "1.5e-07");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(RegistryTest, Buckets) {
  EXPECT_EQ(ExponentialBuckets(0.001, 10, 4), (std::vector<double>{0.001, 0.01, 0.1, 1}));
  EXPECT_EQ(LinearBuckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
}

TEST(RegistryConcurrencyTest, ThreadsIncrementingOneChildLoseNothing) {
  Registry r;
  std::shared_ptr<Counter> counter =
      r.AddCounter("wirescan_test_hits_total", "Hits.", {"rule"})->WithLabels({"org.a"});
  std::shared_ptr<Gauge> gauge = r.AddGauge("wirescan_test_depth", "Depth.")->WithLabels({});
  std::shared_ptr<Histogram> hist =
      r.AddHistogram("wirescan_test_size_bytes", "Size.", {1, 2})->WithLabels({});
  constexpr int kThreads = 8;
  constexpr int kIterations = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        counter->Inc();
        gauge->Add(1);
        hist->Observe(t % 3);  // 0, 1 or 2: exact in a double sum
      }
    });
  }
  // Scrapes while the writers run must not disturb them.
  for (int i = 0; i < 20; ++i) r.Expose();
  for (std::thread& t : threads) t.join();

  constexpr uint64_t kTotal = uint64_t{kThreads} * kIterations;
  EXPECT_EQ(counter->Value(), static_cast<double>(kTotal));
  EXPECT_EQ(gauge->Value(), static_cast<double>(kTotal));
  EXPECT_EQ(hist->Count(), kTotal);
  double expected_sum = 0;
  for (int t = 0; t < kThreads; ++t) expected_sum += double{kIterations} * (t % 3);
  EXPECT_EQ(hist->Sum(), expected_sum);
  EXPECT_THAT(r.Expose(), HasSubstr("wirescan_test_hits_total{rule=\"org.a\"} 800000\n"));
}

// The exposition passes Prometheus' own parser and linter, when promtool is installed
// (Debian: prometheus; deploy/setup.sh installs it).
TEST(PromtoolTest, CheckMetricsAcceptsTheExposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  }
  Registry r;
  r.AddCounter("wirescan_test_records_total", "Records consumed.", {"topic", "partition"})
      ->WithLabels({"wirescan.articles", "0"})
      ->Inc(42);
  r.AddGauge("wirescan_test_queue_depth", "Queue depth.\nWith a \\ and \"quotes\".")
      ->WithLabels({})
      ->Set(-0.125);
  std::shared_ptr<Histogram> h =
      r.AddHistogram("wirescan_test_latency_seconds", "Batch latency.",
                     ExponentialBuckets(1e-6, 10, 7), {"rule"})
          ->WithLabels({"org.\"odd\"\nid\\"});
  h->Observe(3e-5);
  h->Observe(2);
  r.AddGauge("wirescan_test_weird_values", "Special values.", {"kind"})
      ->WithLabels({"inf"})
      ->Set(std::numeric_limits<double>::infinity());
  r.AddGauge("wirescan_test_weird_values", "Special values.", {"kind"})
      ->WithLabels({"nan"})
      ->Set(std::numeric_limits<double>::quiet_NaN());
  r.AddGauge("wirescan_test_weird_values", "Special values.", {"kind"})
      ->WithLabels({"tiny"})
      ->Set(1.5e-300);
  AddProcessCollector(&r);
  ASSERT_TRUE(r.status().ok()) << r.status();

  std::string path = ::testing::TempDir() + "/exposition_" + std::to_string(getpid()) + ".prom";
  {
    std::ofstream out(path);
    out << r.Expose();
  }
  std::string command = "promtool check metrics < '" + path + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  int status = pclose(pipe);
  std::remove(path.c_str());
  EXPECT_EQ(status, 0) << output << "\n--- exposition ---\n" << r.Expose();
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace wirescan::metrics

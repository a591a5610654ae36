// PipelineManager through its interfaces: a FakeSource and a FakeSink (tests/fakes/), no Kafka.
// Every wait is on a condition the fakes signal (no sleeps, no polling).

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/pipeline/pipeline.h"
#include "engine/rules/live_rules.h"
#include "engine/rules/rule_pack.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_sink.h"
#include "tests/fakes/fake_source.h"
#include "tests/fakes/shipped_pack.h"

namespace wirescan::pipeline {
namespace {

using fakes::FakeSink;
using fakes::FakeSource;
using source::TopicPartition;

std::shared_ptr<const rules::RulePack> Pack() { return fakes::ShippedPack(); }

// An article without events: exactly one output (its analysis).
std::string Article(int i) {
  return absl::StrCat(R"({"id": "a)", i, R"(", "title": "Quiet day", "body": "Nothing happened."})");
}

const TopicPartition kTp{"in", 0};

// One manager running on its own thread over the fakes.
class Running {
 public:
  explicit Running(PipelineOptions options) : live_(Pack()) {
    options.topics = {"in"};
    options.workers = 1;
    manager_ = std::make_unique<PipelineManager>(std::move(options), &live_);
    sink_ = std::make_unique<FakeSink>(manager_->listener());
  }
  ~Running() {
    Stop();
    sink_.reset();
    manager_.reset();
  }
  void Start() {
    thread_ = std::thread([this] {
      status_ = manager_->Run(&source_, sink_.get(), [this](int ms) { return sink_->Flush(ms); },
                              &stop_);
    });
  }
  // Asks Run() to return and waits for it.
  void Stop() {
    stop_.store(true, std::memory_order_release);
    Join();
  }
  // Waits for Run() to return by itself.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  FakeSource& source() { return source_; }
  FakeSink& sink() { return *sink_; }
  rules::LiveRules& live() { return live_; }
  const PipelineCounters& counters() const { return manager_->counters(); }
  const absl::Status& status() const { return status_; }

  int64_t Committed() { return source_.Snapshot().committed[kTp]; }
  bool WaitProduced(size_t n) {
    return sink_->WaitFor([n](const FakeSink::State& s) { return s.produced.size() >= n; });
  }

 private:
  rules::LiveRules live_;
  FakeSource source_;  // outlives the manager (which may hold its records)
  std::unique_ptr<PipelineManager> manager_;
  std::unique_ptr<FakeSink> sink_;  // before the manager goes: it reports into its listener
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Status status_;
};

TEST(PipelineFakesTest, AFailedDeliveryStopsThePipelineWithoutCommittingPastIt) {
  Running run({});
  run.source().Assign({kTp});
  for (int i = 0; i < 3; ++i) run.source().Push(kTp, "", Article(i));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(3));
  run.sink().Deliver(1);                              // offset 0
  run.sink().Deliver(1, emit::Delivery::kFailed);     // offset 1: lost after retries
  run.sink().Deliver(1);                              // offset 2
  run.Join();  // Run returns by itself
  EXPECT_FALSE(run.status().ok());
  EXPECT_EQ(run.counters().delivery_failures.load(), 1u);
  EXPECT_EQ(run.Committed(), 1);  // offset 0 only: 1 and everything after stay uncommitted
}

TEST(PipelineFakesTest, ARefusedOutputMakesItsInputADeadLetter) {
  Running run({});
  run.source().Assign({kTp});
  run.source().Push(kTp, "k", Article(0));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(1));
  run.sink().Deliver(1, emit::Delivery::kTooLarge);  // the broker refuses the analysis
  ASSERT_TRUE(run.WaitProduced(2));                  // its input, dead-lettered
  const FakeSink::Message dead = run.sink().Snapshot().produced[1];
  EXPECT_EQ(dead.topic, "wirescan.dlq");
  EXPECT_EQ(dead.Header("wirescan-dlq-reason"), "output_too_large");
  EXPECT_EQ(dead.value, Article(0));
  EXPECT_EQ(dead.key, "k");
  run.sink().Deliver(1);
  // The next periodic store carries the watermark past it.
  ASSERT_TRUE(run.source().WaitFor([](const FakeSource::State& s) {
    auto it = s.committed.find(kTp);
    return it != s.committed.end() && it->second == 1;
  }));
  run.Stop();
  EXPECT_TRUE(run.status().ok()) << run.status();
  EXPECT_EQ(run.Committed(), 1);
  EXPECT_EQ(run.counters().dead_letters.load(), 1u);
}

TEST(PipelineFakesTest, ARevokeWaitsForTheOutputsInFlightThenCommitsThem) {
  Running run({});
  run.source().Assign({kTp});
  for (int i = 0; i < 2; ++i) run.source().Push(kTp, "", Article(i));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(2));  // both processed, their reports held: work in flight
  run.source().Revoke({kTp});
  ASSERT_TRUE(run.source().WaitFor([](const FakeSource::State& s) { return s.revokes_started == 1; }));
  // The revoke cannot finish while its partition's outputs are undelivered.
  EXPECT_EQ(run.source().Snapshot().revokes_finished, 0);
  run.sink().DeliverAll();
  ASSERT_TRUE(run.source().WaitFor([](const FakeSource::State& s) { return s.revokes_finished == 1; }));
  EXPECT_EQ(run.Committed(), 2);  // committed inside the revoke
  run.Stop();
  EXPECT_TRUE(run.status().ok()) << run.status();
}

TEST(PipelineFakesTest, AReloadTakesEffectAtTheNextBatch) {
  // One record per batch: the record pushed after the publication starts a batch of its own,
  // where the worker picks up the new pack (a batch under way keeps the pack it started with).
  PipelineOptions options;
  options.batch_size = 1;
  Running run(options);
  run.sink().AutoDeliver(true);
  run.source().Assign({kTp});
  run.source().Push(kTp, "", Article(0));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(1));
  auto next = std::make_shared<rules::RulePack>();
  next->version = "0123456789abcdef";
  next->rules = Pack()->rules;
  next->model = Pack()->model;
  run.live().Publish(next);
  run.source().Push(kTp, "", Article(1));
  ASSERT_TRUE(run.WaitProduced(2));
  const FakeSink::State s = run.sink().Snapshot();
  EXPECT_EQ(s.produced[0].Header("wirescan-rules-version"), Pack()->version);
  EXPECT_EQ(s.produced[1].Header("wirescan-rules-version"), "0123456789abcdef");
  run.Stop();
  EXPECT_TRUE(run.status().ok()) << run.status();
  EXPECT_EQ(run.Committed(), 2);
}

TEST(PipelineFakesTest, ShutdownCommitsEverythingDeliveredAndLeaves) {
  Running run({});
  run.source().Assign({kTp});
  for (int i = 0; i < 3; ++i) run.source().Push(kTp, "", Article(i));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(3));
  run.sink().DeliverAll();
  run.Stop();
  EXPECT_TRUE(run.status().ok()) << run.status();
  EXPECT_EQ(run.Committed(), 3);
  EXPECT_TRUE(run.source().Snapshot().closed);
  EXPECT_EQ(run.counters().analysed.load(), 3u);
}

TEST(PipelineFakesTest, ShutdownNeverCommitsUndeliveredOutputs) {
  PipelineOptions options;
  options.shutdown_timeout_ms = 400;  // the drain gives up after 300 ms
  Running run(options);
  run.sink().HoldThroughFlush(true);  // the producer cannot deliver
  run.source().Assign({kTp});
  for (int i = 0; i < 3; ++i) run.source().Push(kTp, "", Article(i));
  run.Start();
  ASSERT_TRUE(run.WaitProduced(3));
  run.sink().Deliver(1);  // offset 0 only
  run.Stop();
  EXPECT_EQ(run.Committed(), 1);
}

}  // namespace
}  // namespace wirescan::pipeline

#pragma once
// FakeSink: an in-memory emit::Sink for unit tests of the pipeline (no Kafka).
//
// Every produced message is copied (topic, partition, key, value, headers). Its delivery report
// is held until the test releases it — Deliver(n, result) / DeliverAll(result) — or, in
// auto-deliver mode, sent at once. Reports go to the listener on the sink's own delivery thread,
// as KafkaSink's do. Flush() delivers what is held (as the producer's flush would) unless the
// sink was told to hold through the flush. WaitFor(predicate) wakes on every change.
//
// Thread safety: thread-safe.

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/emit/sink.h"

namespace wirescan::fakes {

class FakeSink : public emit::Sink {
 public:
  struct Message {
    std::string topic;
    int32_t partition = -1;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string Header(std::string_view name) const {
      for (const auto& [k, v] : headers) {
        if (k == name) return v;
      }
      return "";
    }
  };
  struct State {
    std::vector<Message> produced;  // every Produce() that returned OK, in order
    size_t held = 0;                // reports not yet sent
    size_t reported = 0;            // reports sent (the listener returned)
    bool aborted = false;
  };

  explicit FakeSink(emit::DeliveryListener* listener) : listener_(listener) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeSink() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  // Reports of later messages are sent at once (kDelivered) instead of being held.
  void AutoDeliver(bool on) {
    absl::MutexLock lock(&mu_);
    auto_deliver_ = on;
    if (on) ReleaseLocked(held_.size(), emit::Delivery::kDelivered);
  }
  // Flush() sends nothing (a producer whose brokers are gone).
  void HoldThroughFlush(bool on) {
    absl::MutexLock lock(&mu_);
    hold_through_flush_ = on;
  }
  // Sends the reports of the `n` oldest held messages with `result`.
  void Deliver(size_t n, emit::Delivery result = emit::Delivery::kDelivered) {
    absl::MutexLock lock(&mu_);
    ReleaseLocked(n, result);
  }
  void DeliverAll(emit::Delivery result = emit::Delivery::kDelivered) {
    absl::MutexLock lock(&mu_);
    ReleaseLocked(held_.size(), result);
  }

  bool WaitFor(const std::function<bool(const State&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() { return done(state_); };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), absl::Milliseconds(timeout.count()));
  }
  State Snapshot() const {
    absl::MutexLock lock(&mu_);
    return state_;
  }

  // The producer's Flush(): sends the held reports and waits until they were handled.
  absl::Status Flush(int timeout_ms) {
    absl::MutexLock lock(&mu_);
    if (!hold_through_flush_) ReleaseLocked(held_.size(), emit::Delivery::kDelivered);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outbox_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&drained), absl::Milliseconds(timeout_ms))) {
      return absl::DeadlineExceededError("flush timed out");
    }
    return held_.empty() ? absl::OkStatus()
                         : absl::DeadlineExceededError("messages still outstanding");
  }

  // --- emit::Sink (workers) ---
  absl::Status Produce(const emit::OutputMessage& m) override {
    absl::MutexLock lock(&mu_);
    if (state_.aborted) return absl::CancelledError("aborted");
    Message copy{std::string(m.topic), m.partition, std::string(m.key), std::string(m.value), {}};
    for (const emit::Header& h : m.headers) copy.headers.emplace_back(h.key, h.value);
    held_.push_back({m.opaque, copy.topic});
    state_.produced.push_back(std::move(copy));
    ++state_.held;
    if (auto_deliver_) ReleaseLocked(held_.size(), emit::Delivery::kDelivered);
    return absl::OkStatus();
  }
  void Abort() override {
    absl::MutexLock lock(&mu_);
    state_.aborted = true;
  }

 private:
  struct Report {
    void* opaque;
    std::string topic;
    emit::Delivery result = emit::Delivery::kDelivered;
  };

  void ReleaseLocked(size_t n, emit::Delivery result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (size_t i = 0; i < n && !held_.empty(); ++i) {
      Report r = std::move(held_.front());
      held_.pop_front();
      --state_.held;
      r.result = result;
      outbox_.push_back(std::move(r));
    }
  }

  // ws:delivery of the fake: sends the released reports, one at a time, without the lock.
  void Loop() {
    for (;;) {
      Report r;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stop_ || !outbox_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (outbox_.empty()) return;  // stopping with nothing left
        r = std::move(outbox_.front());
      }
      listener_->OnDelivery(r.opaque, r.result, r.topic,
                            r.result == emit::Delivery::kDelivered ? "" : "fake failure");
      absl::MutexLock lock(&mu_);
      outbox_.pop_front();
      ++state_.reported;
    }
  }

  emit::DeliveryListener* const listener_;
  mutable absl::Mutex mu_;
  std::deque<Report> held_ ABSL_GUARDED_BY(mu_);
  std::deque<Report> outbox_ ABSL_GUARDED_BY(mu_);  // released, not yet reported
  State state_ ABSL_GUARDED_BY(mu_);
  bool auto_deliver_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_through_flush_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace wirescan::fakes

#pragma once
// FakeSource: an in-memory source::Source for unit tests of the pipeline (no Kafka).
//
// The test drives it from its own thread: Assign()/Revoke() queue a rebalance that the next
// Poll() (on the pipeline's ws:consumer) delivers to the handler, Push() appends records.
// Poll() returns, in order: a pending rebalance, the next record of an assigned, unpaused
// partition, or a partition's end once all its records were returned; otherwise it waits on a
// condition variable for at most its timeout. The test waits for what the pipeline did with
// WaitFor(predicate), which wakes on every change (no sleeps, no polling).
//
// Thread safety: thread-safe.

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/source/source.h"

namespace wirescan::fakes {

class FakeSource : public source::Source {
 public:
  using TopicPartition = source::TopicPartition;

  // What the pipeline did, for WaitFor() predicates. Read under the source's lock.
  struct State {
    std::map<TopicPartition, int64_t> committed;  // by Commit (sync or not) and Store
    std::map<TopicPartition, int64_t> stored;
    std::set<TopicPartition> assigned;
    std::set<TopicPartition> paused;
    int revokes_started = 0;   // OnRevoked calls begun (the handler is running or returned)
    int revokes_finished = 0;
    bool subscribed = false;
    bool closed = false;
    std::map<TopicPartition, size_t> returned;  // records handed out by Poll
  };

  ~FakeSource() override = default;

  // --- Driven by the test ---
  void Assign(std::vector<TopicPartition> tps) { Enqueue({Rebalance::kAssign, std::move(tps)}); }
  void Revoke(std::vector<TopicPartition> tps) { Enqueue({Rebalance::kRevoke, std::move(tps)}); }
  void Push(const TopicPartition& tp, std::string key, std::string value) {
    absl::MutexLock lock(&mu_);
    auto& p = partitions_[tp];
    auto r = std::make_unique<OwnedRecord>();
    r->topic_ = tp.topic;
    r->key_ = std::move(key);
    r->value_ = std::move(value);
    r->offset = static_cast<int64_t>(p.next_offset++);
    r->partition = tp.partition;
    r->timestamp_ms = -1;
    p.pending.push_back(std::move(r));
    p.eof_sent = false;
  }
  // Blocks until `done(state)` holds (true) or `timeout` passed (false).
  bool WaitFor(const std::function<bool(const State&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(state_); };
    return mu_.AwaitWithTimeout(absl::Condition(&cond),
                                absl::Milliseconds(timeout.count()));
  }
  State Snapshot() const {
    absl::MutexLock lock(&mu_);
    return state_;
  }

  // --- source::Source (ws:consumer) ---
  absl::Status Subscribe(const std::vector<std::string>& topics,
                         source::RebalanceHandler* handler) override {
    (void)topics;
    absl::MutexLock lock(&mu_);
    handler_ = handler;
    state_.subscribed = true;
    return absl::OkStatus();
  }

  std::unique_ptr<source::Record> Poll(int timeout_ms) override {
    Rebalance rebalance;
    source::RebalanceHandler* handler = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return HasWork(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(timeout_ms));
      if (rebalances_.empty()) return NextRecord();
      rebalance = std::move(rebalances_.front());
      rebalances_.pop_front();
      handler = handler_;
      if (rebalance.kind == Rebalance::kRevoke) ++state_.revokes_started;
    }
    // The handler runs without the lock (it calls Commit, Pause, Resume).
    Deliver(rebalance, handler);
    return nullptr;
  }

  void Pause(const TopicPartition& tp) override {
    absl::MutexLock lock(&mu_);
    state_.paused.insert(tp);
  }
  void Resume(const TopicPartition& tp) override {
    absl::MutexLock lock(&mu_);
    state_.paused.erase(tp);
  }
  absl::Status Store(const std::map<TopicPartition, int64_t>& offsets) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [tp, off] : offsets) {
      state_.stored[tp] = off;
      state_.committed[tp] = std::max(state_.committed[tp], off);  // the periodic commit
    }
    return absl::OkStatus();
  }
  absl::Status Commit(const std::map<TopicPartition, int64_t>& offsets, bool sync) override {
    (void)sync;
    absl::MutexLock lock(&mu_);
    for (const auto& [tp, off] : offsets) state_.committed[tp] = std::max(state_.committed[tp], off);
    return absl::OkStatus();
  }
  void Close() override {
    std::vector<TopicPartition> all;
    source::RebalanceHandler* handler = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (state_.closed) return;
      all.assign(state_.assigned.begin(), state_.assigned.end());
      handler = handler_;
      ++state_.revokes_started;
    }
    Deliver({Rebalance::kRevoke, all}, handler);
    absl::MutexLock lock(&mu_);
    state_.closed = true;
  }
  bool Watermarks(const TopicPartition& tp, int64_t* low, int64_t* high) const override {
    absl::MutexLock lock(&mu_);
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return false;
    *low = 0;
    *high = static_cast<int64_t>(it->second.next_offset);
    return true;
  }

 private:
  class OwnedRecord : public source::Record {
   public:
    std::string topic_, key_, value_;
    void Bind() {
      topic = topic_;
      key = key_;
      value = value_;
    }
  };
  struct Partition {
    std::deque<std::unique_ptr<OwnedRecord>> pending;
    size_t next_offset = 0;
    bool eof_sent = true;
  };
  struct Rebalance {
    enum Kind { kAssign, kRevoke } kind = kAssign;
    std::vector<TopicPartition> partitions;
  };

  void Enqueue(Rebalance r) {
    absl::MutexLock lock(&mu_);
    rebalances_.push_back(std::move(r));
  }

  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!rebalances_.empty()) return true;
    for (const TopicPartition& tp : state_.assigned) {
      if (state_.paused.contains(tp)) continue;
      auto it = partitions_.find(tp);
      if (it != partitions_.end() && (!it->second.pending.empty() || !it->second.eof_sent)) {
        return true;
      }
    }
    return false;
  }

  std::unique_ptr<source::Record> NextRecord() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const TopicPartition& tp : state_.assigned) {
      if (state_.paused.contains(tp)) continue;
      auto it = partitions_.find(tp);
      if (it == partitions_.end()) continue;
      Partition& p = it->second;
      if (!p.pending.empty()) {
        std::unique_ptr<OwnedRecord> r = std::move(p.pending.front());
        p.pending.pop_front();
        r->Bind();
        ++state_.returned[tp];
        return r;
      }
      if (!p.eof_sent) {
        p.eof_sent = true;
        auto eof = std::make_unique<OwnedRecord>();
        eof->topic_ = tp.topic;
        eof->Bind();
        eof->kind = source::Record::Kind::kEndOfPartition;
        eof->partition = tp.partition;
        eof->offset = static_cast<int64_t>(p.next_offset);
        return eof;
      }
    }
    return nullptr;
  }

  void Deliver(const Rebalance& r, source::RebalanceHandler* handler) {
    if (r.kind == Rebalance::kAssign) {
      {
        absl::MutexLock lock(&mu_);
        for (const auto& tp : r.partitions) {
          state_.assigned.insert(tp);
          auto& p = partitions_[tp];
          // A partition assigned again starts after what the group committed.
          (void)p;
        }
      }
      if (handler != nullptr) handler->OnAssigned(r.partitions);
      return;
    }
    if (handler != nullptr) handler->OnRevoked(r.partitions, /*lost=*/false);
    absl::MutexLock lock(&mu_);
    for (const auto& tp : r.partitions) {
      state_.assigned.erase(tp);
      state_.paused.erase(tp);
    }
    ++state_.revokes_finished;
  }

  mutable absl::Mutex mu_;
  source::RebalanceHandler* handler_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<TopicPartition, Partition> partitions_ ABSL_GUARDED_BY(mu_);
  std::deque<Rebalance> rebalances_ ABSL_GUARDED_BY(mu_);
  State state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wirescan::fakes

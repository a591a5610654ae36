#include "engine/pipeline/pipeline.h"

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/core/log.h"
#include "engine/core/spsc_queue.h"
#include "engine/core/strings.h"
#include "engine/core/thread.h"
#include "engine/core/work_budget.h"
#include "engine/emit/encoder.h"
#include "engine/emit/output_limits.h"
#include "engine/extract/extractor.h"
#include "engine/extract/output.h"
#include "engine/pipeline/offset_tracker.h"
#include "absl/container/flat_hash_map.h"

namespace wirescan::pipeline {

using Clock = std::chrono::steady_clock;
using source::TopicPartition;

namespace {

// A consumed message on its way through a partition's queue.
struct Item {
  source::Record* record = nullptr;  // owned (from Source::Poll); deleted by whoever ends it
  OffsetTracker::Slot* slot = nullptr;
};

// What an output is, carried in the low bits of its delivery opaque (the slot pointer): what
// to do when the broker refuses it.
enum OutputKind : uintptr_t {
  kPrimary = 0,     // an analysis or event (or a pass-through copy): dead-letter the input
  kDeadLetter = 1,  // a dead letter: produce the last-resort one (a short prefix)
  kLastResort = 2,  // the last-resort dead letter: nothing is left to try, stop
};
constexpr uintptr_t kKindMask = 3;
static_assert(alignof(OffsetTracker::Slot) > kKindMask);
void* Tag(OffsetTracker::Slot* slot, OutputKind kind) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(slot) | kind);
}
OffsetTracker::Slot* SlotOf(void* opaque) {
  return reinterpret_cast<OffsetTracker::Slot*>(reinterpret_cast<uintptr_t>(opaque) & ~kKindMask);
}
OutputKind KindOf(void* opaque) {
  return static_cast<OutputKind>(reinterpret_cast<uintptr_t>(opaque) & kKindMask);
}

constexpr size_t kLastResortValueBytes = RecordProcessor::kLastResortValueBytes;

// The record a consumed message carries (views into it).
InputRecord RecordOf(const TopicPartition& tp, const source::Record* r) {
  return {tp.topic, tp.partition, r->offset, r->key, r->value};
}

// An output the broker refused: its input is dead-lettered by the partition's worker.
struct Refusal {
  OffsetTracker::Slot* slot = nullptr;
  OutputKind kind = kPrimary;
  bool too_large = false;  // refused for its size
  std::string topic;
  std::string error;
};

// One assigned input partition. Queue: SPSC, pushed by ws:consumer, popped by its worker.
// Tracker: see OffsetTracker. The remaining fields belong to the consumer thread.
struct PartitionState {
  PartitionState(TopicPartition tp_in, size_t capacity)
      : tp(std::move(tp_in)), queue(capacity), tracker(capacity * 2, this) {}
  ~PartitionState() {
    // Inputs still held by slots whose outputs never all completed (a fatal stop, a revoke
    // that timed out). Runs once no thread uses the state (after the sink is gone).
    tracker.ForEachLive([](OffsetTracker::Slot& s) {
      if (s.input != nullptr && s.pending.load(std::memory_order_acquire) > 0) {
        delete static_cast<source::Record*>(s.input);
      }
    });
  }
  const TopicPartition tp;
  core::SpscQueue<Item> queue;
  OffsetTracker tracker;
  // Outputs refused by the broker, pushed by the delivery thread(s), taken by the worker. The
  // mutex is taken only on a refusal, never per message.
  absl::Mutex refusals_mu;
  std::vector<Refusal> refusals ABSL_GUARDED_BY(refusals_mu);
  std::atomic<bool> has_refusals{false};  // release by the pusher, acquire by the worker
  PipelineProbe::PartitionMetrics metrics;  // null children without a probe
  // Written by ws:consumer, read by the metrics collector (relaxed: gauges).
  std::atomic<int64_t> position{-1};          // next offset to consume
  std::atomic<int64_t> committed_offset{-1};
  // Set by ws:consumer when the partition is being revoked: its worker drops the messages still
  // queued instead of processing them (the next owner reads them again), so a rebalance waits
  // only for the outputs already in flight. Release/acquire: pairs with the worker's check.
  std::atomic<bool> revoking{false};
  // Set by ws:consumer when the work on this partition must end now (the shutdown's or a
  // revoke's deadline, a lost partition): the record being extracted stops at its budget's next
  // check (core::WorkBudget) and is abandoned with the rest of the queue, uncommitted. Relaxed:
  // a flag, no data is published with it.
  std::atomic<bool> cancel{false};
  // Consumer thread only:
  std::deque<std::unique_ptr<source::Record>> overflow;  // fetched while paused; no slot yet
  bool paused = false;
  bool at_eof = false;
  int64_t committed = -1;  // last committed next-offset (commit callbacks)
  int64_t stored = -1;     // last next-offset stored for auto-commit
  int64_t done = -1;       // last watermark from the tracker
  int worker = 0;
};

}  // namespace

class PipelineManager::Impl : public emit::DeliveryListener, public source::RebalanceHandler {
 public:
  Impl(PipelineOptions options, const rules::LiveRules* rules, PipelineProbe* probe,
       PipelineCounters* counters)
      : options_(std::move(options)), rules_(rules), probe_(probe), counters_(counters) {}

  ~Impl() {
    if (probe_ != nullptr && collector_ != 0) probe_->registry()->RemoveCollector(collector_);
    // The partition states destroy the records their slots still hold: here, while the source
    // they came from still exists (Run's caller keeps it past the manager). The workers (and
    // their partition lists) are gone before them too.
    {
      absl::MutexLock lock(&visible_mu_);
      visible_.clear();
    }
    partitions_.clear();
    retired_.clear();
    workers_.clear();
  }

  bool Ready() const {
    return subscribed_.load(std::memory_order_acquire) && !fatal_.load() &&
           !stopping_.load(std::memory_order_acquire);
  }

  // Releases one pending step of `slot`; the last one destroys the held input and records the
  // end-to-end latency.
  void Complete(OffsetTracker::Slot* slot) {
    // Read before the release that may free the slot for reuse.
    const int64_t ts = slot->timestamp_ms;
    void* input = slot->input;
    if (!OffsetTracker::Release(slot)) return;
    delete static_cast<source::Record*>(input);
    if (probe_ != nullptr && ts > 0) {
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      probe_->EndToEndSeconds()->Observe(static_cast<double>(std::max<int64_t>(0, now - ts)) / 1e3);
    }
  }

  // Stops the pipeline without committing past what is not delivered.
  void Fail(std::string_view what) {
    if (!fatal_.exchange(true, std::memory_order_acq_rel)) {
      core::LogError(core::Sv(what), "; stopping without committing past it");
    }
  }

  // --- DeliveryListener (ws:delivery, or the thread in the sink's Flush) ---
  void OnDelivery(void* opaque, emit::Delivery result, std::string_view topic,
                  std::string_view error) override {
    OffsetTracker::Slot* slot = SlotOf(opaque);
    switch (result) {
      case emit::Delivery::kDelivered:
        counters_->delivered.fetch_add(1, std::memory_order_relaxed);
        Complete(slot);
        return;
      case emit::Delivery::kTooLarge:
      case emit::Delivery::kRefused:
        counters_->refused.fetch_add(1, std::memory_order_relaxed);
        Refused(slot, KindOf(opaque), result == emit::Delivery::kTooLarge, topic, error);
        return;
      case emit::Delivery::kFailed:
        // The producer gave up after its retries. Not releasing the slot keeps every offset
        // from this one on uncommitted; the daemon stops and a restart reprocesses them.
        counters_->delivery_failures.fetch_add(1, std::memory_order_relaxed);
        Fail(absl::StrCat("delivery to ", core::Sv(topic), " failed: ", core::Sv(error)));
        return;
    }
  }
  void OnFatalError(std::string_view error) override {
    Fail(absl::StrCat("fatal producer error: ", core::Sv(error)));
  }

  // The broker (or the producer) refused one output of `slot` for what it is: the input goes to
  // the dead-letter topic instead (once), produced by the partition's worker.
  void Refused(OffsetTracker::Slot* slot, OutputKind kind, bool too_large, std::string_view topic,
               std::string_view error) {
    if (kind == kLastResort) {
      Fail(absl::StrCat("the dead-letter topic ", core::Sv(topic), " refused even a ",
                        kLastResortValueBytes, "-byte dead letter: ", core::Sv(error)));
      return;
    }
    if (kind == kPrimary && slot->rerouted.exchange(true, std::memory_order_acq_rel)) {
      Complete(slot);  // the input is already being dead-lettered
      return;
    }
    auto* p = static_cast<PartitionState*>(slot->owner);
    {
      absl::MutexLock lock(&p->refusals_mu);
      p->refusals.push_back({slot, kind, too_large, std::string(topic), std::string(error)});
      p->has_refusals.store(true, std::memory_order_release);
    }
    WakeWorker(p->worker);
  }
  void WakeWorker(int worker);

  // --- RebalanceHandler (ws:consumer, inside Poll) ---
  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) override;

  absl::Status Run(source::Source* source, emit::Sink* sink,
                   const std::function<absl::Status(int)>& flush, const std::atomic<bool>* stop);

 private:
  class Worker;

  void Dispatch(std::unique_ptr<source::Record> record);
  // Takes the record when it returns true.
  bool TryEnqueue(PartitionState* p, std::unique_ptr<source::Record>& record);
  void ServicePaused();
  void StoreProgress();
  void CommitProgress(bool sync);
  void OnCommitted(const std::vector<std::pair<TopicPartition, int64_t>>& offsets) override;
  bool Idle();
  void DropOverflow(PartitionState* p) {
    p->overflow.clear();
  }
  // Moves the partition's watermark over every completed offset. The only caller of Advance:
  // whatever it passes is remembered in `done`, the next offset to commit.
  static void Settle(PartitionState* p) {
    int64_t next = p->tracker.Advance();
    if (next >= 0) p->done = next;
  }
  // Revocation: waits until the worker emptied the queue (dropping what it had not started) and
  // every processed message's outputs were delivered; the watermark then stops at the first
  // dropped message.
  void WaitRevoked(PartitionState* p, Clock::time_point deadline) {
    while (Clock::now() < deadline && !fatal_.load(std::memory_order_acquire)) {
      Settle(p);
      const OffsetTracker::Slot* front = p->tracker.Front();
      if (p->queue.Size() == 0 && (front == nullptr || front->skipped)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // True once the partition's queue is empty and every offset of it completed.
  bool WaitDrained(PartitionState* p, Clock::time_point deadline) {
    while (Clock::now() < deadline && !fatal_.load(std::memory_order_acquire)) {
      Settle(p);
      if (p->queue.Size() == 0 && p->tracker.Empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
  // Ends the work on every partition (PartitionState::cancel), the revoked ones included.
  void CancelAll() {
    for (auto& [tp, p] : partitions_) p->cancel.store(true, std::memory_order_relaxed);
    for (auto& p : retired_) p->cancel.store(true, std::memory_order_relaxed);
  }

  void AddCollector();

  PipelineOptions options_;
  bool any_paused_ = false;  // ws:consumer only: some partition is paused (ServicePaused)
  const rules::LiveRules* rules_;
  PipelineProbe* const probe_;  // may be null
  PipelineCounters* counters_;
  metrics::Registry::CollectorId collector_ = 0;
  std::atomic<bool> subscribed_{false};  // release by ws:consumer, acquire by Ready()
  std::atomic<bool> stopping_{false};
  // What the metrics collector may read: the assigned partitions, updated on (re)assignment.
  mutable absl::Mutex visible_mu_;
  std::vector<std::shared_ptr<PartitionState>> visible_ ABSL_GUARDED_BY(visible_mu_);
  source::Source* source_ = nullptr;  // Run()'s; outlives the manager's use of it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::map<TopicPartition, std::shared_ptr<PartitionState>> partitions_;  // consumer thread
  // Revoked before all their work finished (drain timed out, or lost): delivery reports and
  // queued messages may still reference them; released once the workers and the sink stopped.
  std::vector<std::shared_ptr<PartitionState>> retired_;
  std::atomic<bool> fatal_{false};  // set by ws:delivery or a worker, read by ws:consumer
  // Once stopping: the end of the shutdown budget, which bounds the whole shutdown, the revoke
  // of the consumer's close included (it waits for no budget of its own). Consumer thread.
  std::optional<Clock::time_point> shutdown_deadline_;
};

// A worker thread and the partitions it owns.
class PipelineManager::Impl::Worker {
 public:
  Worker(int index, Impl* owner, emit::Sink* sink)
      : index_(index),
        owner_(owner),
        sink_(sink),
        processor_(&owner->options_, owner->rules_->Get()),
        pack_metrics_(owner->probe_ != nullptr ? owner->probe_->ForPack(processor_.pack())
                                               : nullptr) {}

  void Start() {
    thread_ = core::NamedThread(absl::StrCat("ws:worker-", index_), [this] { Loop(); });
  }
  void Stop() {
    stop_.store(true, std::memory_order_release);
    Wake();
    thread_.Join();
  }

  void Add(std::shared_ptr<PartitionState> p) {
    absl::MutexLock lock(&mu_);
    assigned_.push_back(std::move(p));
    version_.fetch_add(1, std::memory_order_release);
  }
  void Remove(const std::shared_ptr<PartitionState>& p) {
    absl::MutexLock lock(&mu_);
    std::erase(assigned_, p);
    version_.fetch_add(1, std::memory_order_release);
  }
  size_t Load() {
    absl::MutexLock lock(&mu_);
    return assigned_.size();
  }

  // Called by ws:consumer after pushing: wakes the worker if it sleeps.
  void Wake() {
    signal_.fetch_add(1, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst)) signal_.notify_one();
  }

 private:
  void Loop() {
    uint64_t seen_version = ~0ull;
    std::vector<std::shared_ptr<PartitionState>> mine;
    while (!stop_.load(std::memory_order_acquire)) {
      const uint32_t seen = signal_.load(std::memory_order_seq_cst);
      if (version_.load(std::memory_order_acquire) != seen_version) {
        absl::MutexLock lock(&mu_);  // only when the assignment changed
        mine = assigned_;
        seen_version = version_.load(std::memory_order_acquire);
      }
      bool worked = false;
      for (const auto& p : mine) worked |= ProcessBatch(p.get());
      if (worked) continue;
      sleeping_.store(true, std::memory_order_seq_cst);
      if (signal_.load(std::memory_order_seq_cst) == seen && !stop_.load()) {
        signal_.wait(seen, std::memory_order_seq_cst);
      }
      sleeping_.store(false, std::memory_order_seq_cst);
    }
  }

  bool ProcessBatch(PartitionState* p) {
    bool worked = false;
    if (p->has_refusals.load(std::memory_order_acquire)) worked = DeadLetterRefused(p);
    if (p->queue.Front() == nullptr) return worked;
    // Between batches: a reloaded rule pack takes effect here (one atomic load if unchanged).
    if (owner_->rules_->Changed(&rules_seen_)) {
      absl::Status bound = processor_.Bind(owner_->rules_->Get());
      if (bound.ok()) {
        if (owner_->probe_ != nullptr) pack_metrics_ = owner_->probe_->ForPack(processor_.pack());
      } else {
        core::LogError("ws:worker-", index_, " keeps rules ", processor_.pack().version, ": ",
                       bound.message());
      }
    }
    size_t n = 0;
    while (n < owner_->options_.batch_size) {
      Item* item = p->queue.Front();
      if (item == nullptr) break;
      if (p->revoking.load(std::memory_order_acquire) ||
          p->cancel.load(std::memory_order_relaxed)) {
        item->slot->skipped = true;  // never committed: it stays pending
        delete item->record;
      } else {
        // From here the slot owns the record: it is destroyed with the slot's last output.
        item->slot->input = item->record;
        Process(*p, *item);
      }
      p->queue.Pop();
      ++n;
    }
    return true;
  }

  // Queues one output of `slot` (one more pending step until its delivery report). Returns OK,
  // OutOfRange (refused for its size: the caller decides) or another error (the pipeline stops).
  absl::Status Produce(const emit::OutputMessage& m, OffsetTracker::Slot* slot, OutputKind kind) {
    OffsetTracker::AddOutputs(slot, 1);
    emit::OutputMessage tagged = m;
    tagged.opaque = Tag(slot, kind);
    absl::Status s = sink_->Produce(tagged);
    if (!s.ok()) {
      // Not queued: no delivery report will come. The guard keeps the slot pending.
      OffsetTracker::Release(slot);
      if (!absl::IsOutOfRange(s)) {
        // Nothing at or after this offset is committed.
        owner_->Fail(absl::StrCat("produce failed: ", s.message()));
      }
      return s;
    }
    owner_->counters_->produced.fetch_add(1, std::memory_order_relaxed);
    if (owner_->probe_ != nullptr) {
      auto it = topic_metrics_.find(core::Sv(m.topic));  // a handful of topics per worker
      if (it == topic_metrics_.end()) {
        it = topic_metrics_.emplace(std::string(m.topic),
                                    owner_->probe_->ForOutputTopic(std::string(m.topic))).first;
      }
      it->second.messages->Inc();
      it->second.bytes->Inc(m.value.size());
    }
    return s;
  }

  // Counts the mentions and events of one analysis (per rule pack children, no lock).
  void CountMatches(const v1::ArticleAnalysis& analysis) {
    if (pack_metrics_ == nullptr) return;
    for (const v1::Mention& m : analysis.mentions()) {
      auto it = pack_metrics_->matches.find(core::Sv(extract::MentionRuleId(analysis, m)));
      if (it != pack_metrics_->matches.end()) it->second->Inc();
    }
    for (const v1::Event& e : analysis.events()) {
      auto it = pack_metrics_->events.find(e.type());
      if (it != pack_metrics_->events.end()) it->second->Inc();
    }
  }

  // The dead letter of `record` (`slot`'s input), cut to a prefix if it does not fit the
  // output limit (RecordProcessor::DeadLetter); halved while the producer refuses it for its
  // size although it fits message.max.bytes by our count.
  void ProduceDeadLetter(OffsetTracker::Slot* slot, const InputRecord& record,
                         std::string_view reason, std::string_view detail, OutputKind kind) {
    size_t limit = owner_->options_.max_message_bytes;
    for (;;) {
      const emit::OutputMessage& m =
          processor_.DeadLetter(record, reason, detail, &limit, kind == kLastResort);
      absl::Status s = Produce(m, slot, kind);
      if (absl::IsOutOfRange(s) && limit > emit::kMinOutputBytes / 2) {
        limit /= 2;
        continue;
      }
      if (absl::IsOutOfRange(s)) owner_->Fail(absl::StrCat("dead letter refused: ", s.message()));
      break;
    }
    owner_->counters_->dead_letters.fetch_add(1, std::memory_order_relaxed);
    if (owner_->probe_ != nullptr) owner_->probe_->DeadLetter(reason)->Inc();
  }

  // Dead-letters the inputs whose outputs the broker refused (PartitionState::refusals).
  bool DeadLetterRefused(PartitionState* p) {
    std::vector<Refusal> todo;
    {
      absl::MutexLock lock(&p->refusals_mu);
      todo.swap(p->refusals);
      p->has_refusals.store(false, std::memory_order_relaxed);
    }
    for (const Refusal& r : todo) {
      const InputRecord record =
          RecordOf(p->tp, static_cast<const source::Record*>(r.slot->input));
      if (r.kind == kPrimary) {
        ProduceDeadLetter(r.slot, record, r.too_large ? "output_too_large" : "output_refused",
                          absl::StrCat(r.topic, " refused an output of this input: ", r.error),
                          kDeadLetter);
      } else {
        ProduceDeadLetter(r.slot, record, "dead_letter_refused",
                          absl::StrCat(r.topic, " refused the dead letter of this input: ",
                                       r.error, "; this one keeps ", kLastResortValueBytes,
                                       " bytes of it"),
                          kLastResort);
      }
      owner_->Complete(r.slot);  // the refused output's step
    }
    return !todo.empty();
  }

  // One record: the processor decides its outputs; this produces them and accounts.
  void Process(const PartitionState& p, const Item& item) {
    OffsetTracker::Slot* slot = item.slot;
    const PipelineOptions& opt = owner_->options_;
    PipelineCounters& c = *owner_->counters_;
    const InputRecord record = RecordOf(p.tp, item.record);
    const auto started = std::chrono::steady_clock::now();
    switch (processor_.Process(record, &p.cancel)) {
      case Outcome::kCancelled:
        // Abandoned as if never started: no output, the slot stays pending, so neither it nor
        // any later offset of the partition is committed; a restart (or the next owner) reads
        // it again.
        slot->input = nullptr;
        slot->skipped = true;
        delete item.record;
        c.cancelled.fetch_add(1, std::memory_order_relaxed);
        return;
      case Outcome::kFailed:
        // An output cannot be encoded (a confluent_protobuf topic without a schema id): the
        // daemon stops, and this input's offset, never completed, is not committed.
        if (!owner_->fatal_.exchange(true)) {
          core::LogError("encoding failed: ", processor_.detail());
        }
        return;
      case Outcome::kDeadLetter:
        if (processor_.reason() == kTooSlow) c.too_slow.fetch_add(1, std::memory_order_relaxed);
        ProduceDeadLetter(slot, record, processor_.reason(), processor_.detail(), kDeadLetter);
        owner_->Complete(slot);  // the guard: processing is done
        return;
      case Outcome::kAnalysed:
        break;
    }
    const std::span<const emit::OutputMessage> outputs = processor_.outputs();
    if (opt.passthrough) {
      absl::Status s = Produce(outputs[0], slot, kPrimary);
      if (absl::IsOutOfRange(s)) {
        ProduceDeadLetter(slot, record, kOutputTooLarge, core::StdSv(s.message()), kDeadLetter);
      }
      c.analysed.fetch_add(1, std::memory_order_relaxed);
      owner_->Complete(slot);
      return;
    }
    if (processor_.cut()) {
      c.cut_analyses.fetch_add(1, std::memory_order_relaxed);
      if (owner_->probe_ != nullptr) owner_->probe_->CutAnalyses()->Inc();
    }
    size_t first_event = 0;
    if (opt.analysis_topic != "-") {
      first_event = 1;
      absl::Status s = Produce(outputs[0], slot, kPrimary);
      if (!s.ok()) {
        // Refused by the producer although it fits by our count: the input is dead-lettered.
        if (absl::IsOutOfRange(s)) {
          ProduceDeadLetter(slot, record, kOutputTooLarge, core::StdSv(s.message()), kDeadLetter);
        }
        owner_->Complete(slot);
        return;
      }
    }
    for (size_t i = first_event; i < outputs.size(); ++i) {
      absl::Status s = Produce(outputs[i], slot, kPrimary);
      if (absl::IsOutOfRange(s) && !slot->rerouted.exchange(true, std::memory_order_acq_rel)) {
        // As a refusal by the broker: the input is dead-lettered (its outputs so far stay).
        ProduceDeadLetter(slot, record, kOutputTooLarge, core::StdSv(s.message()), kDeadLetter);
      }
      if (!s.ok()) break;
    }
    c.analysed.fetch_add(1, std::memory_order_relaxed);
    c.events.fetch_add(processor_.events(), std::memory_order_relaxed);
    if (owner_->probe_ != nullptr) {
      CountMatches(*processor_.analysis());
      owner_->probe_->ProcessingSeconds()->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    owner_->Complete(slot);  // the guard: every output is queued
  }

  const int index_;
  Impl* const owner_;
  emit::Sink* const sink_;
  core::NamedThread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> signal_{0};       // bumped by Wake(); the worker waits on it
  std::atomic<bool> sleeping_{false};     // seq_cst with signal_: no lost wake-ups
  absl::Mutex mu_;
  std::vector<std::shared_ptr<PartitionState>> assigned_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};      // bumped under mu_ when assigned_ changes
  // Worker-thread state, reused across messages.
  uint64_t rules_seen_ = 0;  // LiveRules generation of the processor's pack
  RecordProcessor processor_;
  std::shared_ptr<const PipelineProbe::PackMetrics> pack_metrics_;  // the pack's counters
  absl::flat_hash_map<std::string, PipelineProbe::TopicMetrics> topic_metrics_;
};

void PipelineManager::Impl::WakeWorker(int worker) { workers_[worker]->Wake(); }

size_t QueueCapacityFor(const PipelineOptions& options, size_t assigned) {
  size_t share = options.queue_budget / std::max<size_t>(assigned, 1);
  return std::max(options.queue_capacity, std::min(share, kMaxQueueCapacity));
}

void PipelineManager::Impl::OnAssigned(const std::vector<TopicPartition>& partitions) {
  const size_t capacity = QueueCapacityFor(options_, partitions_.size() + partitions.size());
  for (const TopicPartition& tp : partitions) {
    auto state = std::make_shared<PartitionState>(tp, capacity);
    // Least-loaded worker: partitions spread evenly as the assignment changes.
    int best = 0;
    for (int w = 1; w < static_cast<int>(workers_.size()); ++w) {
      if (workers_[w]->Load() < workers_[best]->Load()) best = w;
    }
    state->worker = best;
    if (probe_ != nullptr) state->metrics = probe_->ForPartition(tp.topic, tp.partition);
    workers_[best]->Add(state);
    partitions_[tp] = state;
    {
      absl::MutexLock lock(&visible_mu_);
      visible_.push_back(state);
    }
    core::LogInfo("assigned ", tp.topic, "[", tp.partition, "] to ws:worker-", best, ", queue ",
                  capacity);
  }
}

void PipelineManager::Impl::OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) {
  // Finish what is in the queues (bounded), commit the completed watermark, then let go. At
  // shutdown, within what is left of its budget: not a second budget.
  const auto deadline = shutdown_deadline_.has_value()
                            ? *shutdown_deadline_
                            : Clock::now() + std::chrono::milliseconds(options_.shutdown_timeout_ms);
  std::map<TopicPartition, int64_t> commits;
  for (const TopicPartition& tp : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) continue;
    PartitionState& p = *it->second;
    DropOverflow(&p);  // not started: the next owner reads them again
    if (p.paused) {
      // librdkafka keeps a partition's pause across a revoke and a later re-assignment; a new
      // PartitionState starts unpaused, so the partition must be too.
      source_->Resume(tp);
      p.paused = false;
    }
    p.revoking.store(true, std::memory_order_release);  // lost or not: stop starting work
    if (!lost) {
      WaitRevoked(&p, deadline);
      int64_t next = p.tracker.Advance();
      if (next >= 0) p.done = next;
      if (p.done > p.committed) commits[tp] = p.done;
    }
    // Let go: a record still being extracted (the wait timed out, or the partition is lost) is
    // abandoned at its budget's next check instead of producing outputs for a partition that
    // is no longer ours; the next owner processes it.
    p.cancel.store(true, std::memory_order_relaxed);
  }
  if (!commits.empty()) {
    absl::Status s = source_->Commit(commits, /*sync=*/true);
    if (!s.ok()) core::LogWarning("commit on revoke: ", s.message());
    for (const auto& [tp, off] : commits) {
      partitions_[tp]->committed = off;
      partitions_[tp]->committed_offset.store(off, std::memory_order_relaxed);
    }
  }
  for (const TopicPartition& tp : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) continue;
    if (!it->second->tracker.Empty()) {
      core::LogWarning("revoked ", tp.topic, "[", tp.partition, "] with ",
                       it->second->tracker.InFlight(), " offset(s) unfinished",
                       lost ? " (lost)" : "; they will be reprocessed by the next owner");
    }
    workers_[it->second->worker]->Remove(it->second);
    {
      absl::MutexLock lock(&visible_mu_);
      std::erase(visible_, it->second);
    }
    // Queued messages or outstanding delivery reports still point into this state: keep it
    // alive until shutdown (after the producer's flush).
    if (it->second->queue.Size() != 0 || !it->second->tracker.Empty()) {
      retired_.push_back(it->second);
    }
    partitions_.erase(it);
    core::LogInfo(lost ? "lost " : "revoked ", tp.topic, "[", tp.partition, "]");
  }
}


bool PipelineManager::Impl::TryEnqueue(PartitionState* p,
                                      std::unique_ptr<source::Record>& record) {
  // This thread is the queue's only producer: room seen now is still there at the push.
  if (p->queue.Size() >= p->queue.capacity()) return false;
  const int64_t ts = record->timestamp_ms;
  OffsetTracker::Slot* slot = p->tracker.Begin(record->offset, ts);
  if (slot == nullptr) {
    // Full of offsets whose outputs may all be delivered by now: move the watermark over them
    // (frees their slots) before calling it backpressure. Waiting for the next periodic Settle
    // instead paused every partition for up to a store interval per 2 x queue_capacity
    // messages: ~2,200 articles/s per partition at the default capacity.
    Settle(p);
    slot = p->tracker.Begin(record->offset, ts);
    if (slot == nullptr) return false;
  }
  Item item{record.release(), slot};
  p->queue.TryPush(item);
  workers_[p->worker]->Wake();
  return true;
}

void PipelineManager::Impl::Dispatch(std::unique_ptr<source::Record> record) {
  auto it = partitions_.find({std::string(record->topic), record->partition});
  if (it == partitions_.end()) return;  // not (or no longer) ours
  PartitionState* p = it->second.get();
  p->at_eof = false;
  p->position.store(record->offset + 1, std::memory_order_relaxed);
  counters_->consumed.fetch_add(1, std::memory_order_relaxed);
  if (p->metrics.messages != nullptr) {
    p->metrics.messages->Inc();
    p->metrics.bytes->Inc(record->value.size());
  }
  if (!p->overflow.empty() || !TryEnqueue(p, record)) {
    p->overflow.push_back(std::move(record));
    if (!p->paused) {
      source_->Pause(p->tp);  // backpressure: stop fetching instead of buffering
      p->paused = true;
      any_paused_ = true;
      counters_->pauses.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void PipelineManager::Impl::ServicePaused() {
  if (!any_paused_) return;
  any_paused_ = false;
  for (auto& [tp, state] : partitions_) {
    PartitionState* p = state.get();
    if (!p->paused) continue;
    while (!p->overflow.empty() && TryEnqueue(p, p->overflow.front())) p->overflow.pop_front();
    if (p->overflow.empty() && p->queue.Size() <= p->queue.capacity() / 2) {
      source_->Resume(p->tp);
      p->paused = false;
    } else {
      any_paused_ = true;
    }
  }
}

void PipelineManager::Impl::StoreProgress() {
  std::map<TopicPartition, int64_t> stores;
  for (auto& [tp, p] : partitions_) {
    Settle(p.get());
    if (p->done > p->stored && p->done > p->committed) stores[tp] = p->done;
  }
  if (stores.empty()) return;
  absl::Status s = source_->Store(stores);
  if (!s.ok()) {
    core::LogWarning(s.message());
    return;
  }
  for (const auto& [tp, off] : stores) partitions_[tp]->stored = off;
}

void PipelineManager::Impl::OnCommitted(
    const std::vector<std::pair<TopicPartition, int64_t>>& offsets) {
  bool any = false;
  for (const auto& [tp, off] : offsets) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end() || off <= it->second->committed) continue;
    it->second->committed = off;
    it->second->committed_offset.store(off, std::memory_order_relaxed);
    any = true;
  }
  if (any) counters_->commits.fetch_add(1, std::memory_order_relaxed);
}

void PipelineManager::Impl::CommitProgress(bool sync) {
  std::map<TopicPartition, int64_t> commits;
  for (auto& [tp, p] : partitions_) {
    Settle(p.get());
    if (p->done > p->committed) commits[tp] = p->done;
  }
  if (commits.empty()) return;
  absl::Status s = source_->Commit(commits, sync);
  if (!s.ok()) {
    core::LogWarning("commit: ", s.message());
    return;
  }
  counters_->commits.fetch_add(1, std::memory_order_relaxed);
  for (const auto& [tp, off] : commits) {
    partitions_[tp]->committed = off;
    partitions_[tp]->committed_offset.store(off, std::memory_order_relaxed);
  }
}

bool PipelineManager::Impl::Idle() {
  if (partitions_.empty()) return false;
  for (auto& [tp, p] : partitions_) {
    if (!p->at_eof || !p->overflow.empty() || p->queue.Size() != 0) return false;
    Settle(p.get());
    if (!p->tracker.Empty()) return false;
  }
  return true;
}

absl::Status PipelineManager::Impl::Run(source::Source* source, emit::Sink* sink,
                                        const std::function<absl::Status(int)>& flush,
                                        const std::atomic<bool>* stop) {
  source_ = source;
  for (int w = 0; w < options_.workers; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, this, sink));
    workers_.back()->Start();
  }
  absl::Status status = source_->Subscribe(options_.topics, this);
  subscribed_.store(status.ok(), std::memory_order_release);
  if (probe_ != nullptr) AddCollector();
  auto last_store = Clock::now();
  // Stores run a few times per auto-commit interval, so a commit carries a recent watermark.
  const auto interval = std::chrono::milliseconds(std::max(1, options_.commit_interval_ms / 4));
  bool idle_exit = false;
  while (status.ok() && !stop->load(std::memory_order_acquire)) {
    if (fatal_.load(std::memory_order_acquire)) {
      status = absl::InternalError("an output could not be delivered");
      break;
    }
    // While a partition is paused, come back soon to resume it once its worker caught up.
    std::unique_ptr<source::Record> record = source_->Poll(any_paused_ ? 2 : 50);
    if (record != nullptr) {
      switch (record->kind) {
        case source::Record::Kind::kEndOfPartition: {
          auto it = partitions_.find({std::string(record->topic), record->partition});
          if (it != partitions_.end() && it->second->overflow.empty()) it->second->at_eof = true;
          break;
        }
        case source::Record::Kind::kError:
          core::LogWarning("consumer: ", core::Sv(record->error));
          break;
        case source::Record::Kind::kMessage:
          Dispatch(std::move(record));
          break;
      }
    }
    ServicePaused();
    if (Clock::now() - last_store >= interval) {
      StoreProgress();
      last_store = Clock::now();
    }
    if (options_.exit_when_idle && Idle()) {
      idle_exit = true;
      break;
    }
  }

  // Shutdown: stop fetching, finish what is queued, flush, commit, leave the group.
  stopping_.store(true, std::memory_order_release);
  core::LogInfo(idle_exit ? "input drained" : "stopping", ": draining ", partitions_.size(),
                " partition(s)");
  // One budget for the whole shutdown. The workers drain their queues until a reserve before
  // its end (a quarter of it, at most 1 s); then the records still being extracted are
  // cancelled (core::WorkBudget: a worker deep in a long record stops at its next step report)
  // and the reserve goes to flushing the outputs already produced, committing and leaving.
  const auto timeout = std::chrono::milliseconds(options_.shutdown_timeout_ms);
  const auto deadline = Clock::now() + timeout;
  shutdown_deadline_ = deadline;
  const auto drain_deadline =
      deadline - std::min<std::chrono::milliseconds>(timeout / 4, std::chrono::seconds(1));
  for (auto& [tp, p] : partitions_) {
    if (!p->paused) source_->Pause(tp);
    p->paused = true;
    DropOverflow(p.get());
  }
  bool drained = true;
  for (auto& [tp, p] : partitions_) drained &= WaitDrained(p.get(), drain_deadline);
  if (!drained) {
    if (!fatal_.load(std::memory_order_acquire)) {
      core::LogWarning("shutdown: not drained within its budget of ", options_.shutdown_timeout_ms,
                       " ms less the reserve; cancelling the records still queued or in "
                       "progress (not committed: they are reprocessed after a restart)");
    }
    CancelAll();
  }
  int remaining_ms = static_cast<int>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
  absl::Status flushed = flush(remaining_ms);
  if (!flushed.ok()) core::LogWarning("flush: ", flushed.message());
  CommitProgress(/*sync=*/true);
  source_->Close();  // revokes (within the same deadline): commits again if anything changed
  CancelAll();       // nothing is committed from here on: whatever still runs is abandoned
  for (auto& w : workers_) w->Stop();
  sink->Abort();
  // Whatever the workers did not reach (a drain that timed out) is released, never committed.
  for (auto& p : retired_) {
    Item item;
    while (p->queue.TryPop(&item)) delete item.record;
  }
  for (auto& [tp, p] : partitions_) {
    Item item;
    while (p->queue.TryPop(&item)) delete item.record;
  }
  if (fatal_.load() && status.ok()) status = absl::InternalError("an output could not be delivered");
  return status;
}

void PipelineManager::Impl::AddCollector() {
  const source::Source* src = source_;
  collector_ = probe_->registry()->AddCollector([this, src](metrics::Emitter& out) {
    std::vector<std::shared_ptr<PartitionState>> parts;
    {
      absl::MutexLock lock(&visible_mu_);
      parts = visible_;
    }
    static constexpr std::string_view kLabels[] = {"topic", "partition"};
    out.Declare("wirescan_pipeline_queue_depth", metrics::MetricType::kGauge,
                "Messages waiting in a partition's queue for its worker.", kLabels);
    for (const auto& p : parts) {
      std::string part = absl::StrCat(p->tp.partition);
      std::string_view labels[] = {p->tp.topic, part};
      out.Add(labels, static_cast<double>(p->queue.Size()));
    }
    out.Declare("wirescan_consumer_lag", metrics::MetricType::kGauge,
                "High watermark minus the next offset to consume, per assigned partition.",
                kLabels);
    for (const auto& p : parts) {
      int64_t low = 0, high = 0;
      if (!src->Watermarks(p->tp, &low, &high)) continue;  // cached: no broker round trip
      int64_t pos = p->position.load(std::memory_order_relaxed);
      if (pos < 0) pos = std::max<int64_t>(low, p->committed_offset.load(std::memory_order_relaxed));
      std::string part = absl::StrCat(p->tp.partition);
      std::string_view labels[] = {p->tp.topic, part};
      out.Add(labels, static_cast<double>(std::max<int64_t>(0, high - pos)));
    }
    out.Declare("wirescan_committed_offset", metrics::MetricType::kGauge,
                "The last committed offset (next to consume) per assigned partition.", kLabels);
    for (const auto& p : parts) {
      int64_t c = p->committed_offset.load(std::memory_order_relaxed);
      if (c < 0) continue;
      std::string part = absl::StrCat(p->tp.partition);
      std::string_view labels[] = {p->tp.topic, part};
      out.Add(labels, static_cast<double>(c));
    }
  });
}

PipelineManager::PipelineManager(PipelineOptions options, const rules::LiveRules* rules,
                                 PipelineProbe* probe)
    : impl_(std::make_unique<Impl>(std::move(options), rules, probe, &counters_)) {}

bool PipelineManager::Ready() const { return impl_->Ready(); }

PipelineManager::~PipelineManager() = default;

emit::DeliveryListener* PipelineManager::listener() { return impl_.get(); }

absl::Status PipelineManager::Run(source::Source* source, emit::Sink* sink,
                                  const std::function<absl::Status(int)>& flush,
                                  const std::atomic<bool>* stop) {
  return impl_->Run(source, sink, flush, stop);
}

}  // namespace wirescan::pipeline

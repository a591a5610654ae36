#pragma once
// OffsetTracker: the at-least-once bookkeeping of one input partition. Every consumed offset
// gets a Slot whose `pending` count says how many things must still happen before the offset
// may be committed: 1 for "not processed yet" (the guard), plus 1 per output message until its
// delivery report arrives. The committable position is the first offset whose slot is not done
// (a contiguous watermark): nothing at or above an incomplete offset is ever committed.
//
//   consumer thread:  Begin(offset)            -> slot, pending = 1
//   worker thread:    AddOutputs(slot, n), produce n messages, Release(slot) (the guard)
//   delivery thread:  Release(slot) per successful delivery report
//   consumer thread:  Advance() -> offset to commit
//
// Invariants: slots [head_, tail_) are live, in offset order; a slot is reused only after
// Advance() moved past it, which happens only once its pending count reached 0 (the last
// access of any other thread is that final decrement, a release paired with Advance's acquire).
//
// Thread safety: Begin/Advance/Empty/InFlight from the consumer thread only; AddOutputs and
// Release from any thread, on slots they were handed.

#include <atomic>
#include <cstdint>
#include <memory>

namespace wirescan::pipeline {

class OffsetTracker {
 public:
  struct Slot {
    int64_t offset = -1;
    int64_t timestamp_ms = -1;  // the input's broker timestamp (end-to-end latency)
    // Set by the worker for a message it dropped unprocessed (its partition was being revoked);
    // published to the consumer thread by the queue's Pop (release) / Size (acquire).
    bool skipped = false;
    std::atomic<int32_t> pending{0};
    // The input message while its outputs are pending (set by the worker before it produces
    // them; whoever completes the slot destroys it), so that an output the broker refuses can
    // still be replaced by a dead letter of the input. Null for a skipped message.
    void* input = nullptr;
    // Set by the first refusal of one of the slot's outputs: the input is dead-lettered once.
    std::atomic<bool> rerouted{false};
    void* owner = nullptr;  // the tracker's context (constant): its partition
  };

  // `owner`: a context every slot carries (Slot::owner), e.g. the partition it belongs to.
  explicit OffsetTracker(size_t capacity, void* owner = nullptr) {
    size_t cap = 1;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    slots_ = std::make_unique<Slot[]>(cap);
    for (size_t i = 0; i < cap; ++i) slots_[i].owner = owner;
  }

  // Registers the next consumed offset; nullptr if `capacity` offsets are already in flight
  // (the caller pauses the partition).
  Slot* Begin(int64_t offset, int64_t timestamp_ms = -1) {
    if (tail_ - head_ > mask_) return nullptr;
    Slot& s = slots_[tail_ & mask_];
    s.offset = offset;
    s.timestamp_ms = timestamp_ms;
    s.skipped = false;
    s.input = nullptr;
    s.rerouted.store(false, std::memory_order_relaxed);
    s.pending.store(1, std::memory_order_relaxed);  // published by the queue hand-off
    ++tail_;
    return &s;
  }

  static void AddOutputs(Slot* slot, int32_t n) {
    slot->pending.fetch_add(n, std::memory_order_relaxed);  // the guard keeps it > 0
  }
  // Returns true for the release that completed the offset (the slot must not be touched
  // after that, except for reading what it held before this call).
  static bool Release(Slot* slot) {
    return slot->pending.fetch_sub(1, std::memory_order_acq_rel) == 1;  // pairs with Advance
  }

  // Moves past every completed slot at the front; returns the offset to commit (the last
  // completed offset + 1), or -1 if nothing completed since the last call.
  int64_t Advance() {
    int64_t next = -1;
    while (head_ < tail_) {
      Slot& s = slots_[head_ & mask_];
      if (s.pending.load(std::memory_order_acquire) != 0) break;
      next = s.offset + 1;
      ++head_;
    }
    return next;
  }

  bool Empty() const { return head_ == tail_; }
  // The oldest live slot, or nullptr. Consumer thread.
  const Slot* Front() const { return head_ == tail_ ? nullptr : &slots_[head_ & mask_]; }
  uint64_t InFlight() const { return tail_ - head_; }
  // Every live slot (not yet moved past), oldest first. Consumer thread, or any thread once no
  // other thread uses the tracker.
  template <typename F>
  void ForEachLive(F&& f) {
    for (uint64_t i = head_; i < tail_; ++i) f(slots_[i & mask_]);
  }

 private:
  uint64_t mask_ = 0;
  std::unique_ptr<Slot[]> slots_;
  uint64_t head_ = 0;  // consumer thread
  uint64_t tail_ = 0;  // consumer thread
};

}  // namespace wirescan::pipeline

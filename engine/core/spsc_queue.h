#pragma once
// SpscQueue: a bounded, lock-free, single-producer/single-consumer ring of values.
//
// Invariants (the model is leveldb's skiplist: documented by what each atomic publishes):
// - head_ is written only by the consumer, tail_ only by the producer.
// - Slots [head_, tail_) hold values; the producer writes slot tail_ and then publishes it with
//   a release store of tail_ + 1; the consumer's acquire load of tail_ makes the slot visible.
// - Symmetrically the consumer's release store of head_ hands a slot back to the producer.
// - Capacity is a power of two; indexes grow without wrapping (64-bit) and are masked.
// Each side caches the other's index to avoid touching its cache line on every operation.
//
// Thread safety: SPSC: TryPush() from one producer thread, TryPop()/Front() from one consumer
// thread; Size() from either (approximate).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace wirescan::core {

template <typename T>
class SpscQueue {
 public:
  // REQUIRES: capacity >= 1; rounded up to a power of two.
  explicit SpscQueue(size_t capacity) {
    size_t cap = 1;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    slots_ = std::make_unique<std::optional<T>[]>(cap);
  }
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer: false if the queue is full (the value is not moved from).
  bool TryPush(T& value) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);  // pairs with Pop's release
      if (tail - cached_head_ > mask_) return false;
    }
    slots_[tail & mask_].emplace(std::move(value));
    tail_.store(tail + 1, std::memory_order_release);  // publishes the slot to the consumer
    return true;
  }

  // Consumer: the oldest value, or nullptr if empty. Valid until Pop().
  T* Front() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);  // pairs with TryPush's release
      if (head == cached_tail_) return nullptr;
    }
    return &*slots_[head & mask_];
  }

  // Consumer: removes the value Front() returned. REQUIRES: Front() != nullptr.
  void Pop() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    slots_[head & mask_].reset();
    head_.store(head + 1, std::memory_order_release);  // hands the slot back to the producer
  }

  // Consumer: moves the oldest value into *out; false if empty.
  bool TryPop(T* out) {
    T* front = Front();
    if (front == nullptr) return false;
    *out = std::move(*front);
    Pop();
    return true;
  }

  // Approximate number of values (exact when called by either side with the other idle).
  size_t Size() const {
    return static_cast<size_t>(tail_.load(std::memory_order_acquire) -
                               head_.load(std::memory_order_acquire));
  }

 private:
  static constexpr size_t kLine = 64;
  size_t mask_ = 0;
  std::unique_ptr<std::optional<T>[]> slots_;
  alignas(kLine) std::atomic<uint64_t> head_{0};  // consumer-owned
  uint64_t cached_tail_ = 0;                      // consumer's copy of tail_
  alignas(kLine) std::atomic<uint64_t> tail_{0};  // producer-owned
  uint64_t cached_head_ = 0;                      // producer's copy of head_
};

}  // namespace wirescan::core

#pragma once
// LiveRules: the rule pack the data plane uses now, replaced whole by a reload.
//
// Publish() swaps in a new pack; readers call Get() between batches: one acquire load of the
// version when nothing changed, a mutex-guarded shared_ptr copy only when it did. A reader that
// holds a pack keeps it alive, so a batch finishes with the rules it started with.
//
// Thread safety: thread-safe. Publish() from the reload thread; Get() from any thread.

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::rules {

class LiveRules {
 public:
  explicit LiveRules(std::shared_ptr<const RulePack> initial) : current_(std::move(initial)) {}

  void Publish(std::shared_ptr<const RulePack> pack) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(pack);
    generation_.fetch_add(1, std::memory_order_release);  // pairs with Changed()'s acquire
  }

  // The current pack.
  std::shared_ptr<const RulePack> Get() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  // True if a pack was published since `*seen` (then updates `*seen`). Lock-free.
  bool Changed(uint64_t* seen) const {
    uint64_t g = generation_.load(std::memory_order_acquire);
    if (g == *seen) return false;
    *seen = g;
    return true;
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const RulePack> current_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{0};
};

}  // namespace wirescan::rules

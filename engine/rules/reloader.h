#pragma once
// Reloader: replaces the live rule pack without a restart. Triggers: a change in the rules
// directory (inotify, debounced), SIGHUP (Trigger()), and the admin endpoint (ReloadNow(),
// which answers with the outcome).
//
// A reload parses, validates, compiles and runs the examples of the new pack on the reload
// thread; only if all of that succeeds (and `prepare`, e.g. creating new output topics,
// succeeds) is it published. A failed reload keeps the running rules, logs file:line and the
// rule id, and is counted. It never stops the daemon.
//
// Threads: "ws:reload" (owned) waits for inotify events and triggers; ReloadNow() runs on the
// caller's thread. Reloads are serialised by a mutex.
// Thread safety: thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/core/thread.h"
#include "engine/rules/live_rules.h"

namespace wirescan::rules {

class Reloader {
 public:
  struct Options {
    std::string dir;          // the rules directory
    bool watch = true;        // inotify on `dir`
    int debounce_ms = 500;    // wait for the directory to be quiet this long before reloading
    std::string cache_dir;    // compiled-database cache (LoadRulePack); empty: none
    // Told the outcome of every reload (metrics): ok, and the version now live.
    std::function<void(bool ok, const std::string& live_version)> on_outcome;
  };
  // Called with a validated pack before it is published; an error rejects the pack.
  using Prepare = std::function<absl::Status(const RulePack&)>;

  Reloader(Options options, LiveRules* live, Prepare prepare = {});
  ~Reloader();  // Stop()

  // Starts ws:reload (and the directory watch). Errors: the watch could not be set up.
  absl::Status Start();
  void Stop();

  // Asks ws:reload to reload soon (SIGHUP). Returns at once.
  void Trigger();
  // Reloads now, on the calling thread; returns the new version, or why the pack was rejected.
  absl::StatusOr<std::string> ReloadNow(const std::string& why);

  uint64_t successes() const { return successes_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void Loop();

  const Options options_;
  LiveRules* const live_;
  const Prepare prepare_;
  absl::Mutex reload_mu_;  // serialises reloads; guards nothing else
  int inotify_fd_ = -1;
  int wake_fd_ = -1;       // eventfd: Trigger() and Stop()
  std::atomic<bool> stop_{false};
  std::atomic<bool> triggered_{false};
  std::atomic<uint64_t> successes_{0};
  std::atomic<uint64_t> failures_{0};
  core::NamedThread thread_;
};

}  // namespace wirescan::rules

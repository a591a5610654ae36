#include "engine/rules/reloader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/core/log.h"

namespace wirescan::rules {

using Clock = std::chrono::steady_clock;

Reloader::Reloader(Options options, LiveRules* live, Prepare prepare)
    : options_(std::move(options)), live_(live), prepare_(std::move(prepare)) {}

Reloader::~Reloader() { Stop(); }

absl::Status Reloader::Start() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  if (options_.watch) {
    inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_fd_ < 0 ||
        inotify_add_watch(inotify_fd_, options_.dir.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE) < 0) {
      return absl::InternalError(absl::StrCat("watching ", options_.dir, ": ", std::strerror(errno)));
    }
  }
  thread_ = core::NamedThread("ws:reload", [this] { Loop(); });
  return absl::OkStatus();
}

void Reloader::Stop() {
  if (stop_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }
  thread_.Join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void Reloader::Trigger() {
  triggered_.store(true, std::memory_order_release);  // read by Loop after the wake-up
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }
}

void Reloader::Loop() {
  bool pending = false;  // a directory change waits for the debounce
  Clock::time_point due;
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (!stop_.load(std::memory_order_acquire)) {
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int timeout = -1;
    if (pending) {
      timeout = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count()));
    }
    int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) {
      core::LogError("reload watch: ", std::strerror(errno));
      return;
    }
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      ssize_t ignored = read(wake_fd_, &count, sizeof(count));
      (void)ignored;
    }
    if (inotify_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      bool relevant = false;
      for (;;) {
        ssize_t len = read(inotify_fd_, buf, sizeof(buf));
        if (len <= 0) break;
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          std::string_view name = ev->len > 0 ? std::string_view(ev->name) : std::string_view();
          // Only rule files count (editors write temporary files next to them), and the
          // "..data" symlink Kubernetes swaps when a mounted ConfigMap changes.
          if (name.ends_with(".yaml") || name.ends_with(".yml") || name == "..data") {
            relevant = true;
          }
          p += sizeof(inotify_event) + ev->len;
        }
      }
      if (relevant) {
        pending = true;
        due = Clock::now() + std::chrono::milliseconds(options_.debounce_ms);
      }
    }
    if (stop_.load(std::memory_order_acquire)) break;
    if (triggered_.exchange(false, std::memory_order_acq_rel)) {
      (void)ReloadNow("SIGHUP");
    } else if (pending && Clock::now() >= due) {
      pending = false;
      (void)ReloadNow("rules directory changed");
    }
  }
}

absl::StatusOr<std::string> Reloader::ReloadNow(const std::string& why) {
  absl::MutexLock lock(&reload_mu_);
  const auto start = Clock::now();
  auto fail = [&](const absl::Status& s) -> absl::StatusOr<std::string> {
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (options_.on_outcome) options_.on_outcome(false, live_->Get()->version);
    core::LogError("rule reload (", why, ") failed, keeping rules ", live_->Get()->version, ": ",
                   s.message());
    return s;
  };
  auto pack = LoadRulePack(options_.dir, options_.cache_dir);
  if (!pack.ok()) return fail(pack.status());
  std::vector<std::string> failures = RunExamples(**pack);
  if (!failures.empty()) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        failures.size(), " example failure(s): ", absl::StrJoin(failures, "; "))));
  }
  if (prepare_) {
    absl::Status prepared = prepare_(**pack);
    if (!prepared.ok()) return fail(prepared);
  }
  const std::string version = (*pack)->version;
  const std::string old = live_->Get()->version;
  live_->Publish(*std::move(pack));
  successes_.fetch_add(1, std::memory_order_relaxed);
  if (options_.on_outcome) options_.on_outcome(true, version);
  core::LogInfo("rule reload (", why, "): ", old, " -> ", version, " in ",
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(),
                " ms");
  return version;
}

}  // namespace wirescan::rules

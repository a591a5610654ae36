#include "engine/metrics/process.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/core/log.h"

namespace wirescan::metrics {
namespace {

absl::StatusOr<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Seconds since the epoch at boot: the "btime" line of /proc/stat.
absl::StatusOr<double> BootTime() {
  absl::StatusOr<std::string> stat = ReadFile("/proc/stat");
  if (!stat.ok()) return stat.status();
  for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      uint64_t btime = 0;
      if (absl::SimpleAtoi(line, &btime)) return static_cast<double>(btime);
    }
  }
  return absl::DataLossError("/proc/stat: no btime line");
}

absl::StatusOr<double> CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    return absl::UnavailableError(absl::StrCat("/proc/self/fd: ", std::strerror(errno)));
  }
  double n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // not the descriptor of the directory being read
}

}  // namespace

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ProcessStats stats;
  absl::StatusOr<std::string> stat = ReadFile("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last
  // ')'. Field n (1-based, proc(5)) is then fields[n - 3].
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return absl::DataLossError("/proc/self/stat: no ')'");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 1), ' ', absl::SkipWhitespace());
  auto field = [&](int n, uint64_t* out) {
    size_t i = static_cast<size_t>(n - 3);
    return i < fields.size() && absl::SimpleAtoi(fields[i], out);
  };
  uint64_t utime = 0, stime = 0, starttime = 0, vsize = 0, rss_pages = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &starttime) ||
      !field(23, &vsize) || !field(24, &rss_pages)) {
    return absl::DataLossError("/proc/self/stat: unexpected format");
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  stats.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  stats.virtual_bytes = static_cast<double>(vsize);
  stats.resident_bytes = static_cast<double>(rss_pages) * page;

  absl::StatusOr<double> boot = BootTime();
  if (!boot.ok()) return boot.status();
  stats.start_time_seconds = *boot + static_cast<double>(starttime) / ticks;

  absl::StatusOr<double> fds = CountOpenFds();
  if (!fds.ok()) return fds.status();
  stats.open_fds = *fds;

  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::UnavailableError(absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  stats.max_fds = limit.rlim_cur == RLIM_INFINITY ? static_cast<double>(UINT64_MAX)
                                                  : static_cast<double>(limit.rlim_cur);
  return stats;
}

Registry::CollectorId AddProcessCollector(Registry* registry) {
  auto logged = std::make_shared<std::atomic<bool>>(false);
  return registry->AddCollector([logged](Emitter& e) {
    absl::StatusOr<ProcessStats> stats = ReadProcessStats();
    if (!stats.ok()) {
      // relaxed: only ensures the error is logged once; orders nothing else.
      if (!logged->exchange(true, std::memory_order_relaxed)) {
        core::LogError("metrics: process collector: ", stats.status().message());
      }
      return;
    }
    e.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              stats->cpu_seconds);
    e.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            stats->resident_bytes);
    e.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            stats->virtual_bytes);
    e.Gauge("process_open_fds", "Number of open file descriptors.", stats->open_fds);
    e.Gauge("process_max_fds", "Maximum number of open file descriptors.", stats->max_fds);
    e.Gauge("process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", stats->start_time_seconds);
  });
}

}  // namespace wirescan::metrics

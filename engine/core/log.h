#pragma once
// Logging: one line per event on stderr, either human-readable
//   2026-11-22T05:10:00.123Z INFO  ws:consumer  assigned wirescan.articles[3]
// or one JSON object per line ({"ts":...,"level":"INFO","thread":"ws:consumer","msg":...}).
// Debian 12's Abseil has no absl/log; this is small on purpose. Never on the per-message path.
//
// Thread safety: thread-safe (each line is one write(2)).

#include <string_view>

#include "absl/strings/str_cat.h"

namespace wirescan::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
void SetLogJson(bool json);
bool ParseLogLevel(std::string_view name, LogLevel* out);
void Log(LogLevel level, std::string_view message);

template <typename... Args>
void LogInfo(const Args&... args) {
  Log(LogLevel::kInfo, absl::StrCat(args...));
}
template <typename... Args>
void LogWarning(const Args&... args) {
  Log(LogLevel::kWarning, absl::StrCat(args...));
}
template <typename... Args>
void LogError(const Args&... args) {
  Log(LogLevel::kError, absl::StrCat(args...));
}

}  // namespace wirescan::core

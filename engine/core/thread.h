#pragma once
// Named threads: every thread wirescan starts has a name of at most 15 characters
// ("ws:worker-0", "ws:consumer"), visible in top -H, gdb and perf.
//
// Thread safety: NamedThread is thread-compatible (start and join from the owning thread).

#include <functional>
#include <string>
#include <thread>

namespace wirescan::core {

class NamedThread {
 public:
  NamedThread() = default;
  // Starts `body` on a new thread named `name` (truncated to 15 characters).
  NamedThread(std::string name, std::function<void()> body);
  NamedThread(NamedThread&&) = default;
  NamedThread& operator=(NamedThread&&) = default;
  ~NamedThread();  // joins

  void Join();
  bool joinable() const { return thread_.joinable(); }

 private:
  std::thread thread_;
};

}  // namespace wirescan::core

#include "engine/core/thread.h"

#include <pthread.h>

namespace wirescan::core {

NamedThread::NamedThread(std::string name, std::function<void()> body) {
  if (name.size() > 15) name.resize(15);
  thread_ = std::thread([name, body = std::move(body)] {
    pthread_setname_np(pthread_self(), name.c_str());
    body();
  });
  // Also named from here, so the name is visible (/proc, tests, debuggers) once the constructor
  // returns, not only once the new thread has been scheduled.
  pthread_setname_np(thread_.native_handle(), name.c_str());
}

NamedThread::~NamedThread() { Join(); }

void NamedThread::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace wirescan::core

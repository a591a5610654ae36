#include "engine/core/thread.h"

#include <pthread.h>

namespace wirescan::core {

NamedThread::NamedThread(std::string name, std::function<void()> body) {
  if (name.size() > 15) name.resize(15);
  thread_ = std::thread([name = std::move(name), body = std::move(body)] {
    pthread_setname_np(pthread_self(), name.c_str());
    body();
  });
}

NamedThread::~NamedThread() { Join(); }

void NamedThread::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace wirescan::core

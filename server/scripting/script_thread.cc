#include "server/scripting/script_thread.h"

#include <exception>

#include "server/log.h"

namespace terndb::server::scripting {

ScriptThread& ScriptThread::instance() {
  // Never destroyed: the thread sleeps on it until the process exits.
  static ScriptThread* runner = new ScriptThread();
  return *runner;
}

void ScriptThread::submit(std::function<void()> job) {
  std::lock_guard<std::mutex> g(mu_);
  jobs_.push_back(std::move(job));
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { loop(); });
    thread_.detach();
  }
  ready_.notify_one();
}

void ScriptThread::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      ready_.wait(lk, [this] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      logf(LogLevel::kWarning, "Script job failed: %s", e.what());
    }
  }
}

}  // namespace terndb::server::scripting

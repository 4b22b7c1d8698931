// The script thread: where EVAL and EVALSHA run for client connections.
//
// An io thread running a Lua loop could not serve its other clients, nor SCRIPT KILL
// arriving on one of them: the script would be unkillable for some clients and those
// clients would hang instead of getting -BUSY. So scripts run here, one at a time, each
// holding every shard lock; the calling connection waits for the reply (it runs nothing
// else meanwhile) and its io thread stays free.
//
// Jobs run in submission order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace terndb::server::scripting {

class ScriptThread {
 public:
  static ScriptThread& instance();
  void submit(std::function<void()> job);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace terndb::server::scripting

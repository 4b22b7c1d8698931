#include "storage/waiting.h"

#include <algorithm>

#include "storage/key_handle.h"

namespace terndb::storage {
namespace {
std::pair<int, std::string> make_key(int db, std::string_view key) {
  return {db, std::string(key)};
}
}  // namespace

void WatchRegistry::add(int db, std::string_view key, const std::shared_ptr<WatchFlag>& flag) {
  auto& v = watchers_[make_key(db, key)];
  if (std::find(v.begin(), v.end(), flag) == v.end()) v.push_back(flag);
}

void WatchRegistry::remove(int db, std::string_view key, const WatchFlag* flag) {
  auto it = watchers_.find(make_key(db, key));
  if (it == watchers_.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](auto& f) { return f.get() == flag; }), v.end());
  if (v.empty()) watchers_.erase(it);
}

void WatchRegistry::touch(int db, std::string_view key) {
  auto it = watchers_.find(make_key(db, key));
  if (it == watchers_.end()) return;
  for (auto& f : it->second) f->dirty.store(true);
}

void WatchRegistry::touch_db(int db) {
  for (auto& [k, v] : watchers_) {
    if (db >= 0 && k.first != db) continue;
    for (auto& f : v) f->dirty.store(true);
  }
}

void WaitQueues::add(int db, std::string_view key, const std::shared_ptr<Waiter>& w) {
  queues_[make_key(db, key)].push_back(w);
}

void WaitQueues::remove(int db, std::string_view key, const Waiter* w) {
  auto it = queues_.find(make_key(db, key));
  if (it == queues_.end()) return;
  auto& q = it->second;
  q.erase(std::remove_if(q.begin(), q.end(), [&](auto& p) { return p.get() == w; }), q.end());
  if (q.empty()) queues_.erase(it);
}

bool WaitQueues::has_waiters(int db, std::string_view key) const {
  return queues_.find(make_key(db, key)) != queues_.end();
}

void WaitQueues::serve(int db, KeyHandle& key) {
  const auto k = make_key(db, key.key());
  while (key.get()) {
    auto it = queues_.find(k);
    if (it == queues_.end()) return;
    auto& q = it->second;
    if (q.empty()) break;
    std::shared_ptr<Waiter> w = q.front();
    if (w->done()) {
      q.pop_front();
      continue;
    }
    // kCannot: the key is not usable by anyone waiting in order behind this one either
    // (same command family on one key); kRetry: the waiter reruns on its own thread.
    if (w->offer(key) != Waiter::Offer::kServed) break;
    // Serving may have woken clients on other keys of this shard and, through them, this
    // key's queue again (BLMOVE chains): look the queue up anew and drop the waiter by
    // identity rather than trusting the front or the old reference.
    it = queues_.find(k);
    if (it == queues_.end()) continue;
    auto& again = it->second;
    auto pos = std::find(again.begin(), again.end(), w);
    if (pos != again.end()) again.erase(pos);
  }
  auto it = queues_.find(k);
  if (it != queues_.end() && it->second.empty()) queues_.erase(it);
}

std::vector<std::string> WaitQueues::keys_of(int db) const {
  std::vector<std::string> out;
  for (auto& [k, q] : queues_)
    if (k.first == db) out.push_back(k.second);
  return out;
}

}  // namespace terndb::storage

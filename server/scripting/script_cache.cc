#include "server/scripting/script_cache.h"

#include "storage/sha1.h"

namespace terndb::server::scripting {
namespace {

// SHA1s are 40 hex digits; anything else can never be in the cache.
bool normalize_sha(std::string_view sha, std::string& out) {
  if (sha.size() != 40) return false;
  out.assign(sha);
  for (auto& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  }
  return true;
}

}  // namespace

ScriptCache& ScriptCache::instance() {
  // Never destroyed: threads may still look scripts up while the process exits.
  static ScriptCache* cache = new ScriptCache();
  return *cache;
}

std::string ScriptCache::sha1_hex(std::string_view body) {
  return storage::Sha1::hex(storage::Sha1::of(body));
}

void ScriptCache::add(const std::string& sha, std::string_view body) {
  std::lock_guard<std::mutex> g(mu_);
  if (bodies_.try_emplace(sha, body).second) body_bytes_ += sha.size() + body.size();
}

std::optional<std::string> ScriptCache::find(std::string_view sha) const {
  std::string key;
  if (!normalize_sha(sha, key)) return std::nullopt;
  std::lock_guard<std::mutex> g(mu_);
  auto it = bodies_.find(key);
  if (it == bodies_.end()) return std::nullopt;
  return it->second;
}

bool ScriptCache::contains(std::string_view sha) const {
  std::string key;
  if (!normalize_sha(sha, key)) return false;
  std::lock_guard<std::mutex> g(mu_);
  return bodies_.count(key) > 0;
}

size_t ScriptCache::count() const {
  std::lock_guard<std::mutex> g(mu_);
  return bodies_.size();
}

size_t ScriptCache::body_bytes() const {
  std::lock_guard<std::mutex> g(mu_);
  return body_bytes_;
}

void ScriptCache::flush() {
  std::unordered_map<std::string, std::string> old;
  {
    std::lock_guard<std::mutex> g(mu_);
    old.swap(bodies_);
    body_bytes_ = 0;
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  // `old` is freed here, outside the lock.
}

}  // namespace terndb::server::scripting

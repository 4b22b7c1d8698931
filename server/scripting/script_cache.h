// The script cache: every script body EVAL or SCRIPT LOAD has seen, by SHA1, shared by all
// threads. Threads compile bodies into their own Lua states lazily (see lua_engine.h);
// SCRIPT FLUSH empties the cache and bumps the generation, which makes every state drop
// what it compiled before running its next script.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace terndb::server::scripting {

class ScriptCache {
 public:
  static ScriptCache& instance();

  // Lowercase hex SHA1 of a script body, as EVALSHA and SCRIPT LOAD name scripts.
  static std::string sha1_hex(std::string_view body);

  void add(const std::string& sha, std::string_view body);
  // The body for a SHA1 given in any case; nullopt when unknown.
  std::optional<std::string> find(std::string_view sha) const;
  bool contains(std::string_view sha) const;
  void flush();
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // For INFO (number_of_cached_scripts, used_memory_scripts): scripts and body bytes.
  size_t count() const;
  size_t body_bytes() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> bodies_;
  size_t body_bytes_ = 0;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace terndb::server::scripting

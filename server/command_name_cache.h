// A per-thread memo from command names as clients spell them ("ZADD", "zadd", "Get") to
// their CommandTable entries, so that dispatching a command does not lowercase and hash
// its name each time. Every io thread (and a script's redis.call) sees a handful of
// names over and over; a few slots compared byte for byte cover them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace terndb::server {

class CommandTable;
struct CommandSpec;

class CommandNameCache {
 public:
  // The command named `name` (any case) in `table`, or null.
  CommandSpec* find(const CommandTable& table, std::string_view name);

  // Forgets every thread's entries: called when a command table is destroyed, since
  // another may later take its address.
  static void invalidate_all();

 private:
  static constexpr size_t kSlots = 16;
  static constexpr size_t kMaxName = 22;
  struct Slot {
    const CommandTable* table = nullptr;
    CommandSpec* spec = nullptr;
    uint8_t len = 0;
    char name[kMaxName];
  };
  Slot slots_[kSlots];
  size_t next_ = 0;
  uint64_t epoch_ = 0;
  std::string lower_;
};

}  // namespace terndb::server

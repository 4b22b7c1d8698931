#include "server/command_name_cache.h"

#include <atomic>
#include <cstring>

#include "server/command.h"

namespace terndb::server {
namespace {

std::atomic<uint64_t> g_epoch{0};

}  // namespace

void CommandNameCache::invalidate_all() {
  g_epoch.fetch_add(1, std::memory_order_release);
}

CommandSpec* CommandNameCache::find(const CommandTable& table, std::string_view name) {
  const uint64_t epoch = g_epoch.load(std::memory_order_acquire);
  if (epoch != epoch_) {
    for (Slot& s : slots_) s.table = nullptr;
    epoch_ = epoch;
  }
  for (const Slot& s : slots_) {
    if (s.table == &table && s.len == name.size() && memcmp(s.name, name.data(), s.len) == 0) {
      return s.spec;
    }
  }
  lower_.assign(name);
  for (auto& ch : lower_) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  }
  CommandSpec* spec = table.find(lower_);
  // Unknown names are not kept: a client sending many of them would evict the real ones.
  if (spec && name.size() <= kMaxName) {
    Slot& s = slots_[next_];
    next_ = (next_ + 1) % kSlots;
    s.table = &table;
    s.spec = spec;
    s.len = static_cast<uint8_t>(name.size());
    memcpy(s.name, name.data(), name.size());
  }
  return spec;
}

}  // namespace terndb::server

// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX, GT, LT), TTL, PTTL,
// EXPIRETIME, PEXPIRETIME and PERSIST, with Redis 7.0's checks, order of checks and texts.
#include <strings.h>

#include <climits>
#include <cstring>

#include "server/command.h"
#include "server/expire_args.h"
#include "server/key_commands.h"
#include "server/notify.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;

enum ExpireCondition : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// The options after the time. Redis checks them before it reads the time itself.
bool parse_conditions(CommandContext& c, unsigned& flags) {
  flags = 0;
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    if (eq_nocase(a, "nx")) {
      flags |= kNx;
    } else if (eq_nocase(a, "xx")) {
      flags |= kXx;
    } else if (eq_nocase(a, "gt")) {
      flags |= kGt;
    } else if (eq_nocase(a, "lt")) {
      flags |= kLt;
    } else {
      c.reply.error("ERR Unsupported option " + std::string(a));
      return false;
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
    c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((flags & kGt) && (flags & kLt)) {
    c.reply.error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// Whether the conditions let a key whose expiry is `current` (-1: none) take `when`.
// A key without expiry counts as expiring never: GT always fails on it, LT always passes.
bool conditions_allow(unsigned flags, int64_t current, int64_t when) {
  if ((flags & kNx) && current != -1) return false;
  if ((flags & kXx) && current == -1) return false;
  if ((flags & kGt) && (current == -1 || when <= current)) return false;
  if ((flags & kLt) && current != -1 && when >= current) return false;
  return true;
}

void expire_generic(CommandContext& c, ExpireUnit unit, bool absolute) {
  unsigned flags;
  if (!parse_conditions(c, flags)) return;
  // Negative and zero times are allowed; only overflow is an error. Read the number as an
  // absolute time (unit conversion checked there), then add the base time the way Redis
  // does, which checks only for overflow upwards.
  int64_t when;
  if (!parse_expire_time(c, c.arg(2), unit, true, true, when)) return;
  if (!absolute) {
    if (when > LLONG_MAX - c.now) return reply_invalid_expire(c);
    when += c.now;
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  note_access(e);
  if (!conditions_allow(flags, e->expire_at(), when)) return c.reply.integer(0);
  // A time already past deletes the key at once. Replicas (which do not expire keys on
  // their own) keep it with the expiry and wait for their master's DEL instead.
  if (when <= c.now && c.keyspace().expire_on_access()) {
    k.erase();
    notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  } else {
    k.set_expire(when);
    notify_keyspace_event(c, notify::kGeneric, "expire", c.arg(1));
  }
  c.reply.integer(1);
}

void expire_command(CommandContext& c) {
  expire_generic(c, ExpireUnit::kSeconds, false);
}
void pexpire_command(CommandContext& c) {
  expire_generic(c, ExpireUnit::kMilliseconds, false);
}
void expireat_command(CommandContext& c) {
  expire_generic(c, ExpireUnit::kSeconds, true);
}
void pexpireat_command(CommandContext& c) {
  expire_generic(c, ExpireUnit::kMilliseconds, true);
}

// -2 for a missing key, -1 for a key without expiry, else the remaining time (or the
// absolute expiry) in ms or in seconds rounded to the nearest second.
void ttl_generic(CommandContext& c, bool in_ms, bool absolute) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k, false);
  if (!e) return c.reply.integer(-2);
  int64_t expire = e->expire_at();
  if (expire < 0) return c.reply.integer(-1);
  int64_t t = absolute ? expire : expire - c.now;
  if (t < 0) t = 0;
  c.reply.integer(in_ms ? t : (t + 500) / 1000);
}

void ttl_command(CommandContext& c) {
  ttl_generic(c, false, false);
}
void pttl_command(CommandContext& c) {
  ttl_generic(c, true, false);
}
void expiretime_command(CommandContext& c) {
  ttl_generic(c, false, true);
}
void pexpiretime_command(CommandContext& c) {
  ttl_generic(c, true, true);
}

void persist_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  note_access(e);
  if (!e->has_expire) return c.reply.integer(0);
  k.set_expire(-1);
  notify_keyspace_event(c, notify::kGeneric, "persist", c.arg(1));
  c.reply.integer(1);
}

}  // namespace

void register_expire_commands(CommandTable& t) {
  constexpr uint32_t kWF = kCmdWrite | kCmdFast;
  constexpr uint32_t kRF = kCmdReadonly | kCmdFast;
  const char* g = "generic";
  const std::vector<std::string> write_acl = {"@keyspace", "@write", "@fast"};
  const std::vector<std::string> read_acl = {"@keyspace", "@read", "@fast"};
  with_acl(t.add(make_command("expire", -3, kWF, 1, 1, 1, expire_command, g, "1.0.0",
                              "Makes a key expire after a number of seconds.")),
           write_acl);
  with_acl(t.add(make_command("pexpire", -3, kWF, 1, 1, 1, pexpire_command, g, "2.6.0",
                              "Makes a key expire after a number of milliseconds.")),
           write_acl);
  with_acl(t.add(make_command("expireat", -3, kWF, 1, 1, 1, expireat_command, g, "1.2.0",
                              "Makes a key expire at a unix time given in seconds.")),
           write_acl);
  with_acl(t.add(make_command("pexpireat", -3, kWF, 1, 1, 1, pexpireat_command, g, "2.6.0",
                              "Makes a key expire at a unix time given in milliseconds.")),
           write_acl);
  with_acl(t.add(make_command("ttl", 2, kRF, 1, 1, 1, ttl_command, g, "1.0.0",
                              "Tells how many seconds a key has left to live.")),
           read_acl);
  with_acl(t.add(make_command("pttl", 2, kRF, 1, 1, 1, pttl_command, g, "2.6.0",
                              "Tells how many milliseconds a key has left to live.")),
           read_acl);
  with_acl(t.add(make_command("expiretime", 2, kRF, 1, 1, 1, expiretime_command, g, "7.0.0",
                              "Tells the unix time, in seconds, at which a key expires.")),
           read_acl);
  with_acl(t.add(make_command("pexpiretime", 2, kRF, 1, 1, 1, pexpiretime_command, g, "7.0.0",
                              "Tells the unix time, in milliseconds, at which a key expires.")),
           read_acl);
  with_acl(t.add(make_command("persist", 2, kWF, 1, 1, 1, persist_command, g, "2.2.0",
                              "Removes a key's expiry so that it lives until deleted.")),
           write_acl);
}

}  // namespace terndb::server

// DEBUG: the subcommands clients and test suites use to inspect a server (DIGEST,
// DIGEST-VALUE, OBJECT) or steer it (SLEEP, SET-ACTIVE-EXPIRE), answering as redis-server
// 7.0 does. Like Redis 7, DEBUG runs only when enable-debug-command allows it.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "protocol/numbers.h"
#include "server/client_state.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/protected_action.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/digest.h"
#include "storage/sha1.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// The stored entry of `key` in the client's database, expired or not: DEBUG looks at what
// the server holds, as Redis's DEBUG does.
storage::Entry* raw_entry(storage::KeyHandle& k) {
  storage::Entry** link = k.table().find(k.key(), k.hash());
  return link ? *link : nullptr;
}

const char* encoding_name(const storage::Entry* e) {
  switch (e->value_encoding()) {
    case storage::Encoding::kInt:
      return "int";
    case storage::Encoding::kEmbstr:
      return "embstr";
    case storage::Encoding::kRaw:
      return "raw";
    case storage::Encoding::kObject:
      return e->object()->encoding_name();
  }
  return "unknown";
}

// Bytes of an RDB length prefix.
size_t rdb_length_size(uint64_t len) {
  if (len < (1u << 6)) return 1;
  if (len < (1u << 14)) return 2;
  if (len <= UINT32_MAX) return 5;
  return 9;
}

// The size a string takes in an RDB file, as Redis computes it for DEBUG OBJECT: small
// integers in 2, 3 or 5 bytes, other strings a length prefix and the bytes. (Redis may
// LZF-compress strings over 20 bytes; terndb reports them uncompressed.)
size_t serialized_string_length(std::string_view v) {
  int64_t n;
  if (v.size() <= 11 && protocol::parse_int64(v, n)) {
    if (n >= -(1 << 7) && n <= (1 << 7) - 1) return 2;
    if (n >= -(1 << 15) && n <= (1 << 15) - 1) return 3;
    if (n >= INT32_MIN && n <= INT32_MAX) return 5;
  }
  return rdb_length_size(v.size()) + v.size();
}

// Redis shares the objects of small integers (refcount INT_MAX) unless an LRU/LFU
// maxmemory policy needs per-object access times.
bool is_shared_integer(CommandContext& c, const storage::Entry* e) {
  if (e->value_encoding() != storage::Encoding::kInt) return false;
  int64_t v = e->int_value();
  if (v < 0 || v >= 10000) return false;
  int64_t policy = c.server.config().num("maxmemory-policy");
  bool lru_or_lfu = policy == 0 || policy == 1 || policy == 4 || policy == 5;
  return c.server.config().num("maxmemory") == 0 || !lru_or_lfu;
}

void debug_object(CommandContext& c) {
  storage::KeyHandle k = c.open(c.arg(2));
  storage::Entry* e = raw_entry(k);
  if (!e) return c.reply.error("ERR no such key");
  size_t serialized;
  if (e->value_type() == storage::ValueType::kString) {
    char scratch[24];
    serialized = serialized_string_length(e->string_value(scratch));
  } else {
    serialized = e->object()->memory_usage();
  }
  uint32_t now = storage::lru_clock();
  char buf[256];
  snprintf(buf, sizeof(buf),
           "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u "
           "lru_seconds_idle:%llu",
           static_cast<void*>(e), is_shared_integer(c, e) ? INT32_MAX : 1, encoding_name(e),
           serialized, static_cast<unsigned>(e->lru),
           static_cast<unsigned long long>(storage::lru_idle_seconds(e->lru, now)));
  c.reply.simple(buf);
}

void debug_digest(CommandContext& c) {
  c.reply.simple(storage::dataset_digest_hex(c.keyspace(), c.now, c.all_locked));
}

// One digest per key, of its value and expiry only (not its name); 40 zeros when missing.
void debug_digest_value(CommandContext& c) {
  c.reply.array(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    storage::Digest d{};
    {
      storage::KeyHandle k = c.open(c.arg(i));
      if (storage::Entry* e = raw_entry(k)) storage::digest_value(d, e);
    }
    c.reply.simple(storage::Sha1::hex(d));
  }
}

// Stops this connection's io thread for the given time (other io threads keep serving).
void debug_sleep(CommandContext& c) {
  double seconds = strtod(std::string(c.arg(2)).c_str(), nullptr);
  if (std::isfinite(seconds) && seconds > 0) {
    usleep(static_cast<useconds_t>(seconds * 1000000));
  }
  c.reply.ok();
}

void debug_set_active_expire(CommandContext& c) {
  c.server.active_expire_enabled = atoi(std::string(c.arg(2)).c_str()) != 0;
  c.reply.ok();
}

void debug_help(CommandContext& c) {
  reply_help(c.reply, "DEBUG",
             {
                 "DIGEST",
                 "    Output a hex signature representing the current DB content.",
                 "DIGEST-VALUE <key> [<key> ...]",
                 "    Output a hex signature of the values of all the specified keys.",
                 "OBJECT <key>",
                 "    Show low level info about `key` and associated value.",
                 "SET-ACTIVE-EXPIRE <0|1>",
                 "    Setting it to 0 disables expiring keys in background when they are not",
                 "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                 "    default.",
                 "SLEEP <seconds>",
                 "    Stop the server for <seconds>. Decimals allowed.",
             });
}

// DEBUG RELOAD [NOSAVE] [NOFLUSH]: save, empty the keyspace, load the file back.
void debug_reload(CommandContext& c) {
  bool save = true, flush = true;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (eq_nocase(c.arg(i), "nosave")) {
      save = false;
    } else if (eq_nocase(c.arg(i), "noflush")) {
      flush = false;
    } else {
      return c.reply.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
    }
  }
  // Loading takes shard locks one by one, which a transaction already holds.
  if (c.all_locked) return c.reply.error("ERR DEBUG RELOAD can't run inside a transaction");
  Persistence& p = persistence_of(c.server);
  std::string err;
  if (save && !p.save(false, &err)) return c.reply.error("ERR");
  if (flush) c.keyspace().flush_all(false);
  if (!p.reload(&err)) {
    return c.reply.error("ERR Error trying to load the RDB dump, check server logs.");
  }
  logf(LogLevel::kNotice, "DB reloaded by DEBUG RELOAD");
  c.reply.ok();
}

void debug_command(CommandContext& c) {
  if (!protected_action_allowed(c.server.config().num("enable-debug-command"), c.client)) {
    return c.reply.error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
  }
  std::string_view sub = c.arg(1);
  const size_t argc = c.argc();
  if (argc == 2 && eq_nocase(sub, "help")) return debug_help(c);
  if (argc == 2 && eq_nocase(sub, "digest")) return debug_digest(c);
  if (argc >= 2 && eq_nocase(sub, "digest-value")) return debug_digest_value(c);
  if (argc == 3 && eq_nocase(sub, "object")) return debug_object(c);
  if (argc == 3 && eq_nocase(sub, "sleep")) return debug_sleep(c);
  if (argc >= 2 && eq_nocase(sub, "reload")) return debug_reload(c);
  if (argc == 3 && eq_nocase(sub, "set-active-expire")) return debug_set_active_expire(c);
  c.reply.error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                "'. Try DEBUG HELP.");
}

}  // namespace

void register_debug_commands(CommandTable& t) {
  t.add(make_command("debug", -2, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale, 0, 0, 0,
                     debug_command, "server", "1.0.0", "A container for debugging commands.",
                     "Depends on subcommand."));
}

}  // namespace terndb::server

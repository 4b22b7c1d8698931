// Server commands over whole databases: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN.
#include <sys/time.h>

#include <cstring>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/log.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/key_handle.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

void dbsize_command(CommandContext& c) {
  c.reply.integer(static_cast<int64_t>(c.keyspace().db_size(c.db(), c.all_locked)));
}

// FLUSHDB / FLUSHALL take an optional ASYNC or SYNC. Freeing happens outside the shard
// locks in both cases, so the two behave alike for clients.
bool parse_flush_flags(CommandContext& c) {
  if (c.argc() > 2) {
    c.syntax_error();
    return false;
  }
  if (c.argc() == 2 && !eq_nocase(c.arg(1), "async") && !eq_nocase(c.arg(1), "sync")) {
    c.syntax_error();
    return false;
  }
  return true;
}

void flushdb_command(CommandContext& c) {
  if (!parse_flush_flags(c)) return;
  c.keyspace().flush_db(c.db(), c.all_locked);
  c.reply.ok();
}

void flushall_command(CommandContext& c) {
  if (!parse_flush_flags(c)) return;
  // As Redis: a save in progress holds the data being flushed, so it is stopped, and with
  // save rules the empty dataset is saved at once, so a restart cannot bring keys back.
  Persistence& p = persistence_of(c.server);
  p.kill_child(c.all_locked);
  const bool save = p.has_save_rules();
  const bool lock_here = save && !c.all_locked;
  if (lock_here) c.keyspace().lock_all();
  c.keyspace().flush_all(c.all_locked || lock_here);
  if (save) p.save_after_flush(true);
  if (lock_here) c.keyspace().unlock_all();
  c.reply.ok();
}

// After SWAPDB, clients blocked on keys of either database may find data there now: each
// such key that exists is offered to its waiters, as Redis rescans both databases. Inside
// a transaction or script, the keys go to its ready list and are offered when it ends.
// FLUSHDB/FLUSHALL only remove keys, so they wake no one.
void offer_swapped_keys(CommandContext& c, int a, int b) {
  storage::Keyspace& ks = c.keyspace();
  for (size_t i = 0; i < ks.shard_count(); ++i) {
    storage::Shard& s = ks.shard(i);
    if (s.waiters.empty()) continue;
    for (int db : {a, b}) {
      for (const std::string& key : s.waiters.keys_of(db)) {
        storage::KeyHandle k(ks, db, key, c.now, true);
        if (!k.get()) continue;
        if (storage::ReadyKeys* sink = storage::ready_keys_sink()) {
          sink->keys.emplace_back(db, key);
        } else {
          s.waiters.serve(db, k);
        }
      }
    }
  }
}

void swapdb_command(CommandContext& c) {
  int64_t a, b;
  if (!protocol::parse_int64(c.arg(1), a)) return c.reply.error("ERR invalid first DB index");
  if (!protocol::parse_int64(c.arg(2), b)) return c.reply.error("ERR invalid second DB index");
  int n = c.keyspace().databases();
  if (a < 0 || a >= n || b < 0 || b >= n) return c.reply.error("ERR DB index is out of range");
  if (a != b) {
    storage::Keyspace& ks = c.keyspace();
    if (!c.all_locked) ks.lock_all();
    ks.swap_db(static_cast<int>(a), static_cast<int>(b), true);
    offer_swapped_keys(c, static_cast<int>(a), static_cast<int>(b));
    if (!c.all_locked) ks.unlock_all();
  }
  c.reply.ok();
}

void time_command(CommandContext& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.reply.array(2);
  c.reply.bulk(std::to_string(tv.tv_sec));
  c.reply.bulk(std::to_string(tv.tv_usec));
}

void shutdown_command(CommandContext& c) {
  bool nosave = false, save = false, abort = false;
  for (size_t i = 1; i < c.argc(); ++i) {
    if (eq_nocase(c.arg(i), "nosave")) {
      nosave = true;
    } else if (eq_nocase(c.arg(i), "save")) {
      save = true;
    } else if (eq_nocase(c.arg(i), "now") || eq_nocase(c.arg(i), "force")) {
    } else if (eq_nocase(c.arg(i), "abort")) {
      abort = true;
    } else {
      return c.syntax_error();
    }
  }
  if ((nosave && save) || (abort && c.argc() > 2)) return c.syntax_error();
  if (abort) return c.reply.error("ERR No shutdown in progress.");
  Persistence& p = persistence_of(c.server);
  p.kill_child(c.all_locked);
  if (save || (!nosave && p.has_save_rules())) {
    logf(LogLevel::kNotice, "Saving the final RDB snapshot before exiting.");
    std::string err;
    if (!p.save(c.all_locked, &err)) {
      logf(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
      return c.reply.error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
  }
  c.server.request_shutdown();
  // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes.
  c.client.close_after_reply = true;
}

}  // namespace

void register_server_commands(CommandTable& t) {
  t.add(make_command("dbsize", 1, kCmdReadonly | kCmdFast, 0, 0, 0, dbsize_command, "server",
                     "1.0.0", "Returns the number of keys in the database."));
  t.add(make_command("flushdb", -1, kCmdWrite, 0, 0, 0, flushdb_command, "server", "1.0.0",
                     "Removes all keys from the current database.",
                     "O(N) where N is the number of keys in the selected database"));
  t.add(make_command("flushall", -1, kCmdWrite, 0, 0, 0, flushall_command, "server", "1.0.0",
                     "Removes all keys from all databases.",
                     "O(N) where N is the total number of keys in all databases"));
  t.add(make_command("swapdb", 3, kCmdWrite | kCmdFast, 0, 0, 0, swapdb_command, "server",
                     "4.0.0", "Swaps two Redis databases.",
                     "O(N) where N is the count of clients watching or blocking on keys from "
                     "both databases."));
  t.add(make_command("time", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, time_command,
                     "server", "2.6.0", "Returns the server time."));
  t.add(make_command("shutdown", -1, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale |
                                         kCmdNoMulti | kCmdAllowBusy,
                     0, 0, 0, shutdown_command, "server", "1.0.0",
                     "Synchronously saves the database(s) to disk and shuts down the Redis "
                     "server.",
                     "O(N) when saving, where N is the total number of keys in all databases "
                     "when saving data, otherwise O(1)"));
}

}  // namespace terndb::server

// Popping the lowest or highest members: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms
// BZPOPMIN, BZPOPMAX and BZMPOP (server/blocking.h).
//
// All of them end in pop_and_reply, which writes one of Redis's four reply shapes: with or
// without the key in front, with member/score pairs flat or nested.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/blocking.h"
#include "server/command.h"
#include "server/notify.h"
#include "server/zset_common.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;
using storage::ZSetValue;
using zset::eq_nocase;
using zset::is_zset;
using zset::value_of;

enum class End { kMin, kMax };

struct PopShape {
  bool emit_key = false;  // reply starts with the key the members came from
  bool nested = false;    // each member and score in an array of their own
};

// Pops up to `count` members (count >= 1) from an existing, non-empty sorted set, writes the
// reply, and deletes the key when it empties.
void pop_and_reply(Server& server, KeyHandle& k, protocol::ReplyBuilder& r, End end, int64_t count,
                   PopShape shape) {
  ZSetValue* z = value_of(k.get());
  const size_t llen = z->size();
  const size_t n = std::min(static_cast<size_t>(count), llen);
  if (!shape.emit_key) {
    r.array(shape.nested ? n : n * 2);
  } else if (!shape.nested) {
    r.array(n * 2 + 1);
    r.bulk(k.key());
  } else {
    r.array(2);
    r.bulk(k.key());
    r.array(n);
  }
  const size_t lo = end == End::kMax ? llen - n : 0;
  zset::edit(k, [&](ZSetValue* v) {
    v->visit(lo, lo + n, end == End::kMax, [&](std::string_view m, double s) {
      if (shape.nested) r.array(2);
      r.bulk(m);
      r.dbl(s);
    });
    v->erase_ranks(lo, lo + n);
    return n > 0;
  });
  const bool emptied = z->size() == 0;
  if (emptied) k.erase();
  notify_keyspace_event(server, notify::kZset, end == End::kMax ? "zpopmax" : "zpopmin", k.key(),
                        k.db());
  if (emptied) notify_keyspace_event(server, notify::kGeneric, "del", k.key(), k.db());
}

// ZPOPMIN / ZPOPMAX key [count]
void zpop_generic(CommandContext& c, End end) {
  if (c.argc() > 3) return c.syntax_error();
  int64_t count = -1;
  if (c.argc() == 3) {
    int64_t v;
    if (!protocol::parse_int64(c.arg(2), v) || v < 0) {
      return c.reply.error("ERR value is out of range, must be positive");
    }
    count = v;
  }
  // RESP3 nests the pairs only when a count was given.
  PopShape shape{false, c.reply.resp() > 2 && count != -1};
  KeyHandle k = c.open(c.arg(1));
  Entry* e = zset::lookup_write(k);
  if (!e) return c.reply.empty_array();
  if (!is_zset(e)) return c.wrongtype();
  if (count == 0) return c.reply.empty_array();
  pop_and_reply(c.server, k, c.reply, end, count == -1 ? 1 : count, shape);
}

void zpopmin_command(CommandContext& c) {
  zpop_generic(c, End::kMin);
}
void zpopmax_command(CommandContext& c) {
  zpop_generic(c, End::kMax);
}

// Pops from the first of `keys` that holds a non-empty sorted set, or parks the client on
// all of them (timeout, wake-up and serving through server/blocking.h). `deadline_ms` is
// the absolute deadline (0: forever); `count` -1 means one member without a count.
void blocking_pop(CommandContext& c, std::vector<std::string_view> keys, End end, int64_t count,
                  PopShape shape, int64_t deadline_ms) {
  storage::ShardLocks locks(c.keyspace(), zset::shards_of(c, keys), c.all_locked);
  for (std::string_view key : keys) {
    KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
    Entry* e = zset::lookup_write(k);
    if (!e) continue;
    if (!is_zset(e)) return c.wrongtype();
    if (value_of(e)->size() == 0) continue;
    return pop_and_reply(c.server, k, c.reply, end, count == -1 ? 1 : count, shape);
  }
  // Inside MULTI or a script the command answers as if it had timed out.
  if (!c.can_block()) return c.reply.null_array();
  BlockRequest req;
  req.keys.assign(keys.begin(), keys.end());
  req.deadline_ms = deadline_ms;
  req.serve = [server = &c.server, end, count, shape](KeyHandle& key,
                                                      protocol::ReplyBuilder& reply) {
    Entry* e = zset::lookup_write(key);
    if (!e || !is_zset(e) || value_of(e)->size() == 0) return storage::Waiter::Offer::kCannot;
    pop_and_reply(*server, key, reply, end, count == -1 ? 1 : count, shape);
    return storage::Waiter::Offer::kServed;
  };
  req.on_timeout = [](protocol::ReplyBuilder& reply) { reply.null_array(); };
  c.block(std::move(req));
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void bzpop_generic(CommandContext& c, End end) {
  int64_t deadline;
  if (!zset::parse_timeout(c, c.arg(c.argc() - 1), &deadline)) return;
  std::vector<std::string_view> keys(c.argv.begin() + 1, c.argv.end() - 1);
  blocking_pop(c, std::move(keys), end, -1, PopShape{true, false}, deadline);
}

void bzpopmin_command(CommandContext& c) {
  bzpop_generic(c, End::kMin);
}
void bzpopmax_command(CommandContext& c) {
  bzpop_generic(c, End::kMax);
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]; BZMPOP has the timeout before numkeys.
void zmpop_generic(CommandContext& c, size_t numkeys_idx, bool blocking) {
  int64_t numkeys;
  if (!protocol::parse_int64(c.arg(numkeys_idx), numkeys) || numkeys < 1) {
    return c.reply.error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) >= c.argc() - numkeys_idx - 1) return c.syntax_error();
  const size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  End end;
  if (eq_nocase(c.arg(where_idx), "min")) {
    end = End::kMin;
  } else if (eq_nocase(c.arg(where_idx), "max")) {
    end = End::kMax;
  } else {
    return c.syntax_error();
  }
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < c.argc(); ++j) {
    const bool more = j + 1 < c.argc();
    if (count == -1 && eq_nocase(c.arg(j), "count") && more) {
      ++j;
      if (!protocol::parse_int64(c.arg(j), count) || count < 1) {
        return c.reply.error("ERR count should be greater than 0");
      }
    } else {
      return c.syntax_error();
    }
  }
  if (count == -1) count = 1;
  std::vector<std::string_view> keys(c.argv.begin() + static_cast<long>(numkeys_idx) + 1,
                                     c.argv.begin() + static_cast<long>(where_idx));
  const PopShape shape{true, true};
  if (blocking) {
    int64_t deadline;
    if (!zset::parse_timeout(c, c.arg(1), &deadline)) return;
    return blocking_pop(c, std::move(keys), end, count, shape, deadline);
  }
  storage::ShardLocks locks(c.keyspace(), zset::shards_of(c, keys), c.all_locked);
  for (std::string_view key : keys) {
    KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
    Entry* e = zset::lookup_write(k);
    if (!e) continue;
    if (!is_zset(e)) return c.wrongtype();
    return pop_and_reply(c.server, k, c.reply, end, count, shape);
  }
  c.reply.null_array();
}

void zmpop_command(CommandContext& c) {
  zmpop_generic(c, 1, false);
}
void bzmpop_command(CommandContext& c) {
  zmpop_generic(c, 2, true);
}

// Key positions of ZMPOP (numkeys at 1) and BZMPOP (numkeys at 2), with numkeys read
// through atoi as Redis reads it for COMMAND GETKEYS.
std::vector<size_t> numkeys_keys(const std::vector<std::string_view>& argv, size_t numkeys_idx) {
  std::vector<size_t> out;
  if (argv.size() <= numkeys_idx) return out;
  long n = std::atol(std::string(argv[numkeys_idx]).c_str());
  if (n < 1 || static_cast<size_t>(n) > argv.size() - numkeys_idx - 1) return out;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) out.push_back(numkeys_idx + 1 + i);
  return out;
}
std::vector<size_t> zmpop_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 1);
}
std::vector<size_t> bzmpop_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 2);
}

}  // namespace

void register_zset_pop_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite, kF = kCmdFast, kB = kCmdBlocking;
  const char* g = "sorted-set";
  t.add(make_command("zpopmin", -2, kW | kF, 1, 1, 1, zpopmin_command, g, "5.0.0",
                     "Removes and returns the members with the lowest scores.",
                     "O(log(N)*M) for M members popped"));
  t.add(make_command("zpopmax", -2, kW | kF, 1, 1, 1, zpopmax_command, g, "5.0.0",
                     "Removes and returns the members with the highest scores.",
                     "O(log(N)*M) for M members popped"));
  t.add(make_command("bzpopmin", -3, kW | kCmdNoscript | kB | kF, 1, -2, 1, bzpopmin_command, g,
                     "5.0.0",
                     "Pops the lowest-scored member of the first non-empty sorted set, "
                     "waiting for one if all are empty.",
                     "O(log(N))"));
  t.add(make_command("bzpopmax", -3, kW | kCmdNoscript | kB | kF, 1, -2, 1, bzpopmax_command, g,
                     "5.0.0",
                     "Pops the highest-scored member of the first non-empty sorted set, "
                     "waiting for one if all are empty.",
                     "O(log(N))"));
  CommandSpec& zmpop =
      t.add(make_command("zmpop", -4, kW, 0, 0, 0, zmpop_command, g, "7.0.0",
                         "Pops members from the first non-empty sorted set among several keys.",
                         "O(K) + O(M*log(N)) for K keys and M members popped"));
  zmpop.key_finder = zmpop_keys;
  CommandSpec& bzmpop = t.add(make_command(
      "bzmpop", -5, kW | kB, 0, 0, 0, bzmpop_command, g, "7.0.0",
      "Pops members from the first non-empty sorted set among several keys, waiting for one "
      "if all are empty.",
      "O(K) + O(M*log(N)) for K keys and M members popped"));
  bzmpop.key_finder = bzmpop_keys;
}

}  // namespace terndb::server

// Blocking list commands: BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH.
//
// Each behaves as its plain form when one of its keys holds a list. Otherwise, with the
// keys' shard locks still held (so no push can slip in between), it parks the client
// through CommandContext::block() (server/blocking.h). When a push creates one of the keys,
// the pushing thread offers the key to the parked clients in the order they blocked and
// `serve` below pops for them under the key's shard lock; the reply travels to each
// client's own thread. Inside MULTI/EXEC a client cannot block: it gets the timeout reply.
//
// BLMOVE served by another thread also needs its destination's shard. It takes that lock
// only above every shard lock the serving thread already holds (the ascending lock order);
// otherwise the client reruns its command on its own thread, which takes both locks in
// order.
#include <cmath>
#include <cstdint>
#include <optional>

#include "protocol/numbers.h"
#include "server/blocking.h"
#include "server/list_commands.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/hashing.h"

namespace terndb::server {

using storage::Entry;
using storage::KeyHandle;
using storage::ListEnd;
using Offer = storage::Waiter::Offer;

namespace {

// Deadlines further away than this are kept as "forever": no one can tell the difference,
// and timers cannot represent much longer waits.
constexpr int64_t kForeverMs = 100ll * 365 * 24 * 3600 * 1000;

// Redis's timeout argument: seconds with an optional fraction, converted to ms as a C cast
// truncates (0.0001 s is 0 ms, which means wait forever); 0 waits forever. Sets
// `*deadline_ms` to an absolute time, or 0 for forever.
bool parse_timeout(CommandContext& c, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!protocol::parse_long_double(arg, seconds)) {
    c.reply.error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = seconds * 1000.0L;
  // Out of int64 range, the x86 conversion Redis relies on yields INT64_MIN: "negative".
  const int64_t tval = (ms > -9223372036854775808.0L && ms < 9223372036854775808.0L)
                           ? static_cast<int64_t>(ms)
                           : INT64_MIN;
  if (tval < 0) {
    c.reply.error("ERR timeout is negative");
    return false;
  }
  *deadline_ms = (tval == 0 || tval > kForeverMs) ? 0 : c.now + tval;
  return true;
}

size_t shard_of(CommandContext& c, std::string_view key) {
  return c.keyspace().shard_of(storage::hash_key(key));
}

// One pop for a BLPOP-style client ([key, element]) or up to `count` for BLMPOP
// ([key, [elements]]); count < 0 selects the former.
void pop_reply(Server& server, KeyHandle& k, ListEnd end, int64_t count,
               protocol::ReplyBuilder& reply) {
  if (count >= 0) {
    pop_with_key_reply(k, end, count, reply);
  } else {
    reply.array(2);
    reply.bulk(k.key());
    list_pop_reply(k, end, reply);
  }
  notify_list_popped(server, k, end);
}

void blocking_pop(CommandContext& c, const std::vector<std::string_view>& keys, ListEnd end,
                  int64_t count, int64_t deadline_ms) {
  std::vector<size_t> shards;
  for (auto key : keys) shards.push_back(shard_of(c, key));
  storage::ShardLocks locks(c.keyspace(), shards, c.all_locked);
  for (auto key : keys) {
    KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
    Entry* e = k.get();
    if (!e) continue;
    if (!is_list(e)) return c.wrongtype();
    return pop_reply(c.server, k, end, count, c.reply);
  }
  if (!c.can_block()) return c.reply.null_array();
  BlockRequest req;
  req.keys.assign(keys.begin(), keys.end());
  req.deadline_ms = deadline_ms;
  req.serve = [server = &c.server, end, count](KeyHandle& k, protocol::ReplyBuilder& reply) {
    Entry* e = k.get();
    if (!e || !is_list(e)) return Offer::kCannot;
    pop_reply(*server, k, end, count, reply);
    return Offer::kServed;
  };
  req.on_timeout = [](protocol::ReplyBuilder& reply) { reply.null_array(); };
  c.block(std::move(req));
}

void blpop_generic(CommandContext& c, ListEnd end) {
  int64_t deadline;
  if (!parse_timeout(c, c.arg(c.argc() - 1), &deadline)) return;
  std::vector<std::string_view> keys(c.argv.begin() + 1, c.argv.end() - 1);
  blocking_pop(c, keys, end, -1, deadline);
}

void blpop_command(CommandContext& c) {
  blpop_generic(c, ListEnd::kHead);
}
void brpop_command(CommandContext& c) {
  blpop_generic(c, ListEnd::kTail);
}

void blmpop_command(CommandContext& c) {
  MultiPopArgs args;
  if (!parse_multi_pop(c, 2, &args)) return;
  int64_t deadline;
  if (!parse_timeout(c, c.arg(1), &deadline)) return;
  blocking_pop(c, args.keys, args.end, args.count, deadline);
}

std::vector<size_t> blmpop_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 2);
}

// Serves a parked BLMOVE from the list `src` that just appeared.
Offer serve_move(Server& server, KeyHandle& src, const std::string& dst_key, ListEnd from,
                 ListEnd to, protocol::ReplyBuilder& reply) {
  storage::Keyspace& ks = server.keyspace();
  Entry* e = src.get();
  if (!e || !is_list(e)) return Offer::kCannot;
  if (dst_key == src.key()) {
    list_move(server, src, nullptr, from, to, reply);
    return Offer::kServed;
  }
  const size_t ready = ks.shard_of(src.hash());
  const size_t target = ks.shard_of(storage::hash_key(dst_key));
  std::optional<storage::ShardLocks> target_lock;
  if (target != ready) {
    if (target < ready || static_cast<int>(target) <= storage::highest_held_shard()) {
      return Offer::kRetryOnOwnThread;
    }
    target_lock.emplace(ks, std::vector<size_t>{target}, false);
  }
  KeyHandle dst(ks, src.db(), dst_key, src.now(), true);
  Entry* d = dst.get();
  if (d && !is_list(d)) {
    // As Redis: the client gets the error and the element stays where it is.
    reply.error("WRONGTYPE Operation against a key holding the wrong kind of value");
    return Offer::kServed;
  }
  list_move(server, src, &dst, from, to, reply);
  return Offer::kServed;
}

// A parked BLMOVE that had to rerun on its own thread (see serve_move) held up the clients
// queued behind it; once it has taken its element, what is left goes to them.
void offer_leftovers(KeyHandle& src) {
  if (!src.get() || !src.shard().waiters.has_waiters(src.db(), src.key())) return;
  if (storage::ReadyKeys* sink = storage::ready_keys_sink()) {
    sink->keys.emplace_back(src.db(), std::string(src.key()));  // inside EXEC: after it
    return;
  }
  src.shard().waiters.serve(src.db(), src);
}

void blocking_move(CommandContext& c, ListEnd from, ListEnd to, int64_t deadline_ms) {
  std::string_view src_key = c.arg(1), dst_key = c.arg(2);
  storage::ShardLocks locks(c.keyspace(), {shard_of(c, src_key), shard_of(c, dst_key)},
                            c.all_locked);
  KeyHandle src(c.keyspace(), c.db(), src_key, c.now, true);
  Entry* e = src.get();
  if (e && !is_list(e)) return c.wrongtype();
  if (e) {
    move_from_list(c, src, dst_key, from, to);
    return offer_leftovers(src);
  }
  if (!c.can_block()) return c.reply.null();
  BlockRequest req;
  req.keys.emplace_back(src_key);
  req.deadline_ms = deadline_ms;
  req.serve = [server = &c.server, dst = std::string(dst_key), from, to](
                  KeyHandle& k, protocol::ReplyBuilder& reply) {
    return serve_move(*server, k, dst, from, to, reply);
  };
  // Redis 7.0 times out every blocked list client with a null array, BLMOVE included.
  req.on_timeout = [](protocol::ReplyBuilder& reply) { reply.null_array(); };
  c.block(std::move(req));
}

void blmove_command(CommandContext& c) {
  ListEnd from, to;
  if (!parse_list_end(c, c.arg(3), &from) || !parse_list_end(c, c.arg(4), &to)) return;
  int64_t deadline;
  if (!parse_timeout(c, c.arg(5), &deadline)) return;
  blocking_move(c, from, to, deadline);
}

void brpoplpush_command(CommandContext& c) {
  int64_t deadline;
  if (!parse_timeout(c, c.arg(3), &deadline)) return;
  blocking_move(c, ListEnd::kTail, ListEnd::kHead, deadline);
}

}  // namespace

void register_blocking_list_commands(CommandTable& t) {
  constexpr uint32_t kBlock = kCmdWrite | kCmdNoscript | kCmdBlocking;
  const char* kPerKey = "O(N) where N is the number of provided keys.";
  t.add(make_command("blpop", -3, kBlock, 1, -2, 1, blpop_command, "list", "2.0.0",
                     "Removes and returns the first element in a list. Blocks until an element "
                     "is available otherwise. Deletes the list if the last element was popped.",
                     kPerKey));
  t.add(make_command("brpop", -3, kBlock, 1, -2, 1, brpop_command, "list", "2.0.0",
                     "Removes and returns the last element in a list. Blocks until an element "
                     "is available otherwise. Deletes the list if the last element was popped.",
                     kPerKey));
  t.add(make_command("blmove", 6, kBlock | kCmdDenyOom, 1, 2, 1, blmove_command, "list", "6.2.0",
                     "Pops an element from a list, pushes it to another list and returns it. "
                     "Blocks until an element is available otherwise. Deletes the list if the "
                     "last element was moved."));
  t.add(make_command("brpoplpush", 4, kBlock | kCmdDenyOom, 1, 2, 1, brpoplpush_command, "list",
                     "2.2.0",
                     "Pops an element from a list, pushes it to another list and returns it. "
                     "Block until an element is available otherwise. Deletes the list if the "
                     "last element was popped."));
  CommandSpec& blmpop = t.add(make_command(
      "blmpop", -5, kCmdWrite | kCmdBlocking, 0, 0, 0, blmpop_command, "list", "7.0.0",
      "Pops the first element from one of multiple lists. Blocks until an element is available "
      "otherwise. Deletes the list if the last element was popped.",
      "O(N+M) where N is the number of provided keys and M is the number of elements "
      "returned."));
  blmpop.key_finder = blmpop_keys;
}

}  // namespace terndb::server

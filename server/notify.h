// Keyspace notifications (notify-keyspace-events), as Redis 7.0 sends them.
//
// A command that changed a key calls notify_keyspace_event() after the change, with the
// event's class and Redis's event name; with K the event is published on
// "__keyspace@<db>__:<key>" (message: the event name), with E on
// "__keyevent@<db>__:<event>" (message: the key). When the class is not enabled the call
// costs one relaxed atomic load. It may be called with shard locks held: publishing never
// takes a shard lock (pubsub.h).
//
// Wired: the string commands, the generic key commands (DEL/UNLINK "del", EXPIRE
// family "expire" or "del" for a time in the past, PERSIST "persist", RENAME
// "rename_from"/"rename_to", MOVE "move_from"/"move_to", COPY "copy_to"), "expired" from
// lazy and active expiry (Server::key_expired), "new" whenever a key is added
// (Server::key_created, from storage::KeyHandle::put) and "keymiss" on read misses
// (CommandContext::lookup_read), and the list, hash, set, sorted-set and SORT commands as
// listed below (tests/integration/test_notify_types.py compares them with redis-server).
//
// The data type families call it like this, after the change and only when something
// changed (a key that a command empties is deleted and then also gets "del" of class
// kGeneric, after the type's own event). Checked against redis-server 7.0.15:
//
//   lists  (kList):  lpush (LPUSH, LPUSHX), rpush (RPUSH, RPUSHX), linsert, lset, lpop, rpop,
//                    ltrim, lrem ("lrem" only when something was removed); LMOVE/RPOPLPUSH/
//                    BLMOVE: "lpush"/"rpush" on the destination first, then "lpop"/"rpop"
//                    on the source (then its "del" if emptied); BLPOP/BRPOP/LMPOP/BLMPOP
//                    "lpop"/"rpop".
//   hashes (kHash):  hset (HSET, HMSET, HSETNX when set), hdel, hincrby, hincrbyfloat.
//   sets   (kSet):   sadd, srem, spop, SMOVE: "srem" on the source (its "del" if emptied)
//                    then "sadd" on the destination; SINTERSTORE/SUNIONSTORE/SDIFFSTORE:
//                    "sinterstore" / "sunionstore" / "sdiffstore" on the destination (or
//                    "del" of class kGeneric when the result is empty and the destination
//                    existed; nothing when it did not).
//   zsets  (kZset):  zadd, zincr (ZINCRBY, and ZADD INCR), zrem, zremrangebyscore,
//                    zremrangebyrank, zremrangebylex, zpopmin, zpopmax (and the B*/ZMPOP
//                    forms), zunionstore, zinterstore, zdiffstore, zrangestore (on the
//                    destination; "del" when the result is empty).
//   SORT ... STORE: "sortstore" of class kList (as Redis files it), or "del" of class
//                    kGeneric when the result is empty and the destination existed.
//   generic (kGeneric): "restore" (RESTORE).
//   blocked clients: served pops notify as the plain pops do, after the event of the
//                    command that made the key ready (from the serving thread).
//   scripts: commands a script runs notify as when a client runs them; nothing extra.
//
// For example, after LPUSH added its elements:
//   notify_keyspace_event(c, notify::kList, "lpush", key);
// and when LPOP removed the last element:
//   notify_keyspace_event(c, notify::kList, "lpop", key);
//   notify_keyspace_event(c, notify::kGeneric, "del", key);
#pragma once

#include <string_view>

namespace terndb::server {

class Server;
struct CommandContext;

namespace notify {
// Redis's NOTIFY_* bits, the value of the notify-keyspace-events option's number.
enum Class : int {
  kKeyspace = 1 << 0,  // K
  kKeyevent = 1 << 1,  // E
  kGeneric = 1 << 2,   // g
  kString = 1 << 3,    // $
  kList = 1 << 4,      // l
  kSet = 1 << 5,       // s
  kHash = 1 << 6,      // h
  kZset = 1 << 7,      // z
  kExpired = 1 << 8,   // x
  kEvicted = 1 << 9,   // e
  kStream = 1 << 10,   // t
  kKeyMiss = 1 << 11,  // m
  kModule = 1 << 13,   // d
  kNew = 1 << 14,      // n
};
}  // namespace notify

// In the command's current database.
void notify_keyspace_event(CommandContext& c, int event_class, std::string_view event,
                           std::string_view key);
// In database `db` (MOVE, COPY ... DB, expiry).
void notify_keyspace_event(CommandContext& c, int event_class, std::string_view event,
                           std::string_view key, int db);
void notify_keyspace_event(Server& server, int event_class, std::string_view event,
                           std::string_view key, int db);

}  // namespace terndb::server

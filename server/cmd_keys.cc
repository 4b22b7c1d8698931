// Generic key commands: DEL, UNLINK, EXISTS, TYPE, RENAME, RENAMENX, COPY, MOVE, TOUCH,
// KEYS, SCAN, RANDOMKEY. Expiry commands live in cmd_keys_expire.cc, OBJECT in
// cmd_keys_object.cc; register_key_commands registers all of them.
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/flash.h"
#include "server/key_commands.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"
#include "storage/glob.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

size_t shard_of(CommandContext& c, std::string_view key) {
  return c.keyspace().shard_of(storage::hash_key(key));
}

// Shard indexes of argv[first..argc).
std::vector<size_t> key_shards(CommandContext& c, size_t first) {
  std::vector<size_t> shards;
  shards.reserve(c.argc() - first);
  for (size_t i = first; i < c.argc(); ++i) shards.push_back(shard_of(c, c.arg(i)));
  return shards;
}

// A handle on `key` in `db` whose shard the caller has locked.
KeyHandle locked_handle(CommandContext& c, int db, std::string_view key) {
  return KeyHandle(c.keyspace(), db, key, c.now, true);
}

// Redis reads DB indexes as C ints, with its own wording for values outside that range.
bool parse_db_index(CommandContext& c, std::string_view arg, int& db) {
  int64_t v;
  if (!protocol::parse_int64(arg, v)) {
    c.not_integer();
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    c.reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  if (v < 0 || v >= c.keyspace().databases()) {
    c.reply.error("ERR DB index is out of range");
    return false;
  }
  db = static_cast<int>(v);
  return true;
}

void reply_same_object(CommandContext& c) {
  c.reply.error("ERR source and destination objects are the same");
}

// DEL and UNLINK. Entries are unlinked under the shard locks and freed after the locks
// are released, so freeing a large value never stalls other clients of those shards.
void del_command(CommandContext& c) {
  std::vector<Entry*> doomed;
  {
    storage::ShardLocks locks(c.keyspace(), key_shards(c, 1), c.all_locked);
    for (size_t i = 1; i < c.argc(); ++i) {
      KeyHandle k = locked_handle(c, c.db(), c.arg(i));
      if (Entry* e = k.detach()) {
        doomed.push_back(e);
        k.table().maybe_shrink();
        notify_keyspace_event(c, notify::kGeneric, "del", c.arg(i));
      }
    }
  }
  for (Entry* e : doomed) storage::free_entry(e);
  c.reply.integer(static_cast<int64_t>(doomed.size()));
}

// EXISTS counts a key once per mention: "EXISTS k k" is 2 when k exists.
void exists_command(CommandContext& c) {
  storage::ShardLocks locks(c.keyspace(), key_shards(c, 1), c.all_locked);
  int64_t n = 0;
  for (size_t i = 1; i < c.argc(); ++i) {
    KeyHandle k = locked_handle(c, c.db(), c.arg(i));
    if (c.lookup_read(k, false)) ++n;
  }
  c.reply.integer(n);
}

void touch_command(CommandContext& c) {
  storage::ShardLocks locks(c.keyspace(), key_shards(c, 1), c.all_locked);
  int64_t n = 0;
  for (size_t i = 1; i < c.argc(); ++i) {
    KeyHandle k = locked_handle(c, c.db(), c.arg(i));
    if (Entry* e = c.lookup_read(k)) {
      note_access(e);
      ++n;
    }
  }
  c.reply.integer(n);
}

void type_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k, false);
  c.reply.simple(e ? type_name(e) : "none");
}

// RENAME and RENAMENX. Each step below uses a fresh handle: a handle caches the link to
// its entry, and any other change to the same table (lazy expiry, insert, resize) may
// invalidate it.
void rename_generic(CommandContext& c, bool nx) {
  std::string_view src = c.arg(1), dst = c.arg(2);
  storage::ShardLocks locks(c.keyspace(), {shard_of(c, src), shard_of(c, dst)}, c.all_locked);
  const int db = c.db();
  {
    KeyHandle s = locked_handle(c, db, src);
    Entry* e = s.get();
    if (!e) return c.reply.error("ERR no such key");
    note_access(e);
  }
  if (src == dst) {
    // Renaming a key onto itself changes nothing, but the key must exist.
    if (nx) return c.reply.integer(0);
    return c.reply.ok();
  }
  Entry* displaced = nullptr;
  {
    KeyHandle d = locked_handle(c, db, dst);
    if (d.get()) {
      if (nx) return c.reply.integer(0);
      displaced = d.detach();
    }
  }
  Entry* moving;
  {
    KeyHandle s = locked_handle(c, db, src);
    moving = s.detach();
  }
  // The value (and expiry, and access stamp) move to an entry under the new name.
  Entry* renamed = storage::rekey_entry(moving, dst, false);
  storage::free_entry_shallow(moving);
  {
    KeyHandle d = locked_handle(c, db, dst);
    d.put(renamed);
  }
  notify_keyspace_event(c, notify::kGeneric, "rename_from", src);
  notify_keyspace_event(c, notify::kGeneric, "rename_to", dst);
  if (displaced) storage::free_entry(displaced);
  if (nx) return c.reply.integer(1);
  c.reply.ok();
}
void rename_command(CommandContext& c) {
  rename_generic(c, false);
}
void renamenx_command(CommandContext& c) {
  rename_generic(c, true);
}

// COPY source destination [DB index] [REPLACE]
void copy_command(CommandContext& c) {
  const int src_db = c.db();
  int dst_db = src_db;
  bool replace = false;
  for (size_t j = 3; j < c.argc(); ++j) {
    if (eq_nocase(c.arg(j), "replace")) {
      replace = true;
    } else if (eq_nocase(c.arg(j), "db") && j + 1 < c.argc()) {
      if (!parse_db_index(c, c.arg(j + 1), dst_db)) return;
      ++j;
    } else {
      return c.syntax_error();
    }
  }
  std::string_view src = c.arg(1), dst = c.arg(2);
  if (src_db == dst_db && src == dst) return reply_same_object(c);

  storage::ShardLocks locks(c.keyspace(), {shard_of(c, src), shard_of(c, dst)}, c.all_locked);
  Entry* copy;
  bool replacing = false;
  {
    KeyHandle s = locked_handle(c, src_db, src);
    Entry* e = c.lookup_read(s);
    if (!e) return c.reply.integer(0);
    note_access(e);
    // The source entry stays valid while the destination is checked: only the
    // destination's entry may be removed by lazy expiry, and entries never move.
    KeyHandle d = locked_handle(c, dst_db, dst);
    if (d.get() && !replace) return c.reply.integer(0);
    replacing = d.get() != nullptr;
    copy = storage::rekey_entry(e, dst, true);
  }
  copy->lru = storage::initial_access_stamp(c.now);  // a new value, not an access to the old one
  {
    KeyHandle d = locked_handle(c, dst_db, dst);
    d.put(copy);  // replaces (and frees) an existing destination under REPLACE
  }
  // Redis deletes a replaced destination and adds the copy as a new key.
  if (replacing) notify_keyspace_event(c, notify::kNew, "new", dst, dst_db);
  notify_keyspace_event(c, notify::kGeneric, "copy_to", dst, dst_db);
  c.reply.integer(1);
}

// MOVE key db. A key hashes to the same shard in every database, so one lock covers both.
void move_command(CommandContext& c) {
  int dst_db;
  if (!parse_db_index(c, c.arg(2), dst_db)) return;
  if (dst_db == c.db()) return reply_same_object(c);
  KeyHandle s = c.open(c.arg(1));
  Entry* e = s.get();
  if (!e) return c.reply.integer(0);
  // Different databases are different tables: the two handles cannot disturb each other.
  KeyHandle d = locked_handle(c, dst_db, c.arg(1));
  if (d.get()) return c.reply.integer(0);
  note_access(e);
  d.attach(s.detach());
  s.table().maybe_shrink();
  notify_keyspace_event(c, notify::kNew, "new", c.arg(1), dst_db);
  notify_keyspace_event(c, notify::kGeneric, "move_from", c.arg(1));
  notify_keyspace_event(c, notify::kGeneric, "move_to", c.arg(1), dst_db);
  c.reply.integer(1);
}

bool is_expired(const Entry* e, int64_t now) {
  int64_t exp = e->expire_at();
  return exp >= 0 && exp <= now;
}

void keys_command(CommandContext& c) {
  std::string_view pattern = c.arg(1);
  const bool all = pattern == "*";
  std::vector<std::string> found;
  storage::Keyspace& ks = c.keyspace();
  if (storage::FlashTier* flash = ks.flash()) {  // flash holds every key
    flash_keys(*flash, c.db(), c.now, c.all_locked, [&](std::string_view key, storage::ValueType) {
      if (all || storage::glob_match(pattern, key)) found.emplace_back(key);
    });
  }
  for (size_t i = 0; i < ks.shard_count() && !ks.flash(); ++i) {
    storage::Shard& s = ks.shard(i);
    std::unique_lock<std::mutex> g(s.mu, std::defer_lock);
    if (!c.all_locked) g.lock();
    s.dbs[static_cast<size_t>(c.db())].for_each([&](Entry* e) {
      if (is_expired(e, c.now)) return;
      if (all || storage::glob_match(pattern, e->key())) found.emplace_back(e->key());
    });
  }
  c.reply.array(found.size());
  for (const auto& k : found) c.reply.bulk(k);
}

// SCAN cursors are read like C's strtoul: an optional sign, leading zeros and even an
// empty string are accepted; leading spaces, trailing junk and overflow are not.
bool parse_scan_cursor(std::string_view arg, uint64_t& cursor) {
  std::string text(arg);
  if (isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end;
  errno = 0;
  cursor = strtoull(text.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void scan_command(CommandContext& c) {
  uint64_t cursor;
  if (!parse_scan_cursor(c.arg(1), cursor)) return c.reply.error("ERR invalid cursor");
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;
  bool use_type = false;
  for (size_t i = 2; i < c.argc(); i += 2) {
    const bool has_value = i + 1 < c.argc();
    if (eq_nocase(c.arg(i), "count") && has_value) {
      if (!protocol::parse_int64(c.arg(i + 1), count)) return c.not_integer();
      if (count < 1) return c.syntax_error();
    } else if (eq_nocase(c.arg(i), "match") && has_value) {
      pattern = c.arg(i + 1);
      use_pattern = pattern != "*";
    } else if (eq_nocase(c.arg(i), "type") && has_value) {
      type = c.arg(i + 1);
      use_type = true;
    } else {
      return c.syntax_error();
    }
  }
  // Keyspace::scan bounds its work by a multiple of count; keep that product in range.
  const size_t budget = static_cast<size_t>(std::min<int64_t>(count, int64_t{1} << 40));
  std::vector<std::string> found;
  if (storage::FlashTier* flash = c.keyspace().flash()) {  // flash holds every key
    uint64_t next = flash_scan(*flash, c.db(), cursor, budget, c.now, c.all_locked,
                               [&](std::string_view key, storage::ValueType t) {
                                 if (use_pattern && !storage::glob_match(pattern, key)) return;
                                 if (use_type && !eq_nocase(type, value_type_name(t))) return;
                                 found.emplace_back(key);
                               });
    c.reply.array(2);
    c.reply.bulk(std::to_string(next));
    c.reply.array(found.size());
    for (const auto& k : found) c.reply.bulk(k);
    return;
  }
  uint64_t next = c.keyspace().scan(
      c.db(), cursor, budget, c.now,
      [&](const Entry* e) {
        if (use_pattern && !storage::glob_match(pattern, e->key())) return;
        if (use_type && !eq_nocase(type, type_name(e))) return;
        found.emplace_back(e->key());
      },
      c.all_locked);
  c.reply.array(2);
  c.reply.bulk(std::to_string(next));
  c.reply.array(found.size());
  for (const auto& k : found) c.reply.bulk(k);
}

void randomkey_command(CommandContext& c) {
  // The keyspace samples a key; opening it applies lazy expiry, so an expired pick is
  // deleted and another one drawn, as Redis does on a master.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string key;
    if (!c.keyspace().random_key(c.db(), c.now, key, c.all_locked)) {
      // RAM may be empty while flash is not (after a restart).
      storage::FlashTier* flash = c.keyspace().flash();
      if (!flash || !flash_random_key(*flash, c.db(), c.all_locked, key)) break;
    }
    KeyHandle k = c.open(key);
    if (k.get()) return c.reply.bulk(key);
  }
  c.reply.null();
}

}  // namespace

const char* type_name(const storage::Entry* e) {
  return value_type_name(e->value_type());
}

const char* value_type_name(storage::ValueType t) {
  switch (t) {
    case storage::ValueType::kString:
      return "string";
    case storage::ValueType::kList:
      return "list";
    case storage::ValueType::kSet:
      return "set";
    case storage::ValueType::kZSet:
      return "zset";
    case storage::ValueType::kHash:
      return "hash";
  }
  return "none";
}

void note_access(storage::Entry* e) {
  storage::touch_entry(e, storage::now_ms());
}

bool lfu_policy_selected(CommandContext& c) {
  return c.server.config().text("maxmemory-policy").find("lfu") != std::string::npos;
}

CommandSpec& with_acl(CommandSpec& spec, std::vector<std::string> categories) {
  spec.acl_categories = std::move(categories);
  return spec;
}

void register_key_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kR = kCmdReadonly;
  constexpr uint32_t kF = kCmdFast;
  const char* g = "generic";
  with_acl(t.add(make_command("del", -2, kW, 1, -1, 1, del_command, g, "1.0.0",
                              "Deletes one or more keys and reports how many existed.",
                              "O(N) for N keys, plus the size of each value removed")),
           {"@keyspace", "@write", "@slow"});
  with_acl(t.add(make_command("unlink", -2, kW | kF, 1, -1, 1, del_command, g, "4.0.0",
                              "Deletes one or more keys, freeing their values off the "
                              "command path.",
                              "O(1) per key; freeing is O(M) in the value's size")),
           {"@keyspace", "@write", "@fast"});
  with_acl(t.add(make_command("exists", -2, kR | kF, 1, -1, 1, exists_command, g, "1.0.0",
                              "Counts how many of the given keys exist.", "O(N) for N keys")),
           {"@keyspace", "@read", "@fast"});
  with_acl(t.add(make_command("type", 2, kR | kF, 1, 1, 1, type_command, g, "1.0.0",
                              "Names the type of the value stored at a key.")),
           {"@keyspace", "@read", "@fast"});
  with_acl(t.add(make_command("rename", 3, kW, 1, 2, 1, rename_command, g, "1.0.0",
                              "Gives a key a new name, overwriting any key of that name.",
                              "O(1), plus freeing an overwritten value")),
           {"@keyspace", "@write", "@slow"});
  with_acl(t.add(make_command("renamenx", 3, kW | kF, 1, 2, 1, renamenx_command, g, "1.0.0",
                              "Gives a key a new name only if no key has that name yet.")),
           {"@keyspace", "@write", "@fast"});
  with_acl(t.add(make_command("copy", -3, kW | kCmdDenyOom, 1, 2, 1, copy_command, g, "6.2.0",
                              "Duplicates a key's value under another key, optionally in "
                              "another database.",
                              "O(N) in the number of elements copied")),
           {"@keyspace", "@write", "@slow"});
  with_acl(t.add(make_command("move", 3, kW | kF, 1, 1, 1, move_command, g, "1.0.0",
                              "Transfers a key to another database.")),
           {"@keyspace", "@write", "@fast"});
  with_acl(t.add(make_command("touch", -2, kR | kF, 1, -1, 1, touch_command, g, "3.2.1",
                              "Marks keys as just accessed and counts the ones that exist.",
                              "O(N) for N keys")),
           {"@keyspace", "@read", "@fast"});
  with_acl(t.add(make_command("keys", 2, kR, 0, 0, 0, keys_command, g, "1.0.0",
                              "Lists every key whose name matches a glob pattern.",
                              "O(N) in the number of keys in the database")),
           {"@keyspace", "@read", "@slow", "@dangerous"});
  with_acl(t.add(make_command("scan", -2, kR, 0, 0, 0, scan_command, g, "2.8.0",
                              "Walks the keys of the database a few at a time with a cursor.",
                              "O(1) per call; O(N) for a whole iteration")),
           {"@keyspace", "@read", "@slow"});
  with_acl(t.add(make_command("randomkey", 1, kR, 0, 0, 0, randomkey_command, g, "1.0.0",
                              "Picks the name of a random key of the database.")),
           {"@keyspace", "@read", "@slow"});
  register_expire_commands(t);
  register_object_commands(t);
}

}  // namespace terndb::server

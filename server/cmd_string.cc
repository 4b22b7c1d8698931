// String commands: GET, SET and its variants, counters, ranges.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/expire_args.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

using notify::kGeneric;
using notify::kString;
using storage::Encoding;
using storage::Entry;
using storage::KeyHandle;
using storage::ValueType;

constexpr int64_t kMaxStringSize = 512ll * 1024 * 1024;

bool is_string(const Entry* e) { return e->value_type() == ValueType::kString; }

void reply_entry_string(CommandContext& c, const Entry* e) {
  char scratch[24];
  c.reply.bulk(e->string_value(scratch));
}

// GET-like read: replies nil, the value, or WRONGTYPE. Returns false on WRONGTYPE.
bool reply_get(CommandContext& c, KeyHandle& k) {
  Entry* e = c.lookup_read(k);
  if (!e) {
    c.reply.null();
    return true;
  }
  if (!is_string(e)) {
    c.wrongtype();
    return false;
  }
  reply_entry_string(c, e);
  return true;
}

// Options of SET and GETEX.
struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  bool has_expire = false;
  int64_t expire_at = -1;
};

// Parses from argv[first]; `for_set` selects SET's grammar, otherwise GETEX's.
bool parse_set_options(CommandContext& c, size_t first, bool for_set, SetOptions& o) {
  const char* expire_arg = nullptr;
  size_t expire_index = 0;
  ExpireUnit unit = ExpireUnit::kSeconds;
  bool absolute = false;
  for (size_t j = first; j < c.argc(); ++j) {
    std::string_view a = c.arg(j);
    auto is = [&](const char* w) {
      return a.size() == strlen(w) && strncasecmp(a.data(), w, a.size()) == 0;
    };
    bool has_next = j + 1 < c.argc();
    if (for_set && is("nx") && !o.xx) {
      o.nx = true;
    } else if (for_set && is("xx") && !o.nx) {
      o.xx = true;
    } else if (for_set && is("get")) {
      o.get = true;
    } else if (for_set && is("keepttl") && !o.persist && !expire_arg) {
      o.keepttl = true;
    } else if (!for_set && is("persist") && !expire_arg && !o.keepttl) {
      o.persist = true;
    } else if ((is("ex") || is("px") || is("exat") || is("pxat")) && !o.keepttl && !o.persist &&
               !expire_arg && has_next) {
      expire_arg = "x";
      unit = (is("ex") || is("exat")) ? ExpireUnit::kSeconds : ExpireUnit::kMilliseconds;
      absolute = is("exat") || is("pxat");
      expire_index = ++j;
    } else {
      c.syntax_error();
      return false;
    }
  }
  if (expire_arg) {
    if (!parse_expire_time(c, c.arg(expire_index), unit, absolute, false, o.expire_at)) {
      return false;
    }
    o.has_expire = true;
  }
  return true;
}

void set_command(CommandContext& c) {
  SetOptions o;
  if (!parse_set_options(c, 3, true, o)) return;
  KeyHandle k = c.open(c.arg(1));
  Entry* cur = k.get();
  if (o.get) {
    if (cur && !is_string(cur)) return c.wrongtype();
    if (cur)
      reply_entry_string(c, cur);
    else
      c.reply.null();
  }
  if ((o.nx && cur) || (o.xx && !cur)) {
    if (!o.get) c.reply.null();
    return;
  }
  int64_t expire = o.has_expire ? o.expire_at : (o.keepttl && cur ? cur->expire_at() : -1);
  k.put(storage::make_string_entry(c.arg(1), c.arg(2), expire));
  notify_keyspace_event(c, kString, "set", c.arg(1));
  if (o.has_expire) notify_keyspace_event(c, kGeneric, "expire", c.arg(1));
  if (!o.get) c.reply.ok();
}

void get_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  reply_get(c, k);
}

void getex_command(CommandContext& c) {
  SetOptions o;
  if (!parse_set_options(c, 2, false, o)) return;
  KeyHandle k = c.open(c.arg(1));
  if (!reply_get(c, k) || !k.get()) return;
  if (o.has_expire) {
    if (o.expire_at <= c.now) {
      k.erase();
      notify_keyspace_event(c, kGeneric, "del", c.arg(1));
    } else {
      k.set_expire(o.expire_at);
      notify_keyspace_event(c, kGeneric, "expire", c.arg(1));
    }
  } else if (o.persist && k.get()->has_expire) {
    k.set_expire(-1);
    notify_keyspace_event(c, kGeneric, "persist", c.arg(1));
  }
}

void getdel_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  if (reply_get(c, k) && k.get()) {
    k.erase();
    notify_keyspace_event(c, kGeneric, "del", c.arg(1));
  }
}

void getset_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  if (!reply_get(c, k)) return;
  k.put(storage::make_string_entry(c.arg(1), c.arg(2), -1));
  notify_keyspace_event(c, kString, "set", c.arg(1));
}

void setnx_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  if (k.get()) return c.reply.integer(0);
  k.put(storage::make_string_entry(c.arg(1), c.arg(2), -1));
  notify_keyspace_event(c, kString, "set", c.arg(1));
  c.reply.integer(1);
}

void setex_generic(CommandContext& c, ExpireUnit unit) {
  int64_t when;
  if (!parse_expire_time(c, c.arg(2), unit, false, false, when)) return;
  KeyHandle k = c.open(c.arg(1));
  k.put(storage::make_string_entry(c.arg(1), c.arg(3), when));
  notify_keyspace_event(c, kString, "set", c.arg(1));
  notify_keyspace_event(c, kGeneric, "expire", c.arg(1));
  c.reply.ok();
}
void setex_command(CommandContext& c) { setex_generic(c, ExpireUnit::kSeconds); }
void psetex_command(CommandContext& c) { setex_generic(c, ExpireUnit::kMilliseconds); }

std::vector<size_t> shard_indexes(CommandContext& c, size_t first, size_t step) {
  std::vector<size_t> shards;
  for (size_t i = first; i < c.argc(); i += step) {
    shards.push_back(c.keyspace().shard_of(storage::hash_key(c.arg(i))));
  }
  return shards;
}

void mget_command(CommandContext& c) {
  storage::ShardLocks locks(c.keyspace(), shard_indexes(c, 1, 1), c.all_locked);
  c.reply.array(c.argc() - 1);
  for (size_t i = 1; i < c.argc(); ++i) {
    KeyHandle k(c.keyspace(), c.db(), c.arg(i), c.now, true);
    Entry* e = c.lookup_read(k);
    if (!e || !is_string(e)) {
      c.reply.null();
    } else {
      reply_entry_string(c, e);
    }
  }
}

void mset_generic(CommandContext& c, bool nx) {
  if (c.argc() % 2 == 0) return c.wrong_arity();
  storage::ShardLocks locks(c.keyspace(), shard_indexes(c, 1, 2), c.all_locked);
  {
    std::string_view keys[storage::kMaxPrefetchedKeys];
    size_t n = 0;
    for (size_t i = 1; i < c.argc() && n < storage::kMaxPrefetchedKeys; i += 2)
      keys[n++] = c.arg(i);
    storage::prefetch_lookups(c.keyspace(), c.db(), keys, n);
  }
  if (nx) {
    for (size_t i = 1; i < c.argc(); i += 2) {
      KeyHandle k(c.keyspace(), c.db(), c.arg(i), c.now, true);
      if (k.get()) return c.reply.integer(0);
    }
  }
  for (size_t i = 1; i < c.argc(); i += 2) {
    KeyHandle k(c.keyspace(), c.db(), c.arg(i), c.now, true);
    k.put(storage::make_string_entry(c.arg(i), c.arg(i + 1), -1));
    notify_keyspace_event(c, kString, "set", c.arg(i));
  }
  if (nx)
    c.reply.integer(1);
  else
    c.reply.ok();
}
void mset_command(CommandContext& c) { mset_generic(c, false); }
void msetnx_command(CommandContext& c) { mset_generic(c, true); }

void strlen_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.integer(0);
  if (!is_string(e)) return c.wrongtype();
  char scratch[24];
  c.reply.integer(static_cast<int64_t>(e->string_value(scratch).size()));
}

// Makes the key's value a raw-encoded string with room for `new_len` bytes, keeping its
// current bytes, so the caller can edit it in place. Returns the entry in the table.
Entry* ensure_raw(KeyHandle& k, size_t new_len) {
  Entry* e = k.get();
  if (e && e->value_encoding() == Encoding::kRaw && storage::raw_capacity(e) >= new_len) {
    // Same allocation; counters are unchanged by an in-place edit within capacity.
    return e;
  }
  std::string old = e ? e->string_copy() : std::string();
  int64_t expire = e ? e->expire_at() : -1;
  // Grow greedily as Redis's sds does: double below 1 MB, then add 1 MB.
  size_t cap = new_len < 1024 * 1024 ? new_len * 2 : new_len + 1024 * 1024;
  if (!e) cap = new_len;
  Entry* n = storage::make_raw_entry(k.key(), old, expire, cap);
  if (e) n->lru = e->lru;
  k.put(n);
  return n;
}

void append_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_string(e)) return c.wrongtype();
  std::string_view add = c.arg(2);
  if (!e) {
    // A new key takes the value as SET would (int, embstr or raw), as Redis does.
    k.put(storage::make_string_entry(c.arg(1), add, -1));
    notify_keyspace_event(c, kString, "append", c.arg(1));
    return c.reply.integer(static_cast<int64_t>(add.size()));
  }
  char scratch[24];
  size_t old_len = e->string_value(scratch).size();
  if (static_cast<int64_t>(old_len + add.size()) > kMaxStringSize) {
    return c.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  size_t new_len = old_len + add.size();
  // Even an empty append leaves the value raw-encoded, as in Redis.
  Entry* n = ensure_raw(k, new_len);
  k.mark_modified();
  memcpy(n->str_data_mut() + old_len, add.data(), add.size());
  storage::set_raw_length(n, static_cast<uint32_t>(new_len));
  notify_keyspace_event(c, kString, "append", c.arg(1));
  c.reply.integer(static_cast<int64_t>(new_len));
}

void setrange_command(CommandContext& c) {
  int64_t offset;
  if (!protocol::parse_int64(c.arg(2), offset)) return c.not_integer();
  if (offset < 0) return c.reply.error("ERR offset is out of range");
  std::string_view value = c.arg(3);
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_string(e)) return c.wrongtype();
  char scratch[24];
  size_t cur_len = e ? e->string_value(scratch).size() : 0;
  if (value.empty()) return c.reply.integer(static_cast<int64_t>(cur_len));
  if (offset + static_cast<int64_t>(value.size()) > kMaxStringSize) {
    return c.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  size_t new_len = std::max(cur_len, static_cast<size_t>(offset) + value.size());
  Entry* d = ensure_raw(k, new_len);
  k.mark_modified();
  if (new_len > cur_len) memset(d->str_data_mut() + cur_len, 0, new_len - cur_len);
  memcpy(d->str_data_mut() + offset, value.data(), value.size());
  storage::set_raw_length(d, static_cast<uint32_t>(new_len));
  notify_keyspace_event(c, kString, "setrange", c.arg(1));
  c.reply.integer(static_cast<int64_t>(new_len));
}

void getrange_command(CommandContext& c) {
  int64_t start, end;
  if (!protocol::parse_int64(c.arg(2), start) || !protocol::parse_int64(c.arg(3), end)) {
    return c.not_integer();
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.bulk("");
  if (!is_string(e)) return c.wrongtype();
  char scratch[24];
  std::string_view s = e->string_value(scratch);
  int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) return c.reply.bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return c.reply.bulk("");
  c.reply.bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void incr_generic(CommandContext& c, int64_t delta) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  int64_t value = 0;
  if (e) {
    if (!is_string(e)) return c.wrongtype();
    if (e->value_encoding() == Encoding::kInt) {
      value = e->int_value();
    } else {
      char scratch[24];
      if (!protocol::parse_int64(e->string_value(scratch), value)) return c.not_integer();
    }
  }
  if ((delta < 0 && value < 0 && delta < LLONG_MIN - value) ||
      (delta > 0 && value > 0 && delta > LLONG_MAX - value)) {
    return c.reply.error("ERR increment or decrement would overflow");
  }
  value += delta;
  if (e && e->value_encoding() == Encoding::kInt) {
    e->set_int_in_place(value);
    k.mark_modified();
  } else {
    k.put(storage::make_int_entry(c.arg(1), value, e ? e->expire_at() : -1));
  }
  notify_keyspace_event(c, kString, "incrby", c.arg(1));
  c.reply.integer(value);
}

void incr_command(CommandContext& c) { incr_generic(c, 1); }
void decr_command(CommandContext& c) { incr_generic(c, -1); }
void incrby_command(CommandContext& c) {
  int64_t d;
  if (!protocol::parse_int64(c.arg(2), d)) return c.not_integer();
  incr_generic(c, d);
}
void decrby_command(CommandContext& c) {
  int64_t d;
  if (!protocol::parse_int64(c.arg(2), d)) return c.not_integer();
  if (d == LLONG_MIN) return c.reply.error("ERR decrement would overflow");
  incr_generic(c, -d);
}

void incrbyfloat_command(CommandContext& c) {
  long double incr;
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  long double value = 0;
  if (e) {
    if (!is_string(e)) return c.wrongtype();
    char scratch[24];
    if (!protocol::parse_long_double(e->string_value(scratch), value)) return c.not_float();
  }
  if (!protocol::parse_long_double(c.arg(2), incr)) return c.not_float();
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return c.reply.error("ERR increment would produce NaN or Infinity");
  }
  std::string text = protocol::format_long_double(value);
  // Stored as text (embstr/raw), never int-encoded, as Redis does for INCRBYFLOAT.
  k.put(storage::make_string_entry(c.arg(1), text, e ? e->expire_at() : -1, false));
  notify_keyspace_event(c, kString, "incrbyfloat", c.arg(1));
  c.reply.bulk(text);
}

}  // namespace

void register_string_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadonly;
  t.add(make_command("get", 2, kR | kCmdFast, 1, 1, 1, get_command, "string", "1.0.0",
                     "Returns the string value of a key."));
  t.add(make_command("set", -3, kW, 1, 1, 1, set_command, "string", "1.0.0",
                     "Sets the string value of a key, ignoring its type."));
  t.add(make_command("setnx", 3, kW | kCmdFast, 1, 1, 1, setnx_command, "string", "1.0.0",
                     "Sets the string value of a key only when the key doesn't exist."));
  t.add(make_command("setex", 4, kW, 1, 1, 1, setex_command, "string", "2.0.0",
                     "Sets the value and expiration time of a key in seconds."));
  t.add(make_command("psetex", 4, kW, 1, 1, 1, psetex_command, "string", "2.6.0",
                     "Sets the value and expiration time of a key in milliseconds."));
  t.add(make_command("getset", 3, kW | kCmdFast, 1, 1, 1, getset_command, "string", "1.0.0",
                     "Returns the previous string value of a key after setting it."));
  t.add(make_command("getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, getdel_command, "string",
                     "6.2.0", "Returns the string value of a key after deleting the key."));
  t.add(make_command("getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, getex_command, "string",
                     "6.2.0", "Returns the string value of a key after setting its expiration."));
  t.add(make_command("mget", -2, kR | kCmdFast, 1, -1, 1, mget_command, "string", "1.0.0",
                     "Atomically returns the string values of one or more keys.", "O(N)"));
  t.add(make_command("mset", -3, kW, 1, -1, 2, mset_command, "string", "1.0.1",
                     "Atomically creates or modifies the string values of one or more keys.",
                     "O(N)"));
  t.add(make_command("msetnx", -3, kW, 1, -1, 2, msetnx_command, "string", "1.0.1",
                     "Atomically modifies the string values of one or more keys only when all "
                     "keys don't exist.",
                     "O(N)"));
  t.add(make_command("append", 3, kW | kCmdFast, 1, 1, 1, append_command, "string", "2.0.0",
                     "Appends a string to the value of a key. Creates the key if it doesn't exist."));
  t.add(make_command("strlen", 2, kR | kCmdFast, 1, 1, 1, strlen_command, "string", "2.2.0",
                     "Returns the length of a string value."));
  t.add(make_command("getrange", 4, kR, 1, 1, 1, getrange_command, "string", "2.4.0",
                     "Returns a substring of the string stored at a key.", "O(N)"));
  t.add(make_command("setrange", 4, kW, 1, 1, 1, setrange_command, "string", "2.2.0",
                     "Overwrites a part of a string value with another by an offset. Creates "
                     "the key if it doesn't exist."));
  t.add(make_command("incr", 2, kW | kCmdFast, 1, 1, 1, incr_command, "string", "1.0.0",
                     "Increments the integer value of a key by one. Uses 0 as initial value if "
                     "the key doesn't exist."));
  t.add(make_command("decr", 2, kW | kCmdFast, 1, 1, 1, decr_command, "string", "1.0.0",
                     "Decrements the integer value of a key by one. Uses 0 as initial value if "
                     "the key doesn't exist."));
  t.add(make_command("incrby", 3, kW | kCmdFast, 1, 1, 1, incrby_command, "string", "1.0.0",
                     "Increments the integer value of a key by a number. Uses 0 as initial "
                     "value if the key doesn't exist."));
  t.add(make_command("decrby", 3, kW | kCmdFast, 1, 1, 1, decrby_command, "string", "1.0.0",
                     "Decrements a number from the integer value of a key. Uses 0 as initial "
                     "value if the key doesn't exist."));
  t.add(make_command("incrbyfloat", 3, kW | kCmdFast, 1, 1, 1, incrbyfloat_command, "string",
                     "2.6.0",
                     "Increment the floating point value of a key by a number. Uses 0 as "
                     "initial value if the key doesn't exist."));
}

}  // namespace terndb::server

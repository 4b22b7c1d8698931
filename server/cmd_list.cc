// List commands: pushes and pops at both ends, positional access, LINSERT, LREM, LTRIM,
// LPOS, LMOVE/RPOPLPUSH and LMPOP. Argument checks happen in the order Redis 7.0 makes
// them, so the same bad request gets the same error.
//
// A list key exists only while it has elements: commands that empty a list delete it, and
// a push that creates one goes through KeyHandle::put(), which offers it to clients
// blocked on the key (cmd_list_blocking.cc).
#include <strings.h>

#include <algorithm>
#include <climits>

#include "protocol/numbers.h"
#include "server/list_commands.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/hashing.h"

namespace terndb::server {

using storage::Entry;
using storage::KeyHandle;
using storage::ListEnd;
using storage::ListValue;

namespace {

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// Redis's getPositiveLongFromObjectOrReply / getRangeLongFromObjectOrReply with a message:
// a non-integer and an out-of-range value get the same error text.
bool parse_ranged(CommandContext& c, std::string_view arg, int64_t min, int64_t* out,
                  const char* error) {
  if (!protocol::parse_int64(arg, *out) || *out < min) {
    c.reply.error(error);
    return false;
  }
  return true;
}

// Like KeyHandle::modify_object, but the key counts as modified (for WATCH) only when
// `edit` reports a change, as LREM and LINSERT signal only then in Redis.
template <typename F>
auto edit_list_if(KeyHandle& k, F&& edit) {
  ListValue* l = list_of(k.get());
  const size_t before = l->memory_usage();
  auto changed = edit(l);
  k.table().adjust_bytes(static_cast<int64_t>(l->memory_usage()) - static_cast<int64_t>(before));
  if (changed) k.mark_modified();
  return changed;
}

size_t shard_of(CommandContext& c, std::string_view key) {
  return c.keyspace().shard_of(storage::hash_key(key));
}

// ---- pushes ----------------------------------------------------------------------------

void push_generic(CommandContext& c, ListEnd end, bool only_existing) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_list(e)) return c.wrongtype();
  if (!e && only_existing) return c.reply.integer(0);
  auto values = std::span<const std::string_view>(c.argv).subspan(2);
  const size_t len = list_push(k, end, values);
  notify_list_pushed(c.server, k, end);
  c.reply.integer(static_cast<int64_t>(len));
}

void lpush_command(CommandContext& c) {
  push_generic(c, ListEnd::kHead, false);
}
void rpush_command(CommandContext& c) {
  push_generic(c, ListEnd::kTail, false);
}
void lpushx_command(CommandContext& c) {
  push_generic(c, ListEnd::kHead, true);
}
void rpushx_command(CommandContext& c) {
  push_generic(c, ListEnd::kTail, true);
}

// ---- pops ------------------------------------------------------------------------------

void pop_generic(CommandContext& c, ListEnd end) {
  if (c.argc() > 3) return c.wrong_arity();
  const bool has_count = c.argc() == 3;
  int64_t count = 0;
  if (has_count &&
      !parse_ranged(c, c.arg(2), 0, &count, "ERR value is out of range, must be positive")) {
    return;
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return has_count ? c.reply.null_array() : c.reply.null();
  if (!is_list(e)) return c.wrongtype();
  if (!has_count) {
    list_pop_reply(k, end, c.reply);
    return notify_list_popped(c.server, k, end);
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(count), list_of(e)->size());
  c.reply.array(n);
  for (size_t i = 0; i < n; ++i) list_pop_reply(k, end, c.reply);
  if (n) notify_list_popped(c.server, k, end);
}

void lpop_command(CommandContext& c) {
  pop_generic(c, ListEnd::kHead);
}
void rpop_command(CommandContext& c) {
  pop_generic(c, ListEnd::kTail);
}

// ---- reads -----------------------------------------------------------------------------

void llen_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.integer(0);
  if (!is_list(e)) return c.wrongtype();
  c.reply.integer(static_cast<int64_t>(list_of(e)->size()));
}

void lindex_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.null();
  if (!is_list(e)) return c.wrongtype();
  int64_t index;
  if (!protocol::parse_int64(c.arg(2), index)) return c.not_integer();
  const ListValue* l = list_of(e);
  const int64_t len = static_cast<int64_t>(l->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return c.reply.null();
  c.reply.bulk(l->at(static_cast<size_t>(index)));
}

void lrange_command(CommandContext& c) {
  int64_t start, stop;
  if (!protocol::parse_int64(c.arg(2), start) || !protocol::parse_int64(c.arg(3), stop)) {
    return c.not_integer();
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.empty_array();
  if (!is_list(e)) return c.wrongtype();
  const ListValue* l = list_of(e);
  const int64_t len = static_cast<int64_t>(l->size());
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return c.reply.empty_array();
  if (stop >= len) stop = len - 1;
  const size_t n = static_cast<size_t>(stop - start + 1);
  c.reply.array(n);
  ListValue::Cursor cursor(*l, static_cast<size_t>(start), false);
  std::string_view v;
  for (size_t i = 0; i < n && cursor.next(v); ++i) c.reply.bulk(v);
}

void lpos_command(CommandContext& c) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view opt = c.arg(j);
    const bool more = j + 1 < c.argc();
    if (eq_nocase(opt, "rank") && more) {
      if (!protocol::parse_int64(c.arg(++j), rank)) return c.not_integer();
      if (rank == 0) {
        return c.reply.error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
            "... or use negative to start from the end of the list");
      }
    } else if (eq_nocase(opt, "count") && more) {
      if (!parse_ranged(c, c.arg(++j), 0, &count, "ERR COUNT can't be negative")) return;
    } else if (eq_nocase(opt, "maxlen") && more) {
      if (!parse_ranged(c, c.arg(++j), 0, &maxlen, "ERR MAXLEN can't be negative")) return;
    } else {
      return c.syntax_error();
    }
  }
  // A negative rank searches from the tail. Redis negates in C long arithmetic, so the
  // most negative rank stays negative and then admits every match: the wrapping
  // arithmetic below keeps that.
  bool from_tail = false;
  if (rank < 0) {
    rank = static_cast<int64_t>(0 - static_cast<uint64_t>(rank));
    from_tail = true;
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return count != -1 ? c.reply.empty_array() : c.reply.null();
  if (!is_list(e)) return c.wrongtype();
  const ListValue* l = list_of(e);
  const int64_t len = static_cast<int64_t>(l->size());
  std::vector<int64_t> found;
  int64_t matches = 0;
  int64_t index = 0;
  ListValue::Cursor cursor(*l, 0, from_tail);
  std::string_view v;
  while ((maxlen == 0 || index < maxlen) && cursor.next(v)) {
    if (v == c.arg(2) && ++matches >= rank) {
      found.push_back(from_tail ? len - index - 1 : index);
      if (count == -1) break;
      const int64_t taken =
          static_cast<int64_t>(static_cast<uint64_t>(matches) - static_cast<uint64_t>(rank) + 1);
      if (count != 0 && taken >= count) break;
    }
    ++index;
  }
  if (count == -1) return found.empty() ? c.reply.null() : c.reply.integer(found[0]);
  c.reply.array(found.size());
  for (int64_t i : found) c.reply.integer(i);
}

// ---- edits -----------------------------------------------------------------------------

void lset_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.error("ERR no such key");
  if (!is_list(e)) return c.wrongtype();
  int64_t index;
  if (!protocol::parse_int64(c.arg(2), index)) return c.not_integer();
  const int64_t len = static_cast<int64_t>(list_of(e)->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return c.reply.error("ERR index out of range");
  k.modify_object([&](storage::CompositeValue* v) {
    static_cast<ListValue*>(v)->set(static_cast<size_t>(index), c.arg(3));
  });
  notify_keyspace_event(c, notify::kList, "lset", c.arg(1));
  c.reply.ok();
}

void linsert_command(CommandContext& c) {
  bool after;
  if (eq_nocase(c.arg(2), "after")) {
    after = true;
  } else if (eq_nocase(c.arg(2), "before")) {
    after = false;
  } else {
    return c.syntax_error();
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  if (!is_list(e)) return c.wrongtype();
  bool inserted =
      edit_list_if(k, [&](ListValue* l) { return l->insert(c.arg(3), c.arg(4), after); });
  if (!inserted) return c.reply.integer(-1);
  notify_keyspace_event(c, notify::kList, "linsert", c.arg(1));
  c.reply.integer(static_cast<int64_t>(list_of(e)->size()));
}

void lrem_command(CommandContext& c) {
  int64_t count;
  if (!protocol::parse_int64(c.arg(2), count)) return c.not_integer();
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  if (!is_list(e)) return c.wrongtype();
  const uint64_t limit = count < 0 ? 0 - static_cast<uint64_t>(count) : count;
  const size_t removed = edit_list_if(
      k, [&](ListValue* l) { return l->remove(c.arg(3), static_cast<size_t>(limit), count < 0); });
  if (removed) {
    const bool emptied = list_of(k.get())->empty();
    if (emptied) k.erase();
    notify_keyspace_event(c, notify::kList, "lrem", c.arg(1));
    if (emptied) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  }
  c.reply.integer(static_cast<int64_t>(removed));
}

void ltrim_command(CommandContext& c) {
  int64_t start, stop;
  if (!protocol::parse_int64(c.arg(2), start) || !protocol::parse_int64(c.arg(3), stop)) {
    return c.not_integer();
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.ok();
  if (!is_list(e)) return c.wrongtype();
  const int64_t len = static_cast<int64_t>(list_of(e)->size());
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  int64_t head, tail;
  if (start > stop || start >= len) {
    head = len;
    tail = 0;
  } else {
    if (stop >= len) stop = len - 1;
    head = start;
    tail = len - stop - 1;
  }
  k.modify_object([&](storage::CompositeValue* v) {
    static_cast<ListValue*>(v)->trim(static_cast<size_t>(head), static_cast<size_t>(tail));
  });
  const bool emptied = list_of(k.get())->empty();
  if (emptied) k.erase();
  notify_keyspace_event(c, notify::kList, "ltrim", c.arg(1));
  if (emptied) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  c.reply.ok();
}

// ---- moves -----------------------------------------------------------------------------

void move_generic(CommandContext& c, ListEnd from, ListEnd to) {
  std::string_view src_key = c.arg(1), dst_key = c.arg(2);
  storage::ShardLocks locks(c.keyspace(), {shard_of(c, src_key), shard_of(c, dst_key)},
                            c.all_locked);
  KeyHandle src(c.keyspace(), c.db(), src_key, c.now, true);
  Entry* e = src.get();
  if (!e) return c.reply.null();
  if (!is_list(e)) return c.wrongtype();
  move_from_list(c, src, dst_key, from, to);
}

void lmove_command(CommandContext& c) {
  ListEnd from, to;
  if (!parse_list_end(c, c.arg(3), &from) || !parse_list_end(c, c.arg(4), &to)) return;
  move_generic(c, from, to);
}

void rpoplpush_command(CommandContext& c) {
  move_generic(c, ListEnd::kTail, ListEnd::kHead);
}

void lmpop_command(CommandContext& c) {
  MultiPopArgs args;
  if (!parse_multi_pop(c, 1, &args)) return;
  std::vector<size_t> shards;
  for (auto key : args.keys) shards.push_back(shard_of(c, key));
  storage::ShardLocks locks(c.keyspace(), shards, c.all_locked);
  for (auto key : args.keys) {
    KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
    Entry* e = k.get();
    if (!e) continue;
    if (!is_list(e)) return c.wrongtype();
    pop_with_key_reply(k, args.end, args.count, c.reply);
    return notify_list_popped(c.server, k, args.end);
  }
  c.reply.null_array();
}

std::vector<size_t> lmpop_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 1);
}

}  // namespace

// ---- shared helpers (list_commands.h) ----------------------------------------------------

bool parse_list_end(CommandContext& c, std::string_view arg, ListEnd* out) {
  if (eq_nocase(arg, "left")) {
    *out = ListEnd::kHead;
  } else if (eq_nocase(arg, "right")) {
    *out = ListEnd::kTail;
  } else {
    c.syntax_error();
    return false;
  }
  return true;
}

size_t list_push(KeyHandle& k, ListEnd end, std::span<const std::string_view> values) {
  if (!k.get()) {
    auto* l = new ListValue;
    for (auto v : values) l->push(end, v);
    k.put(storage::make_object_entry(k.key(), storage::ValueType::kList, l, -1));
    return l->size();
  }
  k.modify_object([&](storage::CompositeValue* v) {
    auto* l = static_cast<ListValue*>(v);
    for (auto value : values) l->push(end, value);
  });
  return list_of(k.get())->size();
}

void list_pop(KeyHandle& k, ListEnd end, std::string* out) {
  k.modify_object([&](storage::CompositeValue* v) { static_cast<ListValue*>(v)->pop(end, out); });
  if (list_of(k.get())->empty()) k.erase();
}

void list_pop_reply(KeyHandle& k, ListEnd end, protocol::ReplyBuilder& reply) {
  const ListValue* l = list_of(k.get());
  reply.bulk(l->at(end == ListEnd::kHead ? 0 : l->size() - 1));
  list_pop(k, end, nullptr);
}

void pop_with_key_reply(KeyHandle& k, ListEnd end, int64_t count, protocol::ReplyBuilder& reply) {
  const size_t n = std::min<size_t>(static_cast<size_t>(count), list_of(k.get())->size());
  reply.array(2);
  reply.bulk(k.key());
  reply.array(n);
  for (size_t i = 0; i < n; ++i) list_pop_reply(k, end, reply);
}

void list_move(Server& server, KeyHandle& src, KeyHandle* dst, ListEnd from, ListEnd to,
               protocol::ReplyBuilder& reply) {
  if (!dst) {
    // Same key: a rotation (or nothing, when both ends are the same), never a deletion.
    std::string v;
    src.modify_object([&](storage::CompositeValue* o) {
      auto* l = static_cast<ListValue*>(o);
      l->pop(from, &v);
      l->push(to, v);
    });
    notify_list_pushed(server, src, to);
    notify_list_popped(server, src, from);
    return reply.bulk(v);
  }
  std::string v;
  list_pop(src, from, &v);
  std::string_view view = v;
  list_push(*dst, to, {&view, 1});
  notify_list_pushed(server, *dst, to);
  notify_list_popped(server, src, from);
  reply.bulk(v);
}

void notify_list_pushed(Server& server, KeyHandle& k, ListEnd end) {
  notify_keyspace_event(server, notify::kList, end == ListEnd::kHead ? "lpush" : "rpush", k.key(),
                        k.db());
}

void notify_list_popped(Server& server, KeyHandle& k, ListEnd end) {
  notify_keyspace_event(server, notify::kList, end == ListEnd::kHead ? "lpop" : "rpop", k.key(),
                        k.db());
  if (!k.get()) notify_keyspace_event(server, notify::kGeneric, "del", k.key(), k.db());
}

void move_from_list(CommandContext& c, KeyHandle& src, std::string_view dst_key, ListEnd from,
                    ListEnd to) {
  if (src.key() == dst_key) return list_move(c.server, src, nullptr, from, to, c.reply);
  KeyHandle dst(c.keyspace(), c.db(), dst_key, c.now, true);
  Entry* d = dst.get();
  if (d && !is_list(d)) return c.wrongtype();
  list_move(c.server, src, &dst, from, to, c.reply);
}

std::vector<size_t> numkeys_keys(const std::vector<std::string_view>& argv, size_t numkeys_index) {
  std::vector<size_t> out;
  int64_t n;
  if (numkeys_index >= argv.size() || !protocol::parse_int64(argv[numkeys_index], n) || n < 1) {
    return out;
  }
  for (size_t i = numkeys_index + 1; i < argv.size() && out.size() < static_cast<size_t>(n); ++i) {
    out.push_back(i);
  }
  return out;
}

bool parse_multi_pop(CommandContext& c, size_t numkeys_index, MultiPopArgs* out) {
  int64_t numkeys;
  if (!parse_ranged(c, c.arg(numkeys_index), 1, &numkeys, "ERR numkeys should be greater than 0")) {
    return false;
  }
  const size_t end_index = numkeys_index + static_cast<size_t>(numkeys) + 1;
  if (numkeys >= static_cast<int64_t>(c.argc()) || end_index >= c.argc()) {
    c.syntax_error();
    return false;
  }
  if (!parse_list_end(c, c.arg(end_index), &out->end)) return false;
  bool has_count = false;
  for (size_t j = end_index + 1; j < c.argc(); ++j) {
    if (!has_count && eq_nocase(c.arg(j), "count") && j + 1 < c.argc()) {
      if (!parse_ranged(c, c.arg(++j), 1, &out->count, "ERR count should be greater than 0")) {
        return false;
      }
      has_count = true;
    } else {
      c.syntax_error();
      return false;
    }
  }
  out->keys.assign(c.argv.begin() + static_cast<long>(numkeys_index) + 1,
                   c.argv.begin() + static_cast<long>(end_index));
  return true;
}

void register_list_commands(CommandTable& t) {
  storage::register_list_digest();
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadonly;
  const char* kN = "O(N)";
  t.add(make_command("lpush", -3, kW | kCmdFast, 1, 1, 1, lpush_command, "list", "1.0.0",
                     "Prepends one or more elements to a list. Creates the key if it doesn't "
                     "exist.",
                     "O(1) for each element added"));
  t.add(make_command("rpush", -3, kW | kCmdFast, 1, 1, 1, rpush_command, "list", "1.0.0",
                     "Appends one or more elements to a list. Creates the key if it doesn't "
                     "exist.",
                     "O(1) for each element added"));
  t.add(make_command("lpushx", -3, kW | kCmdFast, 1, 1, 1, lpushx_command, "list", "2.2.0",
                     "Prepends one or more elements to a list only when the list exists.",
                     "O(1) for each element added"));
  t.add(make_command("rpushx", -3, kW | kCmdFast, 1, 1, 1, rpushx_command, "list", "2.2.0",
                     "Appends one or more elements to a list only when the list exists.",
                     "O(1) for each element added"));
  t.add(make_command("lpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, lpop_command, "list", "1.0.0",
                     "Returns the first elements in a list after removing it. Deletes the list "
                     "if the last element was popped.",
                     kN));
  t.add(make_command("rpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, rpop_command, "list", "1.0.0",
                     "Returns and removes the last elements of a list. Deletes the list if the "
                     "last element was popped.",
                     kN));
  t.add(make_command("llen", 2, kR | kCmdFast, 1, 1, 1, llen_command, "list", "1.0.0",
                     "Returns the length of a list."));
  t.add(make_command("lrange", 4, kR, 1, 1, 1, lrange_command, "list", "1.0.0",
                     "Returns a range of elements from a list.", "O(S+N)"));
  t.add(make_command("lindex", 3, kR, 1, 1, 1, lindex_command, "list", "1.0.0",
                     "Returns an element from a list by its index.", kN));
  t.add(make_command("lset", 4, kW, 1, 1, 1, lset_command, "list", "1.0.0",
                     "Sets the value of an element in a list by its index.", kN));
  t.add(make_command("linsert", 5, kW, 1, 1, 1, linsert_command, "list", "2.2.0",
                     "Inserts an element before or after another element in a list.", kN));
  t.add(make_command("lrem", 4, kCmdWrite, 1, 1, 1, lrem_command, "list", "1.0.0",
                     "Removes elements from a list. Deletes the list if the last element was "
                     "removed.",
                     "O(N+M)"));
  t.add(make_command("ltrim", 4, kCmdWrite, 1, 1, 1, ltrim_command, "list", "1.0.0",
                     "Removes elements from both ends a list. Deletes the list if all elements "
                     "were trimmed.",
                     kN));
  t.add(make_command("lpos", -3, kR, 1, 1, 1, lpos_command, "list", "6.0.6",
                     "Returns the index of matching elements in a list.", kN));
  t.add(make_command("lmove", 5, kW, 1, 2, 1, lmove_command, "list", "6.2.0",
                     "Returns an element after popping it from one list and pushing it to "
                     "another. Deletes the list if the last element was moved."));
  t.add(make_command("rpoplpush", 3, kW, 1, 2, 1, rpoplpush_command, "list", "1.2.0",
                     "Returns the last element of a list after removing and pushing it to "
                     "another list. Deletes the list if the last element was popped."));
  CommandSpec& lmpop = t.add(make_command(
      "lmpop", -4, kCmdWrite, 0, 0, 0, lmpop_command, "list", "7.0.0",
      "Returns multiple elements from a list after removing them. Deletes the list if the last "
      "element was popped.",
      "O(N+M)"));
  lmpop.key_finder = lmpop_keys;
  register_blocking_list_commands(t);
}

}  // namespace terndb::server

// Set commands over several keys: SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD,
// SMOVE, and SMEMBERS (which Redis 7.0 answers as an intersection of one set). All keys'
// shards are locked together, in ascending order, for the whole command.
#include <algorithm>
#include <optional>

#include "protocol/numbers.h"
#include "server/collection_args.h"
#include "server/command.h"
#include "server/notify.h"
#include "server/set_commands.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

using storage::CompositeValue;
using storage::Entry;
using storage::KeyHandle;
using storage::SetValue;
using storage::ValueType;

using KeyList = std::vector<std::string_view>;

std::vector<size_t> shards_of(CommandContext& c, const KeyList& keys) {
  std::vector<size_t> shards;
  shards.reserve(keys.size());
  for (std::string_view k : keys) shards.push_back(c.keyspace().shard_of(storage::hash_key(k)));
  return shards;
}

KeyList args_from(CommandContext& c, size_t first, size_t end) {
  return KeyList(c.argv.begin() + static_cast<std::ptrdiff_t>(first),
                 c.argv.begin() + static_cast<std::ptrdiff_t>(end));
}

// The source sets, looked up for reading (null for a missing key). Returns false after
// replying WRONGTYPE when a key holds another type. The caller holds the shard locks.
bool read_sets(CommandContext& c, const KeyList& keys, std::vector<const SetValue*>& sets) {
  sets.clear();
  for (std::string_view key : keys) {
    KeyHandle k(c.keyspace(), c.db(), key, c.now, true);
    Entry* e = c.lookup_read(k);
    if (e && !holds_set(e)) {
      c.wrongtype();
      return false;
    }
    sets.push_back(e ? set_value_of(e) : nullptr);
  }
  return true;
}

// Stores a *STORE result: a non-empty result replaces the destination, an empty one
// deletes it. Replies the result's size. `event` is the command's notification.
void store_result(CommandContext& c, std::string_view dst, std::unique_ptr<SetValue> result,
                  const char* event) {
  KeyHandle d(c.keyspace(), c.db(), dst, c.now, true);
  const size_t size = result->size();
  if (size > 0) {
    d.put(storage::make_object_entry(dst, ValueType::kSet, result.release(), -1));
    notify_keyspace_event(c, notify::kSet, event, dst);
  } else if (d.erase()) {
    notify_keyspace_event(c, notify::kGeneric, "del", dst);
  }
  c.reply.integer(static_cast<int64_t>(size));
}

struct InterOptions {
  std::optional<std::string_view> dst;
  bool cardinality_only = false;
  uint64_t limit = 0;  // SINTERCARD's LIMIT; 0 = none
};

void sinter_generic(CommandContext& c, const KeyList& keys, const InterOptions& o) {
  KeyList all = keys;
  if (o.dst) all.push_back(*o.dst);
  storage::ShardLocks locks(c.keyspace(), shards_of(c, all), c.all_locked);
  std::vector<const SetValue*> sets;
  if (!read_sets(c, keys, sets)) return;

  // An intersection with an empty set is empty.
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) {
    if (o.dst) {
      return store_result(c, *o.dst, std::unique_ptr<SetValue>(SetValue::create_intset()),
                          "sinterstore");
    }
    if (o.cardinality_only) return c.reply.integer(0);
    return c.reply.set(0);
  }
  // Walk the smallest set and probe the others.
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  std::vector<std::string> found;
  std::unique_ptr<SetValue> stored(o.dst ? SetValue::create_intset() : nullptr);
  uint64_t cardinality = 0;
  bool done = false;
  sets[0]->for_each([&](std::string_view m) {
    if (done) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != sets[0] && !sets[j]->contains(m)) return;
    }
    if (o.cardinality_only) {
      ++cardinality;
      done = o.limit && cardinality >= o.limit;
    } else if (stored) {
      stored->add(m);
    } else {
      found.emplace_back(m);
    }
  });
  if (o.cardinality_only) return c.reply.integer(static_cast<int64_t>(cardinality));
  if (stored) return store_result(c, *o.dst, std::move(stored), "sinterstore");
  c.reply.set(found.size());
  for (const auto& m : found) c.reply.bulk(m);
}

enum class SetOp { kUnion, kDiff };

std::unique_ptr<SetValue> difference_of(std::vector<const SetValue*> sets) {
  std::unique_ptr<SetValue> result(SetValue::create_intset());
  if (!sets[0]) return result;
  // Redis picks between probing the other sets for each member of the first (work
  // |first| * sets, halved as it tends to stop early) and copying the first then removing
  // the others' members (work: all sizes). The choice shows in the result's encoding, so
  // it is made the same way.
  uint64_t probe_work = 0, copy_work = 0;
  for (const SetValue* s : sets) {
    if (!s) continue;
    probe_work += sets[0]->size();
    copy_work += s->size();
  }
  probe_work /= 2;
  if (probe_work <= copy_work) {
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetValue* a, const SetValue* b) {
      return (a ? a->size() : 0) > (b ? b->size() : 0);
    });
    sets[0]->for_each([&](std::string_view m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (!sets[j]) continue;
        if (sets[j] == sets[0] || sets[j]->contains(m)) return;
      }
      result->add(m);
    });
    return result;
  }
  sets[0]->for_each([&](std::string_view m) { result->add(m); });
  for (size_t j = 1; j < sets.size() && result->size() > 0; ++j) {
    if (!sets[j]) continue;
    if (sets[j] == sets[0]) return std::unique_ptr<SetValue>(SetValue::create_intset());
    sets[j]->for_each([&](std::string_view m) { result->remove(m); });
  }
  return result;
}

void sunion_diff_generic(CommandContext& c, const KeyList& keys,
                         std::optional<std::string_view> dst, SetOp op) {
  KeyList all = keys;
  if (dst) all.push_back(*dst);
  storage::ShardLocks locks(c.keyspace(), shards_of(c, all), c.all_locked);
  std::vector<const SetValue*> sets;
  if (!read_sets(c, keys, sets)) return;
  std::unique_ptr<SetValue> result = op == SetOp::kUnion ? set_union_of(sets) : difference_of(sets);
  if (dst) {
    return store_result(c, *dst, std::move(result),
                        op == SetOp::kUnion ? "sunionstore" : "sdiffstore");
  }
  reply_set_members(c, *result);
}

void sinter_command(CommandContext& c) {
  sinter_generic(c, args_from(c, 1, c.argc()), {});
}

void sinterstore_command(CommandContext& c) {
  InterOptions o;
  o.dst = c.arg(1);
  sinter_generic(c, args_from(c, 2, c.argc()), o);
}

void sintercard_command(CommandContext& c) {
  int64_t numkeys;
  if (!protocol::parse_int64(c.arg(1), numkeys) || numkeys < 1) {
    return c.reply.error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > c.argc() - 2) {
    return c.reply.error("ERR Number of keys can't be greater than number of args");
  }
  InterOptions o;
  o.cardinality_only = true;
  const size_t end = 2 + static_cast<size_t>(numkeys);
  for (size_t j = end; j < c.argc(); ++j) {
    if (collection_arg_is(c.arg(j), "limit") && j + 1 < c.argc()) {
      int64_t limit;
      if (!parse_positive_count(c, c.arg(++j), "LIMIT can't be negative", limit)) return;
      o.limit = static_cast<uint64_t>(limit);
    } else {
      return c.syntax_error();
    }
  }
  sinter_generic(c, args_from(c, 2, end), o);
}

void smembers_command(CommandContext& c) {
  sinter_generic(c, args_from(c, 1, 2), {});
}

void sunion_command(CommandContext& c) {
  sunion_diff_generic(c, args_from(c, 1, c.argc()), std::nullopt, SetOp::kUnion);
}
void sdiff_command(CommandContext& c) {
  sunion_diff_generic(c, args_from(c, 1, c.argc()), std::nullopt, SetOp::kDiff);
}
void sunionstore_command(CommandContext& c) {
  sunion_diff_generic(c, args_from(c, 2, c.argc()), c.arg(1), SetOp::kUnion);
}
void sdiffstore_command(CommandContext& c) {
  sunion_diff_generic(c, args_from(c, 2, c.argc()), c.arg(1), SetOp::kDiff);
}

void smove_command(CommandContext& c) {
  const std::string_view src_key = c.arg(1), dst_key = c.arg(2), member = c.arg(3);
  storage::ShardLocks locks(c.keyspace(), shards_of(c, {src_key, dst_key}), c.all_locked);
  const bool same_key = src_key == dst_key;
  KeyHandle src(c.keyspace(), c.db(), src_key, c.now, true);
  std::optional<KeyHandle> dst_handle;
  if (!same_key) dst_handle.emplace(c.keyspace(), c.db(), dst_key, c.now, true);
  Entry* se = src.get();
  Entry* de = same_key ? se : dst_handle->get();
  if (!se) return c.reply.integer(0);
  if (!holds_set(se) || (de && !holds_set(de))) return c.wrongtype();
  if (same_key) return c.reply.integer(set_value_of(se)->contains(member) ? 1 : 0);

  bool removed = false, src_empty = false;
  if (!set_value_of(se)->contains(member)) return c.reply.integer(0);
  src.modify_object([&](CompositeValue* v) {
    auto* s = static_cast<SetValue*>(v);
    removed = s->remove(member);
    src_empty = s->size() == 0;
  });
  if (src_empty) src.erase();
  notify_keyspace_event(c, notify::kSet, "srem", src_key);
  if (src_empty) notify_keyspace_event(c, notify::kGeneric, "del", src_key);
  if (de) {
    if (!set_value_of(de)->contains(member)) {
      dst_handle->modify_object([&](CompositeValue* v) { static_cast<SetValue*>(v)->add(member); });
      notify_keyspace_event(c, notify::kSet, "sadd", dst_key);
    }
  } else {
    SetValue* s = SetValue::create_for(member);
    s->add(member);
    dst_handle->put(storage::make_object_entry(dst_key, ValueType::kSet, s, -1));
    notify_keyspace_event(c, notify::kSet, "sadd", dst_key);
  }
  c.reply.integer(removed ? 1 : 0);
}

// SINTERCARD numkeys key [key ...]: the keys follow the count.
std::vector<size_t> sintercard_keys(const std::vector<std::string_view>& argv) {
  int64_t n;
  if (argv.size() < 2 || !protocol::parse_int64(argv[1], n) || n < 0 ||
      static_cast<uint64_t>(n) > argv.size() - 2) {
    return {};
  }
  std::vector<size_t> keys;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) keys.push_back(2 + i);
  return keys;
}

}  // namespace

std::unique_ptr<SetValue> set_union_of(const std::vector<const SetValue*>& sets) {
  std::unique_ptr<SetValue> result(SetValue::create_intset());
  for (const SetValue* s : sets) {
    if (s) s->for_each([&](std::string_view m) { result->add(m); });
  }
  return result;
}

void register_set_multi_commands(CommandTable& t) {
  constexpr uint32_t kR = kCmdReadonly;
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  const char* g = "set";
  t.add(make_command("smembers", 2, kR, 1, 1, 1, smembers_command, g, "1.0.0",
                     "Lists every member of a set.", "O(N) in the set's size"));
  t.add(make_command("sinter", -2, kR, 1, -1, 1, sinter_command, g, "1.0.0",
                     "Lists the members common to all the given sets.",
                     "O(N*M): smallest set's size times the number of sets"));
  CommandSpec card = make_command("sintercard", -3, kR, 0, 0, 0, sintercard_command, g, "7.0.0",
                                  "Counts the members common to all the given sets, "
                                  "optionally stopping at a limit.",
                                  "O(N*M): smallest set's size times the number of sets");
  card.key_finder = sintercard_keys;
  t.add(std::move(card));
  t.add(make_command("sunion", -2, kR, 1, -1, 1, sunion_command, g, "1.0.0",
                     "Lists the members found in any of the given sets.",
                     "O(N) in the total number of members"));
  t.add(make_command("sdiff", -2, kR, 1, -1, 1, sdiff_command, g, "1.0.0",
                     "Lists the members of the first set found in none of the others.",
                     "O(N) in the total number of members"));
  t.add(make_command("sinterstore", -3, kW, 1, -1, 1, sinterstore_command, g, "1.0.0",
                     "Stores the intersection of sets under a key.",
                     "O(N*M): smallest set's size times the number of sets"));
  t.add(make_command("sunionstore", -3, kW, 1, -1, 1, sunionstore_command, g, "1.0.0",
                     "Stores the union of sets under a key.",
                     "O(N) in the total number of members"));
  t.add(make_command("sdiffstore", -3, kW, 1, -1, 1, sdiffstore_command, g, "1.0.0",
                     "Stores the difference of the first set and the others under a key.",
                     "O(N) in the total number of members"));
  t.add(make_command("smove", 4, kCmdWrite | kCmdFast, 1, 2, 1, smove_command, g, "1.0.0",
                     "Moves a member from one set to another."));
}

}  // namespace terndb::server

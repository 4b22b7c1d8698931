// Set commands on one key: SADD, SREM, membership, SPOP, SRANDMEMBER and SSCAN, answering
// as Redis 7.0. The commands over several sets live in cmd_set_multi.cc.
#include <unordered_set>

#include "protocol/numbers.h"
#include "server/collection_args.h"
#include "server/command.h"
#include "server/notify.h"
#include "server/set_commands.h"
#include "storage/glob.h"
#include "storage/set_value.h"

namespace terndb::server {
namespace {

using storage::CompositeValue;
using storage::Entry;
using storage::KeyHandle;
using storage::SetValue;
using storage::ValueType;

// Looks the key up for reading. Returns null when a reply was already written: the key is
// missing (`missing_reply` runs) or holds another type (WRONGTYPE).
template <typename MissingReply>
const SetValue* read_set(CommandContext& c, KeyHandle& k, MissingReply&& missing_reply) {
  Entry* e = c.lookup_read(k);
  if (!e) {
    missing_reply();
    return nullptr;
  }
  if (!holds_set(e)) {
    c.wrongtype();
    return nullptr;
  }
  return set_value_of(e);
}

void sadd_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !holds_set(e)) return c.wrongtype();
  int64_t added = 0;
  auto add_all = [&](SetValue* s) {
    for (size_t i = 2; i < c.argc(); ++i) added += s->add(c.arg(i));
  };
  if (e) {
    k.modify_object([&](CompositeValue* v) { add_all(static_cast<SetValue*>(v)); });
  } else {
    SetValue* s = SetValue::create_for(c.arg(2));
    add_all(s);
    k.put(storage::make_object_entry(c.arg(1), ValueType::kSet, s, -1));
  }
  if (added) notify_keyspace_event(c, notify::kSet, "sadd", c.arg(1));
  c.reply.integer(added);
}

void srem_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  if (!holds_set(e)) return c.wrongtype();
  int64_t removed = 0;
  bool now_empty = false;
  k.modify_object([&](CompositeValue* v) {
    auto* s = static_cast<SetValue*>(v);
    for (size_t i = 2; i < c.argc() && s->size() > 0; ++i) removed += s->remove(c.arg(i));
    now_empty = s->size() == 0;
  });
  if (now_empty) k.erase();
  if (removed) {
    notify_keyspace_event(c, notify::kSet, "srem", c.arg(1));
    if (now_empty) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  }
  c.reply.integer(removed);
}

void sismember_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const SetValue* s = read_set(c, k, [&] { c.reply.integer(0); });
  if (s) c.reply.integer(s->contains(c.arg(2)) ? 1 : 0);
}

void smismember_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (e && !holds_set(e)) return c.wrongtype();
  c.reply.array(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    c.reply.integer(e && set_value_of(e)->contains(c.arg(i)) ? 1 : 0);
  }
}

void scard_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const SetValue* s = read_set(c, k, [&] { c.reply.integer(0); });
  if (s) c.reply.integer(static_cast<int64_t>(s->size()));
}

void spop_with_count(CommandContext& c) {
  int64_t count;
  if (!parse_positive_count(c, c.arg(2), "value is out of range, must be positive", count)) {
    return;
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.set(0);
  if (!holds_set(e)) return c.wrongtype();
  if (count == 0) return c.reply.set(0);
  const SetValue* s = set_value_of(e);
  notify_keyspace_event(c, notify::kSet, "spop", c.arg(1));
  if (static_cast<uint64_t>(count) >= s->size()) {
    // The whole set, in the order SUNION of it would give, and the key goes.
    reply_set_members(c, *set_union_of({s}));
    k.erase();
    notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
    return;
  }
  std::vector<std::string> popped;
  popped.reserve(static_cast<size_t>(count));
  k.modify_object([&](CompositeValue* v) {
    auto* set = static_cast<SetValue*>(v);
    for (int64_t i = 0; i < count; ++i) popped.push_back(set->pop_random(collection_rng()));
  });
  c.reply.set(popped.size());
  for (const auto& m : popped) c.reply.bulk(m);
}

void spop_command(CommandContext& c) {
  if (c.argc() == 3) return spop_with_count(c);
  if (c.argc() > 3) return c.syntax_error();
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.null();
  if (!holds_set(e)) return c.wrongtype();
  std::string m;
  bool now_empty = false;
  k.modify_object([&](CompositeValue* v) {
    auto* s = static_cast<SetValue*>(v);
    m = s->pop_random(collection_rng());
    now_empty = s->size() == 0;
  });
  if (now_empty) k.erase();
  notify_keyspace_event(c, notify::kSet, "spop", c.arg(1));
  if (now_empty) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  c.reply.bulk(m);
}

void srandmember_with_count(CommandContext& c) {
  int64_t l;
  if (!parse_signed_count(c, c.arg(2), l)) return;
  const bool distinct = l >= 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  KeyHandle k = c.open(c.arg(1));
  const SetValue* s = read_set(c, k, [&] { c.reply.array(0); });
  if (!s) return;
  if (count == 0) return c.reply.array(0);
  auto& rng = collection_rng();
  const size_t size = s->size();

  if (!distinct || count == 1) {
    c.reply.array(count);
    for (uint64_t i = 0; i < count; ++i) c.reply.bulk(s->random_member(rng));
    return;
  }
  if (count >= size) {
    c.reply.array(size);
    s->for_each([&](std::string_view m) { c.reply.bulk(m); });
    return;
  }
  c.reply.array(count);
  if (!s->is_intset() && count * 3 <= size) {
    // Few of many: draw until enough distinct members came up.
    std::unordered_set<std::string> seen;
    while (seen.size() < count) {
      std::string m = s->random_member(rng);
      if (seen.insert(m).second) c.reply.bulk(m);
    }
    return;
  }
  std::vector<std::string> all = s->members();
  for (size_t i : distinct_random_indexes(size, static_cast<size_t>(count))) c.reply.bulk(all[i]);
}

void srandmember_command(CommandContext& c) {
  if (c.argc() == 3) return srandmember_with_count(c);
  if (c.argc() > 3) return c.syntax_error();
  KeyHandle k = c.open(c.arg(1));
  const SetValue* s = read_set(c, k, [&] { c.reply.null(); });
  if (s) c.reply.bulk(s->random_member(collection_rng()));
}

void sscan_command(CommandContext& c) {
  uint64_t cursor;
  if (!parse_element_scan_cursor(c, c.arg(2), cursor)) return;
  KeyHandle k = c.open(c.arg(1));
  const SetValue* s = read_set(c, k, [&] { reply_empty_element_scan(c); });
  if (!s) return;
  ElementScanOptions o;
  if (!parse_element_scan_options(c, 3, o)) return;
  std::vector<std::string> items;
  int64_t visited = 0;  // members seen, matching or not (Redis's stop rule)
  auto collect = [&](std::string_view m) {
    ++visited;
    if (!o.use_pattern || storage::glob_match(o.pattern, m)) items.emplace_back(m);
  };
  int64_t steps = element_scan_max_steps(o.count);
  do {
    cursor = s->scan(cursor, collect);
  } while (cursor && steps-- && visited < o.count);
  reply_element_scan(c, cursor, items);
}

}  // namespace

bool holds_set(const storage::Entry* e) {
  return e->value_type() == ValueType::kSet;
}
const SetValue* set_value_of(const storage::Entry* e) {
  return static_cast<const SetValue*>(e->object());
}

void reply_set_members(CommandContext& c, const SetValue& s) {
  c.reply.set(s.size());
  s.for_each([&](std::string_view m) { c.reply.bulk(m); });
}

void register_set_commands(CommandTable& t) {
  storage::register_set_digest();
  constexpr uint32_t kR = kCmdReadonly;
  constexpr uint32_t kF = kCmdFast;
  const char* g = "set";
  t.add(make_command("sadd", -3, kCmdWrite | kCmdDenyOom | kF, 1, 1, 1, sadd_command, g, "1.0.0",
                     "Adds members to a set, creating the set if needed.", "O(1) per member"));
  t.add(make_command("srem", -3, kCmdWrite | kF, 1, 1, 1, srem_command, g, "1.0.0",
                     "Removes members from a set, and the set once it is empty.",
                     "O(1) per member"));
  t.add(make_command("sismember", 3, kR | kF, 1, 1, 1, sismember_command, g, "1.0.0",
                     "Tells whether a value is a member of a set."));
  t.add(make_command("smismember", -3, kR | kF, 1, 1, 1, smismember_command, g, "6.2.0",
                     "Tells, for each of several values, whether it is a member of a set.",
                     "O(1) per value"));
  t.add(make_command("scard", 2, kR | kF, 1, 1, 1, scard_command, g, "1.0.0",
                     "Counts the members of a set."));
  t.add(make_command("spop", -2, kCmdWrite | kF, 1, 1, 1, spop_command, g, "1.0.0",
                     "Removes and returns random members of a set.",
                     "O(N) in the number of members popped"));
  t.add(make_command("srandmember", -2, kR, 1, 1, 1, srandmember_command, g, "1.0.0",
                     "Picks random members of a set, with or without repeats.",
                     "O(N) in the number of members returned"));
  t.add(make_command("sscan", -3, kR, 1, 1, 1, sscan_command, g, "2.8.0",
                     "Walks the members of a set a few at a time with a cursor.",
                     "O(1) per call; O(N) for a whole iteration"));
  register_set_multi_commands(t);
}

}  // namespace terndb::server

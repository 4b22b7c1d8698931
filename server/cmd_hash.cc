// Hash commands: HSET and friends, counters, HRANDFIELD and HSCAN, answering as Redis 7.0.
#include <climits>
#include <cmath>
#include <unordered_set>

#include "protocol/numbers.h"
#include "server/collection_args.h"
#include "server/command.h"
#include "server/notify.h"
#include "storage/glob.h"
#include "storage/hash_value.h"

namespace terndb::server {
namespace {

using storage::CompositeValue;
using storage::Entry;
using storage::HashValue;
using storage::KeyHandle;
using storage::ValueType;

bool is_hash(const Entry* e) {
  return e->value_type() == ValueType::kHash;
}
const HashValue* hash_of(const Entry* e) {
  return static_cast<const HashValue*>(e->object());
}

// Looks the key up for reading. Returns false when a reply was already written: the key is
// missing (`missing_reply` runs) or holds another type (WRONGTYPE).
template <typename MissingReply>
const HashValue* read_hash(CommandContext& c, KeyHandle& k, MissingReply&& missing_reply) {
  Entry* e = c.lookup_read(k);
  if (!e) {
    missing_reply();
    return nullptr;
  }
  if (!is_hash(e)) {
    c.wrongtype();
    return nullptr;
  }
  return hash_of(e);
}

// Runs `edit` on the key's hash, creating the key when absent. Returns false (after
// replying WRONGTYPE) when the key holds another type.
template <typename Edit>
bool edit_hash(CommandContext& c, KeyHandle& k, Edit&& edit) {
  Entry* e = k.get();
  if (e && !is_hash(e)) {
    c.wrongtype();
    return false;
  }
  if (e) {
    k.modify_object([&](CompositeValue* v) { edit(static_cast<HashValue*>(v)); });
  } else {
    auto* h = new HashValue();
    edit(h);
    k.put(storage::make_object_entry(k.key(), ValueType::kHash, h, -1));
  }
  return true;
}

void hset_generic(CommandContext& c, bool reply_ok) {
  if (c.argc() % 2 != 0) return c.wrong_arity();
  KeyHandle k = c.open(c.arg(1));
  int64_t created = 0;
  bool ok = edit_hash(c, k, [&](HashValue* h) {
    for (size_t i = 2; i < c.argc(); i += 2) created += h->set(c.arg(i), c.arg(i + 1));
  });
  if (!ok) return;
  notify_keyspace_event(c, notify::kHash, "hset", c.arg(1));
  if (reply_ok) {
    c.reply.ok();
  } else {
    c.reply.integer(created);
  }
}
void hset_command(CommandContext& c) {
  hset_generic(c, false);
}
void hmset_command(CommandContext& c) {
  hset_generic(c, true);
}

void hsetnx_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_hash(e)) return c.wrongtype();
  if (e && hash_of(e)->contains(c.arg(2))) return c.reply.integer(0);
  edit_hash(c, k, [&](HashValue* h) { h->set(c.arg(2), c.arg(3)); });
  notify_keyspace_event(c, notify::kHash, "hset", c.arg(1));
  c.reply.integer(1);
}

void hget_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.null(); });
  if (!h) return;
  char scratch[HashValue::kScratchSize];
  std::string_view v;
  if (h->get(c.arg(2), scratch, &v)) {
    c.reply.bulk(v);
  } else {
    c.reply.null();
  }
}

void hmget_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (e && !is_hash(e)) return c.wrongtype();
  c.reply.array(c.argc() - 2);
  char scratch[HashValue::kScratchSize];
  for (size_t i = 2; i < c.argc(); ++i) {
    std::string_view v;
    if (e && hash_of(e)->get(c.arg(i), scratch, &v)) {
      c.reply.bulk(v);
    } else {
      c.reply.null();
    }
  }
}

enum class HashPart { kFields, kValues, kBoth };

void hgetall_generic(CommandContext& c, HashPart part) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] {
    if (part == HashPart::kBoth) {
      c.reply.map(0);
    } else {
      c.reply.array(0);
    }
  });
  if (!h) return;
  if (part == HashPart::kBoth) {
    c.reply.map(h->size());
  } else {
    c.reply.array(h->size());
  }
  h->for_each([&](std::string_view f, std::string_view v) {
    if (part != HashPart::kValues) c.reply.bulk(f);
    if (part != HashPart::kFields) c.reply.bulk(v);
  });
}
void hgetall_command(CommandContext& c) {
  hgetall_generic(c, HashPart::kBoth);
}
void hkeys_command(CommandContext& c) {
  hgetall_generic(c, HashPart::kFields);
}
void hvals_command(CommandContext& c) {
  hgetall_generic(c, HashPart::kValues);
}

void hdel_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (!e) return c.reply.integer(0);
  if (!is_hash(e)) return c.wrongtype();
  int64_t deleted = 0;
  bool now_empty = false;
  k.modify_object([&](CompositeValue* v) {
    auto* h = static_cast<HashValue*>(v);
    for (size_t i = 2; i < c.argc() && h->size() > 0; ++i) deleted += h->erase(c.arg(i));
    now_empty = h->size() == 0;
  });
  if (now_empty) k.erase();
  if (deleted) {
    notify_keyspace_event(c, notify::kHash, "hdel", c.arg(1));
    if (now_empty) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  }
  c.reply.integer(deleted);
}

void hlen_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.integer(0); });
  if (h) c.reply.integer(static_cast<int64_t>(h->size()));
}

void hstrlen_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.integer(0); });
  if (h) c.reply.integer(static_cast<int64_t>(h->value_length(c.arg(2))));
}

void hexists_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.integer(0); });
  if (h) c.reply.integer(h->contains(c.arg(2)) ? 1 : 0);
}

void hincrby_command(CommandContext& c) {
  int64_t incr;
  if (!protocol::parse_int64(c.arg(3), incr)) return c.not_integer();
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_hash(e)) return c.wrongtype();
  int64_t value = 0;
  if (e) {
    char scratch[HashValue::kScratchSize];
    std::string_view text;
    if (hash_of(e)->get(c.arg(2), scratch, &text) && !protocol::parse_int64(text, value)) {
      return c.reply.error("ERR hash value is not an integer");
    }
  }
  if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
      (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
    return c.reply.error("ERR increment or decrement would overflow");
  }
  value += incr;
  edit_hash(c, k, [&](HashValue* h) { h->set(c.arg(2), protocol::int64_to_string(value)); });
  notify_keyspace_event(c, notify::kHash, "hincrby", c.arg(1));
  c.reply.integer(value);
}

void hincrbyfloat_command(CommandContext& c) {
  long double incr;
  if (!protocol::parse_long_double(c.arg(3), incr)) return c.not_float();
  if (std::isnan(incr) || std::isinf(incr)) return c.reply.error("ERR value is NaN or Infinity");
  KeyHandle k = c.open(c.arg(1));
  Entry* e = k.get();
  if (e && !is_hash(e)) return c.wrongtype();
  long double value = 0;
  if (e) {
    char scratch[HashValue::kScratchSize];
    std::string_view text;
    if (hash_of(e)->get(c.arg(2), scratch, &text) && !protocol::parse_long_double(text, value)) {
      return c.reply.error("ERR hash value is not a float");
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    return c.reply.error("ERR increment would produce NaN or Infinity");
  }
  std::string text = protocol::format_long_double(value);
  edit_hash(c, k, [&](HashValue* h) { h->set(c.arg(2), text); });
  notify_keyspace_event(c, notify::kHash, "hincrbyfloat", c.arg(1));
  c.reply.bulk(text);
}

// One field (and its value) of HRANDFIELD's reply: RESP3 nests each pair in an array.
void reply_random_pair(CommandContext& c, std::string_view f, std::string_view v, bool withvalues) {
  if (withvalues && c.reply.resp() > 2) c.reply.array(2);
  c.reply.bulk(f);
  if (withvalues) c.reply.bulk(v);
}

void hrandfield_with_count(CommandContext& c, int64_t l, bool withvalues) {
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.array(0); });
  if (!h) return;
  const bool distinct = l >= 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (count == 0) return c.reply.array(0);
  const size_t size = h->size();
  auto& rng = collection_rng();

  if (!distinct || count == 1) {
    // Independent draws: repeats allowed, any order.
    c.reply.array(withvalues && c.reply.resp() == 2 ? count * 2 : count);
    if (h->is_listpack()) {
      auto all = h->pairs();
      for (uint64_t i = 0; i < count; ++i) {
        const auto& p = all[rng() % size];
        reply_random_pair(c, p.first, p.second, withvalues);
      }
    } else {
      for (uint64_t i = 0; i < count; ++i) {
        const storage::StringDict::Node* n = h->random_node(rng);
        reply_random_pair(c, n->key(), n->value(), withvalues);
      }
    }
    return;
  }

  const size_t reply_size = count < size ? static_cast<size_t>(count) : size;
  c.reply.array(withvalues && c.reply.resp() == 2 ? reply_size * 2 : reply_size);
  if (count >= size) {
    h->for_each(
        [&](std::string_view f, std::string_view v) { reply_random_pair(c, f, v, withvalues); });
    return;
  }
  if (!h->is_listpack() && count * 3 <= size) {
    // Few of many: draw until enough distinct fields came up.
    std::unordered_set<std::string_view> seen;
    while (seen.size() < count) {
      const storage::StringDict::Node* n = h->random_node(rng);
      if (seen.insert(n->key()).second) reply_random_pair(c, n->key(), n->value(), withvalues);
    }
    return;
  }
  auto all = h->pairs();
  for (size_t i : distinct_random_indexes(size, static_cast<size_t>(count))) {
    reply_random_pair(c, all[i].first, all[i].second, withvalues);
  }
}

void hrandfield_command(CommandContext& c) {
  if (c.argc() >= 3) {
    int64_t l;
    if (!parse_signed_count(c, c.arg(2), l)) return;
    bool withvalues = false;
    if (c.argc() > 4 || (c.argc() == 4 && !collection_arg_is(c.arg(3), "withvalues"))) {
      return c.syntax_error();
    }
    if (c.argc() == 4) {
      withvalues = true;
      if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
        return c.reply.error("ERR value is out of range");
      }
    }
    return hrandfield_with_count(c, l, withvalues);
  }
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { c.reply.null(); });
  if (!h) return;
  if (h->is_listpack()) {
    auto all = h->pairs();
    c.reply.bulk(all[collection_rng()() % all.size()].first);
  } else {
    c.reply.bulk(h->random_node(collection_rng())->key());
  }
}

void hscan_command(CommandContext& c) {
  uint64_t cursor;
  if (!parse_element_scan_cursor(c, c.arg(2), cursor)) return;
  KeyHandle k = c.open(c.arg(1));
  const HashValue* h = read_hash(c, k, [&] { reply_empty_element_scan(c); });
  if (!h) return;
  ElementScanOptions o;
  if (!parse_element_scan_options(c, 3, o)) return;
  std::vector<std::string> items;
  int64_t visited = 0;  // fields and values seen, matching or not (Redis's stop rule)
  auto collect = [&](std::string_view f, std::string_view v) {
    visited += 2;
    if (o.use_pattern && !storage::glob_match(o.pattern, f)) return;
    items.emplace_back(f);
    items.emplace_back(v);
  };
  int64_t steps = element_scan_max_steps(o.count);
  do {
    cursor = h->scan(cursor, collect);
  } while (cursor && steps-- && visited < o.count);
  reply_element_scan(c, cursor, items);
}

}  // namespace

void register_hash_commands(CommandTable& t) {
  storage::register_hash_digest();
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadonly;
  constexpr uint32_t kF = kCmdFast;
  const char* g = "hash";
  t.add(make_command("hset", -4, kW | kF, 1, 1, 1, hset_command, g, "2.0.0",
                     "Sets one or more fields of a hash, creating the hash if needed.",
                     "O(1) per field"));
  t.add(make_command("hsetnx", 4, kW | kF, 1, 1, 1, hsetnx_command, g, "2.0.0",
                     "Sets a field of a hash only when the field is absent."));
  t.add(make_command("hmset", -4, kW | kF, 1, 1, 1, hmset_command, g, "2.0.0",
                     "Sets fields of a hash and answers OK (older form of HSET).",
                     "O(1) per field"));
  t.add(make_command("hget", 3, kR | kF, 1, 1, 1, hget_command, g, "2.0.0",
                     "Reads the value of one field of a hash."));
  t.add(make_command("hmget", -3, kR | kF, 1, 1, 1, hmget_command, g, "2.0.0",
                     "Reads the values of several fields of a hash.", "O(1) per field"));
  t.add(make_command("hgetall", 2, kR, 1, 1, 1, hgetall_command, g, "2.0.0",
                     "Reads every field and value of a hash.", "O(N) in the hash's size"));
  t.add(make_command("hkeys", 2, kR, 1, 1, 1, hkeys_command, g, "2.0.0",
                     "Lists the fields of a hash.", "O(N) in the hash's size"));
  t.add(make_command("hvals", 2, kR, 1, 1, 1, hvals_command, g, "2.0.0",
                     "Lists the values of a hash.", "O(N) in the hash's size"));
  t.add(make_command("hdel", -3, kCmdWrite | kF, 1, 1, 1, hdel_command, g, "2.0.0",
                     "Removes fields from a hash, and the hash once it is empty.",
                     "O(1) per field"));
  t.add(make_command("hlen", 2, kR | kF, 1, 1, 1, hlen_command, g, "2.0.0",
                     "Counts the fields of a hash."));
  t.add(make_command("hstrlen", 3, kR | kF, 1, 1, 1, hstrlen_command, g, "3.2.0",
                     "Gives the length of the value of a hash field."));
  t.add(make_command("hexists", 3, kR | kF, 1, 1, 1, hexists_command, g, "2.0.0",
                     "Tells whether a hash has a field."));
  t.add(make_command("hincrby", 4, kW | kF, 1, 1, 1, hincrby_command, g, "2.0.0",
                     "Adds an integer to the integer value of a hash field."));
  t.add(make_command("hincrbyfloat", 4, kW | kF, 1, 1, 1, hincrbyfloat_command, g, "2.6.0",
                     "Adds a decimal number to the numeric value of a hash field."));
  t.add(make_command("hrandfield", -2, kR, 1, 1, 1, hrandfield_command, g, "6.2.0",
                     "Picks random fields of a hash, with or without repeats.",
                     "O(N) in the number of fields returned"));
  t.add(make_command("hscan", -3, kR, 1, 1, 1, hscan_command, g, "2.8.0",
                     "Walks the fields and values of a hash a few at a time with a cursor.",
                     "O(1) per call; O(N) for a whole iteration"));
}

}  // namespace terndb::server

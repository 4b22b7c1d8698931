// Sorted set commands on single members: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE,
// ZRANK, ZREVRANK, ZRANDMEMBER, ZSCAN. Ranges live in cmd_zset_range.cc, pops in
// cmd_zset_pop.cc and set operations in cmd_zset_setops.cc.
#include <cerrno>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "server/command.h"
#include "server/notify.h"
#include "server/zset_common.h"
#include "storage/glob.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;
using storage::ZAddResult;
using storage::ZSetValue;
using zset::eq_nocase;
using zset::is_zset;
using zset::value_of;

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]; ZINCRBY runs the
// same code with INCR set, options parsing included, as Redis does.
void zadd_generic(CommandContext& c, unsigned flags) {
  size_t idx = 2;
  bool ch = false;
  for (; idx < c.argc(); ++idx) {
    std::string_view opt = c.arg(idx);
    if (eq_nocase(opt, "nx")) {
      flags |= storage::kZAddNX;
    } else if (eq_nocase(opt, "xx")) {
      flags |= storage::kZAddXX;
    } else if (eq_nocase(opt, "ch")) {
      ch = true;
    } else if (eq_nocase(opt, "incr")) {
      flags |= storage::kZAddIncr;
    } else if (eq_nocase(opt, "gt")) {
      flags |= storage::kZAddGT;
    } else if (eq_nocase(opt, "lt")) {
      flags |= storage::kZAddLT;
    } else {
      break;
    }
  }
  const bool incr = flags & storage::kZAddIncr, nx = flags & storage::kZAddNX;
  const bool xx = flags & storage::kZAddXX, gt = flags & storage::kZAddGT;
  const bool lt = flags & storage::kZAddLT;
  size_t elements = c.argc() - idx;
  if (elements % 2 || elements == 0) return c.syntax_error();
  elements /= 2;
  if (nx && xx) return c.reply.error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return c.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 1) {
    return c.reply.error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!zset::parse_score(c.arg(idx + j * 2), scores[j])) return c.not_float();
  }

  KeyHandle k = c.open(c.arg(1));
  Entry* e = zset::lookup_write(k);
  if (e && !is_zset(e)) return c.wrongtype();
  size_t added = 0, updated = 0, processed = 0;
  double score = 0;
  bool nan = false;
  auto add_all = [&](ZSetValue* z) {
    for (size_t j = 0; j < elements; ++j) {
      double new_score = 0;
      ZAddResult r = z->add(c.arg(idx + 1 + j * 2), scores[j], flags, &new_score);
      if (r == ZAddResult::kNaN) {
        nan = true;
        break;
      }
      if (r == ZAddResult::kAdded) ++added;
      if (r == ZAddResult::kUpdated) ++updated;
      if (r != ZAddResult::kSkipped) {
        ++processed;
        score = new_score;
      }
    }
    return added + updated > 0;
  };
  if (e) {
    zset::edit(k, add_all);
  } else if (!xx) {
    auto* z = new ZSetValue();
    add_all(z);
    k.put(storage::make_object_entry(c.arg(1), storage::ValueType::kZSet, z, -1));
  }
  if (added + updated > 0) {
    notify_keyspace_event(c, notify::kZset, incr ? "zincr" : "zadd", c.arg(1));
  }
  if (nan) return c.reply.error("ERR resulting score is not a number (NaN)");
  if (incr) {
    if (processed) {
      c.reply.dbl(score);
    } else {
      c.reply.null();
    }
  } else {
    c.reply.integer(static_cast<int64_t>(ch ? added + updated : added));
  }
}

void zadd_command(CommandContext& c) {
  zadd_generic(c, 0);
}
void zincrby_command(CommandContext& c) {
  zadd_generic(c, storage::kZAddIncr);
}

void zrem_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = zset::lookup_write(k);
  if (!e) return c.reply.integer(0);
  if (!is_zset(e)) return c.wrongtype();
  int64_t deleted = 0;
  bool emptied = false;
  zset::edit(k, [&](ZSetValue* z) {
    for (size_t j = 2; j < c.argc(); ++j) {
      if (z->erase(c.arg(j))) ++deleted;
      if (z->size() == 0) {
        emptied = true;
        break;
      }
    }
    return deleted > 0;
  });
  if (emptied) k.erase();
  if (deleted) {
    notify_keyspace_event(c, notify::kZset, "zrem", c.arg(1));
    if (emptied) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  }
  c.reply.integer(deleted);
}

// Looks a key up for reading; replies `missing` when absent and WRONGTYPE when it holds
// another type. Returns the set or null when a reply was written.
template <typename Missing>
ZSetValue* read_zset(CommandContext& c, KeyHandle& k, Missing&& missing) {
  Entry* e = c.lookup_read(k);
  if (!e) {
    missing();
    return nullptr;
  }
  if (!is_zset(e)) {
    c.wrongtype();
    return nullptr;
  }
  return value_of(e);
}

void zcard_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  if (ZSetValue* z = read_zset(c, k, [&] { c.reply.integer(0); })) {
    c.reply.integer(static_cast<int64_t>(z->size()));
  }
}

void zscore_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  ZSetValue* z = read_zset(c, k, [&] { c.reply.null(); });
  if (!z) return;
  double score;
  if (z->score(c.arg(2), &score)) {
    c.reply.dbl(score);
  } else {
    c.reply.null();
  }
}

void zmscore_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (e && !is_zset(e)) return c.wrongtype();
  ZSetValue* z = e ? value_of(e) : nullptr;
  c.reply.array(c.argc() - 2);
  for (size_t j = 2; j < c.argc(); ++j) {
    double score;
    if (z && z->score(c.arg(j), &score)) {
      c.reply.dbl(score);
    } else {
      c.reply.null();
    }
  }
}

void zrank_generic(CommandContext& c, bool reverse) {
  KeyHandle k = c.open(c.arg(1));
  ZSetValue* z = read_zset(c, k, [&] { c.reply.null(); });
  if (!z) return;
  int64_t rank = z->rank(c.arg(2));
  if (rank < 0) return c.reply.null();
  c.reply.integer(reverse ? static_cast<int64_t>(z->size()) - 1 - rank : rank);
}

void zrank_command(CommandContext& c) {
  zrank_generic(c, false);
}
void zrevrank_command(CommandContext& c) {
  zrank_generic(c, true);
}

void zrandmember_with_count(CommandContext& c, int64_t l, bool withscores) {
  KeyHandle k = c.open(c.arg(1));
  ZSetValue* z = read_zset(c, k, [&] { c.reply.empty_array(); });
  if (!z) return;
  const size_t size = z->size();
  const bool unique = l >= 0;
  const uint64_t count = unique ? static_cast<uint64_t>(l) : 0 - static_cast<uint64_t>(l);
  if (count == 0) return c.reply.empty_array();

  // Repetitions allowed (negative count), or a single pick: independent draws.
  if (!unique || count == 1) {
    zset::reply_members_header(c.reply, count, withscores);
    for (uint64_t i = 0; i < count; ++i) {
      auto [member, score] = z->random_member(rng());
      zset::reply_member(c.reply, member, score, withscores);
    }
    return;
  }
  // Asking for at least everything: the whole set, in the order Redis reads it.
  if (count >= size) {
    zset::reply_members_header(c.reply, size, withscores);
    z->for_each_descending([&](std::string_view member, double score) {
      zset::reply_member(c.reply, member, score, withscores);
    });
    return;
  }
  // Distinct picks: shuffle the ranks when many are wanted, else draw until distinct.
  std::vector<size_t> ranks;
  if (count * 3 > size) {
    ranks.resize(size);
    for (size_t i = 0; i < size; ++i) ranks[i] = i;
    for (size_t i = 0; i < count; ++i) {
      std::uniform_int_distribution<size_t> pick(i, size - 1);
      std::swap(ranks[i], ranks[pick(rng())]);
    }
    ranks.resize(count);
  } else {
    std::unordered_set<size_t> seen;
    while (ranks.size() < count) {
      size_t r = static_cast<size_t>(rng()() % size);
      if (seen.insert(r).second) ranks.push_back(r);
    }
  }
  zset::reply_members_header(c.reply, count, withscores);
  for (size_t r : ranks) {
    auto [member, score] = z->at(r);
    zset::reply_member(c.reply, member, score, withscores);
  }
}

// ZRANDMEMBER key [count [WITHSCORES]]
void zrandmember_command(CommandContext& c) {
  if (c.argc() >= 3) {
    int64_t l;
    if (!zset::parse_long(c, c.arg(2), l)) return;
    // The count's magnitude must fit: the most negative integer has none.
    if (l == INT64_MIN) {
      return c.reply.error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    if (c.argc() > 4 || (c.argc() == 4 && !eq_nocase(c.arg(3), "withscores"))) {
      return c.syntax_error();
    }
    bool withscores = c.argc() == 4;
    // Redis doubles the count for the reply length with scores, so it bounds it first.
    if (withscores && (l < INT64_MIN / 2 || l > INT64_MAX / 2)) {
      return c.reply.error("ERR value is out of range");
    }
    return zrandmember_with_count(c, l, withscores);
  }
  KeyHandle k = c.open(c.arg(1));
  ZSetValue* z = read_zset(c, k, [&] { c.reply.null(); });
  if (!z) return;
  c.reply.bulk(z->random_member(rng()).first);
}

// Cursors read as C's strtoul reads them: sign, leading zeros and even "" are fine;
// leading spaces, junk and overflow are not.
bool parse_scan_cursor(std::string_view arg, uint64_t& cursor) {
  std::string text(arg);
  if (!text.empty() && isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end;
  errno = 0;
  cursor = strtoull(text.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
void zscan_command(CommandContext& c) {
  uint64_t cursor;
  if (!parse_scan_cursor(c.arg(2), cursor)) return c.reply.error("ERR invalid cursor");
  KeyHandle k = c.open(c.arg(1));
  ZSetValue* z = read_zset(c, k, [&] {
    c.reply.array(2);
    c.reply.bulk("0");
    c.reply.empty_array();
  });
  if (!z) return;
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (size_t i = 3; i < c.argc(); i += 2) {
    const bool has_value = i + 1 < c.argc();
    if (eq_nocase(c.arg(i), "count") && has_value) {
      if (!zset::parse_long(c, c.arg(i + 1), count)) return;
      if (count < 1) return c.syntax_error();
    } else if (eq_nocase(c.arg(i), "match") && has_value) {
      pattern = c.arg(i + 1);
      use_pattern = pattern != "*";
    } else {
      return c.syntax_error();
    }
  }
  std::vector<std::pair<std::string, std::string>> found;
  // Bound the bucket budget (10 * count) so that a huge COUNT cannot overflow it.
  size_t budget_count = static_cast<size_t>(std::min<int64_t>(count, int64_t{1} << 40));
  uint64_t next = z->scan(cursor, budget_count, [&](std::string_view member, std::string text) {
    if (use_pattern && !storage::glob_match(pattern, member)) return;
    found.emplace_back(std::string(member), std::move(text));
  });
  c.reply.array(2);
  c.reply.bulk(std::to_string(next));
  c.reply.array(found.size() * 2);
  for (const auto& [member, text] : found) {
    c.reply.bulk(member);
    c.reply.bulk(text);
  }
}

}  // namespace

void register_zset_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite, kR = kCmdReadonly, kF = kCmdFast, kD = kCmdDenyOom,
                     kK = kCmdKeepsShardLock;
  const char* g = "sorted-set";
  t.add(make_command("zadd", -4, kW | kD | kF | kK, 1, 1, 1, zadd_command, g, "1.2.0",
                     "Adds members with scores to a sorted set, or updates their scores.",
                     "O(log(N)) for each member added"));
  t.add(make_command("zincrby", 4, kW | kD | kF | kK, 1, 1, 1, zincrby_command, g, "1.2.0",
                     "Adds an increment to a member's score.", "O(log(N))"));
  t.add(make_command("zrem", -3, kW | kF | kK, 1, 1, 1, zrem_command, g, "1.2.0",
                     "Removes members from a sorted set; the key goes when it empties.",
                     "O(M*log(N)) for M members removed"));
  t.add(make_command("zcard", 2, kR | kF, 1, 1, 1, zcard_command, g, "1.2.0",
                     "Counts the members of a sorted set."));
  t.add(make_command("zscore", 3, kR | kF, 1, 1, 1, zscore_command, g, "1.2.0",
                     "Reads one member's score."));
  t.add(make_command("zmscore", -3, kR | kF, 1, 1, 1, zmscore_command, g, "6.2.0",
                     "Reads the scores of several members.", "O(N) for N members"));
  t.add(make_command("zrank", 3, kR | kF | kK, 1, 1, 1, zrank_command, g, "2.0.0",
                     "Position of a member counted from the lowest score.", "O(log(N))"));
  t.add(make_command("zrevrank", 3, kR | kF | kK, 1, 1, 1, zrevrank_command, g, "2.0.0",
                     "Position of a member counted from the highest score.", "O(log(N))"));
  t.add(make_command("zrandmember", -2, kR, 1, 1, 1, zrandmember_command, g, "6.2.0",
                     "Picks random members, optionally with their scores.",
                     "O(N) for N members returned"));
  t.add(make_command("zscan", -3, kR, 1, 1, 1, zscan_command, g, "2.8.0",
                     "Walks the members and scores of a sorted set with a cursor.",
                     "O(1) per call; O(N) for a whole iteration"));
  register_zset_range_commands(t);
  register_zset_pop_commands(t);
  register_zset_setop_commands(t);
  storage::register_zset_digest();
}

}  // namespace terndb::server

// Sorted set ranges: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and its older
// spellings, ZRANGESTORE, ZCOUNT, ZLEXCOUNT and the ZREMRANGEBY* commands.
//
// Every range is resolved to a span of ranks first (ZSetValue::score_span / lex_span),
// then visited or erased; LIMIT offset and count cut that span from the front, or from the
// back for reverse ranges.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "server/command.h"
#include "server/notify.h"
#include "server/zset_common.h"
#include "storage/hashing.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;
using storage::ZRankSpan;
using storage::ZSetValue;
using zset::eq_nocase;
using zset::is_zset;
using zset::value_of;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// A range request resolved against a set: visit ranks [lo, hi), descending when reverse.
struct Selection {
  size_t lo = 0, hi = 0;
  bool reverse = false;
  size_t size() const { return hi > lo ? hi - lo : 0; }
};

Selection select_by_rank(const ZSetValue& z, int64_t start, int64_t end, bool reverse) {
  const int64_t llen = static_cast<int64_t>(z.size());
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return {};
  if (end >= llen) end = llen - 1;
  if (!reverse) return {static_cast<size_t>(start), static_cast<size_t>(end) + 1, false};
  return {static_cast<size_t>(llen - 1 - end), static_cast<size_t>(llen - start), true};
}

// Applies LIMIT offset count to the span a score or lex range selected.
Selection select_with_limit(const ZSetValue& z, ZRankSpan span, int64_t offset, int64_t limit,
                            bool reverse) {
  if (offset > 0 && offset >= static_cast<int64_t>(z.size())) return {};
  // A negative offset walks off the end of the set in Redis: nothing is returned.
  if (offset < 0) return {};
  const size_t n = span.size(), off = static_cast<size_t>(offset);
  if (off >= n) return {};
  const size_t avail = n - off;
  const size_t count = limit < 0 ? avail : std::min(static_cast<size_t>(limit), avail);
  if (!reverse) return {span.lo + off, span.lo + off + count, false};
  return {span.hi - off - count, span.hi - off, true};
}

// ZRANGE and friends. `first` is the index of the source key; the min/max (or start/stop)
// arguments follow it and options start two further on. `store` is ZRANGESTORE's mode.
void zrange_generic(CommandContext& c, size_t first, bool store, RangeType type, Direction dir) {
  size_t min_idx = first + 1, max_idx = first + 2;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = first + 3; j < c.argc(); ++j) {
    const size_t left = c.argc() - j - 1;
    std::string_view opt = c.arg(j);
    if (!store && eq_nocase(opt, "withscores")) {
      withscores = true;
    } else if (eq_nocase(opt, "limit") && left >= 2) {
      if (!zset::parse_long(c, c.arg(j + 1), offset) || !zset::parse_long(c, c.arg(j + 2), limit)) {
        return;
      }
      j += 2;
    } else if (dir == Direction::kAuto && eq_nocase(opt, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && eq_nocase(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && eq_nocase(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      return c.syntax_error();
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  const bool reverse = dir == Direction::kReverse;
  if (limit != -1 && type == RangeType::kRank) {
    return c.reply.error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withscores && type == RangeType::kLex) {
    return c.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  // Reverse score and lex ranges name the upper bound first.
  if (reverse && type != RangeType::kRank) std::swap(min_idx, max_idx);

  int64_t start = 0, end = 0;
  storage::ZScoreRange score_range;
  storage::ZLexRange lex_range;
  switch (type) {
    case RangeType::kScore:
      if (!zset::parse_score_range(c.arg(min_idx), c.arg(max_idx), score_range)) {
        return c.reply.error("ERR min or max is not a float");
      }
      break;
    case RangeType::kLex:
      if (!zset::parse_lex_range(c.arg(min_idx), c.arg(max_idx), lex_range)) {
        return c.reply.error("ERR min or max not valid string range item");
      }
      break;
    default:
      if (!zset::parse_long(c, c.arg(min_idx), start) ||
          !zset::parse_long(c, c.arg(max_idx), end)) {
        return;
      }
      break;
  }

  std::vector<std::string_view> keys{c.arg(first)};
  if (store) keys.push_back(c.arg(1));
  storage::ShardLocks locks(c.keyspace(), zset::shards_of(c, keys), c.all_locked);
  KeyHandle src(c.keyspace(), c.db(), c.arg(first), c.now, true);
  Entry* e = c.lookup_read(src);
  if (e && !is_zset(e)) return c.wrongtype();

  Selection sel;
  if (e) {
    const ZSetValue& z = *value_of(e);
    switch (type) {
      case RangeType::kScore:
        sel = select_with_limit(z, z.score_span(score_range), offset, limit, reverse);
        break;
      case RangeType::kLex:
        sel = select_with_limit(z, z.lex_span(lex_range, reverse), offset, limit, reverse);
        break;
      default:
        sel = select_by_rank(z, start, end, reverse);
        break;
    }
  }

  if (!store) {
    if (!e) return c.reply.empty_array();
    zset::reply_members_header(c.reply, sel.size(), withscores);
    value_of(e)->visit(sel.lo, sel.hi, sel.reverse, [&](std::string_view m, double s) {
      zset::reply_member(c.reply, m, s, withscores);
    });
    return;
  }
  std::vector<std::pair<std::string, double>> items;
  items.reserve(sel.size());
  if (e) {
    // Ascending order for the destination, whatever the direction of the range.
    value_of(e)->visit(sel.lo, sel.hi, false, [&](std::string_view m, double s) {
      items.emplace_back(std::string(m), s);
    });
  }
  KeyHandle dst(c.keyspace(), c.db(), c.arg(1), c.now, true);
  zset::store_result(c, dst, ZSetValue::from_sorted(items), "zrangestore");
  c.reply.integer(static_cast<int64_t>(items.size()));
}

void zrange_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kAuto, Direction::kAuto);
}
void zrangestore_command(CommandContext& c) {
  zrange_generic(c, 2, true, RangeType::kAuto, Direction::kAuto);
}
void zrevrange_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kRank, Direction::kReverse);
}
void zrangebyscore_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kScore, Direction::kForward);
}
void zrevrangebyscore_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kScore, Direction::kReverse);
}
void zrangebylex_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kLex, Direction::kForward);
}
void zrevrangebylex_command(CommandContext& c) {
  zrange_generic(c, 1, false, RangeType::kLex, Direction::kReverse);
}

void zcount_command(CommandContext& c) {
  storage::ZScoreRange range;
  if (!zset::parse_score_range(c.arg(2), c.arg(3), range)) {
    return c.reply.error("ERR min or max is not a float");
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.integer(0);
  if (!is_zset(e)) return c.wrongtype();
  c.reply.integer(static_cast<int64_t>(value_of(e)->score_span(range).size()));
}

void zlexcount_command(CommandContext& c) {
  storage::ZLexRange range;
  if (!zset::parse_lex_range(c.arg(2), c.arg(3), range)) {
    return c.reply.error("ERR min or max not valid string range item");
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = c.lookup_read(k);
  if (!e) return c.reply.integer(0);
  if (!is_zset(e)) return c.wrongtype();
  c.reply.integer(static_cast<int64_t>(value_of(e)->lex_span(range, false).size()));
}

void zremrange_generic(CommandContext& c, RangeType type) {
  int64_t start = 0, end = 0;
  storage::ZScoreRange score_range;
  storage::ZLexRange lex_range;
  if (type == RangeType::kRank) {
    if (!zset::parse_long(c, c.arg(2), start) || !zset::parse_long(c, c.arg(3), end)) return;
  } else if (type == RangeType::kScore) {
    if (!zset::parse_score_range(c.arg(2), c.arg(3), score_range)) {
      return c.reply.error("ERR min or max is not a float");
    }
  } else if (!zset::parse_lex_range(c.arg(2), c.arg(3), lex_range)) {
    return c.reply.error("ERR min or max not valid string range item");
  }
  KeyHandle k = c.open(c.arg(1));
  Entry* e = zset::lookup_write(k);
  if (!e) return c.reply.integer(0);
  if (!is_zset(e)) return c.wrongtype();
  ZSetValue* z = value_of(e);
  ZRankSpan span;
  if (type == RangeType::kRank) {
    Selection sel = select_by_rank(*z, start, end, false);
    span = {sel.lo, sel.hi};
  } else if (type == RangeType::kScore) {
    span = z->score_span(score_range);
  } else {
    span = z->lex_span(lex_range, false);
  }
  size_t removed = 0;
  zset::edit(k, [&](ZSetValue* v) {
    removed = v->erase_ranks(span.lo, span.hi);
    return removed > 0;
  });
  const bool emptied = z->size() == 0;
  if (emptied) k.erase();
  if (removed) {
    static constexpr const char* kEvents[] = {"zremrangebyscore", "zremrangebylex",
                                              "zremrangebyrank"};
    const char* event = type == RangeType::kScore ? kEvents[0]
                        : type == RangeType::kLex ? kEvents[1]
                                                  : kEvents[2];
    notify_keyspace_event(c, notify::kZset, event, c.arg(1));
    if (emptied) notify_keyspace_event(c, notify::kGeneric, "del", c.arg(1));
  }
  c.reply.integer(static_cast<int64_t>(removed));
}

void zremrangebyrank_command(CommandContext& c) {
  zremrange_generic(c, RangeType::kRank);
}
void zremrangebyscore_command(CommandContext& c) {
  zremrange_generic(c, RangeType::kScore);
}
void zremrangebylex_command(CommandContext& c) {
  zremrange_generic(c, RangeType::kLex);
}

}  // namespace

void register_zset_range_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite, kR = kCmdReadonly, kF = kCmdFast, kD = kCmdDenyOom;
  const char* g = "sorted-set";
  const char* range_cost = "O(log(N)+M) for M members returned";
  t.add(make_command("zrange", -4, kR, 1, 1, 1, zrange_command, g, "1.2.0",
                     "Returns members by rank, score or lex range, in either direction.",
                     range_cost));
  t.add(make_command("zrangestore", -5, kW | kD, 1, 2, 1, zrangestore_command, g, "6.2.0",
                     "Stores a range of a sorted set under another key.",
                     "O(log(N)+M) for M members stored"));
  t.add(make_command("zrevrange", -4, kR, 1, 1, 1, zrevrange_command, g, "1.2.0",
                     "Returns members by rank, from the highest score down.", range_cost));
  t.add(make_command("zrangebyscore", -4, kR, 1, 1, 1, zrangebyscore_command, g, "1.0.5",
                     "Returns members whose scores fall in a range.", range_cost));
  t.add(make_command("zrevrangebyscore", -4, kR, 1, 1, 1, zrevrangebyscore_command, g, "2.2.0",
                     "Returns members whose scores fall in a range, highest first.", range_cost));
  t.add(make_command("zrangebylex", -4, kR, 1, 1, 1, zrangebylex_command, g, "2.8.9",
                     "Returns members in a lexicographical range (equal scores).", range_cost));
  t.add(make_command("zrevrangebylex", -4, kR, 1, 1, 1, zrevrangebylex_command, g, "2.8.9",
                     "Returns members in a lexicographical range, last first.", range_cost));
  t.add(make_command("zcount", 4, kR | kF, 1, 1, 1, zcount_command, g, "2.0.0",
                     "Counts the members whose scores fall in a range.", "O(log(N))"));
  t.add(make_command("zlexcount", 4, kR | kF, 1, 1, 1, zlexcount_command, g, "2.8.9",
                     "Counts the members in a lexicographical range.", "O(log(N))"));
  t.add(make_command("zremrangebyrank", 4, kW, 1, 1, 1, zremrangebyrank_command, g, "2.0.0",
                     "Removes the members in a range of ranks.",
                     "O(log(N)+M) for M members removed"));
  t.add(make_command("zremrangebyscore", 4, kW, 1, 1, 1, zremrangebyscore_command, g, "1.2.0",
                     "Removes the members whose scores fall in a range.",
                     "O(log(N)+M) for M members removed"));
  t.add(make_command("zremrangebylex", 4, kW, 1, 1, 1, zremrangebylex_command, g, "2.8.9",
                     "Removes the members in a lexicographical range.",
                     "O(log(N)+M) for M members removed"));
}

}  // namespace terndb::server

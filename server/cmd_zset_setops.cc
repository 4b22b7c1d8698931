// Set algebra over sorted sets: ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD.
//
// Inputs may be sorted sets or plain sets (whose members count with score 1). Inputs are
// read in Redis's order -- sorted by size for union and intersection, members of a sorted
// set from the highest score down -- so that floating-point sums come out bit for bit as
// Redis computes them.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/zset_common.h"
#include "storage/set_value.h"

namespace terndb::server {
namespace {

using storage::Entry;
using storage::KeyHandle;
using storage::ZSetValue;
using zset::eq_nocase;
using zset::is_zset;
using zset::value_of;

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input key: a sorted set, a plain set (every member scores 1) or nothing (missing).
struct Input {
  const ZSetValue* zset = nullptr;
  const storage::SetValue* set = nullptr;
  const Entry* identity = nullptr;  // the same key named twice has the same identity
  double weight = 1;

  size_t size() const {
    if (zset) return zset->size();
    return set ? set->size() : 0;
  }
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (zset) return zset->for_each_descending(fn);
    if (set) set->for_each([&](std::string_view member) { fn(member, 1.0); });
  }
  bool find(std::string_view member, double* score) const {
    if (zset) return zset->score(member, score);
    if (set && set->contains(member)) {
      *score = 1.0;
      return true;
    }
    return false;
  }
};

void aggregate(double& target, double value, Aggregate how) {
  switch (how) {
    case Aggregate::kSum:
      target += value;
      // inf + -inf: Redis settles on 0 rather than store NaN.
      if (std::isnan(target)) target = 0.0;
      break;
    case Aggregate::kMin:
      target = value < target ? value : target;
      break;
    case Aggregate::kMax:
      target = value > target ? value : target;
      break;
  }
}

const char* command_name(const CommandContext& c) {
  return c.spec->name.c_str();
}

// ZUNION/ZINTER/ZDIFF[STORE]/ZINTERCARD. `dst_idx` is the destination's index (0: none);
// numkeys sits at `numkeys_idx` and the keys follow it.
void setop_generic(CommandContext& c, size_t dst_idx, size_t numkeys_idx, SetOp op,
                   bool cardinality_only) {
  int64_t setnum;
  if (!zset::parse_long(c, c.arg(numkeys_idx), setnum)) return;
  if (setnum < 1) {
    return c.reply.error(std::string("ERR at least 1 input key is needed for '") + command_name(c) +
                         "' command");
  }
  if (static_cast<uint64_t>(setnum) > c.argc() - (numkeys_idx + 1)) return c.syntax_error();
  const size_t n = static_cast<size_t>(setnum);
  const size_t first_key = numkeys_idx + 1;

  std::vector<std::string_view> keys(c.argv.begin() + static_cast<long>(first_key),
                                     c.argv.begin() + static_cast<long>(first_key + n));
  if (dst_idx) keys.push_back(c.arg(dst_idx));
  storage::ShardLocks locks(c.keyspace(), zset::shards_of(c, keys), c.all_locked);

  std::vector<Input> inputs(n);
  for (size_t i = 0; i < n; ++i) {
    KeyHandle k(c.keyspace(), c.db(), c.arg(first_key + i), c.now, true);
    Entry* e = c.lookup_read(k);
    if (!e) continue;
    if (is_zset(e)) {
      inputs[i].zset = value_of(e);
    } else if (e->value_type() == storage::ValueType::kSet) {
      inputs[i].set = static_cast<const storage::SetValue*>(e->object());
    } else {
      return c.wrongtype();
    }
    inputs[i].identity = e;
  }

  Aggregate how = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  for (size_t j = first_key + n; j < c.argc();) {
    const size_t remaining = c.argc() - j;
    std::string_view opt = c.arg(j);
    if (op != SetOp::kDiff && !cardinality_only && remaining >= n + 1 &&
        eq_nocase(opt, "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        if (!zset::parse_score(c.arg(j), inputs[i].weight)) {
          return c.reply.error("ERR weight value is not a float");
        }
      }
    } else if (op != SetOp::kDiff && !cardinality_only && remaining >= 2 &&
               eq_nocase(opt, "aggregate")) {
      std::string_view a = c.arg(j + 1);
      if (eq_nocase(a, "sum")) {
        how = Aggregate::kSum;
      } else if (eq_nocase(a, "min")) {
        how = Aggregate::kMin;
      } else if (eq_nocase(a, "max")) {
        how = Aggregate::kMax;
      } else {
        return c.syntax_error();
      }
      j += 2;
    } else if (!dst_idx && !cardinality_only && eq_nocase(opt, "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && eq_nocase(opt, "limit")) {
      if (!protocol::parse_int64(c.arg(j + 1), limit) || limit < 0) {
        return c.reply.error("ERR LIMIT can't be negative");
      }
      j += 2;
    } else {
      return c.syntax_error();
    }
  }

  // Smallest inputs first (a stable sort, as Redis's qsort behaves on these sizes).
  if (op != SetOp::kDiff) {
    std::stable_sort(inputs.begin(), inputs.end(),
                     [](const Input& a, const Input& b) { return a.size() < b.size(); });
  }

  std::vector<std::pair<std::string, double>> result;
  uint64_t cardinality = 0;
  if (op == SetOp::kInter) {
    if (inputs[0].size() > 0) {
      bool done = false;
      inputs[0].for_each([&](std::string_view member, double s) {
        if (done) return;
        double score = inputs[0].weight * s;
        if (std::isnan(score)) score = 0;
        size_t j = 1;
        for (; j < n; ++j) {
          double value;
          if (inputs[j].identity == inputs[0].identity) {
            aggregate(score, s * inputs[j].weight, how);
          } else if (inputs[j].find(member, &value)) {
            aggregate(score, value * inputs[j].weight, how);
          } else {
            break;
          }
        }
        if (j < n) return;
        if (cardinality_only) {
          ++cardinality;
          if (limit && cardinality >= static_cast<uint64_t>(limit)) done = true;
        } else {
          result.emplace_back(std::string(member), score);
        }
      });
    }
  } else if (op == SetOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    acc.reserve(inputs.back().size());
    for (const Input& in : inputs) {
      in.for_each([&](std::string_view member, double s) {
        double score = in.weight * s;
        if (std::isnan(score)) score = 0;
        auto [it, fresh] = acc.try_emplace(std::string(member), score);
        if (!fresh) aggregate(it->second, score, how);
      });
    }
    result.reserve(acc.size());
    for (auto& [member, score] : acc) result.emplace_back(member, score);
  } else {
    bool self_diff = false;
    for (size_t j = 1; j < n; ++j) self_diff |= inputs[j].identity == inputs[0].identity;
    if (inputs[0].size() > 0 && !self_diff) {
      inputs[0].for_each([&](std::string_view member, double s) {
        double ignored;
        for (size_t j = 1; j < n; ++j) {
          if (inputs[j].find(member, &ignored)) return;
        }
        result.emplace_back(std::string(member), s);
      });
    }
  }

  if (cardinality_only) return c.reply.integer(static_cast<int64_t>(cardinality));
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  if (dst_idx) {
    KeyHandle dst(c.keyspace(), c.db(), c.arg(dst_idx), c.now, true);
    const char* event = op == SetOp::kUnion   ? "zunionstore"
                        : op == SetOp::kInter ? "zinterstore"
                                              : "zdiffstore";
    zset::store_result(c, dst, ZSetValue::from_sorted(result), event);
    return c.reply.integer(static_cast<int64_t>(result.size()));
  }
  zset::reply_members_header(c.reply, result.size(), withscores);
  for (const auto& [member, score] : result) zset::reply_member(c.reply, member, score, withscores);
}

void zunion_command(CommandContext& c) {
  setop_generic(c, 0, 1, SetOp::kUnion, false);
}
void zinter_command(CommandContext& c) {
  setop_generic(c, 0, 1, SetOp::kInter, false);
}
void zdiff_command(CommandContext& c) {
  setop_generic(c, 0, 1, SetOp::kDiff, false);
}
void zintercard_command(CommandContext& c) {
  setop_generic(c, 0, 1, SetOp::kInter, true);
}
void zunionstore_command(CommandContext& c) {
  setop_generic(c, 1, 2, SetOp::kUnion, false);
}
void zinterstore_command(CommandContext& c) {
  setop_generic(c, 1, 2, SetOp::kInter, false);
}
void zdiffstore_command(CommandContext& c) {
  setop_generic(c, 1, 2, SetOp::kDiff, false);
}

// Key positions, read as Redis reads them for COMMAND GETKEYS (numkeys through atoi).
std::vector<size_t> numkeys_keys(const std::vector<std::string_view>& argv, size_t numkeys_idx,
                                 bool with_dst) {
  std::vector<size_t> out;
  if (argv.size() <= numkeys_idx) return out;
  long num = std::atol(std::string(argv[numkeys_idx]).c_str());
  if (num < 1 || static_cast<size_t>(num) > argv.size() - numkeys_idx - 1) return out;
  if (with_dst) out.push_back(1);
  for (size_t i = 0; i < static_cast<size_t>(num); ++i) out.push_back(numkeys_idx + 1 + i);
  return out;
}
std::vector<size_t> read_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 1, false);
}
std::vector<size_t> store_keys(const std::vector<std::string_view>& argv) {
  return numkeys_keys(argv, 2, true);
}

}  // namespace

void register_zset_setop_commands(CommandTable& t) {
  constexpr uint32_t kW = kCmdWrite, kR = kCmdReadonly, kD = kCmdDenyOom;
  const char* g = "sorted-set";
  struct Def {
    const char* name;
    int arity;
    uint32_t flags;
    bool store;
    CommandHandler handler;
    const char* since;
    const char* summary;
    const char* complexity;
  };
  const Def defs[] = {
      {"zunion", -3, kR, false, zunion_command, "6.2.0",
       "Returns the union of sorted sets, with weighted and aggregated scores.",
       "O(N)+O(M*log(M)) for N input members and M results"},
      {"zinter", -3, kR, false, zinter_command, "6.2.0",
       "Returns the intersection of sorted sets, with weighted and aggregated scores.",
       "O(N*K)+O(M*log(M)) for the smallest input's N members over K inputs"},
      {"zdiff", -3, kR, false, zdiff_command, "6.2.0",
       "Returns the members of the first sorted set that no other input has.",
       "O(L + (N-K)log(N)) for L input members in all"},
      {"zintercard", -3, kR, false, zintercard_command, "7.0.0",
       "Counts the members common to all the inputs, optionally stopping at a limit.",
       "O(N*K) for the smallest input's N members over K inputs"},
      {"zunionstore", -4, kW | kD, true, zunionstore_command, "2.0.0",
       "Stores the union of sorted sets under a key.",
       "O(N)+O(M*log(M)) for N input members and M results"},
      {"zinterstore", -4, kW | kD, true, zinterstore_command, "2.0.0",
       "Stores the intersection of sorted sets under a key.",
       "O(N*K)+O(M*log(M)) for the smallest input's N members over K inputs"},
      {"zdiffstore", -4, kW | kD, true, zdiffstore_command, "6.2.0",
       "Stores the members of the first sorted set that no other input has.",
       "O(L + (N-K)log(N)) for L input members in all"},
  };
  for (const Def& d : defs) {
    const int key = d.store ? 1 : 0;
    CommandSpec& s = t.add(make_command(d.name, d.arity, d.flags, key, key, key, d.handler, g,
                                        d.since, d.summary, d.complexity));
    s.key_finder = d.store ? store_keys : read_keys;
  }
}

}  // namespace terndb::server

// Sorted set values: members with double scores, ordered by (score, member bytes).
//
// A ZSetValue starts in the compact listpack encoding and converts itself to the skiplist
// encoding when an insertion would pass zset-max-listpack-entries members or bring a
// member longer than zset-max-listpack-value bytes (storage/encoding_limits.h). It never
// converts back on its own, as Redis does not either; only SORT forces the skiplist form
// on a listpack (convert_to_skiplist), again as Redis does.
//
// Positions are 0-based ranks in ascending order; ranges of ranks are half-open spans.
// Score and lex range queries answer with the span of ranks they select, so every range
// command reduces to "visit or erase this span".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/entry.h"
#include "storage/zset_listpack.h"
#include "storage/zset_skiplist.h"

namespace terndb::storage {

// [min, max] with either end exclusive ("(1.5" in a command).
struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool above_min(double v) const { return minex ? v > min : v >= min; }
  bool below_max(double v) const { return maxex ? v < max : v <= max; }
};

// One end of a lex range: "-" (below everything), "+" (above everything), "[x" or "(x".
struct ZLexBound {
  enum Kind { kMinusInf, kPlusInf, kValue };
  Kind kind = kValue;
  std::string value;
  bool exclusive = false;
};

struct ZLexRange {
  ZLexBound min, max;
  bool above_min(std::string_view member) const;
  bool below_max(std::string_view member) const;
  // A range that selects nothing whatever the set holds (min after max, or an empty
  // point range).
  bool empty() const;
};

// Ranks [lo, hi).
struct ZRankSpan {
  size_t lo = 0, hi = 0;
  size_t size() const { return hi > lo ? hi - lo : 0; }
};

// ZADD's flags and what an addition did.
enum ZAddFlag : unsigned {
  kZAddIncr = 1u << 0,
  kZAddNX = 1u << 1,
  kZAddXX = 1u << 2,
  kZAddGT = 1u << 3,
  kZAddLT = 1u << 4,
};
enum class ZAddResult { kAdded, kUpdated, kUnchanged, kSkipped, kNaN };

class ZSetValue final : public CompositeValue {
 public:
  ZSetValue() = default;
  ~ZSetValue() override = default;
  ZSetValue& operator=(const ZSetValue&) = delete;

  // A set built from members already in ascending (score, member) order, in the
  // encoding the limits pick for its final size and longest member.
  static ZSetValue* from_sorted(const std::vector<std::pair<std::string, double>>& items);

  const char* encoding_name() const override { return sl_ ? "skiplist" : "listpack"; }
  size_t memory_usage() const override;
  CompositeValue* clone() const override;

  bool is_skiplist() const { return sl_ != nullptr; }
  size_t size() const { return sl_ ? sl_->size() : lp_.size(); }

  // The member's score, or false when absent.
  bool score(std::string_view member, double* out) const;
  // ZADD semantics for one member (see ZAddFlag); *new_score receives the resulting score
  // for kAdded, kUpdated and kUnchanged.
  ZAddResult add(std::string_view member, double score, unsigned flags, double* new_score);
  bool erase(std::string_view member);
  // Ascending 0-based rank, or -1 when absent.
  int64_t rank(std::string_view member) const;

  // Calls fn(member, score) for ranks [lo, hi), ascending or (reverse) descending.
  template <typename Fn>
  void visit(size_t lo, size_t hi, bool reverse, Fn&& fn) const;
  // Calls fn(member, score) for every member, in descending order (the order in which
  // Redis's set operations read their inputs).
  template <typename Fn>
  void for_each_descending(Fn&& fn) const {
    visit(0, size(), true, fn);
  }
  // The member and score at a rank (< size()).
  std::pair<std::string_view, double> at(size_t rank) const;

  // The ranks of the members inside a score range.
  ZRankSpan score_span(const ZScoreRange& range) const;
  // The ranks of the members inside a lex range. Lex ranges assume equal scores; when
  // scores differ, the listpack answers as Redis's listpack walk does, from the front or
  // (from_back, for reverse ranges) from the back.
  ZRankSpan lex_span(const ZLexRange& range, bool from_back) const;
  // Removes ranks [lo, hi); returns how many were removed.
  size_t erase_ranks(size_t lo, size_t hi);

  // SORT reads sorted sets in the skiplist form and leaves them converted.
  void convert_to_skiplist();

  // One ZSCAN step: fn(member, score text) for what the cursor covers. A listpack returns
  // everything at once (cursor 0 next); a skiplist walks its member index.
  template <typename Fn>
  uint64_t scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // A random member (the set must not be empty).
  std::pair<std::string_view, double> random_member(std::mt19937_64& rng) const;

 private:
  ZSetValue(const ZSetValue& o);

  ZListpack lp_;
  std::unique_ptr<ZSkiplist> sl_;
};

// Score texts as Redis 7.0 shows them where it does not use its double reply: a listpack
// keeps integral scores as integers, so ZSCAN prints 1e17 as "100000000000000000" there;
// elsewhere (skiplist ZSCAN, DEBUG DIGEST) scores print with %.17g.
std::string listpack_score_text(double score);
std::string score_text_17g(double score);

// DEBUG DIGEST for sorted sets; called by the sorted set command family's registration.
void register_zset_digest();

// --- template members ---------------------------------------------------------------

template <typename Fn>
void ZSetValue::visit(size_t lo, size_t hi, bool reverse, Fn&& fn) const {
  if (hi > size()) hi = size();
  if (lo >= hi) return;
  if (sl_) {
    if (!reverse) {
      ZSkiplist::Node* n = sl_->at_rank(lo + 1);
      for (size_t i = lo; i < hi; ++i, n = n->next()) fn(n->member(), n->score);
    } else {
      ZSkiplist::Node* n = sl_->at_rank(hi);
      for (size_t i = lo; i < hi; ++i, n = n->prev()) fn(n->member(), n->score);
    }
    return;
  }
  if (!reverse) {
    size_t off = lp_.offset_of_rank(lo);
    for (size_t i = lo; i < hi; ++i, off = lp_.next(off)) fn(lp_.member(off), lp_.score(off));
  } else {
    std::vector<size_t> offs = lp_.offsets(hi);
    for (size_t i = hi; i > lo; --i) fn(lp_.member(offs[i - 1]), lp_.score(offs[i - 1]));
  }
}

template <typename Fn>
uint64_t ZSetValue::scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (!sl_) {
    for (size_t off = lp_.begin(); off != lp_.end(); off = lp_.next(off)) {
      fn(lp_.member(off), listpack_score_text(lp_.score(off)));
    }
    return 0;
  }
  // Like Redis: stop once `count` replies (a member and its score count as two) were
  // collected or 10 * count buckets visited.
  size_t found = 0;
  size_t budget = count * 10;
  do {
    cursor = sl_->scan(cursor, [&](const ZSkiplist::Node* n) {
      fn(n->member(), score_text_17g(n->score));
      ++found;
    });
  } while (cursor && budget-- && found * 2 < count);
  return cursor;
}

}  // namespace terndb::storage

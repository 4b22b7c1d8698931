#include "storage/zset_value.h"

#include <cmath>
#include <cstdio>

#include "storage/digest.h"
#include "storage/encoding_limits.h"

namespace terndb::storage {
namespace {

int64_t max_listpack_entries() {
  return encoding_limits().zset_max_listpack_entries.load(std::memory_order_relaxed);
}
int64_t max_listpack_value() {
  return encoding_limits().zset_max_listpack_value.load(std::memory_order_relaxed);
}

// Redis's ordering of lex bounds: "-" below everything, "+" above, values by bytes.
int compare_bounds(const ZLexBound& a, const ZLexBound& b) {
  if (a.kind == b.kind && a.kind != ZLexBound::kValue) return 0;
  if (a.kind == ZLexBound::kMinusInf || b.kind == ZLexBound::kPlusInf) return -1;
  if (a.kind == ZLexBound::kPlusInf || b.kind == ZLexBound::kMinusInf) return 1;
  int c = std::string_view(a.value).compare(b.value);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool score_range_empty(const ZScoreRange& r) {
  return r.min > r.max || (r.min == r.max && (r.minex || r.maxex));
}

}  // namespace

bool ZLexRange::above_min(std::string_view member) const {
  switch (min.kind) {
    case ZLexBound::kMinusInf:
      return true;
    case ZLexBound::kPlusInf:
      return false;
    case ZLexBound::kValue:
      break;
  }
  int c = member.compare(min.value);
  return min.exclusive ? c > 0 : c >= 0;
}

bool ZLexRange::below_max(std::string_view member) const {
  switch (max.kind) {
    case ZLexBound::kPlusInf:
      return true;
    case ZLexBound::kMinusInf:
      return false;
    case ZLexBound::kValue:
      break;
  }
  int c = member.compare(max.value);
  return max.exclusive ? c < 0 : c <= 0;
}

bool ZLexRange::empty() const {
  int c = compare_bounds(min, max);
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

ZSetValue::ZSetValue(const ZSetValue& o) : CompositeValue(), lp_(o.lp_) {
  if (o.sl_) {
    sl_ = std::make_unique<ZSkiplist>();
    for (auto* n = o.sl_->first(); n; n = n->next()) sl_->insert(n->member(), n->score);
  }
}

ZSetValue* ZSetValue::from_sorted(const std::vector<std::pair<std::string, double>>& items) {
  auto* z = new ZSetValue();
  size_t longest = 0;
  for (const auto& it : items) longest = it.first.size() > longest ? it.first.size() : longest;
  if (static_cast<int64_t>(items.size()) <= max_listpack_entries() &&
      static_cast<int64_t>(longest) <= max_listpack_value()) {
    for (const auto& it : items) z->lp_.append(it.first, it.second);
  } else {
    z->sl_ = std::make_unique<ZSkiplist>();
    for (const auto& it : items) z->sl_->insert(it.first, it.second);
  }
  return z;
}

size_t ZSetValue::memory_usage() const {
  size_t n = sizeof(ZSetValue) + lp_.heap_bytes();
  if (sl_) n += sizeof(ZSkiplist) + sl_->heap_bytes();
  return n;
}

CompositeValue* ZSetValue::clone() const {
  return new ZSetValue(*this);
}

bool ZSetValue::score(std::string_view member, double* out) const {
  if (sl_) {
    ZSkiplist::Node* n = sl_->find(member);
    if (!n) return false;
    *out = n->score;
    return true;
  }
  return lp_.find(member, out) != ZListpack::npos;
}

ZAddResult ZSetValue::add(std::string_view member, double score, unsigned flags,
                          double* new_score) {
  const bool incr = flags & kZAddIncr, nx = flags & kZAddNX, xx = flags & kZAddXX;
  const bool gt = flags & kZAddGT, lt = flags & kZAddLT;
  if (std::isnan(score)) return ZAddResult::kNaN;

  // The checks an existing member goes through, in Redis's order; false means "leave it".
  auto resolve = [&](double cur, ZAddResult& result) {
    if (nx) {
      result = ZAddResult::kSkipped;
      return false;
    }
    if (incr) {
      score += cur;
      if (std::isnan(score)) {
        result = ZAddResult::kNaN;
        return false;
      }
    }
    if ((lt && score >= cur) || (gt && score <= cur)) {
      result = ZAddResult::kSkipped;
      return false;
    }
    if (new_score) *new_score = score;
    result = score != cur ? ZAddResult::kUpdated : ZAddResult::kUnchanged;
    return score != cur;
  };

  if (!sl_) {
    double cur;
    size_t off = lp_.find(member, &cur);
    if (off != ZListpack::npos) {
      ZAddResult result;
      if (resolve(cur, result)) {
        lp_.erase_at(off);
        lp_.insert(member, score);
      }
      return result;
    }
    if (xx) return ZAddResult::kSkipped;
    if (static_cast<int64_t>(lp_.size()) + 1 > max_listpack_entries() ||
        static_cast<int64_t>(member.size()) > max_listpack_value()) {
      convert_to_skiplist();
    } else {
      lp_.insert(member, score);
      if (new_score) *new_score = score;
      return ZAddResult::kAdded;
    }
  }

  ZSkiplist::Node* n = sl_->find(member);
  if (n) {
    ZAddResult result;
    if (resolve(n->score, result)) sl_->update_score(n, score);
    return result;
  }
  if (xx) return ZAddResult::kSkipped;
  sl_->insert(member, score);
  if (new_score) *new_score = score;
  return ZAddResult::kAdded;
}

bool ZSetValue::erase(std::string_view member) {
  if (sl_) {
    ZSkiplist::Node* n = sl_->find(member);
    if (!n) return false;
    sl_->erase(n);
    return true;
  }
  size_t off = lp_.find(member);
  if (off == ZListpack::npos) return false;
  lp_.erase_at(off);
  return true;
}

int64_t ZSetValue::rank(std::string_view member) const {
  if (sl_) {
    ZSkiplist::Node* n = sl_->find(member);
    return n ? static_cast<int64_t>(sl_->rank(n)) - 1 : -1;
  }
  int64_t r = 0;
  for (size_t off = lp_.begin(); off != lp_.end(); off = lp_.next(off), ++r) {
    if (lp_.member(off) == member) return r;
  }
  return -1;
}

std::pair<std::string_view, double> ZSetValue::at(size_t rank) const {
  if (sl_) {
    ZSkiplist::Node* n = sl_->at_rank(rank + 1);
    return {n->member(), n->score};
  }
  size_t off = lp_.offset_of_rank(rank);
  return {lp_.member(off), lp_.score(off)};
}

std::pair<std::string_view, double> ZSetValue::random_member(std::mt19937_64& rng) const {
  return at(static_cast<size_t>(rng() % size()));
}

ZRankSpan ZSetValue::score_span(const ZScoreRange& range) const {
  if (score_range_empty(range) || size() == 0) return {};
  if (sl_) {
    size_t lo =
        sl_->count_prefix([&](const ZSkiplist::Node* n) { return !range.above_min(n->score); });
    size_t hi =
        sl_->count_prefix([&](const ZSkiplist::Node* n) { return range.below_max(n->score); });
    return {lo, hi > lo ? hi : lo};
  }
  size_t lo = 0, off = lp_.begin();
  while (off != lp_.end() && !range.above_min(lp_.score(off))) {
    off = lp_.next(off);
    ++lo;
  }
  size_t hi = lo;
  while (off != lp_.end() && range.below_max(lp_.score(off))) {
    off = lp_.next(off);
    ++hi;
  }
  return {lo, hi};
}

ZRankSpan ZSetValue::lex_span(const ZLexRange& range, bool from_back) const {
  const size_t n = size();
  if (range.empty() || n == 0) return {};
  // Nothing can match unless the last member is above min and the first below max.
  if (!range.above_min(at(n - 1).first) || !range.below_max(at(0).first)) return {};
  if (sl_) {
    size_t lo = sl_->count_prefix(
        [&](const ZSkiplist::Node* node) { return !range.above_min(node->member()); });
    size_t hi = sl_->count_prefix(
        [&](const ZSkiplist::Node* node) { return range.below_max(node->member()); });
    return {lo, hi > lo ? hi : lo};
  }
  std::vector<size_t> offs = lp_.offsets(n);
  if (!from_back) {
    size_t lo = 0;
    while (lo < n && !range.above_min(lp_.member(offs[lo]))) ++lo;
    if (lo == n || !range.below_max(lp_.member(offs[lo]))) return {};
    size_t hi = lo + 1;
    while (hi < n && range.below_max(lp_.member(offs[hi]))) ++hi;
    return {lo, hi};
  }
  size_t last = n;
  while (last > 0 && !range.below_max(lp_.member(offs[last - 1]))) --last;
  if (last == 0 || !range.above_min(lp_.member(offs[last - 1]))) return {};
  size_t lo = last - 1;
  while (lo > 0 && range.above_min(lp_.member(offs[lo - 1]))) --lo;
  return {lo, last};
}

size_t ZSetValue::erase_ranks(size_t lo, size_t hi) {
  if (sl_) return sl_->erase_ranks(lo, hi);
  size_t before = lp_.size();
  lp_.erase_ranks(lo, hi);
  return before - lp_.size();
}

void ZSetValue::convert_to_skiplist() {
  if (sl_) return;
  auto sl = std::make_unique<ZSkiplist>();
  for (size_t off = lp_.begin(); off != lp_.end(); off = lp_.next(off)) {
    sl->insert(lp_.member(off), lp_.score(off));
  }
  lp_.clear();
  sl_ = std::move(sl);
}

std::string score_text_17g(double score) {
  char buf[64];
  int len = snprintf(buf, sizeof(buf), "%.17g", score);
  return std::string(buf, static_cast<size_t>(len));
}

std::string listpack_score_text(double score) {
  // The range in which Redis stores an integral score as a listpack integer.
  constexpr double kIntLimit = static_cast<double>(INT64_MAX / 2);
  if (score >= -kIntLimit && score <= kIntLimit) {
    auto ll = static_cast<long long>(score);
    if (static_cast<double>(ll) == score) return std::to_string(ll);
  }
  return score_text_17g(score);
}

namespace {

// Per member: a zeroed digest mixed with the member and its score's %.17g text, then
// folded into the value's digest (Redis's xorObjectDigest for sorted sets).
void zset_digest(Digest& digest, const Entry* e) {
  const auto* z = static_cast<const ZSetValue*>(e->object());
  z->visit(0, z->size(), false, [&](std::string_view member, double score) {
    Digest ele{};
    digest_mix(ele, member.data(), member.size());
    std::string text = score_text_17g(score);
    digest_mix(ele, text.data(), text.size());
    digest_xor(digest, ele.data(), ele.size());
  });
}

}  // namespace

void register_zset_digest() {
  set_composite_digest(ValueType::kZSet, zset_digest);
}

}  // namespace terndb::storage

#include "storage/zset_skiplist.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "storage/chained_buckets.h"
#include "storage/hashing.h"

namespace terndb::storage {
namespace {

constexpr size_t kMinBuckets = 4;

// (score, member) order, members compared as bytes.
[[gnu::always_inline]] inline bool before(const ZSkiplist::Node* n, double score,
                                          std::string_view member) {
  return n->score < score || (n->score == score && n->member() < member);
}

uint64_t reverse_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

}  // namespace

ZSkiplist::ZSkiplist() {
  header_ = alloc_node({}, 0, kMaxLevel);
  for (int i = 0; i < kMaxLevel; ++i) header_->levels()[i] = {nullptr, 0};
}

ZSkiplist::~ZSkiplist() {
  Node* n = first();
  while (n) {
    Node* next = n->next();
    free(n);
    n = next;
  }
  free(header_);
  free(buckets_);
}

int ZSkiplist::random_level() {
  // Each level up with probability 1/4, as Redis's lists are shaped.
  thread_local std::mt19937 rng{std::random_device{}()};
  int level = 1;
  while (level < kMaxLevel && (rng() & 0xFFFF) < 0x4000) ++level;
  return level;
}

ZSkiplist::Node* ZSkiplist::alloc_node(std::string_view member, double score, int height) {
  size_t size = sizeof(Node) + sizeof(Level) * static_cast<size_t>(height) + member.size();
  auto* n = static_cast<Node*>(malloc(size));
  if (!n) throw std::bad_alloc();
  n->score = score;
  n->backward = nullptr;
  n->hnext = nullptr;
  n->len = static_cast<uint32_t>(member.size());
  n->height = static_cast<uint32_t>(height);
  if (!member.empty()) {
    memcpy(reinterpret_cast<char*>(n->levels() + height), member.data(), member.size());
  }
  bytes_ += malloc_usable_size(n);
  return n;
}

void ZSkiplist::free_node(Node* n) {
  bytes_ -= malloc_usable_size(n);
  free(n);
}

void ZSkiplist::find_update(double score, std::string_view member, Node** update) const {
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward && before(x->levels()[i].forward, score, member)) {
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
}

void ZSkiplist::link(Node* x) {
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  Node* p = header_;
  std::string_view member = x->member();
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (p->levels()[i].forward && before(p->levels()[i].forward, x->score, member)) {
      rank[i] += p->levels()[i].span;
      p = p->levels()[i].forward;
    }
    update[i] = p;
  }
  int height = static_cast<int>(x->height);
  if (height > level_) {
    for (int i = level_; i < height; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->levels()[i].span = length_;
    }
    level_ = height;
  }
  for (int i = 0; i < height; ++i) {
    Level& prev = update[i]->levels()[i];
    x->levels()[i].forward = prev.forward;
    prev.forward = x;
    x->levels()[i].span = prev.span - (rank[0] - rank[i]);
    prev.span = (rank[0] - rank[i]) + 1;
  }
  for (int i = height; i < level_; ++i) update[i]->levels()[i].span++;
  x->backward = update[0] == header_ ? nullptr : update[0];
  if (x->levels()[0].forward) {
    x->levels()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
}

void ZSkiplist::unlink(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    Level& prev = update[i]->levels()[i];
    if (prev.forward == x) {
      prev.span += x->levels()[i].span - 1;
      prev.forward = x->levels()[i].forward;
    } else {
      prev.span -= 1;
    }
  }
  if (x->levels()[0].forward) {
    x->levels()[0].forward->backward = x->backward;
  } else {
    tail_ = x->backward;
  }
  while (level_ > 1 && header_->levels()[level_ - 1].forward == nullptr) --level_;
  --length_;
}

ZSkiplist::Node* ZSkiplist::insert(std::string_view member, double score) {
  Node* x = alloc_node(member, score, random_level());
  link(x);
  index_add(x);
  return x;
}

void ZSkiplist::erase(Node* node) {
  Node* update[kMaxLevel];
  find_update(node->score, node->member(), update);
  unlink(node, update);
  index_remove(node);
  free_node(node);
}

ZSkiplist::Node* ZSkiplist::update_score(Node* node, double score) {
  Node* next = node->next();
  // Stays in place when still ordered between its neighbours: only the score changes.
  if ((node->backward == nullptr || node->backward->score < score) &&
      (next == nullptr || next->score > score)) {
    node->score = score;
    return node;
  }
  // Moving the node takes two walks down the list: to its old gap (to unlink it) and to
  // its new one. On a large set nearly every step of either walk is a cache miss, and
  // each walk is a chain of dependent loads. So both walks run on the list as it is,
  // interleaved step by step: the two chains' misses overlap instead of adding up.
  // The results are then corrected for the node's absence (below).
  const double old_score = node->score;
  const std::string_view member = node->member();
  Node* old_update[kMaxLevel];
  size_t old_rank[kMaxLevel];
  Node* update[kMaxLevel];
  size_t rank[kMaxLevel];
  {
    Node* a = header_;
    Node* b = header_;
    size_t rank_a = 0, rank_b = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      for (;;) {
        Node* fa = a->levels()[i].forward;
        Node* fb = b->levels()[i].forward;
        const bool step_a = fa && before(fa, old_score, member);
        const bool step_b = fb && before(fb, score, member);
        if (!step_a && !step_b) break;
        if (step_a) {
          rank_a += a->levels()[i].span;
          a = fa;
        }
        if (step_b) {
          rank_b += b->levels()[i].span;
          b = fb;
        }
      }
      old_update[i] = a;
      old_rank[i] = rank_a;
      update[i] = b;
      rank[i] = rank_b;
    }
  }
  // The new gap's predecessors as they are once the node is out: where the walk stopped
  // on the node itself, the node's own predecessor at that level; and a predecessor
  // ordered after the node has one node fewer before it.
  for (int i = 0; i < level_; ++i) {
    if (update[i] == node) {
      update[i] = old_update[i];
      rank[i] = old_rank[i];
    } else if (update[i] != header_ && !before(update[i], old_score, member)) {
      --rank[i];
    }
  }

  // Unlinking is done below the node's height only. Above it, an unlink lowers the span
  // of the old gap's predecessor and a link raises the new gap's: where both are one node
  // (nearly always on the top levels, which every walk crosses) the two cancel out, and
  // skipping them keeps those hot nodes unwritten, and valid in other cores' caches.
  const int height = static_cast<int>(node->height);
  for (int i = 0; i < height; ++i) {
    Level& prev = old_update[i]->levels()[i];
    prev.span += node->levels()[i].span - 1;
    prev.forward = node->levels()[i].forward;
  }
  if (node->levels()[0].forward) {
    node->levels()[0].forward->backward = node->backward;
  } else {
    tail_ = node->backward;
  }
  while (level_ > 1 && header_->levels()[level_ - 1].forward == nullptr) --level_;
  --length_;
  node->score = score;

  if (height > level_) {
    // The node was alone on its top levels (so they were dropped above): they hold only it.
    for (int i = level_; i < height; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->levels()[i].span = length_;
    }
    level_ = height;
  }
  for (int i = 0; i < height; ++i) {
    Level& prev = update[i]->levels()[i];
    node->levels()[i].forward = prev.forward;
    prev.forward = node;
    node->levels()[i].span = prev.span - (rank[0] - rank[i]);
    prev.span = (rank[0] - rank[i]) + 1;
  }
  for (int i = height; i < level_; ++i) {
    if (old_update[i] == update[i]) continue;
    old_update[i]->levels()[i].span--;
    update[i]->levels()[i].span++;
  }
  node->backward = update[0] == header_ ? nullptr : update[0];
  if (node->levels()[0].forward) {
    node->levels()[0].forward->backward = node;
  } else {
    tail_ = node;
  }
  ++length_;
  return node;
}

size_t ZSkiplist::rank(const Node* node) const {
  const Node* x = header_;
  size_t rank = 0;
  double score = node->score;
  std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward && (x->levels()[i].forward->score < score ||
                                      (x->levels()[i].forward->score == score &&
                                       x->levels()[i].forward->member() <= member))) {
      rank += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    if (x == node) return rank;
  }
  return 0;
}

ZSkiplist::Node* ZSkiplist::at_rank(size_t rank) const {
  if (rank == 0 || rank > length_) return nullptr;
  Node* x = header_;
  size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward && traversed + x->levels()[i].span <= rank) {
      traversed += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    if (traversed == rank) return x;
  }
  return nullptr;
}

size_t ZSkiplist::erase_ranks(size_t lo, size_t hi) {
  if (hi > length_) hi = length_;
  if (lo >= hi) return 0;
  // 1-based ranks [start, end] as the span arithmetic counts them.
  const size_t start = lo + 1, end = hi;
  Node* update[kMaxLevel];
  Node* x = header_;
  size_t traversed = 0;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward && traversed + x->levels()[i].span < start) {
      traversed += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
  ++traversed;
  x = x->levels()[0].forward;
  size_t removed = 0;
  while (x && traversed <= end) {
    Node* next = x->levels()[0].forward;
    unlink(x, update);
    index_remove(x);
    free_node(x);
    ++removed;
    ++traversed;
    x = next;
  }
  return removed;
}

ZSkiplist::Node* ZSkiplist::random_node(std::mt19937_64& rng) const {
  return at_rank(1 + static_cast<size_t>(rng() % length_));
}

uint64_t ZSkiplist::next_cursor(uint64_t cursor, uint64_t mask) {
  // Set the bits above the mask so that incrementing the reversed cursor carries into
  // the bucket bits, then reverse back (Redis's dictScan order).
  uint64_t v = cursor | ~mask;
  v = reverse_bits(v);
  ++v;
  return reverse_bits(v);
}

ZSkiplist::Node* ZSkiplist::find(std::string_view member) const {
  if (!buckets_) return nullptr;
  for (Node* n = buckets_[hash_key(member) & mask_]; n; n = n->hnext) {
    if (n->member() == member) return n;
  }
  return nullptr;
}

void ZSkiplist::index_add(Node* n) {
  if (!buckets_) {
    index_resize(kMinBuckets);
  } else if (length_ > mask_ + 1) {
    index_resize((mask_ + 1) * 2);
  }
  Node*& head = buckets_[hash_key(n->member()) & mask_];
  n->hnext = head;
  head = n;
}

void ZSkiplist::index_remove(Node* n) {
  Node** link = &buckets_[hash_key(n->member()) & mask_];
  while (*link != n) link = &(*link)->hnext;
  *link = n->hnext;
  size_t buckets = mask_ + 1;
  // Shrink once the index is mostly empty, keeping the load factor at most 1.
  if (buckets > kMinBuckets && length_ * 8 < buckets) {
    size_t target = kMinBuckets;
    while (target < length_) target *= 2;
    index_resize(target);
  }
}

void ZSkiplist::index_resize(size_t buckets) {
  if (buckets_) bytes_ -= malloc_usable_size(buckets_);
  buckets_ = rehash_buckets(
      buckets_, buckets_ ? mask_ + 1 : 0, buckets, [](Node* n) -> Node*& { return n->hnext; },
      [](Node* n) { return n->member(); });
  mask_ = buckets - 1;
  bytes_ += malloc_usable_size(buckets_);
}

}  // namespace terndb::storage

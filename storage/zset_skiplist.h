// The general encoding of sorted sets (OBJECT ENCODING "skiplist"): a skiplist ordered by
// (score, member) whose links carry spans, so that rank lookups and rank-to-node lookups
// are O(log n), plus a hash index from member to node for O(1) score lookups.
//
// Each node is one allocation holding its score, its links, its chain pointer in the
// member index and the member bytes. The index is a power-of-two bucket array chained
// through the nodes; it is walked in reverse-binary bucket order by ZSCAN, which keeps
// SCAN's guarantee (every member present for a whole iteration is returned) across
// resizes of the index.
//
// Level-0 links form an ordered doubly linked list (forward / backward) for range walks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

namespace terndb::storage {

class ZSkiplist {
 public:
  static constexpr int kMaxLevel = 32;

  struct Node;
  struct Level {
    Node* forward;
    size_t span;  // nodes crossed by following `forward` (rank distance)
  };
  struct Node {
    double score;
    Node* backward;  // previous node on level 0 (null for the first)
    Node* hnext;     // next node in the same member-index bucket
    uint32_t len;
    uint32_t height;
    Level* levels() { return reinterpret_cast<Level*>(this + 1); }
    const Level* levels() const { return reinterpret_cast<const Level*>(this + 1); }
    std::string_view member() const {
      return {reinterpret_cast<const char*>(levels() + height), len};
    }
    Node* next() const { return levels()[0].forward; }
    Node* prev() const { return backward; }
  };

  ZSkiplist();
  ~ZSkiplist();
  ZSkiplist(const ZSkiplist&) = delete;
  ZSkiplist& operator=(const ZSkiplist&) = delete;

  size_t size() const { return length_; }
  // Heap bytes of nodes, header and index (allocator usable sizes).
  size_t heap_bytes() const { return bytes_; }

  Node* first() const { return header_->levels()[0].forward; }
  Node* last() const { return tail_; }

  // The node of `member`, or null.
  Node* find(std::string_view member) const;
  // Adds a member that is not present.
  Node* insert(std::string_view member, double score);
  // Removes and frees a node of this list.
  void erase(Node* node);
  // Gives a node a new score, moving it if its position changes; returns the node.
  Node* update_score(Node* node, double score);

  // 1-based rank of a node of this list.
  size_t rank(const Node* node) const;
  // The node at 1-based `rank`, or null when out of range.
  Node* at_rank(size_t rank) const;
  // How many nodes from the start satisfy `pred`, assuming those that do form a prefix
  // of the order (score and lex bounds do). O(log n).
  template <typename Pred>
  size_t count_prefix(Pred pred) const {
    const Node* x = header_;
    size_t traversed = 0;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->levels()[i].forward && pred(x->levels()[i].forward)) {
        traversed += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
    }
    return traversed;
  }
  // Removes the nodes with 0-based ranks [lo, hi); returns how many.
  size_t erase_ranks(size_t lo, size_t hi);

  // Member-index walk: visits the chain of the bucket the cursor names and returns the
  // next cursor (0 when the walk is complete).
  template <typename Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn) const {
    if (!buckets_) return 0;
    const uint64_t m = mask_;
    for (const Node* n = buckets_[cursor & m]; n; n = n->hnext) fn(n);
    return next_cursor(cursor, m);
  }
  // A node chosen uniformly at random (the list must not be empty).
  Node* random_node(std::mt19937_64& rng) const;

 private:
  static uint64_t next_cursor(uint64_t cursor, uint64_t mask);
  static int random_level();
  Node* alloc_node(std::string_view member, double score, int height);
  void free_node(Node* n);
  // Finds, per level, the last node ordered before (score, member).
  void find_update(double score, std::string_view member, Node** update) const;
  // Links an unlinked node into the list at its (score, member) position.
  void link(Node* x);
  // Unlinks x given its per-level predecessors.
  void unlink(Node* x, Node** update);
  void index_add(Node* n);
  void index_remove(Node* n);
  void index_resize(size_t buckets);

  Node* header_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
  Node** buckets_ = nullptr;
  uint64_t mask_ = 0;
  size_t bytes_ = 0;
};

}  // namespace terndb::storage

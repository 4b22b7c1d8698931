// The list type, kept as Redis 7.0 keeps it (OBJECT ENCODING "quicklist"): a ring of
// packed nodes. A node is one allocation holding a run of elements back to back, each
// framed by its length on both sides so a node can be walked in either direction.
//
// Costs: a push or pop at either end touches only the end node (O(1); a node is at most a
// few KB, so moving its bytes is bounded too). Positional access (LINDEX, LSET, LINSERT)
// skips whole nodes by their counts, then walks one node. An element costs its bytes plus
// 2 bytes of framing when shorter than 128 bytes, so long lists of small elements stay
// compact.
//
// Node size follows list-max-listpack-size as Redis reads it: -1..-5 limit a node to 4, 8,
// 16, 32 or 64 KB; a positive value limits it to that many elements (and to 8 KB). An
// element bigger than the limit gets a node of its own.
//
// Not thread-safe: the owning shard's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"

namespace terndb::storage {

enum class ListEnd : uint8_t { kHead, kTail };

// One node: the bytes [begin, end) of the buffer that follows the header are in use; the
// slack on both sides lets pushes at either end of the node avoid moving its contents.
struct ListNode {
  size_t count;  // elements
  size_t begin;
  size_t end;
  size_t cap;  // buffer bytes

  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  size_t used() const { return end - begin; }
};

// Element framing: [length][bytes][length], the length written in 1 byte (< 128), 2 bytes
// (< 16384) or 9 bytes; the trailing copy mirrors the leading one so it can be read from
// its last byte.
namespace list_frame {
size_t length_size(size_t len);
inline size_t size(size_t len) {
  return 2 * length_size(len) + len;
}
// Writes the framed element at `p`; returns the byte after it.
char* write(char* p, std::string_view v);
// The element whose frame starts at `p`; `*frame` receives the frame's size.
std::string_view read_forward(const char* p, size_t* frame);
// The element whose frame ends just before `end`.
std::string_view read_backward(const char* end, size_t* frame);
}  // namespace list_frame

class ListValue final : public CompositeValue {
 public:
  ListValue();
  ~ListValue() override;
  ListValue(const ListValue&) = delete;
  ListValue& operator=(const ListValue&) = delete;

  const char* encoding_name() const override { return "quicklist"; }
  size_t memory_usage() const override { return bytes_; }
  CompositeValue* clone() const override;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return nodes_; }

  void push(ListEnd end, std::string_view v);
  // Removes the element at `end` into `*out` (when not null). The list must not be empty.
  void pop(ListEnd end, std::string* out);
  // Element `index` (0-based, < size()); valid until the list changes.
  std::string_view at(size_t index) const;
  // Replaces element `index` (< size()).
  void set(size_t index, std::string_view v);
  // Inserts `v` before (or after) the first element equal to `pivot`; false if none is.
  bool insert(std::string_view pivot, std::string_view v, bool after);
  // Removes elements equal to `v`: the first `limit` from the head (or from the tail), all
  // of them when limit is 0. Returns how many were removed.
  size_t remove(std::string_view v, size_t limit, bool from_tail);
  // Drops `head` elements from the head and `tail` from the tail (head + tail <= size()).
  void trim(size_t head, size_t tail);

  // Walks elements one by one: forward from element `index`, or backward from element
  // `index` counted from the tail (0 = the last element).
  class Cursor {
   public:
    Cursor(const ListValue& list, size_t index, bool reverse);
    // The next element, or false at the end of the walk.
    bool next(std::string_view& out);

   private:
    const ListValue& list_;
    size_t node_ = 0;
    size_t off_ = 0;
    bool reverse_;
    bool done_ = false;
  };

 private:
  ListNode* node(size_t i) const { return ring_[(head_ + i) & (ring_cap_ - 1)]; }
  ListNode*& slot(size_t i) { return ring_[(head_ + i) & (ring_cap_ - 1)]; }
  void insert_node(size_t i, ListNode* n);
  void erase_node(size_t i);
  void resize_ring(size_t cap);  // cap >= nodes_, a power of two
  // Node `i` and the offset of element `index`'s frame in it.
  void locate(size_t index, size_t* node_index, size_t* offset) const;
  // Whether node `n` may take another element of frame size `frame` (node size limits).
  static bool accepts(const ListNode* n, size_t frame);
  // Makes room for `frame` bytes at `end` of node `i` (may reallocate it).
  ListNode* room_at_end(size_t i, ListEnd end, size_t frame);
  // Replaces `remove` bytes at `offset` of node `i` with the frame of `v`, then splits the
  // node if it outgrew the limits.
  void splice(size_t i, size_t offset, size_t remove, std::string_view v);
  void split_if_oversized(size_t i);
  // Joins neighbouring nodes whose contents fit in one node (after removals).
  void merge_small_nodes();
  ListNode* alloc_node(size_t cap);
  ListNode* resize_node(ListNode* n, size_t cap);
  void free_node(ListNode* n);

  ListNode** ring_ = nullptr;
  size_t ring_cap_ = 0;  // power of two, or 0
  size_t head_ = 0;
  size_t nodes_ = 0;
  size_t count_ = 0;
  size_t bytes_ = 0;  // this object, the ring and the nodes, as allocated
};

// Registers the list's DEBUG DIGEST mixing (each element in order, as Redis does).
void register_list_digest();

}  // namespace terndb::storage

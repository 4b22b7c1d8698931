#include "storage/list_value.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "storage/digest.h"
#include "storage/encoding_limits.h"

namespace terndb::storage {
namespace {

// With a positive list-max-listpack-size (a count), a node still stays under this many
// bytes, as Redis's quicklist does.
constexpr size_t kCountModeByteLimit = 8192;
// Node rings up to this many slots are not shrunk.
constexpr size_t kSmallRing = 8;
// First buffer of a node that grows one small element at a time.
constexpr size_t kFirstNodeCapacity = 64;

int64_t fill_setting() {
  return encoding_limits().list_max_listpack_size.load(std::memory_order_relaxed);
}

size_t byte_limit(int64_t fill) {
  if (fill >= 0) return kCountModeByteLimit;
  int64_t level = std::min<int64_t>(-fill, 5);
  return size_t{4096} << (level - 1);
}

// What a node may hold, by the current setting.
bool within_limits(size_t count, size_t bytes) {
  int64_t fill = fill_setting();
  if (fill < 0) return bytes <= byte_limit(fill);
  return count <= static_cast<size_t>(fill) && bytes <= kCountModeByteLimit;
}

size_t usable(const void* p) {
  return malloc_usable_size(const_cast<void*>(p));
}

uint64_t load_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void store_le64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

// ---- framing ---------------------------------------------------------------------------

namespace list_frame {

size_t length_size(size_t len) {
  if (len < 0x80) return 1;
  if (len < 0x4000) return 2;
  return 9;
}

char* write(char* p, std::string_view v) {
  auto* u = reinterpret_cast<unsigned char*>(p);
  const size_t len = v.size();
  size_t ls = length_size(len);
  if (ls == 1) {
    u[0] = static_cast<unsigned char>(len);
  } else if (ls == 2) {
    u[0] = static_cast<unsigned char>(0x80 | (len >> 8));
    u[1] = static_cast<unsigned char>(len & 0xff);
  } else {
    u[0] = 0xc0;
    store_le64(u + 1, len);
  }
  if (len) memcpy(u + ls, v.data(), len);
  unsigned char* t = u + ls + len;
  if (ls == 1) {
    t[0] = static_cast<unsigned char>(len);
  } else if (ls == 2) {
    t[0] = static_cast<unsigned char>(len & 0xff);
    t[1] = static_cast<unsigned char>(0x80 | (len >> 8));
  } else {
    store_le64(t, len);
    t[8] = 0xc0;
  }
  return reinterpret_cast<char*>(t + ls);
}

std::string_view read_forward(const char* p, size_t* frame) {
  auto* u = reinterpret_cast<const unsigned char*>(p);
  size_t len, ls;
  if (u[0] < 0x80) {
    len = u[0];
    ls = 1;
  } else if ((u[0] & 0xc0) == 0x80) {
    len = (static_cast<size_t>(u[0] & 0x3f) << 8) | u[1];
    ls = 2;
  } else {
    len = load_le64(u + 1);
    ls = 9;
  }
  *frame = 2 * ls + len;
  return {p + ls, len};
}

std::string_view read_backward(const char* end, size_t* frame) {
  auto* u = reinterpret_cast<const unsigned char*>(end);
  size_t len, ls;
  if (u[-1] < 0x80) {
    len = u[-1];
    ls = 1;
  } else if ((u[-1] & 0xc0) == 0x80) {
    len = (static_cast<size_t>(u[-1] & 0x3f) << 8) | u[-2];
    ls = 2;
  } else {
    len = load_le64(u - 9);
    ls = 9;
  }
  *frame = 2 * ls + len;
  return {end - ls - len, len};
}

}  // namespace list_frame

// ---- nodes and the ring ------------------------------------------------------------------

ListValue::ListValue() : bytes_(sizeof(ListValue)) {}

ListValue::~ListValue() {
  for (size_t i = 0; i < nodes_; ++i) free(node(i));
  free(ring_);
}

ListNode* ListValue::alloc_node(size_t cap) {
  void* p = malloc(sizeof(ListNode) + cap);
  if (!p) throw std::bad_alloc();
  size_t real = usable(p);
  bytes_ += real;
  auto* n = static_cast<ListNode*>(p);
  n->count = 0;
  n->begin = 0;
  n->end = 0;
  n->cap = real - sizeof(ListNode);
  return n;
}

ListNode* ListValue::resize_node(ListNode* n, size_t cap) {
  size_t before = usable(n);
  void* p = realloc(n, sizeof(ListNode) + cap);
  if (!p) throw std::bad_alloc();
  size_t real = usable(p);
  bytes_ = bytes_ - before + real;
  n = static_cast<ListNode*>(p);
  n->cap = real - sizeof(ListNode);
  return n;
}

void ListValue::free_node(ListNode* n) {
  bytes_ -= usable(n);
  free(n);
}

void ListValue::resize_ring(size_t cap) {
  auto** ring = static_cast<ListNode**>(malloc(cap * sizeof(ListNode*)));
  if (!ring) throw std::bad_alloc();
  for (size_t i = 0; i < nodes_; ++i) ring[i] = node(i);
  if (ring_) bytes_ -= usable(ring_);
  free(ring_);
  bytes_ += usable(ring);
  ring_ = ring;
  ring_cap_ = cap;
  head_ = 0;
}

void ListValue::insert_node(size_t i, ListNode* n) {
  if (nodes_ == ring_cap_) resize_ring(ring_cap_ ? ring_cap_ * 2 : 1);
  if (i == 0) {
    head_ = (head_ + ring_cap_ - 1) & (ring_cap_ - 1);
  } else {
    for (size_t j = nodes_; j > i; --j) slot(j) = slot(j - 1);
  }
  ++nodes_;
  slot(i) = n;
}

void ListValue::erase_node(size_t i) {
  if (i == 0) {
    head_ = (head_ + 1) & (ring_cap_ - 1);
  } else {
    for (size_t j = i; j + 1 < nodes_; ++j) slot(j) = slot(j + 1);
  }
  --nodes_;
  if (nodes_ == 0) head_ = 0;
  // Give back a ring that a long list left behind; keep a small one for the next pushes.
  if (ring_cap_ > kSmallRing && nodes_ * 4 <= ring_cap_) resize_ring(ring_cap_ / 2);
}

bool ListValue::accepts(const ListNode* n, size_t frame) {
  return within_limits(n->count + 1, n->used() + frame);
}

ListNode* ListValue::room_at_end(size_t i, ListEnd end, size_t frame) {
  ListNode* n = node(i);
  const bool tail = end == ListEnd::kTail;
  if (tail ? n->end + frame <= n->cap : n->begin >= frame) return n;
  const size_t used = n->used();
  const size_t want = used + frame;
  bool grew = false;
  if (want > n->cap) {
    size_t cap = std::max(want, std::min(2 * n->cap, byte_limit(fill_setting())));
    n = resize_node(n, cap);
    slot(i) = n;
    grew = true;
    if (tail && n->end + frame <= n->cap) return n;
  }
  // Move the contents so the slack is where the push needs it: all of it on the side being
  // pushed after a growth, half of it otherwise (the other end may be pushed too).
  const size_t slack = n->cap - want;
  size_t begin;
  if (tail) {
    begin = grew ? 0 : slack / 2;
  } else {
    begin = grew ? n->cap - used : frame + slack / 2;
  }
  memmove(n->bytes() + begin, n->bytes() + n->begin, used);
  n->begin = begin;
  n->end = begin + used;
  return n;
}

void ListValue::locate(size_t index, size_t* node_index, size_t* offset) const {
  size_t i;
  if (index < count_ / 2) {
    i = 0;
    while (index >= node(i)->count) index -= node(i++)->count;
  } else {
    size_t from_tail = count_ - 1 - index;
    i = nodes_ - 1;
    while (from_tail >= node(i)->count) from_tail -= node(i--)->count;
    index = node(i)->count - 1 - from_tail;
  }
  const ListNode* n = node(i);
  const char* b = n->bytes();
  size_t off, frame;
  if (index <= n->count / 2) {
    off = n->begin;
    for (size_t k = 0; k < index; ++k) {
      list_frame::read_forward(b + off, &frame);
      off += frame;
    }
  } else {
    off = n->end;
    for (size_t k = n->count; k > index; --k) {
      list_frame::read_backward(b + off, &frame);
      off -= frame;
    }
  }
  *node_index = i;
  *offset = off;
}

void ListValue::splice(size_t i, size_t offset, size_t remove, std::string_view v) {
  ListNode* n = node(i);
  const size_t add = list_frame::size(v.size());
  if (add <= remove || n->end + (add - remove) <= n->cap) {
    char* b = n->bytes();
    memmove(b + offset + add, b + offset + remove, n->end - offset - remove);
    list_frame::write(b + offset, v);
    n->end = n->end + add - remove;
  } else {
    // Rebuild the node in a bigger buffer: head part, new frame, tail part.
    const size_t used = n->used() + add - remove;
    ListNode* m = alloc_node(std::max(used, std::min(2 * n->cap, byte_limit(fill_setting()))));
    const char* src = n->bytes();
    char* dst = m->bytes();
    const size_t head = offset - n->begin;
    memcpy(dst, src + n->begin, head);
    list_frame::write(dst + head, v);
    memcpy(dst + head + add, src + offset + remove, n->end - offset - remove);
    m->count = n->count;
    m->end = used;
    free_node(n);
    slot(i) = m;
  }
}

void ListValue::split_if_oversized(size_t i) {
  ListNode* n = node(i);
  if (n->count < 2 || within_limits(n->count, n->used())) return;
  const size_t half = n->count / 2;
  size_t off = n->begin, frame;
  for (size_t k = 0; k < half; ++k) {
    list_frame::read_forward(n->bytes() + off, &frame);
    off += frame;
  }
  const size_t moved = n->end - off;
  ListNode* m = alloc_node(moved);
  memcpy(m->bytes(), n->bytes() + off, moved);
  m->end = moved;
  m->count = n->count - half;
  n->end = off;
  n->count = half;
  insert_node(i + 1, m);
}

void ListValue::merge_small_nodes() {
  if (nodes_ < 2) return;
  size_t k = 0;
  for (size_t j = 1; j < nodes_; ++j) {
    ListNode* a = node(k);
    ListNode* b = node(j);
    if (!within_limits(a->count + b->count, a->used() + b->used())) {
      slot(++k) = b;
      continue;
    }
    a = room_at_end(k, ListEnd::kTail, b->used());
    memcpy(a->bytes() + a->end, b->bytes() + b->begin, b->used());
    a->end += b->used();
    a->count += b->count;
    free_node(b);
  }
  nodes_ = k + 1;
}

// ---- list operations -------------------------------------------------------------------

void ListValue::push(ListEnd end, std::string_view v) {
  const size_t frame = list_frame::size(v.size());
  const bool head = end == ListEnd::kHead;
  if (nodes_ == 0 || !accepts(head ? node(0) : node(nodes_ - 1), frame)) {
    ListNode* n = alloc_node(std::max(frame, kFirstNodeCapacity));
    if (head) n->begin = n->end = n->cap;
    insert_node(head ? 0 : nodes_, n);
  }
  ListNode* n = room_at_end(head ? 0 : nodes_ - 1, end, frame);
  if (head) {
    n->begin -= frame;
    list_frame::write(n->bytes() + n->begin, v);
  } else {
    list_frame::write(n->bytes() + n->end, v);
    n->end += frame;
  }
  ++n->count;
  ++count_;
}

void ListValue::pop(ListEnd end, std::string* out) {
  const size_t i = end == ListEnd::kHead ? 0 : nodes_ - 1;
  ListNode* n = node(i);
  size_t frame;
  if (end == ListEnd::kHead) {
    std::string_view v = list_frame::read_forward(n->bytes() + n->begin, &frame);
    if (out) out->assign(v);
    n->begin += frame;
  } else {
    std::string_view v = list_frame::read_backward(n->bytes() + n->end, &frame);
    if (out) out->assign(v);
    n->end -= frame;
  }
  --n->count;
  --count_;
  if (n->count == 0) {
    erase_node(i);
    free_node(n);
  }
}

std::string_view ListValue::at(size_t index) const {
  size_t i, off, frame;
  locate(index, &i, &off);
  return list_frame::read_forward(node(i)->bytes() + off, &frame);
}

void ListValue::set(size_t index, std::string_view v) {
  size_t i, off, frame;
  locate(index, &i, &off);
  list_frame::read_forward(node(i)->bytes() + off, &frame);
  splice(i, off, frame, v);
  split_if_oversized(i);
}

bool ListValue::insert(std::string_view pivot, std::string_view v, bool after) {
  for (size_t i = 0; i < nodes_; ++i) {
    ListNode* n = node(i);
    size_t off = n->begin, frame;
    while (off < n->end) {
      std::string_view e = list_frame::read_forward(n->bytes() + off, &frame);
      if (e == pivot) {
        splice(i, after ? off + frame : off, 0, v);
        ++node(i)->count;
        ++count_;
        split_if_oversized(i);
        return true;
      }
      off += frame;
    }
  }
  return false;
}

size_t ListValue::remove(std::string_view v, size_t limit, bool from_tail) {
  size_t removed = 0;
  auto more = [&] { return limit == 0 || removed < limit; };
  // Each node is compacted in place: kept frames slide over the removed ones.
  if (!from_tail) {
    for (size_t i = 0; i < nodes_ && more(); ++i) {
      ListNode* n = node(i);
      char* b = n->bytes();
      size_t r = n->begin, w = n->begin, frame;
      while (r < n->end) {
        std::string_view e = list_frame::read_forward(b + r, &frame);
        bool drop = more() && e == v;
        if (drop) {
          ++removed;
          --n->count;
        } else {
          if (w != r) memmove(b + w, b + r, frame);
          w += frame;
        }
        r += frame;
      }
      n->end = w;
    }
  } else {
    for (size_t i = nodes_; i-- > 0 && more();) {
      ListNode* n = node(i);
      char* b = n->bytes();
      size_t r = n->end, w = n->end, frame;
      while (r > n->begin) {
        bool drop = list_frame::read_backward(b + r, &frame) == v && more();
        r -= frame;
        if (drop) {
          ++removed;
          --n->count;
        } else {
          w -= frame;
          if (w != r) memmove(b + w, b + r, frame);
        }
      }
      n->begin = w;
    }
  }
  if (removed == 0) return 0;
  count_ -= removed;
  size_t k = 0;
  for (size_t j = 0; j < nodes_; ++j) {
    ListNode* n = node(j);
    if (n->count == 0) {
      free_node(n);
    } else {
      slot(k++) = n;
    }
  }
  nodes_ = k;
  if (nodes_ == 0) head_ = 0;
  merge_small_nodes();
  return removed;
}

void ListValue::trim(size_t head, size_t tail) {
  for (ListEnd end : {ListEnd::kHead, ListEnd::kTail}) {
    size_t drop = end == ListEnd::kHead ? head : tail;
    while (drop > 0) {
      const size_t i = end == ListEnd::kHead ? 0 : nodes_ - 1;
      ListNode* n = node(i);
      if (n->count <= drop) {
        drop -= n->count;
        count_ -= n->count;
        erase_node(i);
        free_node(n);
        continue;
      }
      size_t frame;
      for (size_t k = 0; k < drop; ++k) {
        if (end == ListEnd::kHead) {
          list_frame::read_forward(n->bytes() + n->begin, &frame);
          n->begin += frame;
        } else {
          list_frame::read_backward(n->bytes() + n->end, &frame);
          n->end -= frame;
        }
      }
      n->count -= drop;
      count_ -= drop;
      drop = 0;
    }
  }
}

CompositeValue* ListValue::clone() const {
  auto* copy = new ListValue;
  for (size_t i = 0; i < nodes_; ++i) {
    const ListNode* n = node(i);
    ListNode* m = copy->alloc_node(n->used());
    memcpy(m->bytes(), n->bytes() + n->begin, n->used());
    m->end = n->used();
    m->count = n->count;
    copy->insert_node(copy->nodes_, m);
  }
  copy->count_ = count_;
  return copy;
}

// ---- cursor ----------------------------------------------------------------------------

ListValue::Cursor::Cursor(const ListValue& list, size_t index, bool reverse)
    : list_(list), reverse_(reverse) {
  if (index >= list.count_) {
    done_ = true;
    return;
  }
  if (!reverse) {
    list.locate(index, &node_, &off_);
    return;
  }
  list.locate(list.count_ - 1 - index, &node_, &off_);
  size_t frame;
  list_frame::read_forward(list.node(node_)->bytes() + off_, &frame);
  off_ += frame;
}

bool ListValue::Cursor::next(std::string_view& out) {
  if (done_) return false;
  const ListNode* n = list_.node(node_);
  size_t frame;
  if (!reverse_) {
    out = list_frame::read_forward(n->bytes() + off_, &frame);
    off_ += frame;
    if (off_ == n->end) {
      if (++node_ == list_.nodes_) {
        done_ = true;
      } else {
        off_ = list_.node(node_)->begin;
      }
    }
  } else {
    out = list_frame::read_backward(n->bytes() + off_, &frame);
    off_ -= frame;
    if (off_ == n->begin) {
      if (node_ == 0) {
        done_ = true;
      } else {
        off_ = list_.node(--node_)->end;
      }
    }
  }
  return true;
}

// ---- DEBUG DIGEST ------------------------------------------------------------------------

namespace {
void list_digest(Digest& digest, const Entry* e) {
  const auto* list = static_cast<const ListValue*>(e->object());
  ListValue::Cursor cursor(*list, 0, false);
  std::string_view v;
  while (cursor.next(v)) digest_mix(digest, v.data(), v.size());
}
}  // namespace

void register_list_digest() {
  set_composite_digest(ValueType::kList, list_digest);
}

}  // namespace terndb::storage

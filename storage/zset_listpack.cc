#include "storage/zset_listpack.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace terndb::storage {
namespace {

size_t varint_size(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* write_varint(char* p, size_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

const char* read_varint(const char* p, size_t& v) {
  v = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<unsigned char>(*p++);
    v |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return p;
    shift += 7;
  }
}

size_t entry_size(size_t member_len) {
  return varint_size(member_len) + member_len + 8;
}

// (score, member) order, members compared as bytes.
bool sorts_before(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

}  // namespace

ZListpack::~ZListpack() {
  free(buf_);
}

ZListpack::ZListpack(const ZListpack& o) : used_(o.used_), cap_(o.used_), count_(o.count_) {
  if (o.used_) {
    buf_ = static_cast<char*>(malloc(o.used_));
    if (!buf_) throw std::bad_alloc();
    memcpy(buf_, o.buf_, o.used_);
  }
}

size_t ZListpack::heap_bytes() const {
  return buf_ ? malloc_usable_size(buf_) : 0;
}

std::string_view ZListpack::member(size_t off) const {
  size_t len;
  const char* p = read_varint(buf_ + off, len);
  return {p, len};
}

double ZListpack::score(size_t off) const {
  size_t len;
  const char* p = read_varint(buf_ + off, len);
  double s;
  memcpy(&s, p + len, 8);
  return s;
}

size_t ZListpack::next(size_t off) const {
  size_t len;
  const char* p = read_varint(buf_ + off, len);
  return static_cast<size_t>(p - buf_) + len + 8;
}

size_t ZListpack::find(std::string_view m, double* score_out) const {
  for (size_t off = 0; off < used_; off = next(off)) {
    if (member(off) == m) {
      if (score_out) *score_out = score(off);
      return off;
    }
  }
  return npos;
}

size_t ZListpack::offset_of_rank(size_t rank) const {
  size_t off = 0;
  while (rank-- && off < used_) off = next(off);
  return off;
}

std::vector<size_t> ZListpack::offsets(size_t limit) const {
  std::vector<size_t> out;
  out.reserve(limit < count_ ? limit : count_);
  for (size_t off = 0; off < used_ && out.size() < limit; off = next(off)) out.push_back(off);
  return out;
}

char* ZListpack::open_gap(size_t off, size_t n) {
  if (used_ + n > cap_) {
    // Grow by half again so a run of appends does not reallocate on every entry.
    size_t want = used_ + n;
    size_t grown = cap_ + cap_ / 2;
    size_t new_cap = want > grown ? want : grown;
    char* nb = static_cast<char*>(realloc(buf_, new_cap));
    if (!nb) throw std::bad_alloc();
    buf_ = nb;
    cap_ = new_cap;
  }
  memmove(buf_ + off + n, buf_ + off, used_ - off);
  used_ += n;
  return buf_ + off;
}

void ZListpack::write_entry(char* p, std::string_view m, double score) {
  p = write_varint(p, m.size());
  if (!m.empty()) memcpy(p, m.data(), m.size());
  double s = listpack_score(score);
  memcpy(p + m.size(), &s, 8);
}

void ZListpack::insert(std::string_view m, double score) {
  score = listpack_score(score);
  size_t off = 0;
  while (off < used_) {
    if (sorts_before(score, m, this->score(off), member(off))) break;
    off = next(off);
  }
  write_entry(open_gap(off, entry_size(m.size())), m, score);
  ++count_;
}

void ZListpack::append(std::string_view m, double score) {
  write_entry(open_gap(used_, entry_size(m.size())), m, score);
  ++count_;
}

void ZListpack::erase_at(size_t off) {
  size_t end = next(off);
  memmove(buf_ + off, buf_ + end, used_ - end);
  used_ -= end - off;
  --count_;
  if (count_ == 0) clear();
}

void ZListpack::erase_ranks(size_t lo, size_t hi) {
  if (hi > count_) hi = count_;
  if (lo >= hi) return;
  size_t from = offset_of_rank(lo);
  size_t to = from;
  for (size_t i = lo; i < hi; ++i) to = next(to);
  memmove(buf_ + from, buf_ + to, used_ - to);
  used_ -= to - from;
  count_ -= hi - lo;
  if (count_ == 0) clear();
}

void ZListpack::clear() {
  free(buf_);
  buf_ = nullptr;
  used_ = cap_ = count_ = 0;
}

}  // namespace terndb::storage

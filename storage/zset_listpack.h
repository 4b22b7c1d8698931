// The compact encoding of small sorted sets (OBJECT ENCODING "listpack"): one heap buffer
// holding the members in (score, member) order, each entry laid out as
//
//   [member length, LEB128 varint][member bytes][score, 8-byte IEEE double]
//
// Every operation is a linear walk, which is what keeps the encoding small: a set stays in
// it only while it has at most zset-max-listpack-entries members of at most
// zset-max-listpack-value bytes (128 and 64 by default), see ZSetValue.
//
// Entries are addressed by byte offsets into the buffer; an offset is invalidated by any
// change to the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace terndb::storage {

class ZListpack {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  ZListpack() = default;
  ~ZListpack();
  ZListpack(const ZListpack& o);
  ZListpack& operator=(const ZListpack&) = delete;

  size_t size() const { return count_; }
  // Heap bytes of the buffer as the allocator reports them.
  size_t heap_bytes() const;

  // Walking entries: begin() is the first entry's offset, end() one past the last.
  size_t begin() const { return 0; }
  size_t end() const { return used_; }
  std::string_view member(size_t off) const;
  double score(size_t off) const;
  size_t next(size_t off) const;

  // Offset of `member`'s entry (its score into *score when given), or npos.
  size_t find(std::string_view member, double* score = nullptr) const;
  // Offset of the entry at 0-based `rank`; end() when rank == size().
  size_t offset_of_rank(size_t rank) const;
  // Offsets of the entries with ranks [0, limit), for walking backwards.
  std::vector<size_t> offsets(size_t limit) const;

  // Inserts a member that is not present at its place in (score, member) order.
  void insert(std::string_view member, double score);
  // Appends an entry that sorts after every present one (bulk building).
  void append(std::string_view member, double score);
  // Removes the entry at `off`.
  void erase_at(size_t off);
  // Removes the entries with ranks [lo, hi).
  void erase_ranks(size_t lo, size_t hi);
  // Removes every entry and frees the buffer.
  void clear();

 private:
  // Makes room for `n` bytes at `off` (moving the tail) and returns the write position.
  char* open_gap(size_t off, size_t n);
  void write_entry(char* p, std::string_view member, double score);

  char* buf_ = nullptr;
  size_t used_ = 0;
  size_t cap_ = 0;
  size_t count_ = 0;
};

// Scores in a listpack keep Redis's representation: an integral score is stored as an
// integer, so -0 becomes 0 there (and only there).
inline double listpack_score(double score) {
  return score == 0 ? 0.0 : score;
}

}  // namespace terndb::storage

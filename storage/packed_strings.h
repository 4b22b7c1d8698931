// A sequence of short strings packed into one allocation: the storage behind the
// "listpack" encoding of small hashes (field, value, field, value... in insertion order).
//
// Buffer layout: [uint32 used bytes, header included][uint32 element count][elements...]
//
// Each element is a header byte, sometimes a few length/integer bytes, then the string's
// bytes. Strings that are canonical integers (as Redis's string2ll accepts them) are stored
// as integers, so "7" takes one byte and "1234567" four:
//   0xxxxxxx                 integer 0..127
//   10xxxxxx  + bytes        string of 0..63 bytes
//   110xxxxx yyyyyyyy        integer -4096..4095 (13-bit two's complement, high bits first)
//   1110xxxx yyyyyyyy + bytes string of 64..4095 bytes (12-bit length, high bits first)
//   0xF0 len32 + bytes       longer string (little-endian length)
//   0xF1..0xF4 + int         integer in 2, 3, 4 or 8 little-endian bytes
// The encoding of a string is unique, so two elements are equal exactly when their encoded
// bytes are equal, and lookups compare encoded forms without decoding anything.
//
// Unlike Redis's listpack there is no per-element back-length: elements are only walked
// forwards. The functions take the buffer by reference where they may reallocate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace terndb::storage::packed {

// Room callers provide for decoding integer elements (an int64's text).
constexpr size_t kScratchSize = 24;

// The encoded form of one string: the header part (header byte, length or integer bytes)
// and the string bytes that follow it (empty for integers).
struct Encoded {
  uint8_t head[9];
  uint8_t head_len = 0;
  std::string_view tail;
  size_t size() const { return head_len + tail.size(); }
};
Encoded encode(std::string_view s);

uint8_t* create();
void destroy(uint8_t* buf);
uint8_t* clone(const uint8_t* buf);

uint32_t count(const uint8_t* buf);
size_t used_bytes(const uint8_t* buf);
// Bytes the allocation really takes (allocator's usable size).
size_t allocated_bytes(const uint8_t* buf);

// Element positions are byte offsets into the buffer.
size_t first_offset();
size_t end_offset(const uint8_t* buf);
// Offset just past the element at `offset`.
size_t next_offset(const uint8_t* buf, size_t offset);
// The element's text; integers are written into `scratch` (kScratchSize bytes).
std::string_view read(const uint8_t* buf, size_t offset, char* scratch);
// Length of the element's text without decoding it (HSTRLEN).
size_t text_length(const uint8_t* buf, size_t offset);
// Whether the element at `offset` is the string whose encoded form is `e`.
bool matches(const uint8_t* buf, size_t offset, const Encoded& e);

// Appends one element.
void append(uint8_t*& buf, const Encoded& e);
// Replaces the element at `offset` by `e`.
void replace(uint8_t*& buf, size_t offset, const Encoded& e);
// Removes `n` consecutive elements starting at `offset`.
void erase(uint8_t*& buf, size_t offset, size_t n);

}  // namespace terndb::storage::packed

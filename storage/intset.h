// The "intset" encoding of sets whose members are all integers: the members sorted
// ascending in one allocation, each stored in the narrowest width (2, 4 or 8 bytes) that
// fits every member. Adding a member that needs a wider width rewrites the whole array
// in that width; the width never narrows again (as in Redis).
//
// Buffer layout: [uint32 width in bytes][uint32 count][count little-endian integers].
// Functions that may reallocate take the buffer by reference.
#pragma once

#include <cstddef>
#include <cstdint>

namespace terndb::storage::intset {

uint8_t* create();
void destroy(uint8_t* buf);
uint8_t* clone(const uint8_t* buf);

uint32_t count(const uint8_t* buf);
// Bytes per member: 2, 4 or 8.
uint32_t width(const uint8_t* buf);
size_t used_bytes(const uint8_t* buf);
size_t allocated_bytes(const uint8_t* buf);

// The i-th smallest member (i < count).
int64_t get(const uint8_t* buf, size_t i);
bool contains(const uint8_t* buf, int64_t v);
// Returns whether `v` was added (false when already present).
bool add(uint8_t*& buf, int64_t v);
// Returns whether `v` was present.
bool remove(uint8_t*& buf, int64_t v);
// Removes the i-th smallest member.
void remove_at(uint8_t*& buf, size_t i);

}  // namespace terndb::storage::intset

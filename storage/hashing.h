// Key hashing. Seeded once per process at random, so clients cannot pick keys that all
// land in one bucket.
#pragma once

#include <cstdint>
#include <string_view>

namespace terndb::storage {

uint64_t hash_key(std::string_view key);
// For tests that need reproducible placement.
void set_hash_seed(uint64_t seed);

}  // namespace terndb::storage

// CRC-64 as Redis computes it for RDB trailers and DUMP payloads: the Jones polynomial
// (0xad93d23594c935a9), reflected input and output, initial value 0, no final xor.
// crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
#pragma once

#include <cstddef>
#include <cstdint>

namespace terndb::storage {

// Continues `crc` over `len` more bytes.
uint64_t crc64(uint64_t crc, const void* data, size_t len);

}  // namespace terndb::storage

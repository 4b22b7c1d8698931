// Thresholds at which compact encodings convert to general ones (hash-max-listpack-entries
// and friends). Set by the server from its config at start and on CONFIG SET; read by the
// data type code without locks.
#pragma once

#include <atomic>
#include <cstdint>

namespace terndb::storage {

struct EncodingLimits {
  std::atomic<int64_t> hash_max_listpack_entries{512};
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  std::atomic<int64_t> list_max_listpack_size{-2};
};

EncodingLimits& encoding_limits();

}  // namespace terndb::storage

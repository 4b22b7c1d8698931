// DEBUG DIGEST and DEBUG DIGEST-VALUE, computed exactly as redis-server 7.0 computes them,
// so equal datasets give equal digests on both: per key, SHA-1 mixing of the key, its
// type code, its value's elements and an expiry marker; per dataset, the XOR of the keys'
// digests, with each non-empty database's number mixed in first.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"
#include "storage/keyspace.h"

namespace terndb::storage {

using Digest = std::array<uint8_t, 20>;

// XORs SHA1(data) into `digest`.
void digest_xor(Digest& digest, const void* data, size_t len);
// XORs SHA1(data) into `digest`, then replaces `digest` with SHA1(digest).
void digest_mix(Digest& digest, const void* data, size_t len);

// Visitor that each composite type implements so the digest can walk its elements.
class DigestSink {
 public:
  virtual ~DigestSink() = default;
};

// Mixes a value (type code, elements, expiry marker) into `digest` as Redis's
// xorObjectDigest does.
void digest_value(Digest& digest, const Entry* e);
// Hook for composite values, set by the code that defines each type.
using CompositeDigestFn = void (*)(Digest& digest, const Entry* e);
void set_composite_digest(ValueType type, CompositeDigestFn fn);

// The whole dataset; locks every shard for the walk.
std::string dataset_digest_hex(Keyspace& ks, int64_t now, bool locked = false);

}  // namespace terndb::storage

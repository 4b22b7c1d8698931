#include "storage/digest.h"

#include <arpa/inet.h>

#include <vector>

#include "storage/sha1.h"

namespace terndb::storage {
namespace {
CompositeDigestFn g_composite[8] = {};
}

void set_composite_digest(ValueType type, CompositeDigestFn fn) {
  g_composite[static_cast<int>(type)] = fn;
}

void digest_xor(Digest& digest, const void* data, size_t len) {
  Sha1 h;
  h.update(data, len);
  auto d = h.finish();
  for (size_t i = 0; i < 20; ++i) digest[i] ^= d[i];
}

void digest_mix(Digest& digest, const void* data, size_t len) {
  digest_xor(digest, data, len);
  Sha1 h;
  h.update(digest.data(), 20);
  digest = h.finish();
}

void digest_value(Digest& digest, const Entry* e) {
  uint32_t type_be = htonl(static_cast<uint32_t>(e->type));
  digest_mix(digest, &type_be, 4);
  if (e->value_type() == ValueType::kString) {
    char scratch[24];
    std::string_view v = e->string_value(scratch);
    digest_mix(digest, v.data(), v.size());
  } else if (auto fn = g_composite[e->type]) {
    fn(digest, e);
  }
  if (e->has_expire) digest_xor(digest, "!!expire!!", 10);
}

std::string dataset_digest_hex(Keyspace& ks, int64_t now, bool locked) {
  (void)now;  // like Redis, keys past their expiry but not yet deleted are included
  if (!locked) ks.lock_all();
  Digest final_digest{};
  for (int db = 0; db < ks.databases(); ++db) {
    bool any = false;
    // XOR of SHA1(key digest) over the database's keys. Redis XORs each key's SHA1 into
    // the running digest after mixing in the database number; XOR commutes, so folding
    // the database's keys first gives the same result.
    Digest db_keys{};
    for (size_t s = 0; s < ks.shard_count(); ++s) {
      ks.shard(s).dbs[static_cast<size_t>(db)].for_each([&](Entry* e) {
        any = true;
        Digest d{};
        digest_mix(d, e->key().data(), e->key().size());
        digest_value(d, e);
        digest_xor(db_keys, d.data(), d.size());
      });
    }
    if (!any) continue;
    uint32_t db_be = htonl(static_cast<uint32_t>(db));
    digest_mix(final_digest, &db_be, 4);
    for (size_t i = 0; i < 20; ++i) final_digest[i] ^= db_keys[i];
  }
  if (!locked) ks.unlock_all();
  return Sha1::hex(final_digest);
}

}  // namespace terndb::storage

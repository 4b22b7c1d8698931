// Keys the server deletes on its own (expiry, eviction) must reach replicas and the
// append-only stream as deletes, since a replica neither expires nor evicts by itself.
// Expiry and eviction call this once per key, with the key's shard lock held, after the
// key is gone and its keyspace event was sent. The replication stream records it here.
#pragma once

#include <string_view>

#include "server/propagate.h"

namespace terndb::server {

class Server;

inline void record_implicit_delete(Server& /*server*/, int db, std::string_view key) {
  propagate_expired(db, key);
}

}  // namespace terndb::server

// The snapshot a full sync sends: the keyspace as an RDB, written from a forked child so
// the master's clients keep running, and loaded on the replica.
#pragma once

#include <string>
#include <string_view>

#include "storage/keyspace.h"

namespace terndb::server {

// In the forked child: writes the keyspace as an RDB to `fd`. Nothing else runs.
bool write_snapshot(storage::Keyspace& ks, int fd, std::string* error);

// On a replica, with every shard locked and the keyspace flushed: loads `rdb`.
bool load_snapshot(storage::Keyspace& ks, std::string_view rdb, std::string* error);

}  // namespace terndb::server

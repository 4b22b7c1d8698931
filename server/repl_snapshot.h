// The snapshot a full sync sends: the keyspace as an RDB (storage/rdb_writer.h), written
// from a forked child so the master's clients keep running, and loaded on the replica.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/keyspace.h"

namespace terndb::server {

// In the forked child: writes the keyspace as an RDB to `fd`. Nothing else runs there,
// and the parent holds no lock the child could need.
bool write_snapshot(storage::Keyspace& ks, int fd, const std::string& replid, uint64_t offset,
                    std::string* error);
// The same snapshot to several replicas' pipes at once (a shared diskless full sync). A
// pipe whose reader went away is dropped and the others go on; true when the snapshot
// reached at least one to its end. SIGPIPE must be ignored.
bool write_snapshot(storage::Keyspace& ks, const std::vector<int>& fds, const std::string& replid,
                    uint64_t offset, std::string* error);

// On a replica, into a flushed keyspace (the loader takes each shard lock as it inserts):
// loads `rdb`, keeping keys whose expiry has passed for the master to delete.
bool load_snapshot(storage::Keyspace& ks, std::string_view rdb, std::string* error,
                   size_t* keys_loaded);

}  // namespace terndb::server

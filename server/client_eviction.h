// maxmemory-clients: when the connections together hold more memory than the limit, the
// ones holding the most are closed, biggest first, until the rest is under it (Redis 7.0's
// client eviction).
//
// A client's memory is CLIENT LIST's tot-mem: the query buffer's allocation (what is
// unparsed plus its free room: a large argument in flight reserves its whole frame), the
// output being written or waiting, and the per-connection state. The limit is the option
// in bytes, or a percentage of maxmemory (none while maxmemory is 0), and never below
// 128 KB so a mistaken setting cannot cut every client off, as in Redis.
//
// Exempt: connections that ran CLIENT NO-EVICT on (their memory still counts in the total);
// replica and master links are not client connections here (a replica's socket leaves the
// registry at PSYNC, the master link never enters it), so they are never evicted.
//
// The check runs in worker 0's cron (hz times a second) over the client registry's
// figures, which the connections keep as relaxed atomics; closing is posted to each
// client's own worker. INFO stats counts evicted_clients.
#pragma once

#include <cstddef>
#include <cstdint>

namespace terndb::server {

class Server;
struct ClientState;

// Bytes a client holds (CLIENT LIST's tot-mem).
int64_t client_memory(const ClientState& s);

// The limit in bytes for the option's value (`setting`: bytes, or minus a percentage as the
// config registry stores "5%"), given maxmemory; 0 means no limit.
int64_t client_eviction_limit(int64_t setting, int64_t maxmemory);

// Closes the clients that must go for the total to be under the limit; returns how many.
size_t evict_clients(Server& server);

uint64_t evicted_clients();
void reset_evicted_clients();

}  // namespace terndb::server

// Active replication: KeyDB's `active-replica yes` / `multi-master yes`, where every node
// accepts writes and streams them to its peers, and all nodes converge.
//
// This header is the boundary between the links (server/master_link.cc, the peer
// bookkeeping in server/replication.cc) and the data side (versions, tombstones, applying
// and forwarding what peers send, merging a peer's snapshot), which lives in
// server/active_replica.cc and storage/.
//
// On the wire a peer's stream carries KeyDB's `RREPLAY <origin uuid> <command as RESP>
// <db> <mvcc>`; see server/active_replica.cc for how terndb settles conflicts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::server {

class Server;
struct Worker;

namespace active {

// Whether this process runs as an active replica (`active-replica yes`, read at start by
// enable()). Constant after start.
bool enabled();
// Start-up, before any link or client: turns active replication on when configured.
void enable(Server& server);

// Whether this thread is applying a peer's message (its effects are not our own writes).
bool applying_peer();
// Config changes that matter here (multi-master-no-forward).
void refresh_settings(Server& server);
// Drops tombstones older than `active-replica-tombstone-lifetime`; returns how many.
size_t purge_tombstones(Server& server);

// This process's node id: a fresh 36-character uuid at every start.
const std::string& node_uuid();

// A command read from a peer's stream (the link's thread). Returns true when it was an
// active-replication message (RREPLAY and friends) and has been applied or dropped;
// false when the caller must run it as an ordinary stream command (PING, SELECT, a plain
// master's writes). Never appends the peer's bytes to our stream verbatim: what is
// applied is re-sent in our own stream as needed.
bool on_peer_command(Server& server, Worker& worker, const std::vector<std::string>& argv);

// A peer's full-sync snapshot: merged key by key, the newer version winning, without
// flushing what we hold. Returns false with `error` set when the payload is unreadable.
bool merge_snapshot(Server& server, std::string_view rdb, std::string* error, size_t* keys);

}  // namespace active
}  // namespace terndb::server

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
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::server {

class Server;
struct Worker;
class PropagationBatch;
struct CommandContext;

namespace active {

// Whether this process runs as an active replica (`active-replica yes`, read at start by
// enable()). Constant after start.
bool enabled();
// Start-up, before any link or client: turns active replication on when configured.
void enable(Server& server);

// After a command: its large changed keys (pending in the batch from index `first`) go
// out as the command itself when it changed exactly one key, else as whole states.
void settle_command_changes(PropagationBatch& batch, size_t first, CommandContext& ctx,
                            std::string_view reply);
// Sends the batch's pending keys from index `first` as whole states; `locked`: this thread
// holds every shard lock.
void send_pending_states(PropagationBatch& batch, size_t first, bool locked);

// Whether this thread is applying a peer's message (its effects are not our own writes).
bool applying_peer();
// Config changes that matter here (multi-master-no-forward).
void refresh_settings(Server& server);
// Drops tombstones older than `active-replica-tombstone-lifetime`; returns how many.
size_t purge_tombstones(Server& server);

// This process's node id: a fresh 36-character uuid at every start.
const std::string& node_uuid();

// What a peer link offers the data side: a way to ask the peer for a key's whole state
// (when a change it sent does not apply to what we hold), and the keys asked for.
struct PeerLink {
  std::function<void(std::string)> send;  // bytes to the peer, on the link's thread
  std::set<std::pair<int, std::string>> fetching;
};
// The link is (re)connected and streaming: asks again for every state still missing.
void resend_fetches(PeerLink& link);
// Master side: RFETCH <db> <key> from one of our peers. Our state of the key (value or
// tombstone, with its version) goes into our stream, after every change of the key
// already in it.
void serve_fetch(Server& server, int db, std::string_view key);

// A command read from a peer's stream (the link's thread). Returns true when it was an
// active-replication message (RREPLAY and friends) and has been applied or dropped;
// false when the caller must run it as an ordinary stream command (PING, SELECT, a plain
// master's writes). Never appends the peer's bytes to our stream verbatim: what is
// applied is re-sent in our own stream as needed.
bool on_peer_command(Server& server, Worker& worker, const std::vector<std::string>& argv,
                     PeerLink* link = nullptr);

// A peer's full-sync snapshot: merged key by key, the newer version winning, without
// flushing what we hold. Returns false with `error` set when the payload is unreadable.
bool merge_snapshot(Server& server, std::string_view rdb, std::string* error, size_t* keys);

}  // namespace active
}  // namespace terndb::server

// Scripts sent back to back by one client run under one hold of every shard lock.
//
// A script locks every shard (keys it touches need not be declared). With two io threads
// both running scripts, taking and dropping 64 mutexes per script, and handing them to the
// other thread each time, costs more than the scripts themselves. So a script started from
// a client's input (inside a ScriptBatchScope) leaves the locks held when it ends; the next
// command of that input reuses them if it is another script that may run now, and anything
// else releases them first. The scope's end releases them too, so they are never held
// while the thread waits for input, and each script stays atomic (a batch only makes
// several scripts atomic together, as one client's pipeline is in a single-threaded server).
#pragma once

#include <string_view>
#include <vector>

namespace terndb::storage {
class Keyspace;
}

namespace terndb::server {

class Server;
struct ClientState;

// Marks the processing of one client's input on this thread; the outermost scope's end
// releases locks a script left held.
class ScriptBatchScope {
 public:
  ScriptBatchScope();
  ~ScriptBatchScope();
  ScriptBatchScope(const ScriptBatchScope&) = delete;
  ScriptBatchScope& operator=(const ScriptBatchScope&) = delete;
};

namespace script_batch {

// True when the last script run here left every shard lock held.
bool held();
// Releases them (no-op when none are held).
void release();
// Whether locks the client's previous command left held may serve its next one: not in
// MULTI, not for MONITOR, and nothing the command goes through before it runs (eviction,
// a client pause, a master link's stream) takes shard locks or waits. Also decides when a
// single shard lock may be kept (storage/shard_lock_carry.h, server/dispatch.cc).
bool locks_may_carry_over(Server& server, const ClientState& client);
// Releases them unless argv is a script call that may run under them at once: EVAL or
// EVALSHA (or their _RO forms) when locks_may_carry_over().
void release_unless_script(Server& server, const ClientState& client,
                           const std::vector<std::string_view>& argv);

// For the script runner: whether this thread may leave the locks held after a script,
// and taking over / handing back the held locks.
bool in_scope();
bool take(storage::Keyspace& ks);  // true when the locks were held and are now the caller's
void leave_held(storage::Keyspace& ks);

}  // namespace script_batch
}  // namespace terndb::server

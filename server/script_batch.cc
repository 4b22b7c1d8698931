#include "server/script_batch.h"

#include <strings.h>

#include "server/client_pause.h"
#include "server/client_state.h"
#include "server/eviction.h"
#include "server/replication.h"
#include "server/scripting/script_busy.h"
#include "server/server.h"
#include "storage/keyspace.h"
#include "storage/shard_lock_carry.h"

namespace terndb::server {
namespace {

thread_local int t_scope_depth = 0;
thread_local storage::Keyspace* t_held = nullptr;

bool is_script_call(std::string_view name) {
  auto is = [&](const char* s, size_t n) {
    return name.size() == n && strncasecmp(name.data(), s, n) == 0;
  };
  return is("evalsha", 7) || is("eval", 4) || is("evalsha_ro", 10) || is("eval_ro", 7);
}

}  // namespace

ScriptBatchScope::ScriptBatchScope() {
  ++t_scope_depth;
}

ScriptBatchScope::~ScriptBatchScope() {
  if (--t_scope_depth == 0) {
    script_batch::release();
    storage::lock_carry::release();  // a shard lock the last command kept
  }
}

namespace script_batch {

bool held() {
  return t_held != nullptr;
}

void release() {
  if (!t_held) return;
  storage::Keyspace* ks = t_held;
  t_held = nullptr;
  ks->unlock_all();
  scripting::ScriptBusy::instance().wake_waiters();  // deferred by the last script's end
}

void release_unless_script(Server& server, const ClientState& client,
                           const std::vector<std::string_view>& argv) {
  if (!t_held) return;
  if (argv.empty() || !is_script_call(argv[0]) || !locks_may_carry_over(server, client)) release();
}

bool locks_may_carry_over(Server& server, const ClientState& client) {
  return !client.tx.active && !client.monitor.load(std::memory_order_relaxed) &&
         server.evictor().maxmemory() <= 0 && !server.client_pause().active() &&
         !Replication::instance().has_masters();
}

bool in_scope() {
  return t_scope_depth > 0;
}

bool take(storage::Keyspace& ks) {
  if (t_held != &ks) {
    release();
    return false;
  }
  t_held = nullptr;
  return true;
}

void leave_held(storage::Keyspace& ks) {
  t_held = &ks;
}

}  // namespace script_batch
}  // namespace terndb::server

// A Lua interpreter that runs scripts: one per io thread, created on first use. A script
// runs on the io thread of the client that sent it.
//
// Scripts are compiled lazily from the shared script cache (script_cache.h) into the
// thread's own state, under their SHA1. A SCRIPT FLUSH anywhere makes every engine start
// over with a fresh state before its next script, as Redis recreates its interpreter.
//
// run() must be called with every shard lock held: redis.call runs commands with
// all_locked set, which is what makes a script atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client_state.h"
#include "server/scripting/io_stand_in.h"
#include "server/scripting/lua_api.h"

namespace terndb::server {
class Server;
struct Worker;
class Connection;
}  // namespace terndb::server

namespace terndb::server::scripting {

// "#!lua flags=..." first lines (Redis 7.0 script flags).
struct Shebang {
  size_t length = 0;  // bytes before the newline that ends the line; 0 when none
  bool no_writes = false;
};
// One script invocation (EVAL, EVALSHA and their _RO forms).
struct ScriptRequest {
  Server* server = nullptr;
  Worker* worker = nullptr;  // the calling client's thread: command statistics go there
  int db = 0;                // the caller's database, where the script starts
  int caller_resp = 2;       // the protocol of the reply
  bool read_only = false;    // _RO commands and "#!lua flags=no-writes"
  std::string sha;           // lowercase hex
  std::string_view code;     // the body without its shebang line (its newline kept)
  std::vector<std::string_view> keys;
  std::vector<std::string_view> args;

  // Set when the script runs on the io thread of `connection`'s worker with nothing else
  // holding its shard locks: past lua-time-limit, `stand_in` then serves that thread's
  // other connections. The caller destroys it after releasing the locks (its thread may
  // be waiting for one of them).
  Connection* connection = nullptr;
  std::unique_ptr<IoStandIn> stand_in;
  // False: the caller wakes the commands waiting for the script's end itself, when it
  // releases the shard locks (ScriptBusy::end).
  bool wake_waiters_at_end = true;
};

// What the redis.* functions see of the script being run.
struct RunState {
  ScriptRequest* request = nullptr;
  ClientState* client = nullptr;  // the script's own client: SELECT changes only it
  int resp = 2;                   // redis.setresp
  int64_t now_ms = 0;             // time stands still inside a script, for expiry
  std::string scratch;            // the reply of the command redis.call runs
  bool wrote = false;             // a write ran: no more -OOM refusals (Redis's rule)
};

class LuaEngine {
 public:
  static LuaEngine& for_this_thread();
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Compiles `code` as script `sha` unless this state has it already. On a syntax error
  // returns false with Redis's reply text ("ERR Error compiling script ...").
  bool compile(const std::string& sha, std::string_view code, std::string& error);

  // Runs a script, compiling it first if needed, and writes its reply (or error).
  void run(ScriptRequest& request, protocol::ReplyBuilder& reply);

  // EVALSHA of a script this state has run needs neither its body nor another read of its
  // shebang: the shebang a script had when remember() was called after compiling it, or
  // null. Starts over first when SCRIPT FLUSH ran anywhere, so a non-null answer means the
  // function is in this state until the next call of this or compile().
  const Shebang* known_script(const std::string& sha);
  void remember(const std::string& sha, const Shebang& shebang) { known_[sha] = shebang; }

  // The script being run by this engine, or null between scripts.
  RunState* current() { return current_; }

 private:
  LuaEngine();
  void open_state();
  void close_state();
  void refresh_if_flushed();
  // Pushes the compiled function for `sha`, or nothing (returns false).
  bool push_function(const std::string& sha);
  void write_error(const std::string& sha, protocol::ReplyBuilder& reply);

  lua_State* L_ = nullptr;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, Shebang> known_;  // compiled in L_, by SHA1
  RunState* current_ = nullptr;
  ClientState client_;
  unsigned runs_since_gc_ = 0;
  int64_t reported_memory_ = 0;  // this state's share of lua_memory_bytes()
  void report_memory();
};

// Memory used by the Lua states of all threads, in bytes, as of their last script (INFO's
// used_memory_lua).
int64_t lua_memory_bytes();

// Installs the `redis` table (redis.call, redis.pcall, ...) and Redis's math.random
// replacements into a state owned by `engine` (lua_redis_api.cc).
void install_redis_api(lua_State* L, LuaEngine* engine);

// Parses the shebang of `body`, if any. False with Redis's error text when malformed.
bool parse_shebang(std::string_view body, Shebang& out, std::string& error);

}  // namespace terndb::server::scripting

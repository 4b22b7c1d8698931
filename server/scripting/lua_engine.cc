#include "server/scripting/lua_engine.h"

#include <strings.h>

#include <atomic>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "protocol/resp_parser.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/scripting/lua_reply.h"
#include "server/scripting/lua_sandbox.h"
#include "server/scripting/script_busy.h"
#include "server/scripting/script_cache.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server::scripting {
namespace {

// Registry key of the table sha -> compiled function.
char kScriptsKey;

// How often the kill/time-limit hook runs, in Lua instructions (as Redis).
constexpr int kHookInstructions = 100000;
// Redis helps the garbage collector along every 50 scripts.
constexpr unsigned kGcPeriod = 50;

std::atomic<int64_t> total_lua_memory{0};

// The script running on this thread and its lua-time-limit (read once per script).
thread_local RunState* tls_run = nullptr;
thread_local int64_t tls_time_limit_ms = 0;

void load_library(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  // Libraries that do not register themselves as globals (cjson) are set here.
  lua_getfield(L, LUA_GLOBALSINDEX, name[0] ? name : "_G");
  bool registered = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (name[0] && !registered) {
    lua_setfield(L, LUA_GLOBALSINDEX, name);
  } else {
    lua_pop(L, 1);
  }
}

// tostring() as the base library does it, for error values that are not tables.
void push_tostring(lua_State* L, int index) {
  if (luaL_callmeta(L, index, "__tostring")) return;
  switch (lua_type(L, index)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      lua_pushvalue(L, index);
      lua_tostring(L, -1);
      return;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, index) ? "true" : "false");
      return;
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      return;
    default:
      lua_pushfstring(L, "%s: %p", luaL_typename(L, index), lua_topointer(L, index));
      return;
  }
}

// The message handler of every script (global __redis__err__handler, as in Redis). It
// turns any error into a table {err=..., source=..., line=...}: a string error becomes
// "ERR " .. message; source and line are where the script was when the error was raised
// (the caller, when a C function such as redis.call or error raised it).
int error_handler(lua_State* L) {
  lua_Debug ar;
  bool located = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);
  if (located && strcmp(ar.what, "C") == 0) {
    located = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
  }
  lua_settop(L, 1);
  if (!lua_istable(L, 1)) {
    push_tostring(L, 1);
    lua_newtable(L);
    lua_pushliteral(L, "ERR ");
    lua_pushvalue(L, -3);
    lua_concat(L, 2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
    lua_settop(L, 1);
  }
  // A read-only table raised as the error (error(redis)) keeps its contents; the reply
  // then goes without the location.
  if (located && !is_readonly_proxy(L, 1)) {
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_rawset(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, ar.currentline);
    lua_rawset(L, 1);
  }
  return 1;
}

// Past lua-time-limit: from now on other clients get -BUSY. The script's own io thread
// cannot tell them so itself; a stand-in serves its other connections while the script
// runs, unless this connection has a read or write in flight (its handler must not run
// beside the script) or the script runs inside EXEC (whose locks a stand-in could wait
// for while being joined).
void on_time_limit_passed(RunState& run) {
  ScriptBusy& busy = ScriptBusy::instance();
  busy.set_timed_out();
  logf(LogLevel::kWarning,
       "Slow script detected: still running after %lld milliseconds. SCRIPT KILL stops it "
       "unless it has written to the dataset.",
       static_cast<long long>(storage::now_ms() - busy.started_ms()));
  ScriptRequest& req = *run.request;
  if (req.connection && req.worker && !req.connection->io_pending() && !req.stand_in) {
    try {
      req.stand_in = std::make_unique<IoStandIn>(req.worker->io);
    } catch (const std::exception& e) {
      // Without it this thread's clients just wait for the script; nothing else changes.
      logf(LogLevel::kWarning, "Could not start serving clients during the script: %s", e.what());
    }
  }
}

// Runs every kHookInstructions instructions while a script runs with a time limit.
void count_hook(lua_State* L, lua_Debug*) {
  ScriptBusy& busy = ScriptBusy::instance();
  RunState* run = tls_run;
  // A shutdown (SIGTERM) stops the io thread's loop: the script must end for it to exit.
  if (run && run->request->worker && run->request->worker->io.stopped()) busy.kill(true);
  if (busy.kill_requested()) {
    log_line(LogLevel::kWarning, "Lua script killed by user with SCRIPT KILL.");
    // From now on on every line, so that pcall cannot keep the script alive.
    lua_sethook(L, count_hook, LUA_MASKLINE, 0);
    push_error_table(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
  if (!busy.timed_out() && run && storage::now_ms() - busy.started_ms() >= tls_time_limit_ms) {
    on_time_limit_passed(*run);
  }
}

}  // namespace

int64_t lua_memory_bytes() {
  return total_lua_memory.load(std::memory_order_relaxed);
}

void LuaEngine::report_memory() {
  int64_t now = L_ ? int64_t{lua_gc(L_, LUA_GCCOUNT, 0)} * 1024 + lua_gc(L_, LUA_GCCOUNTB, 0) : 0;
  total_lua_memory.fetch_add(now - reported_memory_, std::memory_order_relaxed);
  reported_memory_ = now;
}

LuaEngine& LuaEngine::for_this_thread() {
  thread_local std::unique_ptr<LuaEngine> engine(new LuaEngine());
  return *engine;
}

LuaEngine::LuaEngine() {
  client_.authenticated = true;
  open_state();
}

LuaEngine::~LuaEngine() {
  close_state();
}

void LuaEngine::open_state() {
  generation_ = ScriptCache::instance().generation();
  L_ = luaL_newstate();
  load_library(L_, "", luaopen_base);
  load_library(L_, LUA_TABLIBNAME, luaopen_table);
  load_library(L_, LUA_STRLIBNAME, luaopen_string);
  load_library(L_, LUA_MATHLIBNAME, luaopen_math);
  load_library(L_, "cjson", luaopen_cjson);
  load_library(L_, "struct", open_struct);
  load_library(L_, "cmsgpack", open_cmsgpack);
  load_library(L_, "bit", luaopen_bit);
  install_redis_api(L_, this);
  lua_pushcfunction(L_, error_handler);
  lua_setfield(L_, LUA_GLOBALSINDEX, "__redis__err__handler");
  lua_pushlightuserdata(L_, &kScriptsKey);
  lua_newtable(L_);
  lua_rawset(L_, LUA_REGISTRYINDEX);
  install_sandbox(L_);
  report_memory();
}

void LuaEngine::close_state() {
  if (L_) lua_close(L_);
  L_ = nullptr;
  known_.clear();
  report_memory();
}

void LuaEngine::refresh_if_flushed() {
  if (generation_ == ScriptCache::instance().generation()) return;
  close_state();
  open_state();
}

const Shebang* LuaEngine::known_script(const std::string& sha) {
  refresh_if_flushed();
  auto it = known_.find(sha);
  return it == known_.end() ? nullptr : &it->second;
}

bool LuaEngine::push_function(const std::string& sha) {
  lua_pushlightuserdata(L_, &kScriptsKey);
  lua_rawget(L_, LUA_REGISTRYINDEX);
  lua_getfield(L_, -1, sha.c_str());
  lua_remove(L_, -2);
  if (lua_isfunction(L_, -1)) return true;
  lua_pop(L_, 1);
  return false;
}

bool LuaEngine::compile(const std::string& sha, std::string_view code, std::string& error) {
  refresh_if_flushed();
  if (push_function(sha)) {
    lua_pop(L_, 1);
    return true;
  }
  if (load_text_chunk(L_, code.data(), code.size(), "@user_script") != 0) {
    error = "ERR Error compiling script (new function): ";
    error += lua_tostring(L_, -1);
    lua_pop(L_, 1);
    return false;
  }
  lua_pushlightuserdata(L_, &kScriptsKey);
  lua_rawget(L_, LUA_REGISTRYINDEX);
  lua_insert(L_, -2);
  lua_setfield(L_, -2, sha.c_str());
  lua_pop(L_, 1);
  report_memory();
  return true;
}

void LuaEngine::write_error(const std::string& sha, protocol::ReplyBuilder& reply) {
  if (!lua_istable(L_, -1)) {
    // Errors the handler never saw (out of memory, or a failing handler).
    const char* msg = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "execution failure";
    std::string text = "ERR Error running script " + sha + ", ";
    text.append(msg, strnlen(msg, 100));
    reply.error(text);
    return;
  }
  lua_getfield(L_, -1, "err");
  if (!lua_isstring(L_, -1)) {
    lua_pop(L_, 1);
    reply.error("ERR Error running script " + sha + ", execution failure");
    return;
  }
  std::string text = lua_tostring(L_, -1);
  lua_pop(L_, 1);
  lua_getfield(L_, -1, "source");
  lua_getfield(L_, -2, "line");
  if (lua_isstring(L_, -2) && lua_isstring(L_, -1)) {
    text += " script: " + sha + ", on ";
    text += lua_tostring(L_, -2);
    text += ":";
    text += lua_tostring(L_, -1);
    text += ".";
  }
  lua_pop(L_, 2);
  reply.error(text);
}

void LuaEngine::run(ScriptRequest& request, protocol::ReplyBuilder& reply) {
  lua_settop(L_, 0);
  lua_pushcfunction(L_, error_handler);
  // Callers compile first; compiling here again (which may start over after a SCRIPT
  // FLUSH) only when the function is missing keeps a known script's body unneeded.
  if (!push_function(request.sha)) {
    std::string error;
    if (!compile(request.sha, request.code, error)) return reply.error(error);
    lua_settop(L_, 0);
    lua_pushcfunction(L_, error_handler);
    push_function(request.sha);
  }
  for (auto [list, name] : {std::pair{&request.keys, "KEYS"}, std::pair{&request.args, "ARGV"}}) {
    lua_createtable(L_, static_cast<int>(list->size()), 0);
    for (size_t i = 0; i < list->size(); ++i) {
      lua_pushlstring(L_, (*list)[i].data(), (*list)[i].size());
      lua_rawseti(L_, -2, static_cast<int>(i + 1));
    }
    set_global_unprotected(L_, name);
  }

  RunState state;
  state.request = &request;
  state.client = &client_;
  state.now_ms = storage::now_ms();
  client_.db = request.db;
  client_.resp = 2;
  ScriptBusy& busy = ScriptBusy::instance();
  busy.begin(state.now_ms);
  tls_time_limit_ms = request.server->opt_lua_time_limit.num.load(std::memory_order_relaxed);
  if (tls_time_limit_ms > 0) lua_sethook(L_, count_hook, LUA_MASKCOUNT, kHookInstructions);
  current_ = &state;
  tls_run = &state;

  int status = lua_pcall(L_, 0, 1, 1);

  tls_run = nullptr;
  current_ = nullptr;
  lua_sethook(L_, nullptr, 0, 0);
  if (++runs_since_gc_ == kGcPeriod) {
    lua_gc(L_, LUA_GCSTEP, kGcPeriod);
    runs_since_gc_ = 0;
  }
  int caller_resp = reply.resp();
  reply.set_resp(request.caller_resp);
  if (status != 0) {
    write_error(request.sha, reply);
  } else {
    write_reply(L_, reply, state.resp);
  }
  reply.set_resp(caller_resp);
  lua_settop(L_, 0);
  report_memory();
  busy.end(request.wake_waiters_at_end);
}

bool parse_shebang(std::string_view body, Shebang& out, std::string& error) {
  out = Shebang();
  if (body.substr(0, 2) != "#!") return true;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    error = "ERR Invalid script shebang";
    return false;
  }
  out.length = end;
  std::vector<std::string> parts;
  if (!protocol::split_args(body.substr(0, end), parts) || parts.empty()) {
    error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    error = "ERR Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.size() < 6 || strncasecmp(part.c_str(), "flags=", 6) != 0) {
      error = "ERR Unknown lua shebang option: " + part;
      return false;
    }
    std::string_view flags = std::string_view(part).substr(6);
    while (!flags.empty()) {
      size_t comma = flags.find(',');
      std::string_view flag = flags.substr(0, comma);
      flags = comma == std::string_view::npos ? std::string_view() : flags.substr(comma + 1);
      if (flag == "no-writes") {
        out.no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys") {
        error = "ERR Unexpected flag in script shebang: " + std::string(flag);
        return false;
      }
    }
  }
  return true;
}

}  // namespace terndb::server::scripting

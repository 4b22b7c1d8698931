// The `redis` table scripts see, and Redis's replacements for math.random/randomseed.
//
// Error texts are Redis 7.0's. Errors are tables {err="CODE message"}: redis.call raises
// them, redis.pcall returns them.
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/command_name_cache.h"
#include "server/dispatch.h"
#include "server/eviction.h"
#include "server/log.h"
#include "server/scripting/lua_engine.h"
#include "server/scripting/lua_reply.h"
#include "server/scripting/script_busy.h"
#include "server/scripting/script_cache.h"
#include "server/server.h"
#include "server/version.h"

namespace terndb::server::scripting {
namespace {

LuaEngine* engine_of(lua_State* L) {
  return static_cast<LuaEngine*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Raises {err = "ERR <msg>"}.
int raise_error(lua_State* L, const char* msg) {
  push_error_table(L, msg);
  return lua_error(L);
}

// The arguments of one redis.call: their bytes back to back in one buffer, and views of
// them made once all are in. One per thread, reused from call to call, so that a call
// allocates nothing once the buffers have grown; and nothing here needs a destructor to
// run when lua_error unwinds past it.
struct CallArgs {
  std::string bytes;
  std::vector<size_t> ends;
  std::vector<std::string_view> views;
};

CallArgs& call_args() {
  thread_local CallArgs args;
  return args;
}

// The arguments of redis.call as strings: numbers as %.17g (Lua's own conversion loses
// precision), strings as they are. False (error table pushed) for other types or none.
bool collect_args(lua_State* L, CallArgs& out) {
  int argc = lua_gettop(L);
  out.bytes.clear();
  out.ends.clear();
  out.views.clear();
  if (argc == 0) {
    push_error_table(L, "Please specify at least one argument for this redis lib call");
    return false;
  }
  bool ok = true;
  for (int i = 1; i <= argc && ok; ++i) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      char buf[64];
      const double d = lua_tonumber(L, i);
      // Whole numbers below 2^53 print the same through %.17g as integers, and most
      // script arguments are such (counts, scores, TTLs): format those without printf.
      const bool whole = d == std::trunc(d) && std::fabs(d) < 9007199254740992.0 &&
                         !(d == 0 && std::signbit(d));
      const size_t n = whole ? protocol::format_int64(static_cast<int64_t>(d), buf)
                             : static_cast<size_t>(snprintf(buf, sizeof(buf), "%.17g", d));
      out.bytes.append(buf, n);
    } else {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      if (s == nullptr) {
        ok = false;
      } else {
        out.bytes.append(s, len);
      }
    }
    out.ends.push_back(out.bytes.size());
  }
  lua_settop(L, 0);
  if (!ok) {
    push_error_table(L, "Lua redis lib command arguments must be strings or integers");
    return false;
  }
  size_t start = 0;
  for (size_t end : out.ends) {
    out.views.emplace_back(out.bytes.data() + start, end - start);
    start = end;
  }
  return true;
}

// The command (or subcommand) named by argv, as Redis looks it up: a container named
// with an unknown subcommand is no command at all.
CommandSpec* find_command(Server& server, const std::vector<std::string_view>& argv) {
  thread_local std::string name;
  auto lower_into = [](std::string_view s) {
    name.assign(s);
    for (auto& ch : name) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    }
  };
  thread_local CommandNameCache names;
  CommandSpec* spec = names.find(server.commands(), argv[0]);
  if (spec && !spec->subcommands.empty() && argv.size() >= 2) {
    lower_into(argv[1]);
    auto it = spec->subcommands.find(name);
    spec = it == spec->subcommands.end() ? nullptr : it->second.get();
  }
  return spec;
}

bool arity_ok(const CommandSpec& spec, size_t argc) {
  int a = spec.arity;
  return (a > 0 && static_cast<size_t>(a) == argc) || (a < 0 && argc >= static_cast<size_t>(-a));
}

// Runs one command for the script; its reply lands in run.scratch. Returns false with
// the reason when the command may not run.
bool run_command(RunState& run, const std::vector<std::string_view>& argv, const char** refusal) {
  const ScriptRequest& req = *run.request;
  CommandSpec* spec = find_command(*req.server, argv);
  if (!spec) {
    *refusal = "Unknown Redis command called from script";
    return false;
  }
  // A container named alone (CONFIG) fails its arity, as in Redis.
  if (!arity_ok(*spec, argv.size()) || !spec->handler) {
    *refusal = "Wrong number of args calling Redis command from script";
    return false;
  }
  if (spec->flags & kCmdNoscript) {
    *refusal = "This Redis command is not allowed from script";
    return false;
  }
  if (spec->flags & kCmdWrite) {
    if (req.read_only) {
      *refusal = "Write commands are not allowed from read-only scripts.";
      return false;
    }
    if ((spec->flags & kCmdDenyOom) && oom_before_command() && !run.wrote) {
      *refusal = "-OOM command not allowed when used memory > 'maxmemory'.";
      return false;
    }
    run.wrote = true;
    // From here on SCRIPT KILL refuses: the dataset may have changed.
    ScriptBusy::instance().note_write();
  }
  run.scratch.clear();
  protocol::ReplyBuilder reply(&run.scratch, run.resp);
  CommandContext ctx{*req.server, *run.client, argv, reply, spec, run.now_ms};
  ctx.all_locked = true;
  invoke_command(ctx, *req.worker);
  return true;
}

int generic_call(lua_State* L, bool raise) {
  RunState* run = engine_of(L)->current();
  if (!run) return raise_error(L, "redis.call/pcall can only be called inside a script invocation");
  CallArgs& args = call_args();
  if (!collect_args(L, args)) return raise ? lua_error(L) : 1;
  const char* refusal = nullptr;
  bool ran = false;
  try {
    ran = run_command(*run, args.views, &refusal);
  } catch (const std::exception& e) {
    // Nothing of ours may unwind into Lua (see lua_api.h).
    logf(LogLevel::kWarning, "Command called from script failed: %s", e.what());
    refusal = "Command failed";
  }
  if (!ran) {
    push_error_table(L, refusal);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ignore_error_stats_update");
    return raise ? lua_error(L) : 1;
  }
  bool failed = !run->scratch.empty() && run->scratch[0] == '-';
  push_reply_value(L, run->scratch);
  if (raise && failed) return lua_error(L);
  return 1;
}

int redis_call(lua_State* L) {
  return generic_call(L, true);
}
int redis_pcall(lua_State* L) {
  return generic_call(L, false);
}

int redis_sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return raise_error(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = ScriptCache::sha1_hex(s ? std::string_view(s, len) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int redis_error_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_table(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string err(s, len);
  if (err.empty() || err[0] != '-') err.insert(err.begin(), '-');
  push_error_table(L, err);
  return 1;
}

int redis_status_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_table(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int redis_log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return raise_error(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return raise_error(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < static_cast<int>(LogLevel::kDebug) || level > static_cast<int>(LogLevel::kWarning)) {
    return raise_error(L, "Invalid debug level.");
  }
  LogLevel log_level = static_cast<LogLevel>(level);
  if (!log_enabled(log_level)) return 0;
  std::string line;
  for (int i = 2; i <= argc; ++i) {
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    if (!s) continue;
    if (i != 2) line.push_back(' ');
    line.append(s, len);
  }
  log_line(log_level, line);
  return 0;
}

int redis_setresp(lua_State* L) {
  RunState* run = engine_of(L)->current();
  if (!run) return raise_error(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return raise_error(L, "redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) return raise_error(L, "RESP version must be 2 or 3.");
  run->resp = resp;
  run->client->resp = resp;
  return 0;
}

// Scripts replicate their effects (the commands they run); the flags change nothing here.
int redis_set_repl(lua_State* L) {
  if (!engine_of(L)->current()) {
    return raise_error(L, "redis.set_repl can only be called inside a script invocation");
  }
  if (lua_gettop(L) != 1) return raise_error(L, "redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if (flags & ~3) {
    return raise_error(L,
                       "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                       "REPL_NONE.");
  }
  return 0;
}

int redis_replicate_commands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// The script debugger is not available: breakpoints never stop, debug() prints nothing.
int redis_breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int redis_debug(lua_State*) {
  return 0;
}

// Every client is the default user, allowed every command.
int redis_acl_check_cmd(lua_State* L) {
  RunState* run = engine_of(L)->current();
  if (!run)
    return raise_error(L, "redis.acl_check_cmd can only be called inside a script invocation");
  CallArgs& args = call_args();
  if (!collect_args(L, args)) return lua_error(L);
  if (!find_command(*run->request->server, args.views)) {
    return raise_error(L, "Invalid command passed to redis.acl_check_cmd()");
  }
  lua_pushboolean(L, 1);
  return 1;
}

// ---- math.random ----------------------------------------------------------------------

// Redis's generator: the 48-bit linear congruential one of rand48, with its default
// seed, shared by every script (scripts run one at a time, under every shard lock) and
// never reseeded except by math.randomseed, so sequences match Redis's.
uint64_t rand48_state = 0x1234ABCD330EULL;

int32_t next_rand48() {
  rand48_state = (0x5DEECE66DULL * rand48_state + 0xB) & ((uint64_t{1} << 48) - 1);
  return static_cast<int32_t>(rand48_state >> 17);
}

int math_random(lua_State* L) {
  constexpr int32_t kMax = 2147483647;
  double r = static_cast<double>(next_rand48() % kMax) / static_cast<double>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int math_randomseed(lua_State* L) {
  uint32_t seed = static_cast<uint32_t>(luaL_checkint(L, 1));
  rand48_state = (uint64_t{seed} << 16) | 0x330E;
  return 0;
}

}  // namespace

void install_redis_api(lua_State* L, LuaEngine* engine) {
  static const luaL_Reg kFunctions[] = {
      {"call", redis_call},
      {"pcall", redis_pcall},
      {"sha1hex", redis_sha1hex},
      {"error_reply", redis_error_reply},
      {"status_reply", redis_status_reply},
      {"log", redis_log},
      {"setresp", redis_setresp},
      {"set_repl", redis_set_repl},
      {"replicate_commands", redis_replicate_commands},
      {"breakpoint", redis_breakpoint},
      {"debug", redis_debug},
      {"acl_check_cmd", redis_acl_check_cmd},
  };
  lua_newtable(L);
  for (const auto& f : kFunctions) {
    lua_pushlightuserdata(L, engine);
    lua_pushcclosure(L, f.func, 1);
    lua_setfield(L, -2, f.name);
  }
  static const struct {
    const char* name;
    int value;
  } kConstants[] = {{"LOG_DEBUG", 0},   {"LOG_VERBOSE", 1},  {"LOG_NOTICE", 2},
                    {"LOG_WARNING", 3}, {"REPL_NONE", 0},    {"REPL_AOF", 1},
                    {"REPL_SLAVE", 2},  {"REPL_REPLICA", 2}, {"REPL_ALL", 3}};
  for (const auto& c : kConstants) {
    lua_pushnumber(L, c.value);
    lua_setfield(L, -2, c.name);
  }
  // REDIS_VERSION_NUM is 0x00MMmmpp.
  int major = 0, minor = 0, patch = 0;
  sscanf(kRedisCompatVersion, "%d.%d.%d", &major, &minor, &patch);
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_pushnumber(L, (major << 16) | (minor << 8) | patch);
  lua_setfield(L, -2, "REDIS_VERSION_NUM");
  lua_setfield(L, LUA_GLOBALSINDEX, "redis");

  lua_getfield(L, LUA_GLOBALSINDEX, "math");
  lua_pushcfunction(L, math_random);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, math_randomseed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);
}

}  // namespace terndb::server::scripting

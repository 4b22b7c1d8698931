// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH /
// KILL / DEBUG / HELP, with Redis 7.0's replies and errors.
//
// A script runs on its client's io thread with every shard lock held (inside MULTI/EXEC,
// EXEC holds them already), so it is atomic against all clients. The Lua side (sandbox,
// redis.*, conversions, libraries, -BUSY and SCRIPT KILL) lives in server/scripting/.
#include <strings.h>

#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/script_batch.h"
#include "server/scripting/lua_engine.h"
#include "server/scripting/script_busy.h"
#include "server/scripting/script_cache.h"
#include "server/server.h"
#include "storage/clock.h"
#include "storage/key_handle.h"

namespace terndb::server {
namespace {

using scripting::ScriptCache;

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  }
  return out;
}

// A script invocation, as parsed from EVAL / EVALSHA and their _RO forms.
struct ScriptJob {
  Server* server = nullptr;
  Worker* worker = nullptr;
  Connection* connection = nullptr;
  std::vector<std::string_view> argv;
  size_t numkeys = 0;
  bool by_sha = false;  // the body came from the cache: no need to add it
  bool known = false;   // compiled in this thread's state already: the body is not needed
  std::string sha;
  std::string_view body;
  std::string cached_body;  // EVALSHA's copy of the body
  scripting::Shebang shebang;
  bool read_only = false;
  bool write_flag_on_ro = false;  // a script declaring writes run by an _RO command
  int db = 0;
  int resp = 2;
};

// Compiles (adding an EVAL body to the cache) and runs the script. The caller holds every
// shard lock when `locked`; otherwise they are taken for the run.
void execute(ScriptJob& job, protocol::ReplyBuilder& reply, bool locked) {
  scripting::LuaEngine& engine = scripting::LuaEngine::for_this_thread();
  std::string_view code;
  if (!job.known) {
    code = std::string_view(job.body).substr(job.shebang.length);
    std::string error;
    if (!engine.compile(job.sha, code, error)) return reply.error(error);
    if (!job.by_sha) ScriptCache::instance().add(job.sha, job.body);
    engine.remember(job.sha, job.shebang);
  }
  if (job.write_flag_on_ro) {
    return reply.error("ERR Can not execute a script with write flag using *_ro command.");
  }

  scripting::ScriptRequest request;
  request.server = job.server;
  request.worker = job.worker;
  request.db = job.db;
  request.caller_resp = job.resp;
  request.read_only = job.read_only;
  request.sha = job.sha;
  request.code = code;
  for (size_t i = 0; i < job.numkeys; ++i) request.keys.push_back(job.argv[3 + i]);
  for (size_t i = 3 + job.numkeys; i < job.argv.size(); ++i) request.args.push_back(job.argv[i]);

  if (locked) {
    // Inside EXEC: its sink collects the keys the script makes ready.
    engine.run(request, reply);
    return;
  }
  request.connection = job.connection;
  request.wake_waiters_at_end = false;  // woken below, or by script_batch::release()
  storage::Keyspace& ks = job.server->keyspace();
  // The previous script of this client's input may have left the locks held for this one.
  if (!script_batch::take(ks)) ks.lock_all();
  // Clients blocked on keys the script creates are served once it is done, as after EXEC.
  storage::ReadyKeys ready;
  storage::ReadyKeys* saved_sink = storage::ready_keys_sink();
  storage::ready_keys_sink() = &ready;
  engine.run(request, reply);
  storage::ready_keys_sink() = saved_sink;
  for (auto& [db, key] : ready.keys) {
    storage::KeyHandle k(ks, db, key, storage::now_ms(), true);
    k.shard().waiters.serve(db, k);
  }
  if (script_batch::in_scope() && job.connection && !request.stand_in) {
    script_batch::leave_held(ks);  // released before anything but a script runs
    return;
  }
  ks.unlock_all();
  scripting::ScriptBusy::instance().wake_waiters();
  // The stand-in may be waiting for a shard lock: stop it only now.
  request.stand_in.reset();
}

void eval_generic(CommandContext& c, bool by_sha, bool read_only) {
  // A name that is no SHA1 at all is refused before anything else, as Redis does.
  if (by_sha && c.arg(1).size() != 40) {
    return c.reply.error("NOSCRIPT No matching script. Please use EVAL.");
  }
  int64_t numkeys;
  if (!protocol::parse_int64(c.arg(2), numkeys)) return c.not_integer();
  if (numkeys > static_cast<int64_t>(c.argc()) - 3) {
    return c.reply.error("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return c.reply.error("ERR Number of keys can't be negative");

  ScriptJob job;
  if (by_sha) {
    job.sha = lowercase(c.arg(1));
    if (const scripting::Shebang* known =
            scripting::LuaEngine::for_this_thread().known_script(job.sha)) {
      job.known = true;
      job.shebang = *known;
    } else {
      std::optional<std::string> body = ScriptCache::instance().find(c.arg(1));
      if (!body) return c.reply.error("NOSCRIPT No matching script. Please use EVAL.");
      job.cached_body = std::move(*body);
      job.body = job.cached_body;
    }
    job.by_sha = true;
  } else {
    job.body = c.arg(1);
    job.sha = ScriptCache::sha1_hex(job.body);
  }
  std::string error;
  if (!job.known && !scripting::parse_shebang(job.body, job.shebang, error)) {
    return c.reply.error(error);
  }
  job.read_only = read_only || job.shebang.no_writes;
  job.write_flag_on_ro = read_only && job.shebang.length > 0 && !job.shebang.no_writes;
  job.server = &c.server;
  job.worker = c.worker;
  job.connection = c.connection;
  job.argv = c.argv;
  job.numkeys = static_cast<size_t>(numkeys);
  job.db = c.db();
  job.resp = c.reply.resp();
  execute(job, c.reply, c.all_locked);
}

void eval_command(CommandContext& c) {
  eval_generic(c, false, false);
}
void evalsha_command(CommandContext& c) {
  eval_generic(c, true, false);
}
void eval_ro_command(CommandContext& c) {
  eval_generic(c, false, true);
}
void evalsha_ro_command(CommandContext& c) {
  eval_generic(c, true, true);
}

// EVAL's keys: the numkeys arguments after the number of keys.
std::vector<size_t> eval_keys(const std::vector<std::string_view>& argv) {
  std::vector<size_t> out;
  int64_t numkeys;
  if (argv.size() < 3 || !protocol::parse_int64(argv[2], numkeys)) return out;
  if (numkeys < 0 || numkeys > static_cast<int64_t>(argv.size()) - 3) return out;
  for (size_t i = 0; i < static_cast<size_t>(numkeys); ++i) out.push_back(3 + i);
  return out;
}

void script_load_command(CommandContext& c) {
  std::string_view body = c.arg(2);
  scripting::Shebang shebang;
  std::string error;
  if (!scripting::parse_shebang(body, shebang, error)) return c.reply.error(error);
  std::string sha = ScriptCache::sha1_hex(body);
  // Compiled here only to refuse what does not compile; the script thread compiles its
  // own copy when the script first runs.
  if (!scripting::LuaEngine::for_this_thread().compile(sha, body.substr(shebang.length), error)) {
    return c.reply.error(error);
  }
  ScriptCache::instance().add(sha, body);
  c.reply.bulk(sha);
}

void script_exists_command(CommandContext& c) {
  c.reply.array(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    c.reply.integer(ScriptCache::instance().contains(c.arg(i)) ? 1 : 0);
  }
}

void script_flush_command(CommandContext& c) {
  if (c.argc() > 3 ||
      (c.argc() == 3 && !eq_nocase(c.arg(2), "sync") && !eq_nocase(c.arg(2), "async"))) {
    return c.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  ScriptCache::instance().flush();
  c.reply.ok();
}

void script_kill_command(CommandContext& c) {
  switch (scripting::ScriptBusy::instance().kill()) {
    case scripting::ScriptBusy::KillResult::kNotBusy:
      return c.reply.error("NOTBUSY No scripts in execution right now.");
    case scripting::ScriptBusy::KillResult::kUnkillable:
      return c.reply.error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. "
          "You can either wait the script termination or kill the server in a hard way using "
          "the SHUTDOWN NOSAVE command.");
    case scripting::ScriptBusy::KillResult::kKilled:
      return c.reply.ok();
  }
}

void script_debug_command(CommandContext& c) {
  if (eq_nocase(c.arg(2), "no")) return c.reply.ok();
  if (eq_nocase(c.arg(2), "yes") || eq_nocase(c.arg(2), "sync")) {
    // There is no script debugger; saying OK would leave redis-cli --ldb waiting.
    return c.reply.error("ERR The Lua debugger is not available on this server");
  }
  c.reply.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
}

void script_help_command(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
  };
  reply_help(c.reply, "SCRIPT", kLines);
}

CommandArgDoc arg_doc(const char* name, const char* type, bool optional = false,
                      bool multiple = false) {
  return CommandArgDoc{name, type, "", optional, multiple};
}

CommandSpec& scripting_acl(CommandSpec& spec) {
  spec.acl_categories = {"@slow", "@scripting"};
  return spec;
}

}  // namespace

void register_scripting_commands(CommandTable& t) {
  constexpr uint32_t kEval =
      kCmdNoscript | kCmdStale | kCmdSkipMonitor | kCmdMayReplicate | kCmdNoMandatoryKeys;
  constexpr uint32_t kEvalRo =
      kCmdReadonly | kCmdNoscript | kCmdStale | kCmdSkipMonitor | kCmdNoMandatoryKeys;
  const char* g = "scripting";
  const char* kEvalComplexity = "Depends on the script that is executed.";
  struct {
    const char* name;
    uint32_t flags;
    CommandHandler handler;
    const char* since;
    const char* summary;
    const char* first_arg;
  } kEvals[] = {
      {"eval", kEval, eval_command, "2.6.0", "Runs a Lua script with access to the dataset.",
       "script"},
      {"evalsha", kEval, evalsha_command, "2.6.0",
       "Runs a cached Lua script, named by the SHA1 of its body.", "sha1"},
      {"eval_ro", kEvalRo, eval_ro_command, "7.0.0",
       "Runs a Lua script that may only read the dataset.", "script"},
      {"evalsha_ro", kEvalRo, evalsha_ro_command, "7.0.0",
       "Runs a cached Lua script, named by its SHA1, that may only read the dataset.", "sha1"},
  };
  for (const auto& e : kEvals) {
    CommandSpec& spec = scripting_acl(t.add(make_command(e.name, -3, e.flags, 0, 0, 0, e.handler, g,
                                                         e.since, e.summary, kEvalComplexity)));
    spec.key_finder = eval_keys;
    spec.args = {arg_doc(e.first_arg, "string"), arg_doc("numkeys", "integer"),
                 arg_doc("key", "key", true, true), arg_doc("arg", "string", true, true)};
  }

  CommandSpec& script = t.add(make_command("script", -2, 0, 0, 0, 0, nullptr, g, "2.6.0",
                                           "A container for Lua scripts management commands.",
                                           "Depends on subcommand."));
  script.acl_categories = {"@slow"};
  scripting_acl(t.add(make_command("script|load", 3, kCmdNoscript | kCmdStale | kCmdMayReplicate, 0,
                                   0, 0, script_load_command, g, "2.6.0",
                                   "Loads a Lua script into the script cache without running it.",
                                   "O(N) with N being the length in bytes of the script body.")))
      .args = {arg_doc("script", "string")};
  scripting_acl(
      t.add(make_command("script|exists", -3, kCmdNoscript, 0, 0, 0, script_exists_command, g,
                         "2.6.0", "Tells which scripts, by SHA1, are in the script cache.",
                         "O(N) with N being the number of scripts to check.")))
      .args = {arg_doc("sha1", "string", false, true)};
  scripting_acl(t.add(make_command("script|flush", -2, kCmdNoscript | kCmdMayReplicate, 0, 0, 0,
                                   script_flush_command, g, "2.6.0", "Empties the script cache.",
                                   "O(N) with N being the number of scripts in cache")));
  scripting_acl(t.add(make_command("script|kill", 2, kCmdNoscript | kCmdAllowBusy, 0, 0, 0,
                                   script_kill_command, g, "2.6.0",
                                   "Stops the running script, unless it has written.")));
  scripting_acl(t.add(make_command("script|debug", 3, kCmdNoscript, 0, 0, 0, script_debug_command,
                                   g, "3.2.0", "Sets the debug mode of later scripts.")));
  scripting_acl(
      t.add(make_command("script|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, script_help_command, g,
                         "5.0.0", "Returns helpful text about the SCRIPT subcommands.")));
}

}  // namespace terndb::server

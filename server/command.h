// The command table: every command's name, arity, flags, key positions and docs, and the
// function that runs it. The table is the single truth about commands: dispatch checks
// arity and flags from it, and COMMAND INFO / COMMAND DOCS / COMMAND GETKEYS answer from it.
//
// A command's implementation is one function over a CommandContext: it reads arguments,
// works on the keyspace through storage's handles, and writes a reply. It never touches
// sockets or threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/reply_builder.h"
#include "storage/key_handle.h"
#include "storage/keyspace.h"

namespace terndb::server {

class Server;
class Connection;
struct ClientState;
struct Worker;
struct BlockRequest;

// Flag bits, named as COMMAND INFO names them.
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdNoMulti = 1u << 14,
  kCmdAllowBusy = 1u << 15,
  kCmdNoMandatoryKeys = 1u << 16,
  kCmdNoAsyncLoading = 1u << 17,
  // terndb's own (not in COMMAND INFO): a single-key command that takes no other lock while
  // or after it uses its key, and whose work under the lock is long enough (O(log n) in a
  // skiplist, with cache misses at each level) that handing the lock to the other io thread
  // after each one costs more than it gains. Its shard lock may be kept for the next
  // command of the same client's input (storage/shard_lock_carry.h). With ZADDs pipelined
  // 16 at a time on one sorted set from both io threads this gave 0.92x redis-server's
  // ops/s instead of 0.67x. Short commands (INCR, LPUSH, HSET, ...) do not have it:
  // measured the same way, keeping the lock over their parsing and replies only
  // serialised more of the io threads' work.
  kCmdKeepsShardLock = 1u << 18,
};

struct CommandContext;
using CommandHandler = void (*)(CommandContext&);

// Extra key-position logic for commands whose keys are not a simple range.
using KeyFinder = std::vector<size_t> (*)(const std::vector<std::string_view>& argv);

struct CommandArgDoc {
  std::string name;
  std::string type;  // "key", "string", "integer", "pure-token", "oneof", "block", ...
  std::string token;
  bool optional = false;
  bool multiple = false;
};

struct CommandSpec {
  std::string name;  // lowercase; subcommands are "parent|sub"
  int arity = 0;     // >0 exact, <0 at least -arity
  uint32_t flags = 0;
  int first_key = 0, last_key = 0, key_step = 0;
  CommandHandler handler = nullptr;
  KeyFinder key_finder = nullptr;
  // Docs (COMMAND DOCS).
  std::string group;  // "string", "generic", "server", "connection", ...
  std::string summary;
  std::string since;
  std::string complexity;
  std::vector<CommandArgDoc> args;
  std::vector<std::string> acl_categories;  // "@read", "@fast"... (derived when empty)

  std::map<std::string, std::unique_ptr<CommandSpec>> subcommands;
  CommandSpec* parent = nullptr;
  size_t id = 0;  // index for per-thread statistics

  bool is_write() const { return flags & kCmdWrite; }
  // "get", or "config|get" for subcommands.
  const std::string& full_name() const { return name; }
  // Key argument indexes for this invocation.
  std::vector<size_t> keys(const std::vector<std::string_view>& argv) const;
};

class CommandTable {
 public:
  // Adds a command (or a subcommand when spec.name has a '|').
  CommandSpec& add(CommandSpec spec);
  // Lookup by lowercase name; nullptr if unknown.
  CommandSpec* find(const std::string& lower_name) const {
    auto it = index_.find(lower_name);
    return it == index_.end() ? nullptr : it->second;
  }
  // rename-command: serves command `from` under the name `to`, or removes it when `to` is
  // empty. False with Redis's reason when `from` is unknown or `to` is taken.
  bool rename(std::string_view from, std::string_view to, std::string& err);
  const std::map<std::string, std::unique_ptr<CommandSpec>>& all() const { return commands_; }
  // Every command and subcommand, indexed by id.
  const std::vector<CommandSpec*>& by_id() const { return by_id_; }

 private:
  std::map<std::string, std::unique_ptr<CommandSpec>> commands_;
  // Hash index for dispatch (names are short: no allocation for the lookup key).
  std::unordered_map<std::string, CommandSpec*> index_;
  std::vector<std::unique_ptr<CommandSpec>> removed_;  // by rename-command
  std::vector<CommandSpec*> by_id_;
};

// Registration: each command family file defines one of these and lists its commands.
void register_string_commands(CommandTable& t);
void register_key_commands(CommandTable& t);
void register_server_commands(CommandTable& t);
void register_connection_commands(CommandTable& t);
void register_info_commands(CommandTable& t);
void register_config_commands(CommandTable& t);
void register_client_commands(CommandTable& t);
void register_introspection_commands(CommandTable& t);
void register_debug_commands(CommandTable& t);
void register_transaction_commands(CommandTable& t);
void register_hash_commands(CommandTable& t);
void register_set_commands(CommandTable& t);
void register_zset_commands(CommandTable& t);
void register_sort_commands(CommandTable& t);
void register_list_commands(CommandTable& t);
void register_scripting_commands(CommandTable& t);
void register_pubsub_commands(CommandTable& t);
void register_client_pause_commands(CommandTable& t);
void register_memory_commands(CommandTable& t);
void register_replication_commands(CommandTable& t);
void register_active_replica_commands(CommandTable& t);
void register_slowlog_commands(CommandTable& t);
void register_latency_commands(CommandTable& t);
void register_all_commands(CommandTable& t);

// What a handler sees.
struct CommandContext {
  Server& server;
  ClientState& client;
  const std::vector<std::string_view>& argv;
  protocol::ReplyBuilder& reply;
  const CommandSpec* spec;
  int64_t now;              // ms, fixed for the whole command (expiry decisions agree)
  int64_t start_us = 0;     // when the command started, if the caller read the clock
  bool all_locked = false;  // the caller holds every shard lock (EXEC, scripts)
  std::atomic<uint64_t>* keyspace_hits = nullptr;
  std::atomic<uint64_t>* keyspace_misses = nullptr;
  Worker* worker = nullptr;
  Connection* connection = nullptr;  // null when no client connection runs the command

  size_t argc() const { return argv.size(); }
  std::string_view arg(size_t i) const { return argv[i]; }
  storage::Keyspace& keyspace();
  int db() const;
  // A handle on `key` in the client's database (locks its shard unless all_locked).
  storage::KeyHandle open(std::string_view key) {
    return storage::KeyHandle(keyspace(), db(), key, now, all_locked);
  }
  // Looks a key up for reading and counts a keyspace hit or miss. `touch` refreshes the
  // key's LRU stamp; commands that only inspect a key (EXISTS, TYPE, TTL, OBJECT) pass false.
  storage::Entry* lookup_read(storage::KeyHandle& k, bool touch = true);

  // Blocking commands: whether the client may block now (not inside MULTI/EXEC or a
  // script, where blocking commands answer as if they timed out), and parking it.
  // block() must be called while the command still holds the shard locks of all the keys
  // (see server/blocking.h).
  bool can_block() const { return connection != nullptr && !all_locked; }
  void block(BlockRequest&& request);

  // Common replies with Redis's texts.
  void wrongtype();
  void syntax_error();
  void not_integer();
  void not_float();
  void wrong_arity();
  void unknown_subcommand();
};

}  // namespace terndb::server

namespace terndb::server {

// Shorthand used by the family files' register functions.
inline CommandSpec make_command(const char* name, int arity, uint32_t flags, int first_key,
                                int last_key, int key_step, CommandHandler handler,
                                const char* group, const char* since, const char* summary,
                                const char* complexity = "O(1)") {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first_key;
  s.last_key = last_key;
  s.key_step = key_step;
  s.handler = handler;
  s.group = group;
  s.since = since;
  s.summary = summary;
  s.complexity = complexity;
  return s;
}

}  // namespace terndb::server

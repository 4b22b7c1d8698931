#include "server/command.h"

#include "server/client_state.h"
#include "server/notify.h"
#include "server/persistence.h"
#include "server/server.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"

namespace terndb::server {

std::vector<size_t> CommandSpec::keys(const std::vector<std::string_view>& argv) const {
  if (key_finder) return key_finder(argv);
  std::vector<size_t> out;
  if (first_key <= 0) return out;
  int argc = static_cast<int>(argv.size());
  int last = last_key < 0 ? argc + last_key : last_key;
  for (int i = first_key; i <= last && i < argc; i += (key_step > 0 ? key_step : 1)) {
    out.push_back(static_cast<size_t>(i));
  }
  return out;
}

CommandSpec& CommandTable::add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  CommandSpec* p = owned.get();
  p->id = by_id_.size();
  by_id_.push_back(p);
  auto bar = p->name.find('|');
  if (bar == std::string::npos) {
    index_[p->name] = p;
    commands_[p->name] = std::move(owned);
  } else {
    CommandSpec* parent = commands_.at(p->name.substr(0, bar)).get();
    p->parent = parent;
    parent->subcommands[p->name.substr(bar + 1)] = std::move(owned);
  }
  return *p;
}

bool CommandTable::rename(std::string_view from, std::string_view to, std::string& err) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return out;
  };
  auto it = commands_.find(lower(from));
  if (it == commands_.end()) {
    err = "No such command in rename-command";
    return false;
  }
  std::string target = lower(to);
  if (!target.empty() && commands_.count(target)) {
    err = "Target command name already exists";
    return false;
  }
  std::unique_ptr<CommandSpec> spec = std::move(it->second);
  commands_.erase(it);
  index_.erase(lower(from));
  // A removed command stays alive (by_id_ and statistics refer to it) but is unreachable.
  if (target.empty()) {
    removed_.push_back(std::move(spec));
  } else {
    index_[target] = spec.get();
    commands_[target] = std::move(spec);
  }
  return true;
}

void register_all_commands(CommandTable& t) {
  register_connection_commands(t);
  register_server_commands(t);
  register_string_commands(t);
  register_key_commands(t);
  register_info_commands(t);
  register_config_commands(t);
  register_client_commands(t);
  register_introspection_commands(t);
  register_debug_commands(t);
  register_persistence_commands(t);
  register_transaction_commands(t);
  register_hash_commands(t);
  register_set_commands(t);
  register_zset_commands(t);
  register_sort_commands(t);
  register_list_commands(t);
  register_scripting_commands(t);
  register_pubsub_commands(t);
  register_client_pause_commands(t);
  register_memory_commands(t);
  register_replication_commands(t);
  register_active_replica_commands(t);
  register_slowlog_commands(t);
  register_latency_commands(t);
}

storage::Keyspace& CommandContext::keyspace() { return server.keyspace(); }
int CommandContext::db() const { return client.db.load(std::memory_order_relaxed); }

storage::Entry* CommandContext::lookup_read(storage::KeyHandle& k, bool touch) {
  storage::Entry* e = k.get();
  if (e && touch) storage::touch_entry(e, now);  // LRU stamp or LFU counter, as the policy says
  auto* counter = e ? keyspace_hits : keyspace_misses;
  if (counter) counter->fetch_add(1, std::memory_order_relaxed);
  if (!e) notify_keyspace_event(*this, notify::kKeyMiss, "keymiss", k.key());
  return e;
}

void CommandContext::wrongtype() {
  reply.error("WRONGTYPE Operation against a key holding the wrong kind of value");
}
void CommandContext::syntax_error() { reply.error("ERR syntax error"); }
void CommandContext::not_integer() {
  reply.error("ERR value is not an integer or out of range");
}
void CommandContext::not_float() { reply.error("ERR value is not a valid float"); }
void CommandContext::wrong_arity() {
  reply.error("ERR wrong number of arguments for '" + spec->name + "' command");
}
void CommandContext::unknown_subcommand() {
  std::string parent = spec->parent ? spec->parent->name : spec->name;
  std::string upper;
  for (char c : parent) upper.push_back(static_cast<char>(toupper(static_cast<unsigned char>(c))));
  std::string sub(argv.size() > 1 ? argv[1] : std::string_view());
  if (sub.size() > 128) sub.resize(128);
  reply.error("ERR unknown subcommand '" + sub + "'. Try " + upper + " HELP.");
}

}  // namespace terndb::server

// Running one parsed command on a connection: lookup, arity and auth checks with Redis's
// error texts, the call itself, and per-command statistics.
#include <cctype>

#include "server/connection.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string unknown_command_error(const std::vector<std::string_view>& argv) {
  // Arguments are quoted one by one until the list reaches 128 bytes, as Redis does.
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    args += "'" + std::string(argv[i].substr(0, 128 - args.size())) + "' ";
  }
  return "ERR unknown command '" + std::string(argv[0].substr(0, 128)) +
         "', with args beginning with: " + args;
}

bool arity_ok(const CommandSpec& spec, size_t argc) {
  int a = spec.arity;
  return (a > 0 && static_cast<size_t>(a) == argc) || (a < 0 && argc >= static_cast<size_t>(-a));
}

}  // namespace

void Connection::execute(const std::vector<std::string_view>& argv) {
  const int64_t start_us = storage::now_us();
  state_->last_interaction_ms.store(start_us / 1000, std::memory_order_relaxed);
  WorkerStats& stats = worker_.stats;

  // CLIENT REPLY OFF / SKIP: the command runs but its reply is dropped. Whether to drop is
  // decided by the mode the command leaves behind, so CLIENT REPLY ON's own +OK is sent.
  if (state_->skip_next_reply) {
    state_->skip_next_reply = false;
    if (state_->reply_mode == ReplyMode::kOn) state_->reply_mode = ReplyMode::kSkip;
  }
  reply_.set_output(&out_);
  const size_t reply_start = out_.size();
  auto apply_reply_mode = [&] {
    if (state_->reply_mode != ReplyMode::kOn) out_.resize(reply_start);
    if (state_->reply_mode == ReplyMode::kSkip) state_->reply_mode = ReplyMode::kOn;
  };
  reply_.set_resp(state_->resp.load(std::memory_order_relaxed));

  auto reject = [&](const std::string& err, CommandSpec* spec) {
    reply_.error(err);
    stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
    if (spec) worker_.command_stats[spec->id].rejected_calls.fetch_add(1, std::memory_order_relaxed);
    state_->last_command.store(spec, std::memory_order_relaxed);
    apply_reply_mode();
  };

  thread_local std::string name;
  name.assign(argv[0]);
  for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  CommandSpec* spec = server_.commands().find(name);
  if (!spec) return reject(unknown_command_error(argv), nullptr);
  // A container named alone runs its own handler (COMMAND) or fails its arity (CLIENT).
  if (!spec->subcommands.empty() && argv.size() >= 2) {
    auto it = spec->subcommands.find(lowercase(argv[1]));
    if (it == spec->subcommands.end()) {
      std::string upper;
      for (char c : spec->name) upper.push_back(static_cast<char>(toupper(c)));
      return reject("ERR unknown subcommand '" + std::string(argv[1].substr(0, 128)) +
                        "'. Try " + upper + " HELP.",
                    nullptr);
    }
    spec = it->second.get();
  }
  if (!arity_ok(*spec, argv.size()) || !spec->handler) {
    return reject("ERR wrong number of arguments for '" + spec->name + "' command", spec);
  }
  if (!state_->authenticated.load(std::memory_order_relaxed) && !(spec->flags & kCmdNoAuth)) {
    return reject("NOAUTH Authentication required.", spec);
  }

  CommandContext ctx{server_, *state_, argv, reply_, spec, start_us / 1000};
  ctx.keyspace_hits = &stats.keyspace_hits;
  ctx.keyspace_misses = &stats.keyspace_misses;
  state_->last_command.store(spec, std::memory_order_relaxed);
  spec->handler(ctx);
  const bool failed = out_.size() > reply_start && out_[reply_start] == '-';

  const int64_t end_us = storage::now_us();
  CommandStats& cs = worker_.command_stats[spec->id];
  cs.calls.fetch_add(1, std::memory_order_relaxed);
  cs.usec.fetch_add(static_cast<uint64_t>(end_us - start_us), std::memory_order_relaxed);
  if (failed) {
    cs.failed_calls.fetch_add(1, std::memory_order_relaxed);
    stats.total_error_replies.fetch_add(1, std::memory_order_relaxed);
  }
  stats.commands.fetch_add(1, std::memory_order_relaxed);
  apply_reply_mode();
  if (state_->close_after_reply) close_when_flushed_ = true;
}

}  // namespace terndb::server

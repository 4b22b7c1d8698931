// Command lookup, checks and invocation, shared by the connection loop and by EXEC.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"

namespace terndb::server {

struct Worker;

// Finds the spec for argv (following subcommands) and checks arity and authentication.
// On failure writes Redis's error to `reply`, counts the rejection and returns nullptr.
CommandSpec* resolve_command(Server& server, Worker& worker, ClientState& client,
                             const std::vector<std::string_view>& argv,
                             protocol::ReplyBuilder& reply);

struct TransactionState;
// The flags of the commands queued in a transaction, together (EXEC's checks).
uint32_t transaction_flags(Server& server, const TransactionState& tx);

// Runs a resolved command and records its statistics.
void invoke_command(CommandContext& ctx, Worker& worker);

}  // namespace terndb::server

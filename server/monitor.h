// MONITOR: every command that runs on any thread is shown to every monitoring client as
// one line, in Redis's format:
//
//   +1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
//
// (time of the call, the database the client is in after the command, the client's
// address, or "unix:<socket path>", or "lua" for commands a script runs, which have no
// connection, and the arguments quoted as Redis's sdscatrepr quotes them). Admin commands
// and skip_monitor ones are not shown, nor are rejected ones; AUTH's arguments and
// HELLO's AUTH credentials are shown as "(redacted)". Lines go out through the pub/sub
// registry (pubsub.h), so every monitor sees all threads' commands in one order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace terndb::server {

struct CommandContext;

// Called after every command ran (dispatch.cc); costs one relaxed load without monitors.
void feed_monitors(CommandContext& ctx);

// The line for a command (exposed for tests and scripts).
std::string monitor_line(int64_t now_us, int db, std::string_view source,
                         const std::vector<std::string_view>& argv, std::string_view command_name);

// Appends `s` quoted as Redis's sdscatrepr does.
void append_repr(std::string& out, std::string_view s);

}  // namespace terndb::server

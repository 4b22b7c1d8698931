// Rewriting a write command into the deterministic form the replication stream carries.
//
// A replica must end with the same data as its master whatever the clock or random
// choices say on its side, so commands whose effect depends on them are replaced by
// commands that name the outcome: relative expiries become absolute (PEXPIREAT, SET ...
// PXAT), SPOP becomes SREM of what was popped, INCRBYFLOAT becomes SET of the result,
// blocking pops become the non-blocking pop that served them. The outcome is read from the
// command's own reply, so no command handler needs to know about replication.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace terndb::replication {

using Argv = std::vector<std::string>;

// The commands to propagate for `argv` (lower-case name in `name`), which changed the
// keyspace at `now_ms` and answered `reply` (RESP2 or RESP3). Usually argv itself.
std::vector<Argv> rewrite_for_stream(std::string_view name,
                                     const std::vector<std::string_view>& argv,
                                     std::string_view reply, int64_t now_ms);

// Commands that run other commands (EXEC, scripts): what they ran is propagated, not them.
bool propagates_effects_only(std::string_view name);

// The elements of a reply: a bulk or simple string or integer gives one, an array, set or
// map gives its flattened scalar elements (nested arrays are flattened too), a null gives
// none. False when the reply is an error or cannot be read.
bool reply_elements(std::string_view reply, std::vector<std::string>& out);

}  // namespace terndb::replication

// Conversions between command replies and Lua values, as Redis 7.0 does them.
//
// RESP -> Lua (what redis.call returns): integer -> number, bulk -> string, null bulk and
// null array -> false, array -> table 1..n, status -> {ok=s}, error -> {err=s}; with
// redis.setresp(3) also map -> {map={k=v}}, set -> {set={k=true}}, null -> nil,
// boolean -> boolean, double -> {double=d}, big number -> {big_number=s},
// verbatim -> {verbatim_string={format=f, string=s}}; attributes are skipped.
//
// Lua -> RESP (what a script returns): string -> bulk, number -> integer (truncated),
// true -> 1 (or #t after setresp(3)), false -> null (or #f), tables {err=}, {ok=},
// {double=}, {big_number=}, {verbatim_string=}, {map=}, {set=}, and other tables as arrays
// that end at the first nil; anything else -> null.
#pragma once

#include <string_view>

#include "protocol/reply_builder.h"
#include "server/scripting/lua_api.h"

namespace terndb::server::scripting {

// Pushes the Lua value of one complete RESP reply (as our commands write them).
void push_reply_value(lua_State* L, std::string_view resp);

// Writes the value at the top of the stack as a reply and pops it. `script_resp` is the
// protocol the script chose with redis.setresp (it decides how booleans go out).
void write_reply(lua_State* L, protocol::ReplyBuilder& reply, int script_resp);

// Pushes an error table {err = "CODE message"} from an error text that is either
// "-CODE message" (the code is kept) or a bare "message" (the code becomes ERR).
void push_error_table(lua_State* L, std::string_view error);

}  // namespace terndb::server::scripting

// The script sandbox: what a script can reach, as in Redis 7.0.
//
// - No files, processes or bytecode: dofile, loadfile, print, getfenv, setfenv, newproxy,
//   debug, io, os and package are absent; loadstring/load treat binary chunks as text,
//   so they fail to parse ("unexpected symbol near 'char(27)'").
// - Globals and the library tables are read-only. Redis marks tables read-only inside
//   its patched Lua VM; with Debian's stock Lua each protected table is an empty proxy
//   whose metatable forwards reads to the real table and refuses writes. The functions
//   that could reach around a proxy (rawset, rawget, next, pairs, getmetatable,
//   setmetatable, table.*) know about proxies and behave as on Redis's read-only tables.
// - Reading a global that does not exist is an error, not nil.
// - pcall hands back the message of an error table ({err=...}), as Redis's pcall does.
#pragma once

#include <cstddef>

#include "server/scripting/lua_api.h"

namespace terndb::server::scripting {

// Installs all of the above. Call once all libraries and the `redis` table are in place.
void install_sandbox(lua_State* L);

// Sets global `name` to the value at the top of the stack (popped), past the protection:
// how KEYS and ARGV are given to each script.
void set_global_unprotected(lua_State* L, const char* name);

// Whether the value at `index` is one of the read-only proxies.
bool is_readonly_proxy(lua_State* L, int index);
// Pushes the table a read-only proxy stands for.
void push_readonly_target(lua_State* L, int index);

// Compiles a chunk like luaL_loadbuffer, except that a binary chunk is parsed as text (and
// so fails with a syntax error) instead of being loaded.
int load_text_chunk(lua_State* L, const char* s, size_t len, const char* chunkname);

}  // namespace terndb::server::scripting

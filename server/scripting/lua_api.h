// The Lua 5.1 C API as the scripting code uses it.
//
// terndb links Debian's C++ build of Lua 5.1 (liblua5.1-c++): Lua errors travel as C++
// exceptions, so the destructors of our locals run when a script error unwinds through a
// C function of ours. The headers declare the API extern "C" when compiled as C++.
//
// Rule for C functions registered with Lua: never let a C++ exception of our own escape
// into Lua (Lua's catch-all would turn it into a broken error status); catch and turn it
// into a Lua error instead.
#pragma once

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

// Libraries from Debian's lua-cjson-dev and lua-bitop-dev (static archives).
extern "C" int luaopen_cjson(lua_State* L);
extern "C" int luaopen_bit(lua_State* L);

namespace terndb::server::scripting {

// Our own implementations of the libraries Redis bundles and Debian does not package.
int open_struct(lua_State* L);    // struct.pack / unpack / size
int open_cmsgpack(lua_State* L);  // cmsgpack.pack / unpack / unpack_one / unpack_limit

}  // namespace terndb::server::scripting

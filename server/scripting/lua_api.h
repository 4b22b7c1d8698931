// The Lua 5.1 C API as the scripting code uses it.
//
// terndb links Debian's C++ build of Lua 5.1 (liblua5.1-c++): Lua errors travel as C++
// exceptions, so the destructors of our locals run when a script error unwinds through a
// C function of ours. The headers declare the API extern "C" when compiled as C++.
//
// C functions registered with Lua catch the exceptions of code they call (command
// handlers) and raise Lua errors instead. Lua's catch-all turns anything else that gets
// through (std::bad_alloc) into a failed script, not a crash.
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

#include "server/scripting/lua_sandbox.h"

#include <cstring>
#include <initializer_list>

namespace terndb::server::scripting {
namespace {

// Registry keys (addresses of these objects are unique light userdata).
char kRealGlobalsKey;
char kProxiesKey;     // proxy -> the table it protects
char kPublicMetaKey;  // a protection metatable -> what getmetatable shows (false: nil)

const char kReadonlyError[] = "Attempt to modify a readonly table";

void push_registry(lua_State* L, char* key) {
  lua_pushlightuserdata(L, key);
  lua_rawget(L, LUA_REGISTRYINDEX);
}

// Raises the read-only error without a position, as Redis's VM does for C functions
// (rawset, setmetatable, table.insert...).
int raise_readonly(lua_State* L) {
  lua_pushstring(L, kReadonlyError);
  return lua_error(L);
}

// If the value at `index` is a proxy, pushes the table it protects and returns true.
bool push_target(lua_State* L, int index) {
  if (!lua_istable(L, index)) return false;
  lua_pushvalue(L, index);
  push_registry(L, &kProxiesKey);
  if (!lua_istable(L, -1)) {  // a state without the sandbox
    lua_pop(L, 2);
    return false;
  }
  lua_insert(L, -2);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return false;
  }
  return true;
}

bool is_proxy(lua_State* L, int index) {
  if (!push_target(L, index)) return false;
  lua_pop(L, 1);
  return true;
}

// Replaces the proxy at `index` (if it is one) by the table it protects.
void unwrap_arg(lua_State* L, int index) {
  if (push_target(L, index)) lua_replace(L, index);
}

// __newindex of every proxy. Raised with the script's position, like a VM error.
int proxy_newindex(lua_State* L) {
  return luaL_error(L, "%s", kReadonlyError);
}

// __index of the real globals: reading a global that does not exist.
int missing_global(lua_State* L) {
  if (!lua_isstring(L, 2)) {
    return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  }
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, 2));
}

// Pushes a proxy of the table at the top (which is popped). `public_meta` (an absolute
// index, or 0 for nil) is what getmetatable will show for the proxy.
void make_proxy(lua_State* L, int public_meta) {
  int target = lua_gettop(L);
  lua_newtable(L);  // the proxy
  int proxy = lua_gettop(L);
  lua_newtable(L);  // its metatable
  lua_pushvalue(L, target);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, proxy_newindex);
  lua_setfield(L, -2, "__newindex");
  // Remember what getmetatable shows for this metatable.
  push_registry(L, &kPublicMetaKey);
  lua_pushvalue(L, -2);
  if (public_meta) {
    lua_pushvalue(L, public_meta);
  } else {
    lua_pushboolean(L, 0);
  }
  lua_rawset(L, -3);
  lua_pop(L, 1);
  lua_setmetatable(L, proxy);
  // proxy -> target
  push_registry(L, &kProxiesKey);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, target);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  lua_remove(L, target);
}

// ---- base functions that know about proxies -------------------------------------------

int sandbox_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (is_proxy(L, 1)) return raise_readonly(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int sandbox_rawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  unwrap_arg(L, 1);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

int sandbox_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  unwrap_arg(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int sandbox_pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, lua_upvalueindex(1));  // our next
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int sandbox_getmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (!lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  // A protection metatable shows its public face (or nothing).
  push_registry(L, &kPublicMetaKey);
  lua_pushvalue(L, -2);
  lua_rawget(L, -2);
  if (!lua_isnil(L, -1)) {
    if (lua_isboolean(L, -1)) lua_pushnil(L);
    return 1;
  }
  lua_pop(L, 2);
  luaL_getmetafield(L, 1, "__metatable");
  return 1;
}

int sandbox_setmetatable(lua_State* L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
  if (is_proxy(L, 1)) return raise_readonly(L);
  if (luaL_getmetafield(L, 1, "__metatable")) luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// table.* functions: upvalue 1 is the original C function, upvalue 2 says whether it
// writes to its table. The original runs in this same call, so its argument errors still
// name the function ("bad argument #1 to 'insert'").
int sandbox_table_function(lua_State* L) {
  if (lua_gettop(L) >= 1 && push_target(L, 1)) {
    if (lua_toboolean(L, lua_upvalueindex(2))) return raise_readonly(L);
    lua_replace(L, 1);
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

// Redis's pcall: an error table {err=...} comes back as its message.
int sandbox_pcall(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    // What Redis's pcall ends up doing with nothing to call.
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "attempt to call a boolean value");
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// ---- loading text only ----------------------------------------------------------------

// Feeds a chunk to lua_load; when it starts with the bytecode signature, a blank goes
// first so that the parser reads it as (invalid) text.
struct TextReader {
  const char* data;
  size_t size;
  bool blank_sent = false;
  bool done = false;
};

const char* read_text(lua_State*, void* ud, size_t* size) {
  auto* r = static_cast<TextReader*>(ud);
  if (!r->blank_sent) {
    r->blank_sent = true;
    if (r->size > 0 && r->data[0] == LUA_SIGNATURE[0]) {
      *size = 1;
      return " ";
    }
  }
  if (r->done || r->size == 0) {
    *size = 0;
    return nullptr;
  }
  r->done = true;
  *size = r->size;
  return r->data;
}

// load(f): pieces come from calling f; the first piece decides text or binary.
struct FunctionReader {
  int function_index;
  bool first = true;
  bool pending = false;  // the first piece (in stack slot 3) is still to be handed over
};

const char* read_function(lua_State* L, void* ud, size_t* size) {
  auto* r = static_cast<FunctionReader*>(ud);
  if (r->pending) {
    r->pending = false;
    return lua_tolstring(L, 3, size);
  }
  luaL_checkstack(L, 2, "too many nested functions");
  lua_pushvalue(L, r->function_index);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    *size = 0;
    return nullptr;
  }
  if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
  lua_replace(L, 3);  // keep the piece referenced while the parser reads it
  const char* piece = lua_tolstring(L, 3, size);
  if (r->first) {
    r->first = false;
    if (*size > 0 && piece[0] == LUA_SIGNATURE[0]) {
      r->pending = true;
      *size = 1;
      return " ";
    }
  }
  return piece;
}

int finish_load(lua_State* L, int status) {
  if (status == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

int sandbox_loadstring(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* chunkname = luaL_optstring(L, 2, s);
  return finish_load(L, load_text_chunk(L, s, len, chunkname));
}

int sandbox_load(lua_State* L) {
  const char* chunkname = luaL_optstring(L, 2, "=(load)");
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 3);  // slot 3 holds the piece being read
  FunctionReader reader{1};
  return finish_load(L, lua_load(L, read_function, &reader, chunkname));
}

// ---- installation ---------------------------------------------------------------------

void replace_global_function(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, LUA_GLOBALSINDEX, name);
}

void wrap_table_functions(lua_State* L) {
  static const struct {
    const char* name;
    bool writes;
  } kFunctions[] = {{"insert", true}, {"remove", false}, {"sort", false},    {"concat", false},
                    {"getn", false},  {"maxn", false},   {"foreach", false}, {"foreachi", false}};
  lua_getfield(L, LUA_GLOBALSINDEX, "table");
  for (const auto& f : kFunctions) {
    lua_getfield(L, -1, f.name);
    lua_pushboolean(L, f.writes);
    lua_pushcclosure(L, sandbox_table_function, 2);
    lua_setfield(L, -2, f.name);
  }
  lua_pop(L, 1);
}

}  // namespace

bool is_readonly_proxy(lua_State* L, int index) {
  return is_proxy(L, index);
}

void push_readonly_target(lua_State* L, int index) {
  if (!push_target(L, index)) lua_pushvalue(L, index);
}

int load_text_chunk(lua_State* L, const char* s, size_t len, const char* chunkname) {
  TextReader reader{s, len};
  return lua_load(L, read_text, &reader, chunkname);
}

void set_global_unprotected(lua_State* L, const char* name) {
  push_registry(L, &kRealGlobalsKey);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);  // the real globals have no __newindex
  lua_pop(L, 1);
}

void install_sandbox(lua_State* L) {
  lua_pushlightuserdata(L, &kProxiesKey);
  lua_newtable(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L, &kPublicMetaKey);
  lua_newtable(L);
  lua_rawset(L, LUA_REGISTRYINDEX);
  lua_pushlightuserdata(L, &kRealGlobalsKey);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_rawset(L, LUA_REGISTRYINDEX);

  // Out of reach, as in Redis.
  for (const char* name : {"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy", "debug",
                           "io", "os", "package", "module", "require"}) {
    lua_pushnil(L);
    lua_setfield(L, LUA_GLOBALSINDEX, name);
  }
  replace_global_function(L, "pcall", sandbox_pcall);
  replace_global_function(L, "loadstring", sandbox_loadstring);
  replace_global_function(L, "load", sandbox_load);
  replace_global_function(L, "rawset", sandbox_rawset);
  replace_global_function(L, "rawget", sandbox_rawget);
  replace_global_function(L, "getmetatable", sandbox_getmetatable);
  replace_global_function(L, "setmetatable", sandbox_setmetatable);
  lua_pushcfunction(L, sandbox_next);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_GLOBALSINDEX, "next");
  lua_pushcclosure(L, sandbox_pairs, 1);
  lua_setfield(L, LUA_GLOBALSINDEX, "pairs");
  wrap_table_functions(L);

  // Library tables become proxies; the globals keep the proxies.
  for (const char* lib :
       {"string", "math", "table", "coroutine", "cjson", "bit", "struct", "cmsgpack", "redis"}) {
    lua_getfield(L, LUA_GLOBALSINDEX, lib);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    make_proxy(L, 0);
    lua_setfield(L, LUA_GLOBALSINDEX, lib);
  }

  // Strings' metatable stays real (method calls stay fast) but getmetatable('') shows a
  // read-only copy that leads to the protected string table.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  int string_meta = lua_gettop(L);
  lua_newtable(L);
  lua_getfield(L, LUA_GLOBALSINDEX, "string");
  lua_setfield(L, -2, "__index");
  make_proxy(L, 0);
  push_registry(L, &kPublicMetaKey);
  lua_pushvalue(L, string_meta);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 4);

  // The globals: reads of missing names fail; the proxy replaces the real table as the
  // globals of the state, so every chunk compiled from now on sees only the proxy.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  int real = lua_gettop(L);
  lua_newtable(L);
  lua_pushcfunction(L, missing_global);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, real);
  // What getmetatable(_G) shows: a read-only table with the same __index.
  lua_newtable(L);
  lua_pushcfunction(L, missing_global);
  lua_setfield(L, -2, "__index");
  make_proxy(L, 0);
  int public_meta = lua_gettop(L);
  lua_pushvalue(L, real);
  make_proxy(L, public_meta);
  lua_pushvalue(L, -1);
  lua_setfield(L, real, "_G");
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 2);
}

}  // namespace terndb::server::scripting

// The `cmsgpack` library of Redis's Lua: MessagePack encoding of Lua values.
//
//   cmsgpack.pack(v1, ...)               -> the encodings of all arguments, concatenated
//   cmsgpack.unpack(s)                   -> every value encoded in s
//   cmsgpack.unpack_one(s [, offset])    -> next offset (-1 at the end), one value
//   cmsgpack.unpack_limit(s, n [, off])  -> next offset (-1 at the end), up to n values
//
// Encoding choices match lua-cmsgpack 0.4.0, the version Redis bundles, byte for byte:
// numbers that are whole and fit an int64 use the smallest integer form, other numbers a
// float32 when that is exact and a float64 otherwise; strings use fixstr/str8/16/32; a
// table whose keys are exactly 1..n is an array (the empty table too), any other a map;
// tables nested deeper than 16 levels, and values of other types, encode as nil.
// Decoding accepts the formats 0.4.0 accepts (no bin or ext types).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/scripting/lua_api.h"
#include "server/scripting/lua_sandbox.h"

namespace terndb::server::scripting {
namespace {

constexpr int kMaxNesting = 16;

// ---- encoding ------------------------------------------------------------------------

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void encode_int(std::string& out, int64_t n) {
  if (n >= 0) {
    if (n <= 127) {
      out.push_back(static_cast<char>(n));
    } else if (n <= 0xff) {
      out.push_back('\xcc');
      put_be(out, static_cast<uint64_t>(n), 1);
    } else if (n <= 0xffff) {
      out.push_back('\xcd');
      put_be(out, static_cast<uint64_t>(n), 2);
    } else if (n <= 0xffffffffLL) {
      out.push_back('\xce');
      put_be(out, static_cast<uint64_t>(n), 4);
    } else {
      out.push_back('\xcf');
      put_be(out, static_cast<uint64_t>(n), 8);
    }
    return;
  }
  uint64_t bits = static_cast<uint64_t>(n);
  if (n >= -32) {
    out.push_back(static_cast<char>(static_cast<int8_t>(n)));
  } else if (n >= -128) {
    out.push_back('\xd0');
    put_be(out, bits, 1);
  } else if (n >= -32768) {
    out.push_back('\xd1');
    put_be(out, bits, 2);
  } else if (n >= -2147483648LL) {
    out.push_back('\xd2');
    put_be(out, bits, 4);
  } else {
    out.push_back('\xd3');
    put_be(out, bits, 8);
  }
}

void encode_double(std::string& out, double d) {
  float f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    out.push_back('\xca');
    put_be(out, bits, 4);
  } else {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    out.push_back('\xcb');
    put_be(out, bits, 8);
  }
}

// Whole numbers within int64 (checked the way the original does: the cast round-trips).
bool is_int64(double d) {
  if (std::isinf(d) || std::isnan(d)) return false;
  if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return false;
  return static_cast<double>(static_cast<int64_t>(d)) == d;
}

void encode_number(std::string& out, double d) {
  if (is_int64(d)) {
    encode_int(out, static_cast<int64_t>(d));
  } else {
    encode_double(out, d);
  }
}

void encode_length(std::string& out, size_t n, unsigned char fix_tag, size_t fix_max, char tag16,
                   char tag32) {
  if (n <= fix_max) {
    out.push_back(static_cast<char>(fix_tag | n));
  } else if (n <= 0xffff) {
    out.push_back(tag16);
    put_be(out, n, 2);
  } else {
    out.push_back(tag32);
    put_be(out, n, 4);
  }
}

void encode_string(std::string& out, const char* s, size_t len) {
  if (len < 32) {
    out.push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    out.push_back('\xd9');
    put_be(out, len, 1);
  } else if (len <= 0xffff) {
    out.push_back('\xda');
    put_be(out, len, 2);
  } else {
    out.push_back('\xdb');
    put_be(out, len, 4);
  }
  out.append(s, len);
}

// True when the table at the top has only keys 1..n (positive whole numbers with no gap).
bool table_is_array(lua_State* L) {
  int top = lua_gettop(L);
  int count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    double n;
    // Whole-number check as the original does it, through an int cast.
    if (lua_type(L, -1) != LUA_TNUMBER || (n = lua_tonumber(L, -1)) <= 0 || std::isinf(n) ||
        n >= 2147483648.0 || static_cast<double>(static_cast<int>(n)) != n) {
      lua_settop(L, top);
      return false;
    }
    max = std::max(max, static_cast<int>(n));
    ++count;
  }
  lua_settop(L, top);
  return max == count;
}

void encode_value(lua_State* L, std::string& out, int level);

void encode_table(lua_State* L, std::string& out, int level) {
  luaL_checkstack(L, 3, "in function mp_encode_lua_table");
  if (table_is_array(L)) {
    size_t n = lua_objlen(L, -1);
    encode_length(out, n, 0x90, 15, '\xdc', '\xdd');
    for (size_t i = 1; i <= n; ++i) {
      lua_pushnumber(L, static_cast<double>(i));
      lua_gettable(L, -2);
      encode_value(L, out, level + 1);
    }
    return;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    ++n;
  }
  encode_length(out, n, 0x80, 15, '\xde', '\xdf');
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    encode_value(L, out, level + 1);  // key
    encode_value(L, out, level + 1);  // value
  }
}

// Encodes and pops the value at the top of the stack.
void encode_value(lua_State* L, std::string& out, int level) {
  // Read-only library tables are encoded with their contents, as Redis sees them.
  if (is_readonly_proxy(L, -1)) {
    push_readonly_target(L, -1);
    lua_replace(L, -2);
  }
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;  // circular references
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      encode_string(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out.push_back(lua_toboolean(L, -1) ? '\xc3' : '\xc2');
      break;
    case LUA_TNUMBER:
      encode_number(out, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      encode_table(L, out, level);
      break;
    default:
      out.push_back('\xc0');
      break;
  }
  lua_pop(L, 1);
}

int msgpack_pack(lua_State* L) {
  int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, n)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  std::string out;
  for (int i = 1; i <= n; ++i) {
    luaL_checkstack(L, 1, "in function mp_check");
    lua_pushvalue(L, i);
    encode_value(L, out, 0);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

// ---- decoding ------------------------------------------------------------------------

enum class DecodeError { kNone, kEof, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err = DecodeError::kNone;

  bool need(size_t n) {
    if (left < n) {
      err = DecodeError::kEof;
      return false;
    }
    return true;
  }
  void consume(size_t n) {
    p += n;
    left -= n;
  }
  uint64_t be(size_t offset, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[offset + static_cast<size_t>(i)];
    return v;
  }
};

void decode_value(lua_State* L, Cursor& c);

void decode_array(lua_State* L, Cursor& c, size_t n) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (size_t i = 1; i <= n; ++i) {
    lua_pushnumber(L, static_cast<double>(i));
    decode_value(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

void decode_map(lua_State* L, Cursor& c, size_t n) {
  lua_newtable(L);
  for (size_t i = 0; i < n; ++i) {
    decode_value(L, c);
    if (c.err != DecodeError::kNone) return;
    decode_value(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// Pushes a string of `len` bytes found `header` bytes into the cursor.
void decode_bytes(lua_State* L, Cursor& c, size_t header, size_t len) {
  if (!c.need(header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c.p + header), len);
  c.consume(header + len);
}

// Pushes one decoded value (or sets c.err; a value may or may not have been pushed).
void decode_value(lua_State* L, Cursor& c) {
  if (!c.need(1)) return;
  // Grow the stack one slot per value: how many values will come is unknown in advance.
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  unsigned char tag = c.p[0];
  switch (tag) {
    case 0xcc:  // uint 8
      if (!c.need(2)) return;
      lua_pushnumber(L, static_cast<double>(c.p[1]));
      c.consume(2);
      return;
    case 0xd0:  // int 8
      if (!c.need(2)) return;
      lua_pushnumber(L, static_cast<double>(static_cast<int8_t>(c.p[1])));
      c.consume(2);
      return;
    case 0xcd:  // uint 16
      if (!c.need(3)) return;
      lua_pushnumber(L, static_cast<double>(c.be(1, 2)));
      c.consume(3);
      return;
    case 0xd1:  // int 16
      if (!c.need(3)) return;
      lua_pushnumber(L, static_cast<double>(static_cast<int16_t>(c.be(1, 2))));
      c.consume(3);
      return;
    case 0xce:  // uint 32
      if (!c.need(5)) return;
      lua_pushnumber(L, static_cast<double>(c.be(1, 4)));
      c.consume(5);
      return;
    case 0xd2:  // int 32
      if (!c.need(5)) return;
      lua_pushnumber(L, static_cast<double>(static_cast<int32_t>(c.be(1, 4))));
      c.consume(5);
      return;
    case 0xcf:  // uint 64, read as a signed Lua integer as the original does
      if (!c.need(9)) return;
      lua_pushnumber(L, static_cast<double>(static_cast<int64_t>(c.be(1, 8))));
      c.consume(9);
      return;
    case 0xd3:  // int 64
      if (!c.need(9)) return;
      lua_pushnumber(L, static_cast<double>(static_cast<int64_t>(c.be(1, 8))));
      c.consume(9);
      return;
    case 0xc0:
      lua_pushnil(L);
      c.consume(1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      c.consume(1);
      return;
    case 0xca: {  // float 32
      if (!c.need(5)) return;
      uint32_t bits = static_cast<uint32_t>(c.be(1, 4));
      float f;
      memcpy(&f, &bits, 4);
      lua_pushnumber(L, static_cast<double>(f));
      c.consume(5);
      return;
    }
    case 0xcb: {  // float 64
      if (!c.need(9)) return;
      uint64_t bits = c.be(1, 8);
      double d;
      memcpy(&d, &bits, 8);
      lua_pushnumber(L, d);
      c.consume(9);
      return;
    }
    case 0xd9:  // str 8
      if (!c.need(2)) return;
      decode_bytes(L, c, 2, c.p[1]);
      return;
    case 0xda:  // str 16
      if (!c.need(3)) return;
      decode_bytes(L, c, 3, c.be(1, 2));
      return;
    case 0xdb:  // str 32
      if (!c.need(5)) return;
      decode_bytes(L, c, 5, c.be(1, 4));
      return;
    case 0xdc: {  // array 16
      if (!c.need(3)) return;
      size_t n = c.be(1, 2);
      c.consume(3);
      decode_array(L, c, n);
      return;
    }
    case 0xdd: {  // array 32
      if (!c.need(5)) return;
      size_t n = c.be(1, 4);
      c.consume(5);
      decode_array(L, c, n);
      return;
    }
    case 0xde: {  // map 16
      if (!c.need(3)) return;
      size_t n = c.be(1, 2);
      c.consume(3);
      decode_map(L, c, n);
      return;
    }
    case 0xdf: {  // map 32
      if (!c.need(5)) return;
      size_t n = c.be(1, 4);
      c.consume(5);
      decode_map(L, c, n);
      return;
    }
    default:
      break;
  }
  if ((tag & 0x80) == 0) {  // positive fixint
    lua_pushnumber(L, static_cast<double>(tag));
    c.consume(1);
  } else if ((tag & 0xe0) == 0xe0) {  // negative fixint
    lua_pushnumber(L, static_cast<double>(static_cast<int8_t>(tag)));
    c.consume(1);
  } else if ((tag & 0xe0) == 0xa0) {  // fixstr
    decode_bytes(L, c, 1, tag & 0x1f);
  } else if ((tag & 0xf0) == 0x90) {  // fixarray
    c.consume(1);
    decode_array(L, c, tag & 0x0f);
  } else if ((tag & 0xf0) == 0x80) {  // fixmap
    c.consume(1);
    decode_map(L, c, tag & 0x0f);
  } else {
    c.err = DecodeError::kBadFormat;
  }
}

// Decodes up to `limit` values from byte `offset` of argument 1. limit == 0 and
// offset == 0 together mean "all values, no offset in the results".
int unpack_values(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // The original prints the input length where it names the limit.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT32_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset)};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    decode_value(L, c);
    if (c.err == DecodeError::kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (decode_all) return count;
  // The next offset goes first among the results (argument 1 stays below them).
  luaL_checkstack(L, 1, "in function mp_unpack_full");
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);
  return count + 1;
}

int msgpack_unpack(lua_State* L) {
  return unpack_values(L, 0, 0);
}

int msgpack_unpack_one(lua_State* L) {
  lua_Integer offset = luaL_optinteger(L, 2, 0);
  lua_settop(L, 1);
  return unpack_values(L, 1, offset);
}

int msgpack_unpack_limit(lua_State* L) {
  lua_Integer limit = luaL_checkinteger(L, 2);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  lua_settop(L, 1);
  return unpack_values(L, limit, offset);
}

}  // namespace

int open_cmsgpack(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"pack", msgpack_pack},
                                        {"unpack", msgpack_unpack},
                                        {"unpack_one", msgpack_unpack_one},
                                        {"unpack_limit", msgpack_unpack_limit},
                                        {nullptr, nullptr}};
  luaL_register(L, "cmsgpack", kFunctions);
  lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

}  // namespace terndb::server::scripting

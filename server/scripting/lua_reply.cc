#include "server/scripting/lua_reply.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "server/scripting/x86_numbers.h"

namespace terndb::server::scripting {
namespace {

// ---- RESP -> Lua ---------------------------------------------------------------------

// Reads replies written by our own ReplyBuilder, so the input is well formed; still,
// nothing here reads past the end.
class ReplyReader {
 public:
  explicit ReplyReader(std::string_view in) : in_(in) {}

  // Pushes one value (or, when `L` is null, skips it).
  void value(lua_State* L) {
    if (L && !lua_checkstack(L, 4)) luaL_error(L, "reached lua stack limit");
    if (pos_ >= in_.size()) return push_nil(L);
    char type = in_[pos_++];
    std::string_view line = read_line();
    switch (type) {
      case '+':
        if (L) push_single_field_table(L, "ok", line);
        return;
      case '-':
        if (L) {
          std::string err;
          err.reserve(line.size() + 1);
          err.push_back('-');
          err.append(line);
          push_error_table(L, err);
          // Redis marks errors that a command already counted in the error statistics.
          lua_pushboolean(L, 1);
          lua_setfield(L, -2, "ignore_error_stats_update");
        }
        return;
      case ':':
        if (L) lua_pushnumber(L, static_cast<double>(to_int(line)));
        return;
      case '$': {
        int64_t n = to_int(line);
        if (n < 0) {
          if (L) lua_pushboolean(L, 0);
          return;
        }
        std::string_view body = read_bytes(static_cast<size_t>(n));
        if (L) lua_pushlstring(L, body.data(), body.size());
        return;
      }
      case '*':
      case '>': {
        int64_t n = to_int(line);
        if (n < 0) {
          if (L) lua_pushboolean(L, 0);
          return;
        }
        if (L) lua_createtable(L, static_cast<int>(std::min<int64_t>(n, 1 << 20)), 0);
        for (int64_t i = 1; i <= n; ++i) {
          if (L) lua_pushnumber(L, static_cast<double>(i));
          value(L);
          if (L) lua_settable(L, -3);
        }
        return;
      }
      case '%': {
        int64_t n = to_int(line);
        if (L) open_wrapper(L, "map");
        for (int64_t i = 0; i < n; ++i) {
          value(L);
          value(L);
          if (L) lua_settable(L, -3);
        }
        if (L) lua_settable(L, -3);
        return;
      }
      case '~': {
        int64_t n = to_int(line);
        if (L) open_wrapper(L, "set");
        for (int64_t i = 0; i < n; ++i) {
          value(L);
          if (L) {
            lua_pushboolean(L, 1);
            lua_settable(L, -3);
          }
        }
        if (L) lua_settable(L, -3);
        return;
      }
      case '_':
        return push_nil(L);
      case '#':
        if (L) lua_pushboolean(L, line == "t");
        return;
      case ',':
        if (L) {
          lua_newtable(L);
          lua_pushnumber(L, to_double(line));
          lua_setfield(L, -2, "double");
        }
        return;
      case '(':
        if (L) push_single_field_table(L, "big_number", line);
        return;
      case '=': {
        int64_t n = to_int(line);
        std::string_view body = read_bytes(n < 0 ? 0 : static_cast<size_t>(n));
        if (!L) return;
        std::string_view format = body.substr(0, 3);
        std::string_view text = body.size() >= 4 ? body.substr(4) : std::string_view();
        lua_newtable(L);
        lua_newtable(L);
        lua_pushlstring(L, text.data(), text.size());
        lua_setfield(L, -2, "string");
        lua_pushlstring(L, format.data(), format.size());
        lua_setfield(L, -2, "format");
        lua_setfield(L, -2, "verbatim_string");
        return;
      }
      case '|': {
        // Attributes are not shown to scripts: skip them, then read the reply itself.
        int64_t n = to_int(line);
        for (int64_t i = 0; i < 2 * n; ++i) value(nullptr);
        return value(L);
      }
      default:
        return push_nil(L);
    }
  }

 private:
  static void push_nil(lua_State* L) {
    if (L) lua_pushnil(L);
  }

  static void push_single_field_table(lua_State* L, const char* field, std::string_view s) {
    lua_newtable(L);
    lua_pushlstring(L, s.data(), s.size());
    lua_setfield(L, -2, field);
  }

  // Pushes {name = <table being filled>} and leaves the outer table, the key and the inner
  // table on the stack; the caller's final lua_settable closes it.
  static void open_wrapper(lua_State* L, const char* name) {
    lua_newtable(L);
    lua_pushstring(L, name);
    lua_newtable(L);
  }

  std::string_view read_line() {
    size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) end = in_.size();
    std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = std::min(in_.size(), end + 2);
    return line;
  }

  std::string_view read_bytes(size_t n) {
    std::string_view body = in_.substr(std::min(pos_, in_.size()), n);
    pos_ = std::min(in_.size(), pos_ + n + 2);
    return body;
  }

  static int64_t to_int(std::string_view s) {
    int64_t v = 0;
    return protocol::parse_int64(s, v) ? v : 0;
  }

  static double to_double(std::string_view s) {
    std::string text(s);
    return strtod(text.c_str(), nullptr);  // also reads inf, -inf and nan
  }

  std::string_view in_;
  size_t pos_ = 0;
};

// ---- Lua -> RESP ---------------------------------------------------------------------

std::string without_newlines(const char* s, size_t len) {
  std::string out(s, len);
  for (auto& ch : out) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return out;
}

// Looks up a string key without metamethods and pushes the value; returns its type.
int raw_field(lua_State* L, int index, const char* key) {
  lua_pushstring(L, key);
  lua_rawget(L, index < 0 ? index - 1 : index);
  return lua_type(L, -1);
}

// A table being written: an array (elements 1..count), or a map or set being walked with
// lua_next. The Lua stack holds what Redis's recursive writer would hold at this depth
// (so "reached lua stack limit" comes at the same depth); the nesting itself lives here,
// not on the C stack, which tables nested thousands deep would exhaust.
struct OpenTable {
  enum Kind { kArray, kMap, kSet } kind;
  int next = 1;                // arrays: the next element
  int count = 0;               // arrays: how many elements
  bool value_pending = false;  // maps: the key was written, its value comes next
};

size_t count_pairs(lua_State* L) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    ++n;
  }
  return n;
}

// Writes the value at the top of the stack, or opens it (tables that are maps, sets or
// arrays: their contents are written by write_reply's loop). Pops what it wrote.
void write_or_open(lua_State* L, protocol::ReplyBuilder& reply, int script_resp,
                   std::vector<OpenTable>& open) {
  if (!lua_checkstack(L, 4)) {
    reply.error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      reply.bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          reply.integer(1);
        } else {
          reply.null();
        }
      } else {
        reply.boolean(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      reply.integer(x86_double_to_int64(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      // Error reply.
      if (raw_field(L, -1, "err") == LUA_TSTRING) {
        size_t len;
        const char* msg = lua_tolstring(L, -1, &len);
        // Line breaks at the end go; others become spaces (ReplyBuilder::error).
        while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n')) --len;
        reply.error(std::string_view(msg, len));
        lua_pop(L, 1);
        break;
      }
      lua_pop(L, 1);
      // Status reply.
      if (raw_field(L, -1, "ok") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        reply.simple(without_newlines(s, len));
        lua_pop(L, 1);
        break;
      }
      lua_pop(L, 1);
      if (raw_field(L, -1, "double") == LUA_TNUMBER) {
        reply.dbl(lua_tonumber(L, -1));
        lua_pop(L, 1);
        break;
      }
      lua_pop(L, 1);
      if (raw_field(L, -1, "big_number") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        std::string digits = without_newlines(s, len);
        if (reply.resp() >= 3) {
          reply.raw("(");
          reply.raw(digits);
          reply.raw("\r\n");
        } else {
          reply.bulk(digits);
        }
        lua_pop(L, 1);
        break;
      }
      lua_pop(L, 1);
      if (raw_field(L, -1, "verbatim_string") == LUA_TTABLE) {
        if (raw_field(L, -1, "format") == LUA_TSTRING) {
          std::string format = lua_tostring(L, -1);
          if (raw_field(L, -2, "string") == LUA_TSTRING) {
            size_t len;
            const char* s = lua_tolstring(L, -1, &len);
            format.resize(3, ' ');
            reply.verbatim(std::string_view(s, len), format);
            lua_pop(L, 3);
            break;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (raw_field(L, -1, "map") == LUA_TTABLE) {
        reply.map(count_pairs(L));
        lua_pushnil(L);  // stack: table, map, key
        open.push_back({OpenTable::kMap});
        return;
      }
      lua_pop(L, 1);
      if (raw_field(L, -1, "set") == LUA_TTABLE) {
        reply.set(count_pairs(L));
        lua_pushnil(L);  // stack: table, set, key
        open.push_back({OpenTable::kSet});
        return;
      }
      lua_pop(L, 1);
      {
        // An array: elements 1, 2, ... up to the first nil.
        int n = 0;
        for (;;) {
          lua_rawgeti(L, -1, n + 1);
          bool present = !lua_isnil(L, -1);
          lua_pop(L, 1);
          if (!present) break;
          ++n;
        }
        reply.array(static_cast<size_t>(n));
        OpenTable array{OpenTable::kArray};
        array.count = n;
        open.push_back(array);  // stack: table
      }
      return;
    default:
      reply.null();
      break;
  }
  lua_pop(L, 1);
}

}  // namespace

void push_reply_value(lua_State* L, std::string_view resp) {
  ReplyReader reader(resp);
  reader.value(L);
}

void push_error_table(lua_State* L, std::string_view error) {
  std::string code = "ERR";
  std::string_view msg = error;
  if (!error.empty() && error[0] == '-') {
    size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      msg = error.substr(1);
    } else {
      code.assign(error.substr(1, space - 1));
      msg = error.substr(space + 1);
    }
  }
  // Trailing and leading line breaks go, as when Redis trims a ready-made error line.
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  code.push_back(' ');
  code.append(msg);
  lua_newtable(L);
  lua_pushlstring(L, code.data(), code.size());
  lua_setfield(L, -2, "err");
}

void write_reply(lua_State* L, protocol::ReplyBuilder& reply, int script_resp) {
  std::vector<OpenTable> open;
  write_or_open(L, reply, script_resp, open);
  while (!open.empty()) {
    OpenTable& t = open.back();
    switch (t.kind) {
      case OpenTable::kArray:
        if (t.next > t.count) {
          lua_pop(L, 1);  // the array
          open.pop_back();
          continue;
        }
        lua_rawgeti(L, -1, t.next++);
        break;
      case OpenTable::kMap:
        if (t.value_pending) {  // stack: table, map, key, value
          t.value_pending = false;
          break;
        }
        if (!lua_next(L, -2)) {
          lua_pop(L, 2);  // the map and its table
          open.pop_back();
          continue;
        }
        lua_pushvalue(L, -2);  // the key is written from a copy
        t.value_pending = true;
        break;
      case OpenTable::kSet:
        if (!lua_next(L, -2)) {
          lua_pop(L, 2);  // the set and its table
          open.pop_back();
          continue;
        }
        lua_pop(L, 1);         // members are the keys
        lua_pushvalue(L, -1);  // written from a copy
        break;
    }
    write_or_open(L, reply, script_resp, open);  // may open a table: `t` is stale now
  }
}

}  // namespace terndb::server::scripting

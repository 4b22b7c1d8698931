// The `struct` library of Redis's Lua: binary packing of numbers and strings.
//
//   struct.pack(fmt, v1, ...)       -> string
//   struct.unpack(fmt, s [, pos])   -> v1, ..., next position (1-based)
//   struct.size(fmt)                -> bytes a format takes (fixed-size options only)
//
// Format letters: '>' big endian, '<' little endian (default: native, little on x86),
// '![n]' maximum alignment (default 8), ' ' ignored, 'x' one zero byte, 'b'/'B' 1-byte,
// 'h'/'H' 2-byte, 'l'/'L' and 'T' 8-byte, 'i'/'I'[n] n-byte (default 4, at most 32)
// integers (lower case: signed), 'f' float, 'd' double, 'c'[n] n characters ('c0' packs the
// whole string; unpacks as many characters as the number read just before), 's' a
// zero-terminated string.
//
// Error texts, argument numbers in them and the odd corners (alignment rounding with sizes
// that are not powers of two, integers wider than 8 bytes) follow the library Redis ships,
// so scripts see the same results.
#include <cctype>
#include <climits>
#include <cstring>
#include <string>

#include "server/scripting/lua_api.h"
#include "server/scripting/x86_numbers.h"

namespace terndb::server::scripting {
namespace {

constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;  // alignment of double, the strictest basic type

enum class Endian { kBig, kLittle };

struct Layout {
  Endian endian = Endian::kLittle;  // x86-64 is little endian
  int align = 1;
};

bool is_power_of_two(int x) {
  return x > 0 && (x & (x - 1)) == 0;
}

// Reads a decimal count after an option letter; `fallback` when there is none.
int read_count(lua_State* L, const char** fmt, int fallback) {
  if (!isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int n = 0;
  while (isdigit(static_cast<unsigned char>(**fmt))) {
    int digit = **fmt - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
    ++*fmt;
  }
  return n;
}

// Bytes taken by option `opt` (reading its count, if any); 0 for options that take none.
size_t option_size(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
      return 8;
    case 'f':
      return 4;
    case 'd':
      return 8;
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(read_count(L, fmt, 1));
    case 'i':
    case 'I': {
      int n = read_count(L, fmt, 4);
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return static_cast<size_t>(n);
    }
    default:
      return 0;
  }
}

// Padding before an item of `size` bytes at offset `offset`. The mask arithmetic assumes
// a power of two; other sizes give the same (odd) padding as the original library.
size_t padding(size_t offset, const Layout& layout, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(layout.align)) size = static_cast<size_t>(layout.align);
  return (size - (offset & (size - 1))) & (size - 1);
}

// Options that change the layout instead of producing data.
void layout_option(lua_State* L, char opt, const char** fmt, Layout& layout) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      layout.endian = Endian::kBig;
      return;
    case '<':
      layout.endian = Endian::kLittle;
      return;
    case '!': {
      int a = read_count(L, fmt, kMaxAlign);
      if (!is_power_of_two(a)) luaL_error(L, "alignment %d is not a power of 2", a);
      layout.align = a;
      return;
    }
    default: {
      const char* msg = lua_pushfstring(L, "invalid format option '%c'", opt);
      luaL_argerror(L, 1, msg);
    }
  }
}

bool is_integer_option(char opt) {
  return strchr("bBhHlLTiI", opt) != nullptr && opt != '\0';
}

// Appends `size` bytes of an integer in the requested byte order; bytes beyond the eighth
// are zero (the value is at most 64 bits wide).
void append_integer(std::string& out, uint64_t value, Endian endian, size_t size) {
  size_t start = out.size();
  out.resize(start + size, '\0');
  for (size_t i = 0; i < size && i < 8; ++i) {
    char byte = static_cast<char>((value >> (8 * i)) & 0xff);
    if (endian == Endian::kLittle) {
      out[start + i] = byte;
    } else {
      out[start + size - 1 - i] = byte;
    }
  }
}

// Appends the bytes of a float or double, reversed for big endian.
void append_raw(std::string& out, const void* p, size_t size, Endian endian) {
  const char* bytes = static_cast<const char*>(p);
  if (endian == Endian::kLittle) {
    out.append(bytes, size);
  } else {
    for (size_t i = size; i > 0; --i) out.push_back(bytes[i - 1]);
  }
}

void read_raw(void* dst, const char* src, size_t size, Endian endian) {
  char* out = static_cast<char*>(dst);
  for (size_t i = 0; i < size; ++i) {
    out[i] = endian == Endian::kLittle ? src[i] : src[size - 1 - i];
  }
}

double read_integer(const char* p, Endian endian, bool is_signed, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    unsigned char byte =
        static_cast<unsigned char>(endian == Endian::kBig ? p[i] : p[size - 1 - i]);
    v = (v << 8) | byte;
  }
  if (!is_signed) return static_cast<double>(v);
  // Sign extension from the item's top bit; x86 takes shift counts modulo 64, which is
  // what wider items get in the original library.
  uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if (v & mask) v |= mask;
  return static_cast<double>(static_cast<int64_t>(v));
}

int struct_pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout;
  int arg = 2;
  size_t total = 0;
  std::string out;
  // The original pushes a marker here, so a missing argument reads as nil ("got nil").
  lua_pushnil(L);
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = option_size(L, opt, &fmt);
    size_t pad = padding(total, layout, opt, size);
    total += pad;
    out.append(pad, '\0');
    if (is_integer_option(opt)) {
      double n = luaL_checknumber(L, arg++);
      uint64_t value =
          n < 0 ? static_cast<uint64_t>(x86_double_to_int64(n)) : x86_double_to_uint64(n);
      append_integer(out, value, layout.endian, size);
    } else if (opt == 'x') {
      out.push_back('\0');
    } else if (opt == 'f') {
      float f = static_cast<float>(luaL_checknumber(L, arg++));
      append_raw(out, &f, sizeof(f), layout.endian);
    } else if (opt == 'd') {
      double d = luaL_checknumber(L, arg++);
      append_raw(out, &d, sizeof(d), layout.endian);
    } else if (opt == 'c' || opt == 's') {
      size_t len;
      const char* s = luaL_checklstring(L, arg++, &len);
      if (size == 0) size = len;
      // The argument number reported is one past the string's, as in the original.
      luaL_argcheck(L, len >= size, arg, "string too short");
      out.append(s, size);
      if (opt == 's') {
        out.push_back('\0');
        ++size;
      }
    } else {
      layout_option(L, opt, &fmt, layout);
    }
    total += size;
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int struct_unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start > 0, 3, "offset must be 1 or greater");
  size_t pos = static_cast<size_t>(start) - 1;
  int results = 0;
  Layout layout;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = option_size(L, opt, &fmt);
    pos += padding(pos, layout, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (is_integer_option(opt)) {
      bool is_signed = islower(static_cast<unsigned char>(opt));
      lua_pushnumber(L, read_integer(data + pos, layout.endian, is_signed, size));
      ++results;
    } else if (opt == 'x') {
      // padding: nothing to return
    } else if (opt == 'f') {
      float f;
      read_raw(&f, data + pos, sizeof(f), layout.endian);
      lua_pushnumber(L, f);
      ++results;
    } else if (opt == 'd') {
      double d;
      read_raw(&d, data + pos, sizeof(d), layout.endian);
      lua_pushnumber(L, d);
      ++results;
    } else if (opt == 'c') {
      if (size == 0) {
        // The length is the number unpacked just before.
        if (results == 0 || !lua_isnumber(L, -1)) {
          luaL_error(L, "format 'c0' needs a previous size");
        }
        size = static_cast<size_t>(x86_double_to_uint64(lua_tonumber(L, -1)));
        lua_pop(L, 1);
        --results;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      ++results;
    } else if (opt == 's') {
      const void* end = memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      ++results;
    } else {
      layout_option(L, opt, &fmt, layout);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

int struct_size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout;
  size_t pos = 0;
  while (*fmt != '\0') {
    char opt = *fmt++;
    size_t size = option_size(L, opt, &fmt);
    pos += padding(pos, layout, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    // Unknown letters are ignored here; only punctuation goes through the option check.
    if (!isalnum(static_cast<unsigned char>(opt))) layout_option(L, opt, &fmt, layout);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int open_struct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", struct_pack}, {"unpack", struct_unpack}, {"size", struct_size}, {nullptr, nullptr}};
  luaL_register(L, "struct", kFunctions);
  return 1;
}

}  // namespace terndb::server::scripting

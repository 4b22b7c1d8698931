// Scripting pieces that need no server: shebang parsing, the script cache, compiling,
// the RESP <-> Lua conversions, and the struct / cmsgpack libraries in a bare Lua state.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "server/scripting/lua_api.h"
#include "server/scripting/lua_engine.h"
#include "server/scripting/lua_reply.h"
#include "server/scripting/script_cache.h"
#include "server/scripting/x86_numbers.h"

namespace terndb::server::scripting {
namespace {

TEST(Shebang, AbsentOrValid) {
  Shebang s;
  std::string error;
  ASSERT_TRUE(parse_shebang("return 1", s, error));
  EXPECT_EQ(s.length, 0u);
  ASSERT_TRUE(parse_shebang("#!lua\nreturn 1", s, error));
  EXPECT_EQ(s.length, 5u);
  EXPECT_FALSE(s.no_writes);
  ASSERT_TRUE(parse_shebang("#!lua flags=allow-oom,no-writes\nreturn 1", s, error));
  EXPECT_TRUE(s.no_writes);
  ASSERT_TRUE(parse_shebang("#!lua flags=\n", s, error));
  EXPECT_FALSE(s.no_writes);
}

TEST(Shebang, ErrorsAsRedis) {
  Shebang s;
  std::string error;
  EXPECT_FALSE(parse_shebang("#!lua", s, error));
  EXPECT_EQ(error, "ERR Invalid script shebang");
  EXPECT_FALSE(parse_shebang("#!python\n", s, error));
  EXPECT_EQ(error, "ERR Unexpected engine in script shebang: #!python");
  EXPECT_FALSE(parse_shebang("#!lua flags=fast\n", s, error));
  EXPECT_EQ(error, "ERR Unexpected flag in script shebang: fast");
  EXPECT_FALSE(parse_shebang("#!lua speed=1\n", s, error));
  EXPECT_EQ(error, "ERR Unknown lua shebang option: speed=1");
  EXPECT_FALSE(parse_shebang("#!lua \"flags\n", s, error));
  EXPECT_EQ(error, "ERR Invalid engine in script shebang");
}

TEST(ScriptCache, FindsAnyCaseAndFlushes) {
  ScriptCache& cache = ScriptCache::instance();
  std::string sha = ScriptCache::sha1_hex("return 'unit'");
  EXPECT_EQ(sha.size(), 40u);
  cache.add(sha, "return 'unit'");
  std::string upper = sha;
  for (auto& ch : upper) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  ASSERT_TRUE(cache.find(upper).has_value());
  EXPECT_EQ(*cache.find(sha), "return 'unit'");
  EXPECT_TRUE(cache.contains(sha));
  EXPECT_FALSE(cache.contains(sha.substr(1)));
  EXPECT_GE(cache.count(), 1u);
  EXPECT_GE(cache.body_bytes(), sha.size() + strlen("return 'unit'"));
  uint64_t before = cache.generation();
  cache.flush();
  EXPECT_EQ(cache.generation(), before + 1);
  EXPECT_FALSE(cache.contains(sha));
  EXPECT_EQ(cache.count(), 0u);
  EXPECT_EQ(cache.body_bytes(), 0u);
}

TEST(LuaEngine, CompileErrorsAndBytecode) {
  LuaEngine& engine = LuaEngine::for_this_thread();
  EXPECT_GT(lua_memory_bytes(), 0);
  std::string error;
  EXPECT_TRUE(engine.compile(std::string(40, 'a'), "return 1", error));
  EXPECT_FALSE(engine.compile(std::string(40, 'b'), "return 1 +", error));
  EXPECT_EQ(error,
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'<eof>'");
  // Precompiled chunks are read as text, so they never load.
  EXPECT_FALSE(engine.compile(std::string(40, 'c'), "\x1bLuaQ\x00\x01", error));
  EXPECT_EQ(error,
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'char(27)'");
}

TEST(X86Numbers, OutOfRangeCastsGiveIntegerIndefinite) {
  EXPECT_EQ(x86_double_to_int64(1e300), INT64_MIN);
  EXPECT_EQ(x86_double_to_int64(-1e300), INT64_MIN);
  EXPECT_EQ(x86_double_to_int64(0.0 / 0.0), INT64_MIN);
  EXPECT_EQ(x86_double_to_int64(-3.7), -3);
  EXPECT_EQ(x86_double_to_uint64(18446744073709551616.0), 0u);
  EXPECT_EQ(x86_double_to_uint64(13835058055282163712.0), 13835058055282163712u);
}

// A bare state with the two libraries of ours.
class BareLua : public ::testing::Test {
 protected:
  void SetUp() override {
    L = luaL_newstate();
    luaL_openlibs(L);
    lua_pushcfunction(L, open_struct);
    lua_call(L, 0, 0);
    lua_pushcfunction(L, open_cmsgpack);
    lua_call(L, 0, 0);
  }
  void TearDown() override { lua_close(L); }

  // Runs a chunk returning one string.
  std::string run(const char* code) {
    EXPECT_EQ(luaL_dostring(L, code), 0) << lua_tostring(L, -1);
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    std::string out = s ? std::string(s, len) : std::string("<nil>");
    lua_settop(L, 0);
    return out;
  }

  std::string reply_of(const char* code, int script_resp = 2, int caller_resp = 2) {
    EXPECT_EQ(luaL_loadstring(L, code), 0);
    EXPECT_EQ(lua_pcall(L, 0, 1, 0), 0) << lua_tostring(L, -1);
    std::string out;
    protocol::ReplyBuilder reply(&out, caller_resp);
    write_reply(L, reply, script_resp);
    return out;
  }

  lua_State* L = nullptr;
};

TEST_F(BareLua, StructPacksAndUnpacks) {
  EXPECT_EQ(run("return struct.pack('>I2', 258)"), std::string("\x01\x02", 2));
  EXPECT_EQ(run("return struct.pack('<i4', -2)"), std::string("\xfe\xff\xff\xff", 4));
  EXPECT_EQ(run("return struct.pack('!4 b i', 1, 2)"), std::string("\x01\0\0\0\x02\0\0\0", 8));
  EXPECT_EQ(run("return struct.pack('s', 'hi')"), std::string("hi\0", 3));
  EXPECT_EQ(run("return table.concat({struct.unpack('>i2 c0', struct.pack('>i2', 3) .. 'abcd')},"
                " ',')"),
            "abc,6");
  EXPECT_EQ(run("return tostring(struct.size('!8 b d'))"), "16");
  EXPECT_NE(luaL_dostring(L, "return struct.size('s')"), 0);
  EXPECT_NE(std::string(lua_tostring(L, -1)).find("option 's' has no fixed size"),
            std::string::npos);
}

TEST_F(BareLua, MsgpackEncodingsAndRoundTrip) {
  EXPECT_EQ(run("return cmsgpack.pack({1, 2, 3})"), std::string("\x93\x01\x02\x03", 4));
  EXPECT_EQ(run("return cmsgpack.pack(-1, 128, -129)"), std::string("\xff\xcc\x80\xd1\xff\x7f", 6));
  EXPECT_EQ(run("return cmsgpack.pack(1.5, 0.1)"),
            std::string("\xca\x3f\xc0\x00\x00\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a", 14));
  EXPECT_EQ(run("return cmsgpack.pack({a = true})"), std::string("\x81\xa1"
                                                                 "a\xc3",
                                                                 4));
  EXPECT_EQ(run("local a, b = cmsgpack.unpack(cmsgpack.pack({x = {1, 'y'}}, 7))"
                " return a.x[2] .. b"),
            "y7");
  EXPECT_EQ(run("local off, v = cmsgpack.unpack_one(cmsgpack.pack(5, 6)) return off .. ':' .. v"),
            "1:5");
  EXPECT_NE(luaL_dostring(L, "return cmsgpack.unpack('\\193')"), 0);
  EXPECT_NE(std::string(lua_tostring(L, -1)).find("Bad data format in input."), std::string::npos);
}

TEST_F(BareLua, RespToLua) {
  push_reply_value(L, "*4\r\n:7\r\n$3\r\nabc\r\n$-1\r\n+OK\r\n");
  lua_setglobal(L, "r");
  EXPECT_EQ(run("return r[1] .. r[2] .. tostring(r[3]) .. r[4].ok"), "7abcfalseOK");
  push_reply_value(L, "-WRONGTYPE bad type\r\n");
  lua_setglobal(L, "e");
  EXPECT_EQ(run("return e.err .. tostring(e.ignore_error_stats_update)"), "WRONGTYPE bad typetrue");
  push_reply_value(L, "%1\r\n$1\r\nk\r\n,1.5\r\n");
  lua_setglobal(L, "m");
  EXPECT_EQ(run("return tostring(m.map.k.double)"), "1.5");
  push_reply_value(L, "~1\r\n$1\r\nx\r\n");
  lua_setglobal(L, "s");
  EXPECT_EQ(run("return tostring(s.set.x)"), "true");
  push_reply_value(L, "|1\r\n$1\r\na\r\n$1\r\nb\r\n#t\r\n");
  EXPECT_EQ(lua_type(L, -1), LUA_TBOOLEAN);
  lua_settop(L, 0);
}

TEST_F(BareLua, LuaToResp) {
  EXPECT_EQ(reply_of("return {1, 'a', {2}, nil, 5}"), "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n");
  EXPECT_EQ(reply_of("return 3.99"), ":3\r\n");
  EXPECT_EQ(reply_of("return true"), ":1\r\n");
  EXPECT_EQ(reply_of("return false"), "$-1\r\n");
  EXPECT_EQ(reply_of("return false", 3, 3), "#f\r\n");
  EXPECT_EQ(reply_of("return false", 2, 3), "_\r\n");
  EXPECT_EQ(reply_of("return {err = 'ERR x\\n'}"), "-ERR x\r\n");
  EXPECT_EQ(reply_of("return {ok = 'a\\r\\nb'}"), "+a  b\r\n");
  EXPECT_EQ(reply_of("return {double = 1.5}", 2, 3), ",1.5\r\n");
  EXPECT_EQ(reply_of("return {map = {k = 1}}", 2, 3), "%1\r\n$1\r\nk\r\n:1\r\n");
  EXPECT_EQ(reply_of("return {set = {k = true}}", 2, 2), "*1\r\n$1\r\nk\r\n");
  EXPECT_EQ(reply_of("return {big_number = '12'}", 2, 3), "(12\r\n");
}

TEST_F(BareLua, ErrorTablesTakeTheCode) {
  push_error_table(L, "-WRONGTYPE Operation against a key");
  lua_getfield(L, -1, "err");
  EXPECT_STREQ(lua_tostring(L, -1), "WRONGTYPE Operation against a key");
  lua_settop(L, 0);
  push_error_table(L, "-NOCODE");
  lua_getfield(L, -1, "err");
  EXPECT_STREQ(lua_tostring(L, -1), "ERR NOCODE");
  lua_settop(L, 0);
  push_error_table(L, "plain message\r\n");
  lua_getfield(L, -1, "err");
  EXPECT_STREQ(lua_tostring(L, -1), "ERR plain message");
  lua_settop(L, 0);
}

}  // namespace
}  // namespace terndb::server::scripting

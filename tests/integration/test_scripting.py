"""Lua scripting answers exactly as redis-server 7.0 does: EVAL, EVALSHA, EVAL_RO,
EVALSHA_RO, SCRIPT; conversions between Lua values and replies in both directions (RESP2
and RESP3), error texts, the sandbox, the redis.* helpers, the cjson/cmsgpack/bit/struct
libraries; -BUSY and SCRIPT KILL past lua-time-limit; atomicity against other clients.

Scripts that print tables sort their keys: hash order is not part of the contract."""
import hashlib
import threading
import time
import unittest

from harness import (RawConnection, RedisServer, SharedTerndb, SideBySide, Terndb,
                     encode_command, main, run_until_workers_finish)

# Each script is sent as EVAL <script> 0 to both servers.
CONVERSIONS = [
    "return 1",
    "return -3.7",
    "return 3.99",
    "return 1e300",
    "return -1e300",
    "return 0/0",
    "return true",
    "return false",
    "return nil",
    "return 'x'",
    "return ''",
    "return {}",
    "return {1,2,3,'ciao',{1,2}}",
    "return {1,2,nil,4}",
    "return {true,false,nil}",
    "return {1,{2,{3,{4}}}}",
    "return {ok='fine'}",
    "return {ok='fine\\r\\nx'}",
    "return {ok='\\nx\\n'}",
    "return {ok=5}",
    "return {err='My Error'}",
    "return {err='bad\\r\\nx'}",
    "return {err='x\\n'}",
    "return {err='\\nx'}",
    "return {err=5}",
    "return {double=3.5}",
    "return {double=1/0}",
    "return {double=-1/0}",
    "return {big_number='123'}",
    "return {big_number='12\\r\\n3'}",
    "return {map={a=1}}",
    "return {map={}}",
    "return {set={a=true}}",
    "return {verbatim_string={format='txt', string='hi'}}",
    "return {verbatim_string={format='markdown', string='hi'}}",
    "return {verbatim_string={format='txt'}}",
    "return function() end",
    "return coroutine.create(function() end)",
    "return {1, function() end, 3}",
    "return {ok='a', err='b'}",
    "return {err={}}",
    "local t = {} for i = 1, 50000 do t[i] = i end return t",
    "return string.rep('x', 200000)",
    "return redis.call('set','a','1')",
    "return redis.call('get','a')",
    "return redis.call('get','nokey')",
    "return type(redis.call('get','nokey'))",
    "return redis.call('ping')",
    "return redis.call('echo','hi')",
    "return redis.call('incr','counter')",
    "return type(redis.call('incr','counter'))",
    "return redis.call('mset', 'k1', 'v1', 'k2', 'v2')",
    "return redis.call('mget', 'k1', 'nokey', 'k2')",
    "return redis.call('exists', 'k1', 'k2', 'k3')",
    "return redis.call('incrbyfloat', 'f', '1.5')",
    "return redis.call('time')[1] ~= nil",
    "local t = redis.call('set','a','1') return t.ok",
    "local t = redis.call('set','a','1') return type(t)",
    "return redis.call('set', 'n', 3.5) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', 0.1) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', 1e20) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', -0) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', 2^53) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', 2^53 - 1) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', -2^53 + 1) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', 1e16 + 2) .. redis.call('get', 'n')",
    "return redis.call('set', 'n', -5) .. redis.call('get', 'n') .. redis.call('incrby', 'n', 7)",
    "return redis.call('set', 'n', 0) .. redis.call('get', 'n') .. redis.call('expire', 'n', 100)",
]

ERRORS = [
    "return x",
    "error('boom')",
    "error(5)",
    "error(nil)",
    "error()",
    "error(true)",
    "error({err=5})",
    "error({err='x'}, 2)",
    "error({err='My Error'})",
    "error('a\\nb')",
    "error('a\\n')",
    "error({err='p\\nq\\n'})",
    "local function f()\n error('in f')\nend\nf()",
    "local function f()\n local x = nil + 1\nend\nf()",
    "return 1 + nil",
    "return #nil",
    "return ('x')()",
    "syntax error here",
    "return 1; return 2",
    "return 1\nreturn 2",
    "local a = \n",
    "\x1bLuaQ",
    "return redis.call('nosuch')",
    "return redis.pcall('nosuch')",
    "return redis.call('get')",
    "return redis.pcall('get')",
    "return redis.call('incr', 'nokey', 'x')",
    "return redis.call('client','nosuch')",
    "return redis.call('set','s','v','bad')",
    "return redis.pcall('set','s','v','bad')",
    "return redis.call('get',{})",
    "return redis.pcall('get',{})",
    "return redis.call('get', true)",
    "return redis.call()",
    "return redis.pcall()",
    "return redis.pcall('ping','a','b')",
    "return redis.call('eval','return 1', 0)",
    "return redis.call('evalsha','ffffffffffffffffffffffffffffffffffffffff', 0)",
    "return redis.call('script','load','return 1')",
    "return redis.call('multi')",
    "return redis.call('exec')",
    "return redis.call('watch', 'a')",
    "return redis.call('auth', 'a')",
    "return redis.call('hello')",
    "return redis.call('client', 'list')",
    "return redis.call('set', 'a', 'b', 'ex', 0)",
    "local t = {} for k, v in pairs(redis.pcall('nosuch')) do t[#t+1] = k .. '=' .. tostring(v) end"
    " table.sort(t) return t",
    "local t = {} for k, v in pairs(redis.error_reply('x')) do"
    " t[#t+1] = k .. '=' .. tostring(v) end return t",
    "local ok, e = pcall(function() redis.call('nosuch') end) return {tostring(ok), e}",
    "local ok, e = pcall(redis.call, 'set', 'a', 'b', 'c') return {tostring(ok), e}",
    "local ok, e = xpcall(function() redis.call('nosuch') end, function(e) return e end)"
    " return type(e)",
    "local ok, e = xpcall(function() redis.call('nosuch') end, function(e) return e end)"
    " return e",
    "local ok, e = pcall(error, {err='T x'}) return e",
    "local ok, e = pcall(error) return {tostring(ok), tostring(e)}",
    "return {pcall(function() error('boom') end)}",
    "return {pcall(function() error({err='X y'}) end)}",
    "local a, b = pcall() return {tostring(a), tostring(b)}",
    "local a, b = pcall(nil) return {tostring(a), tostring(b)}",
    "return math.random(0)",
    "return math.random(1, 2, 3)",
    "return string.rep()",
    "return table.insert(nil, 1)",
    "return ('abc'):bad()",
]

SANDBOX = [
    "x = 1",
    "_G.x = 1",
    "return _G.x",
    "return rawget(_G, 'x')",
    "rawset(_G, 'x', 1)",
    "string.x = 1",
    "local s = string s.y = 2",
    "redis.call = nil",
    "math.random = nil",
    "cjson.encode = nil",
    "KEYS = 1",
    "ARGV = {}",
    "KEYS[1] = 'x' return KEYS[1]",
    "setmetatable(_G, nil)",
    "setmetatable(string, {})",
    "table.insert(_G, 5)",
    "table.insert(string, 'x')",
    "table.remove(_G)",
    "table.sort(_G)",
    "getmetatable('').__index = nil",
    "getmetatable('').__index.upper = nil",
    "getmetatable('').x = 1",
    "getmetatable(_G).__index = nil",
    "getmetatable(_G).x = 1",
    "return type(getmetatable(_G))",
    "return type(getmetatable('').__index)",
    "return tostring(getmetatable(string))",
    "return ('abc'):upper()",
    "return string.foo == nil",
    "return type(os)",
    "return type(io)",
    "return loadfile",
    "return dofile",
    "return print",
    "return getfenv",
    "return setfenv",
    "return newproxy",
    "return debug",
    "return require",
    "return module",
    "return package",
    "return _VERSION",
    "return #_G",
    "return ipairs(_G)",
    "local n = 0 for k, v in pairs(_G) do n = n + 1 end return n",
    "local n = 0 for k, v in next, _G do n = n + 1 end return n",
    "local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(string) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(math) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(table) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(coroutine) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(cjson) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(cmsgpack) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(struct) do t[#t+1] = k end table.sort(t) return t",
    "local t = {} for k in pairs(bit) do t[#t+1] = k end table.sort(t) return t",
    "return rawget(string, 'len') == string.len",
    "return rawequal(_G, _G._G)",
    "return table.concat({1, 2, 3}, '-')",
    "local t = {3, 1, 2} table.sort(t) return t",
    "local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return t",
    "local t = {'a', 'b'} return {table.remove(t), #t}",
    "return table.getn({1, 2, 3})",
    "return table.maxn({1, 2, [10] = 3})",
    "local s = 0 table.foreach({4, 5}, function(k, v) s = s + v end) return s",
    "return {pcall(function() x = 1 end)}",
    "return {pcall(function() return y end)}",
    "local co = coroutine.create(function() x = 1 end) return {coroutine.resume(co)}",
    "local co = coroutine.wrap(function(a) coroutine.yield(a + 1) end) return co(1)",
    "return loadstring('return 1')()",
    "return loadstring('y = 1')()",
    "local f = loadstring('return zz') return f()",
    "local f, e = loadstring(string.dump(function() return 1 end)) return e",
    "local f, e = loadstring('\\27Lua') return e",
    "local f, e = loadstring('\\27') return e",
    "local n = 0 local f, e = load(function() n = n + 1 if n == 1 then"
    " return string.dump(function() return 1 end) end return nil end) return e",
    "local n = 0 local f = load(function() n = n + 1 if n == 1 then return 'return 4' end"
    " return nil end) return f()",
    "return load('x')",
    "local f, e = loadstring('x=', 'nm') return e",
    "local f, e = loadstring('x=', '@nm') return e",
    "local f = loadstring('y = 1', '@nm') f()",
    "local f = loadstring('local a = 1\\nreturn zz', 'chunk') return f()",
    "return tostring(collectgarbage('count') > 0)",
    "return gcinfo() > 0",
    "return select('#', unpack({1, 2, 3}))",
    "return tonumber('0x10')",
    "return string.format('%d %s %5.2f', 3, 'x', 1.5)",
    "return tostring(1/3)",
    "return tostring(12345678901234567)",
]

REDIS_API = [
    "return redis.error_reply('FOO bar')",
    "return redis.error_reply('bar')",
    "return redis.error_reply('-FOO')",
    "return redis.error_reply('')",
    "return redis.error_reply('x\\n')",
    "return redis.error_reply(1)",
    "return redis.error_reply()",
    "return redis.status_reply('OK')",
    "return redis.status_reply('a\\r\\nb')",
    "return redis.status_reply(1)",
    "return redis.sha1hex('')",
    "return redis.sha1hex('abc')",
    "return redis.sha1hex(1)",
    "return redis.sha1hex({})",
    "return redis.sha1hex()",
    "return redis.sha1hex('a', 'b')",
    "return redis.setresp(4)",
    "return redis.setresp()",
    "return redis.setresp('x')",
    "return redis.set_repl(redis.REPL_ALL)",
    "return redis.set_repl(redis.REPL_NONE)",
    "return redis.set_repl()",
    "return redis.set_repl(8)",
    "return redis.replicate_commands()",
    "return redis.breakpoint()",
    "return redis.debug('x')",
    "return redis.acl_check_cmd('get', 'x')",
    "return redis.acl_check_cmd('nosuch')",
    "return redis.acl_check_cmd()",
    "return redis.acl_check_cmd({})",
    "redis.log(redis.LOG_WARNING, 'hello', 'world', 3)",
    "redis.log(redis.LOG_DEBUG, 'quiet')",
    "redis.log(1)",
    "redis.log('x', 'y')",
    "redis.log(9, 'y')",
    "return redis.REDIS_VERSION",
    "return redis.REDIS_VERSION_NUM",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING,"
    " redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "math.randomseed(7) return {math.random(10), math.random(10), math.random(5, 8),"
    " tostring(math.random())}",
    "math.randomseed(-3) return tostring(math.random())",
    "return tostring(math.random(2^40))",
    "return math.huge",
    "return tostring(math.huge)",
]

CJSON = [
    "return cjson.encode({1,2,3,{a=1}})",
    "return cjson.encode(KEYS)",
    "return cjson.encode({})",
    "return cjson.encode({[1]=1,[3]=3})",
    "return cjson.encode({[1]=1,[30]=3})",
    "return cjson.encode(0.1)",
    "return cjson.encode(1/3)",
    "return cjson.encode(1e100)",
    "return cjson.encode(-0)",
    "return cjson.encode(1/0)",
    "return cjson.encode({a={b={c={}}}})",
    "return cjson.encode('a\"b\\\\c\\n\\t\\1\\127\\195\\169/')",
    "return cjson.encode({true, false, cjson.null})",
    "return cjson.encode(function() end)",
    "local t = {} t[1] = t return cjson.encode(t)",
    "return cjson.decode('[1,2,null,{\"a\":1.5}]')[4].a",
    "return cjson.decode('{\"a\":[1,2,3],\"b\":\"x\"}').a[3]",
    "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')",
    "return cjson.decode('[1,2')",
    "return cjson.decode('{\"a\":}')",
    "return cjson.decode('')",
    "return cjson.decode('123abc')",
    "return cjson.decode('1e400')",
    "return cjson.decode(string.rep('[', 1001))",
    "return tostring(cjson.decode('null') == cjson.null)",
    "return cjson.encode(cjson.decode('{\"x\":[1,{\"y\":null}],\"z\":1.25}'))",
    "return cjson.encode(cjson.decode('[\"\\\\u0000x\", 1e10, -0.5, true]'))",
]

CMSGPACK = [
    "return cmsgpack.pack({1,2,3})",
    "return cmsgpack.pack(1, 'a', true, false, nil, 1.5, 0.1, -1, -33, -129, -32769,"
    " -2147483649, 127, 128, 256, 65536, 4294967296, 2^53, 2^63, -2^63, 1/0, -1/0)",
    "return cmsgpack.pack({a=1})",
    "return cmsgpack.pack({})",
    "return cmsgpack.pack({[1]=1,[3]=3})",
    "return cmsgpack.pack({[1]=1,[2]=2,['x']=3})",
    "return cmsgpack.pack({[1.5]=1})",
    "return cmsgpack.pack(string.rep('x', 31), string.rep('y', 32), string.rep('z', 256),"
    " string.rep('w', 65536))",
    "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 70000 do t[i] = i % 3 end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 20 do t['k'..i] = i end return #cmsgpack.pack(t)",
    "local t = {} t[1] = t return cmsgpack.pack(t)",
    "return cmsgpack.pack(function() end)",
    "return cmsgpack.pack()",
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', true, 1.5, {1,2,{3}}, {a='b'}))}",
    "return cjson.encode({cmsgpack.unpack(cmsgpack.pack(1, 'a', true, 1.5, {1,2,{3}},"
    " {a='b'}, -5, 2^40, -2^40, 0.25))})",
    "return cmsgpack.unpack('\\193')",
    "return cmsgpack.unpack('\\205\\1')",
    "return cmsgpack.unpack('\\196\\3abc')",
    "return cmsgpack.unpack('\\212\\1\\2')",
    "return cmsgpack.unpack('\\129\\192\\1')",
    "return {cmsgpack.unpack('')}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2))}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1,2), 1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1)}",
    "return {cmsgpack.unpack_one('abc', 9)}",
    "return {cmsgpack.unpack_one('abc', -1)}",
    "return {cmsgpack.unpack('\\202\\64\\32\\0\\0\\203\\64\\9\\33\\251\\84\\68\\45\\24')}",
    "return {cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255"
    "\\211\\128\\0\\0\\0\\0\\0\\0\\0')}",
    "return cjson.encode({cmsgpack.unpack('\\129\\1\\2\\130\\161a\\1\\161b\\2')})",
    "return cmsgpack._COPYRIGHT .. cmsgpack._DESCRIPTION .. cmsgpack._NAME .. cmsgpack._VERSION",
    # Nesting and result counts run into Lua's stack limit, not the C stack's.
    "return cmsgpack.unpack(string.rep('\\145', 100000) .. '\\1')",
    "local ok, e = pcall(cmsgpack.unpack, string.rep('\\129\\1', 100000) .. '\\1') return e",
    "return #{cmsgpack.unpack(string.rep('\\1', 10000))}",
    "return #{cmsgpack.unpack(string.rep('\\1', 100000))}",
    "return cjson.encode(cmsgpack.unpack(string.rep('\\145', 100) .. '\\1'))",
]

BIT = [
    "return bit.band(0xff, 0x0f)",
    "return bit.tohex(65535)",
    "return bit.tobit(2^40)",
    "return {bit.bor(1,2,4), bit.bxor(7,2), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28),"
    " bit.arshift(-256, 4), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678),"
    " bit.tohex(-1, -4)}",
    "return bit.band('x')",
]

STRUCT = [
    "return struct.pack('>I2', 258)",
    "return struct.pack('<i4', -2)",
    "return struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 7, 8, -4, 9)",
    "return struct.pack('!4 b i', 1, 2)",
    "return struct.pack('!2 b d', 1, 2.5)",
    "return struct.pack('!8 b d x h', 1, 2.5, 3)",
    "return struct.pack('!3i', 1)",
    "return struct.pack('!4 b i3 b i6', 1, 2, 3, 4)",
    "return struct.pack('i17', 1)",
    "return struct.pack('i3', 1)",
    "return struct.pack('>i16', -5)",
    "return struct.pack('q', 1)",
    "return struct.pack('c', 'abc')",
    "return struct.pack('c0', 'abc')",
    "return struct.pack('c5', 'ab')",
    "return struct.pack('s', 'hello')",
    "return struct.pack('s', 1)",
    "return struct.pack('f d', 1.5, 1/3)",
    "return struct.pack('>f >d', 1.5, 1/3)",
    "return struct.pack('i', 'x')",
    "return struct.pack('i')",
    "return struct.pack('ii', 1)",
    "return struct.pack('I8', 2^64)",
    "return struct.pack('I8', 2^63 + 2^62)",
    "return struct.pack('i8', -1e30)",
    "return struct.pack('i4', 0/0)",
    "return struct.pack('x x', 1)",
    "return {struct.unpack('>i16', struct.pack('>i16', -5))}",
    "return {struct.unpack('<i12', struct.pack('<i12', -5))}",
    "return {struct.unpack('<i12', struct.pack('<i8', 2^40) .. '\\0\\0\\0\\0')}",
    "return {struct.unpack('<I12', struct.pack('<i8', -1) .. '\\255\\255\\0\\0')}",
    "return {struct.unpack('c0', 'abc')}",
    "return {struct.unpack('b c0', '\\3abcd')}",
    "return {struct.unpack('i', 'ab')}",
    "return {struct.unpack('i', 'abcd', 0)}",
    "return {struct.unpack('i', 'abcdabcd', 5)}",
    "return {struct.unpack('s', 'abcd')}",
    "return {struct.unpack('s s', 'ab\\0cd\\0')}",
    "return cjson.encode({struct.unpack('>f >d', struct.pack('>f >d', 1.5, 1/3))})",
    "return {struct.unpack('bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 7,"
    " 8, -4, 9))}",
    "return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}",
    "return {struct.unpack('x b', 'ab')}",
    "return {struct.unpack('i', 'abcd', 2)}",
    "return struct.size('i')",
    "return struct.size('bhilfdxc3')",
    "return struct.size('!4 b i')",
    "return struct.size('s')",
    "return struct.size('c0')",
    "return struct.size('i17')",
    "return struct.size('i99')",
    "return struct.size('i99999999999')",
    "return struct.size('q')",
    "return struct.size('!3')",
    "return struct.size('>q')",
]

# The scheduled-job poller of Sidekiq-style schedulers: pop the first job that is due.
POP_DUE_JOB = """
local key, now = KEYS[1], ARGV[1]
local jobs = redis.call("zrangebyscore", key, "-inf", now, "limit", 0, 1)
if jobs[1] then
  redis.call("zrem", key, jobs[1])
  return jobs[1]
end
"""


# Replies nested deeper than the harness's recursive reader goes.
DEEP = [
    "local t = {} t[1] = t return t",
    "local t = {} t[1] = {map=t} return t",
    "local t = {} t[1] = {set={[t]=true}} return t",
    "local t = {1} for i = 1, 3000 do t = {t} end return t",
]


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


def read_nested_reply(conn):
    """One whole reply, however deeply nested (iterative, unlike RawConnection's)."""
    out = b""
    pending = 1
    while pending:
        line = conn._line()
        out += line
        pending -= 1
        kind = line[:1]
        if kind in (b"$", b"=", b"!"):
            n = int(line[1:-2])
            if n >= 0:
                while len(conn.buf) < n + 2:
                    conn._fill()
                out += conn.buf[:n + 2]
                conn.buf = conn.buf[n + 2:]
        elif kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(line[1:-2])
            if n > 0:
                pending += 2 * n if kind in (b"%", b"|") else n
    return out


class ScriptingBase(SideBySide):
    def eval_all(self, scripts, *extra):
        for script in scripts:
            self.same("EVAL", script, "0", *extra)


class Conversions(ScriptingBase):
    def test_lua_to_resp2_and_back(self):
        self.eval_all(CONVERSIONS)

    def test_deep_and_cyclic_tables(self):
        for script in DEEP:
            replies = []
            for c in (self.t, self.r):
                c.send(encode_command("EVAL", script, "0"))
                replies.append(read_nested_reply(c))
            self.assertEqual(replies[0], replies[1], script)

    def test_resp3_caller(self):
        for c in (self.t, self.r):
            c.call("HELLO", "3")
        self.eval_all(CONVERSIONS)
        self.eval_all([
            "redis.setresp(3) return true",
            "redis.setresp(3) return false",
            "redis.setresp(3) return {true, false, 1}",
            "redis.setresp(3) return redis.call('get', 'nokey')",
            "redis.setresp(3) return type(redis.call('get', 'nokey'))",
            "redis.setresp(3) return redis.call('set', 'a', 'b')",
            "redis.setresp(3) return {redis.call('mget', 'a', 'nokey', 'a')}",
            "redis.setresp(3) return redis.call('incrbyfloat', 'fl', '1.5')",
            "redis.setresp(3) local r = redis.call('command', 'docs', 'get')"
            " local n = 0 for k, v in pairs(r.map) do n = n + 1 end return {type(r.map), n}",
            "redis.setresp(3) redis.setresp(2) return true",
        ])

    def test_resp3_script_resp2_caller(self):
        self.eval_all([
            "redis.setresp(3) return true",
            "redis.setresp(3) return false",
            "redis.setresp(3) return {true, false}",
            "redis.setresp(3) return redis.call('get', 'nokey')",
            "redis.setresp(3) return redis.call('exists', 'nokey')",
            "redis.setresp(3) local r = redis.call('command', 'docs', 'get')"
            " local n = 0 for k, v in pairs(r.map) do n = n + 1 end return n",
        ])

    def test_keys_and_argv(self):
        self.same("EVAL", "return {KEYS, ARGV, #KEYS, #ARGV}", "2", "k1", "k2", "a1", "a2", "a3")
        self.same("EVAL", "return KEYS[1] .. ARGV[1]", "1", "k", "a")
        self.same("EVAL", "return {KEYS[1], ARGV[1]}", "0")
        self.same("EVAL", "return cjson.encode({KEYS, ARGV})", "1", "k", "\x00\xff")
        self.same("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "key", "val")
        self.same("GET", "key")
        self.same("EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "n", "41")
        self.same("EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "n", "1")

    def test_select_inside_script_stays_inside(self):
        self.script([
            ["EVAL", "redis.call('select', 1) redis.call('set', 'dbk', 'v')"
                     " return redis.call('get', 'dbk')", "0"],
            "GET dbk",
            ["EVAL", "return redis.call('get', 'dbk')", "0"],
            "SELECT 1",
            "GET dbk",
            ["EVAL", "return redis.call('get', 'dbk')", "0"],
            ["EVAL", "return redis.call('select', 99)", "0"],
            "SELECT 0",
        ])


class Errors(ScriptingBase):
    def test_runtime_and_call_errors(self):
        self.eval_all(ERRORS)

    def test_numkeys(self):
        self.script([
            ["EVAL", "return 1", "-1"],
            ["EVAL", "return 1", "3", "a"],
            ["EVAL", "return 1", "abc"],
            ["EVAL", "return 1", "1.5"],
            ["EVAL", "return 1", " 1"],
            ["EVAL", "return 1", "99999999999999999999"],
            ["EVAL", "return 1"],
            ["EVAL"],
            ["EVALSHA", "fff", "-1"],
            ["EVALSHA", "fff", "x"],
            ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "x"],
            ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "5"],
            ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            ["EVAL_RO", "return 1", "-1"],
        ])

    def test_shebang(self):
        self.script([
            ["EVAL", "#!lua\nreturn 1", "0"],
            ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"],
            ["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 2", "0"],
            ["EVAL", "#!lua flags=bad\nreturn 1", "0"],
            ["EVAL", "#!lua bad=1\nreturn 1", "0"],
            ["EVAL", "#!luax\nreturn 1", "0"],
            ["EVAL", "#!lua\nerror('x')", "0"],
            ["EVAL", "#!lua", "0"],
            ["EVAL", "#! lua\nreturn 1", "0"],
            ["EVAL", "#!lua  flags=no-writes\nreturn 1", "0"],
            ["EVAL", "#!lua flags=\nreturn 1", "0"],
            ["EVAL", "#!lua \"flags=no-writes\"\nreturn 1", "0"],
            ["EVAL", "#!lua \"flags=no-writes\nreturn 1", "0"],
            ["SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"],
            ["EVAL_RO", "#!lua\nreturn redis.call('get','a')", "0"],
            ["EVAL_RO", "#!lua\nreturn 1 +", "0"],
            ["EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0"],
        ])

    def test_errors_inside_multi(self):
        self.script([
            "MULTI",
            ["EVAL", "return redis.call('incr', 'cnt')", "0"],
            ["EVAL", "return redis.call('nosuch')", "0"],
            ["EVAL", "error('x')", "0"],
            ["EVAL", "return 1", "-1"],
            "EXEC",
            "MULTI",
            ["EVAL", "return 1"],
            "EXEC",
            "GET cnt",
        ])


class Sandbox(ScriptingBase):
    def test_sandbox(self):
        self.eval_all(SANDBOX)

    def test_globals_stay_clean_across_scripts(self):
        # Nothing a script does to shared tables survives it.
        for script in SANDBOX:
            self.t.call("EVAL", script, "0")
        self.eval_all([
            "local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t",
            "local t = {} for k in pairs(string) do t[#t+1] = k end table.sort(t) return t",
            "return {#_G, #string, rawget(_G, 1), rawget(string, 'x')}",
            "return _G.x",
        ])


class RedisApi(ScriptingBase):
    def test_redis_helpers(self):
        self.eval_all(REDIS_API)


class Libraries(ScriptingBase):
    def test_cjson(self):
        self.eval_all(CJSON)
        self.same("EVAL", "return cjson.encode(cjson.decode(ARGV[1]))", "0",
                  '{"a":[1,2.5,"x",true,false,null,{"b":{}}]}')

    def test_cjson_settings_persist_like_redis(self):
        self.eval_all([
            "return {cjson.encode_number_precision(3), cjson.encode(1/3)}",
            "return cjson.encode(1/3)",
            "return {cjson.encode_number_precision(14), cjson.encode(1/3)}",
        ])

    def test_cmsgpack(self):
        self.eval_all(CMSGPACK)
        # Round trip of data given by the caller.
        self.same("EVAL", "return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))", "0",
                  b"\x93\x01\xa1a\x81\xa1k\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00")

    def test_bit(self):
        self.eval_all(BIT)

    def test_struct(self):
        self.eval_all(STRUCT)


class ScriptCommands(ScriptingBase):
    def setUp(self):
        super().setUp()
        for c in (self.t, self.r):
            c.call("SCRIPT", "FLUSH")

    def test_load_exists_evalsha_flush(self):
        self.script([
            ["SCRIPT", "LOAD", "return 1"],
            ["SCRIPT", "LOAD", "return 1 +"],
            ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff",
             "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"],
            ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
            ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db0", "0"],
            ["SCRIPT", "FLUSH"],
            ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
            # EVAL caches what it runs, but not what fails to compile.
            ["EVAL", "return 'cached'", "0"],
            ["EVALSHA", "2c1d34b8f66a9fe0a34c8d8bfb2ea5ea3c4fb72d", "0"],
            ["EVAL", "return 1 +", "0"],
            ["SCRIPT", "EXISTS", "2c1d34b8f66a9fe0a34c8d8bfb2ea5ea3c4fb72d",
             "f1e3b1a8c6f6a2c3e0bf5a1ef8fdd9d0c5d2d1d0"],
            # A script that fails at run time stays cached.
            ["EVAL", "error('once')", "0"],
            ["SCRIPT", "EXISTS", sha1("error('once')")],
            ["EVALSHA", sha1("error('once')"), "0"],
            ["SCRIPT", "FLUSH", "async"],
            ["SCRIPT", "FLUSH", "SYNC"],
            ["SCRIPT", "FLUSH", "bad"],
            ["SCRIPT", "FLUSH", "a", "b"],
            ["SCRIPT", "EXISTS", "2c1d34b8f66a9fe0a34c8d8bfb2ea5ea3c4fb72d"],
        ])

    def test_subcommand_errors_and_help(self):
        self.script([
            ["SCRIPT", "KILL"],
            ["SCRIPT", "KILL", "x"],
            ["SCRIPT"],
            ["SCRIPT", "LOAD"],
            ["SCRIPT", "LOAD", "a", "b"],
            ["SCRIPT", "EXISTS"],
            ["SCRIPT", "HELP"],
            ["SCRIPT", "help", "x"],
            ["SCRIPT", "nosuch"],
            ["SCRIPT", "DEBUG", "NO"],
            ["SCRIPT", "DEBUG", "maybe"],
            ["SCRIPT", "DEBUG"],
        ])

    def test_read_only_scripts(self):
        self.script([
            "SET a x",
            ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"],
            ["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
            ["EVAL_RO", "return redis.pcall('set', 'a', 'b')", "0"],
            ["EVAL_RO", "return redis.call('incr', 'a')", "0"],
            ["EVAL_RO", "return redis.call('ping')", "0"],
            ["SCRIPT", "LOAD", "return redis.call('del', 'a')"],
            ["EVALSHA_RO", sha1("return redis.call('del', 'a')"), "0"],
            "GET a",
            ["EVALSHA", sha1("return redis.call('del', 'a')"), "0"],
            "GET a",
        ])

    def test_flags_hold_on_every_run_of_a_script(self):
        # A script runs from the thread's compiled copy after its first run: its shebang
        # flags must still apply then, and a flush must still forget it.
        ro = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'b')"
        rw = "#!lua\nreturn redis.call('incr', KEYS[1])"
        self.script([
            ["SCRIPT", "LOAD", ro],
            ["SCRIPT", "LOAD", rw],
            ["EVALSHA", sha1(ro), "1", "k"],
            ["EVALSHA", sha1(ro), "1", "k"],
            ["EVALSHA", sha1(rw), "1", "n"],
            ["EVALSHA_RO", sha1(rw), "1", "n"],
            ["EVALSHA", sha1(rw), "1", "n"],
            ["EVALSHA_RO", sha1(rw), "1", "n"],
            ["EVAL", rw, "1", "n"],
            ["EVALSHA_RO", sha1(rw), "1", "n"],
            "GET k",
            "GET n",
            ["SCRIPT", "FLUSH"],
            ["EVALSHA", sha1(rw), "1", "n"],
            ["EVALSHA_RO", sha1(ro), "1", "k"],
        ])

    def test_command_table_entries(self):
        for name in ("eval", "evalsha", "eval_ro", "evalsha_ro"):
            self.same("COMMAND", "GETKEYS", name, "x", "2", "k1", "k2", "arg")
            self.same("COMMAND", "GETKEYS", name, "x", "0")
        info = self.t.call("COMMAND", "INFO", "eval", "script|kill", "script|load")
        self.assertIn(b"movablekeys", info)
        self.assertIn(b"allow_busy", info)
        self.assertIn(b"@scripting", info)


class SidekiqScheduler(ScriptingBase):
    """A job scheduler's poller (as Sidekiq's): a sorted set of jobs by due time, a script
    loaded once with SCRIPT LOAD and run with EVALSHA, loaded again after NOSCRIPT."""

    def setUp(self):
        super().setUp()
        reply = self.t.call("ZADD", "probe", "1", "m")
        if reply.startswith(b"-ERR unknown command"):
            self.skipTest("sorted sets are not in this build yet")
        self.t.call("DEL", "probe")

    def test_poll_due_jobs(self):
        for c in (self.t, self.r):
            c.call("SCRIPT", "FLUSH")
        sha = self.same("SCRIPT", "LOAD", POP_DUE_JOB).split(b"\r\n")[1].decode()
        self.script([
            ["ZADD", "schedule", "100", "job-late", "1", "job-a", "2", "job-b"],
            ["EVALSHA", sha, "1", "schedule", "50"],
            ["EVALSHA", sha, "1", "schedule", "50"],
            ["EVALSHA", sha, "1", "schedule", "50"],
            ["ZRANGE", "schedule", "0", "-1", "WITHSCORES"],
            ["SCRIPT", "FLUSH"],
            ["EVALSHA", sha, "1", "schedule", "200"],
            ["SCRIPT", "LOAD", POP_DUE_JOB],
            ["EVALSHA", sha, "1", "schedule", "200"],
            ["EVALSHA", sha, "1", "schedule", "200"],
            ["EXISTS", "schedule"],
        ])

    def test_concurrent_pollers_take_each_job_once(self):
        jobs = ["job-%d" % i for i in range(300)]
        args = []
        for i, job in enumerate(jobs):
            args += [str(i % 7), job]
        self.t.call("ZADD", "schedule", *args)
        sha = self.t.call("SCRIPT", "LOAD", POP_DUE_JOB).split(b"\r\n")[1].decode()
        taken = []
        lock = threading.Lock()

        def poller():
            c = self.terndb.raw()
            while True:
                reply = c.call("EVALSHA", sha, "1", "schedule", "10")
                if reply == b"$-1\r\n":
                    break
                with lock:
                    taken.append(reply.split(b"\r\n")[1].decode())
            c.close()

        threads = [threading.Thread(target=poller) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(sorted(taken), sorted(jobs))


class ClientLibraries(SharedTerndb):
    """redis-py's Script objects: EVALSHA first, EVAL (or SCRIPT LOAD) after NOSCRIPT."""

    def test_redis_py_scripts(self):
        r = self.terndb.client(decode_responses=True)
        r.flushall()
        r.script_flush()
        incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        self.assertEqual(incr_by(keys=["n"], args=[5]), 5)
        self.assertEqual(incr_by(keys=["n"], args=[2]), 7)
        r.script_flush()
        self.assertEqual(incr_by(keys=["n"], args=[1]), 8)
        self.assertEqual(r.script_exists(incr_by.sha), [True])
        self.assertEqual(r.eval("return {KEYS[1], ARGV[1], 3}", 1, "k", "a"), ["k", "a", 3])
        self.assertEqual(r.eval("return redis.status_reply('FINE')", 0), "FINE")
        with self.assertRaises(Exception) as ctx:
            r.eval("return redis.error_reply('MYERR custom')", 0)
        self.assertIn("custom", str(ctx.exception))
        pipe = r.pipeline()
        pipe.eval("return redis.call('set', 'p', 'v')", 0)
        pipe.eval("return redis.call('get', 'p')", 0)
        self.assertEqual(pipe.execute(), ["OK", "v"])
        r.close()


class Atomicity(SharedTerndb):
    """A script holds every shard lock: no client sees it half done."""

    def test_scripts_and_plain_commands_interleave_safely(self):
        c = self.terndb.raw()
        c.call("FLUSHALL")
        # The script moves one unit from a to b; the sum a+b is invariant, and readers
        # running MGET meanwhile must never see it broken.
        c.call("MSET", "a", "100000", "b", "0")
        move = "redis.call('decr', KEYS[1]) redis.call('incr', KEYS[2]) return 1"
        stop = threading.Event()
        broken = []

        def mover():
            m = self.terndb.raw()
            for _ in range(2000):
                m.call("EVAL", move, "2", "a", "b")
            m.close()

        def reader():
            r = self.terndb.raw()
            while not stop.is_set():
                reply = r.call("MGET", "a", "b").split(b"\r\n")
                total = int(reply[2]) + int(reply[4])
                if total != 100000:
                    broken.append(total)
            r.close()

        readers = [threading.Thread(target=reader) for _ in range(2)]
        movers = [threading.Thread(target=mover) for _ in range(3)]
        run_until_workers_finish(movers, readers, stop, watcher_timeout=30)
        self.assertEqual(broken, [])
        self.assertEqual(c.call("MGET", "a", "b"), b"*2\r\n$5\r\n94000\r\n$4\r\n6000\r\n")
        c.close()

    def test_pipelined_commands_wait_for_the_script(self):
        c = self.terndb.raw()
        c.call("FLUSHALL")
        c.send(encode_command("SET", "k", "1") +
               encode_command("EVAL", "redis.call('set', 'k', '2') return redis.call('get', 'k')",
                              "0") +
               encode_command("GET", "k") +
               encode_command("EVAL", "return redis.call('incr', 'k')", "0") +
               encode_command("GET", "k"))
        replies = [c.read_reply() for _ in range(5)]
        self.assertEqual(replies, [b"+OK\r\n", b"$1\r\n2\r\n", b"$1\r\n2\r\n", b":3\r\n",
                                   b"$1\r\n3\r\n"])
        # CLIENT REPLY SKIP drops the script's reply, which comes from another thread.
        c.send(encode_command("CLIENT", "REPLY", "SKIP") +
               encode_command("EVAL", "return 'dropped'", "0") +
               encode_command("EVAL", "return 'kept'", "0"))
        self.assertEqual(c.read_reply(), b"$4\r\nkept\r\n")
        c.close()

    def test_closing_while_a_script_runs(self):
        c = self.terndb.raw()
        c.send(encode_command("EVAL", "local i = 0 while i < 3000000 do i = i + 1 end"
                                      " return redis.call('set', 'after-close', 'yes')", "0"))
        c.close()
        d = self.terndb.raw()
        deadline = time.time() + 10
        while d.call("GET", "after-close") != b"$3\r\nyes\r\n" and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(d.call("GET", "after-close"), b"$3\r\nyes\r\n")
        self.assertEqual(d.call("PING"), b"+PONG\r\n")
        d.close()


# Defines spin(ms): runs for about ms milliseconds of wall-clock time (redis.call('time')).
SPIN_MS = ("local function now() local t = redis.call('time')"
           " return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end"
           " local function spin(ms) local start = now() local i = 0"
           " while true do i = i + 1 if i % 10000 == 0 and now() - start >= ms then"
           " return 'done' end end end")


def busy_replies(server):
    """Runs a script that never ends and records what other clients get while it runs,
    what SCRIPT KILL answers and how the script ends. The same scenario runs on both
    servers; SCRIPT KILL is tried from connections opened one after the other, so on a
    multi-threaded server they land on different io threads, the script's own included."""
    out = []
    for kill_from in range(3):
        script_conn = RawConnection(server.port, timeout=30)
        result = {}
        runner = threading.Thread(target=lambda: result.setdefault(
            "reply", script_conn.call("EVAL", "while true do end", "0")))
        runner.start()
        time.sleep(0.3)
        others = [RawConnection(server.port, timeout=30) for _ in range(3)]
        for c in others:
            out.append(c.call("GET", "x"))
            out.append(c.call("SET", "x", "1"))
            out.append(c.call("EVAL", "return 1", "0"))
            out.append(c.call("PING"))
        tx = RawConnection(server.port, timeout=30)
        for cmd in (["MULTI"], ["PING"], ["SCRIPT", "KILL"], ["EXEC"], ["DISCARD"]):
            out.append(tx.call(*cmd))
        tx.close()
        out.append(others[kill_from].call("SCRIPT", "KILL"))
        runner.join(30)
        out.append(result.get("reply"))
        out.append(others[0].call("SCRIPT", "KILL"))
        out.append(others[1].call("GET", "x"))
        for c in others + [script_conn]:
            c.close()
    # A script that wrote cannot be killed; it ends by itself.
    script_conn = RawConnection(server.port, timeout=30)
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("reply", script_conn.call(
        "EVAL", "redis.call('set', 'w', '1') " + SPIN_MS + " return spin(1500)", "0")))
    runner.start()
    time.sleep(0.3)
    other = RawConnection(server.port, timeout=30)
    out.append(other.call("SCRIPT", "KILL"))
    out.append(other.call("GET", "w"))
    runner.join(30)
    out.append(result.get("reply"))
    out.append(other.call("GET", "w"))
    other.close()
    script_conn.close()
    return out


class BusyScript(unittest.TestCase):
    def test_busy_and_script_kill_as_redis(self):
        terndb = Terndb("--lua-time-limit", "100", threads=2)
        redis = RedisServer("--lua-time-limit", "100")
        try:
            ours = busy_replies(terndb)
            theirs = busy_replies(redis)
        finally:
            terndb.stop()
            redis.stop()
        self.assertIn(b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                      b"SHUTDOWN NOSAVE.\r\n", theirs)
        self.assertEqual(ours, theirs)

    def test_script_inside_exec_can_be_killed(self):
        def scenario(server):
            a = RawConnection(server.port, timeout=30)
            a.call("MULTI")
            a.call("SET", "before", "1")
            a.call("EVAL", "while true do end", "0")
            a.send(encode_command("EXEC"))
            time.sleep(0.3)
            # Inside EXEC the script's own io thread serves nobody else meanwhile, so SCRIPT
            # KILL goes out on two connections: on a multi-threaded server, one of them is
            # on another io thread.
            kills = []
            killers = [RawConnection(server.port, timeout=30) for _ in range(2)]

            killed = threading.Event()

            def kill(conn):
                # On a loaded machine EXEC may not have reached the script yet: NOTBUSY then,
                # and the kill is sent again until one of the two got through.
                deadline = time.monotonic() + 20
                while True:
                    reply = conn.call("SCRIPT", "KILL")
                    if reply == b"+OK\r\n":
                        killed.set()
                    if (not reply.startswith(b"-NOTBUSY") or killed.is_set() or
                            time.monotonic() > deadline):
                        break
                    time.sleep(0.1)
                kills.append(reply)

            threads = [threading.Thread(target=kill, args=(c,)) for c in killers]
            for th in threads:
                th.start()
            reply = a.read_reply()
            for th in threads:
                th.join(30)
            for c in killers + [a]:
                c.close()
            return reply, kills

        terndb = Terndb("--lua-time-limit", "100", threads=2)
        redis = RedisServer("--lua-time-limit", "100")
        try:
            # Twice: connections are dealt to the io threads in turn, so one of the two
            # scripts runs on each, and the killers' connections must be accepted while
            # either is busy.
            ours, our_kills = scenario(terndb)
            self.assertIn(b"+OK\r\n", our_kills)
            ours, our_kills = scenario(terndb)
            theirs, their_kills = scenario(redis)
        finally:
            terndb.stop()
            redis.stop()
        self.assertEqual(ours, theirs)
        self.assertIn(b"+OK\r\n", our_kills)
        self.assertIn(b"+OK\r\n", their_kills)

    def test_shutdown_nosave_ends_a_busy_server(self):
        terndb = Terndb("--lua-time-limit", "100", threads=2)
        try:
            script_conn = terndb.raw()
            script_conn.send(encode_command("EVAL", "redis.call('set', 'w', '1')"
                                                    " while true do end", "0"))
            time.sleep(0.3)
            other = terndb.raw()
            self.assertTrue(other.call("SCRIPT", "KILL").startswith(b"-UNKILLABLE"))
            other.send(encode_command("SHUTDOWN", "NOSAVE"))
            self.assertTrue(other.closed_by_peer(10))
            terndb.proc.wait(10)
            self.assertFalse(terndb.alive())
            other.close()
            script_conn.close()
        finally:
            terndb.stop()

    def test_without_time_limit_clients_wait(self):
        terndb = Terndb("--lua-time-limit", "0", threads=2)
        try:
            script_conn = terndb.raw()
            script_conn.send(encode_command("EVAL", SPIN_MS + " return spin(1000)", "0"))
            time.sleep(0.2)
            # Without a limit nobody is refused: they wait until the script is done.
            other = terndb.raw()
            start = time.time()
            self.assertEqual(other.call("PING"), b"+PONG\r\n")
            self.assertGreater(time.time() - start, 0.4)
            self.assertEqual(script_conn.read_reply(), b"$4\r\ndone\r\n")
            self.assertEqual(other.call("SCRIPT", "KILL"),
                             b"-NOTBUSY No scripts in execution right now.\r\n")
            other.close()
            script_conn.close()
        finally:
            terndb.stop()

if __name__ == "__main__":
    main()

#include "replication/rewrite.h"

#include <strings.h>

#include <cstring>

#include "protocol/numbers.h"

namespace terndb::replication {
namespace {

bool iequals(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

Argv copy_argv(const std::vector<std::string_view>& argv) {
  return Argv(argv.begin(), argv.end());
}

// Reads one RESP value at `pos`, appending its scalar elements to `out`.
bool read_value(std::string_view r, size_t& pos, std::vector<std::string>& out, int depth) {
  if (pos >= r.size() || depth > 8) return false;
  char type = r[pos];
  size_t eol = r.find("\r\n", pos);
  if (eol == std::string_view::npos) return false;
  std::string_view line = r.substr(pos + 1, eol - pos - 1);
  pos = eol + 2;
  switch (type) {
    case '+':
    case ':':
    case ',':
      out.emplace_back(line);
      return true;
    case '_':
      return true;
    case '#':
      out.emplace_back(line == "t" ? "1" : "0");
      return true;
    case '$':
    case '=': {
      int64_t len;
      if (!protocol::parse_int64(line, len)) return false;
      if (len < 0) return true;
      if (pos + static_cast<size_t>(len) + 2 > r.size()) return false;
      std::string_view body = r.substr(pos, static_cast<size_t>(len));
      if (type == '=' && body.size() >= 4) body.remove_prefix(4);  // "txt:"
      out.emplace_back(body);
      pos += static_cast<size_t>(len) + 2;
      return true;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      int64_t n;
      if (!protocol::parse_int64(line, n)) return false;
      if (n < 0) return true;
      if (type == '%') n *= 2;
      for (int64_t i = 0; i < n; ++i) {
        if (!read_value(r, pos, out, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// EXPIRE key seconds / PEXPIRE key ms / EXPIREAT key unix-s / PEXPIREAT key unix-ms, or
// the expiry option of SET / GETEX: the absolute time in ms.
bool absolute_ms(std::string_view unit, std::string_view value, int64_t now_ms, int64_t& out) {
  int64_t v;
  if (!protocol::parse_int64(value, v)) return false;
  if (iequals(unit, "ex") || iequals(unit, "expire") || iequals(unit, "setex")) {
    out = now_ms + v * 1000;
  } else if (iequals(unit, "px") || iequals(unit, "pexpire") || iequals(unit, "psetex")) {
    out = now_ms + v;
  } else if (iequals(unit, "exat") || iequals(unit, "expireat")) {
    out = v * 1000;
  } else {
    out = v;  // PXAT, PEXPIREAT
  }
  return true;
}

std::vector<Argv> expire_at(std::string_view key, int64_t at, int64_t now_ms) {
  // A time already past deleted the key on the master.
  if (at <= now_ms) return {Argv{"DEL", std::string(key)}};
  return {Argv{"PEXPIREAT", std::string(key), std::to_string(at)}};
}

std::vector<Argv> rewrite_set(const std::vector<std::string_view>& argv, int64_t now_ms) {
  Argv out{"SET", std::string(argv[1]), std::string(argv[2])};
  bool keepttl = false;
  int64_t at = -1;
  for (size_t i = 3; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (iequals(a, "keepttl")) {
      keepttl = true;
    } else if ((iequals(a, "ex") || iequals(a, "px") || iequals(a, "exat") || iequals(a, "pxat")) &&
               i + 1 < argv.size()) {
      absolute_ms(a, argv[i + 1], now_ms, at);
      ++i;
    }
  }
  if (at >= 0) {
    out.push_back("PXAT");
    out.push_back(std::to_string(at));
  } else if (keepttl) {
    out.push_back("KEEPTTL");
  }
  return {out};
}

std::vector<Argv> rewrite_getex(const std::vector<std::string_view>& argv, int64_t now_ms) {
  for (size_t i = 2; i < argv.size(); ++i) {
    if (iequals(argv[i], "persist")) return {Argv{"PERSIST", std::string(argv[1])}};
    if (i + 1 < argv.size()) {
      int64_t at;
      if (absolute_ms(argv[i], argv[i + 1], now_ms, at)) return expire_at(argv[1], at, now_ms);
    }
  }
  return {};
}

// BLPOP/BRPOP/BZPOPMIN/BZPOPMAX reply: key first.
std::vector<Argv> rewrite_single_pop(const char* pop, std::string_view reply) {
  std::vector<std::string> el;
  if (!reply_elements(reply, el) || el.empty()) return {};
  return {Argv{pop, el[0]}};
}

// BLMPOP / BZMPOP reply: key, then the popped elements (members with scores for zsets).
std::vector<Argv> rewrite_multi_pop(const std::vector<std::string_view>& argv,
                                    std::string_view reply, bool zset) {
  std::vector<std::string> el;
  if (!reply_elements(reply, el) || el.empty()) return {};
  // timeout numkeys key... direction [COUNT n]
  int64_t numkeys = 0;
  protocol::parse_int64(argv[2], numkeys);
  size_t dir = 3 + static_cast<size_t>(numkeys);
  if (dir >= argv.size()) return {};
  size_t popped = (el.size() - 1) / (zset ? 2 : 1);
  const char* cmd;
  if (zset) {
    cmd = iequals(argv[dir], "min") ? "ZPOPMIN" : "ZPOPMAX";
  } else {
    cmd = iequals(argv[dir], "left") ? "LPOP" : "RPOP";
  }
  return {Argv{cmd, el[0], std::to_string(popped)}};
}

}  // namespace

bool reply_elements(std::string_view reply, std::vector<std::string>& out) {
  if (reply.empty() || reply[0] == '-' || reply[0] == '!') return false;
  size_t pos = 0;
  return read_value(reply, pos, out, 0);
}

bool propagates_effects_only(std::string_view name) {
  return name == "exec" || name == "eval" || name == "evalsha" || name == "eval_ro" ||
         name == "evalsha_ro" || name == "fcall" || name == "fcall_ro";
}

std::vector<Argv> rewrite_for_stream(std::string_view name,
                                     const std::vector<std::string_view>& argv,
                                     std::string_view reply, int64_t now_ms) {
  if (name == "set" && argv.size() > 3) return rewrite_set(argv, now_ms);
  if ((name == "setex" || name == "psetex") && argv.size() == 4) {
    int64_t at;
    if (!absolute_ms(name, argv[2], now_ms, at)) return {copy_argv(argv)};
    return {Argv{"SET", std::string(argv[1]), std::string(argv[3]), "PXAT", std::to_string(at)}};
  }
  if ((name == "expire" || name == "pexpire" || name == "expireat" || name == "pexpireat") &&
      argv.size() >= 3) {
    int64_t at;
    if (!absolute_ms(name, argv[2], now_ms, at)) return {copy_argv(argv)};
    return expire_at(argv[1], at, now_ms);
  }
  if (name == "getex") return rewrite_getex(argv, now_ms);
  if (name == "incrbyfloat") {
    std::vector<std::string> el;
    if (!reply_elements(reply, el) || el.size() != 1) return {copy_argv(argv)};
    return {Argv{"SET", std::string(argv[1]), el[0], "KEEPTTL"}};
  }
  if (name == "hincrbyfloat") {
    std::vector<std::string> el;
    if (!reply_elements(reply, el) || el.size() != 1) return {copy_argv(argv)};
    return {Argv{"HSET", std::string(argv[1]), std::string(argv[2]), el[0]}};
  }
  if (name == "spop") {
    std::vector<std::string> el;
    if (!reply_elements(reply, el) || el.empty()) return {};
    Argv srem{"SREM", std::string(argv[1])};
    for (auto& m : el) srem.push_back(std::move(m));
    return {srem};
  }
  if (name == "blpop") return rewrite_single_pop("LPOP", reply);
  if (name == "brpop") return rewrite_single_pop("RPOP", reply);
  if (name == "bzpopmin") return rewrite_single_pop("ZPOPMIN", reply);
  if (name == "bzpopmax") return rewrite_single_pop("ZPOPMAX", reply);
  if (name == "blmpop") return rewrite_multi_pop(argv, reply, false);
  if (name == "bzmpop") return rewrite_multi_pop(argv, reply, true);
  if (name == "brpoplpush" && argv.size() == 4) {
    return {Argv{"RPOPLPUSH", std::string(argv[1]), std::string(argv[2])}};
  }
  if (name == "blmove" && argv.size() == 6) {
    return {Argv{"LMOVE", std::string(argv[1]), std::string(argv[2]), std::string(argv[3]),
                 std::string(argv[4])}};
  }
  return {copy_argv(argv)};
}

}  // namespace terndb::replication

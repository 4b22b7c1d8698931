#include "server/zset_common.h"

#include <strings.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "protocol/numbers.h"
#include "server/notify.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"
#include "storage/hashing.h"

namespace terndb::server::zset {
namespace {

// Redis's MAX_LONG_DOUBLE_CHARS: longer timeouts are refused outright.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

bool parse_long_double_arg(std::string_view arg, long double& out) {
  if (arg.empty() || arg.size() >= kMaxLongDoubleChars) return false;
  std::string buf(arg);
  char* end = nullptr;
  errno = 0;
  long double v = strtold(buf.c_str(), &end);
  if (isspace(static_cast<unsigned char>(buf[0])) ||
      static_cast<size_t>(end - buf.c_str()) != buf.size() ||
      (errno == ERANGE && (std::isinf(v) || v == 0)) || std::isnan(v)) {
    return false;
  }
  out = v;
  return true;
}

bool parse_range_end(std::string_view arg, double& value, bool& exclusive) {
  std::string buf(arg);
  const char* p = buf.c_str();
  exclusive = p[0] == '(';
  if (exclusive) ++p;
  char* end = nullptr;
  value = strtod(p, &end);
  // Like Redis, only "parsed up to a NUL" is required: "" and "(" read as 0.
  return end[0] == '\0' && !std::isnan(value);
}

bool parse_lex_end(std::string_view arg, storage::ZLexBound& bound) {
  if (arg.empty()) return false;
  auto bare = [&] { return arg.size() == 1 || arg[1] == '\0'; };
  switch (arg[0]) {
    case '+':
      if (!bare()) return false;
      bound.kind = storage::ZLexBound::kPlusInf;
      bound.exclusive = true;
      return true;
    case '-':
      if (!bare()) return false;
      bound.kind = storage::ZLexBound::kMinusInf;
      bound.exclusive = true;
      return true;
    case '(':
    case '[':
      bound.kind = storage::ZLexBound::kValue;
      bound.exclusive = arg[0] == '(';
      bound.value.assign(arg.substr(1));
      return true;
    default:
      return false;
  }
}

}  // namespace

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

bool parse_score(std::string_view arg, double& out) {
  if (arg.empty() || isspace(static_cast<unsigned char>(arg[0]))) return false;
  std::string buf(arg);
  char* end = nullptr;
  errno = 0;
  double v = strtod(buf.c_str(), &end);
  if (static_cast<size_t>(end - buf.c_str()) != buf.size() ||
      (errno == ERANGE && (std::isinf(v) || v == 0)) || std::isnan(v)) {
    return false;
  }
  out = v;
  return true;
}

bool parse_score_range(std::string_view min, std::string_view max, storage::ZScoreRange& r) {
  return parse_range_end(min, r.min, r.minex) && parse_range_end(max, r.max, r.maxex);
}

bool parse_lex_range(std::string_view min, std::string_view max, storage::ZLexRange& r) {
  return parse_lex_end(min, r.min) && parse_lex_end(max, r.max);
}

storage::Entry* lookup_write(storage::KeyHandle& k) {
  storage::Entry* e = k.get();
  if (e) storage::touch_entry(e, k.now());
  return e;
}

bool parse_long(CommandContext& c, std::string_view arg, int64_t& out) {
  if (protocol::parse_int64(arg, out)) return true;
  c.not_integer();
  return false;
}

bool parse_timeout(CommandContext& c, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!parse_long_double_arg(arg, seconds)) {
    c.reply.error("ERR timeout is not a float or out of range");
    return false;
  }
  long double ms = seconds * 1000.0L;
  // Redis converts with a plain cast; on its platforms an out-of-range value becomes the
  // most negative integer, which is reported as a negative timeout.
  int64_t t = (ms > -9223372036854775808.0L && ms < 9223372036854775808.0L)
                  ? static_cast<int64_t>(ms)
                  : INT64_MIN;
  if (t < 0) {
    c.reply.error("ERR timeout is negative");
    return false;
  }
  // A deadline past the clock's range never comes: wait forever.
  *deadline_ms = (t == 0 || t > INT64_MAX - c.now) ? 0 : c.now + t;
  return true;
}

void reply_members_header(protocol::ReplyBuilder& r, size_t count, bool withscores) {
  r.array(withscores && r.resp() == 2 ? count * 2 : count);
}

void reply_member(protocol::ReplyBuilder& r, std::string_view member, double score,
                  bool withscores) {
  if (withscores && r.resp() > 2) r.array(2);
  r.bulk(member);
  if (withscores) r.dbl(score);
}

std::vector<size_t> shards_of(CommandContext& c, const std::vector<std::string_view>& keys) {
  std::vector<size_t> out;
  out.reserve(keys.size());
  for (auto k : keys) out.push_back(c.keyspace().shard_of(storage::hash_key(k)));
  return out;
}

void store_result(CommandContext& c, storage::KeyHandle& dst, storage::ZSetValue* value,
                  const char* event) {
  if (value->size() == 0) {
    delete value;
    if (dst.erase()) notify_keyspace_event(c, notify::kGeneric, "del", dst.key());
    return;
  }
  dst.put(storage::make_object_entry(dst.key(), storage::ValueType::kZSet, value, -1));
  notify_keyspace_event(c, notify::kZset, event, dst.key());
}

}  // namespace terndb::server::zset

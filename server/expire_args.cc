#include "server/expire_args.h"

#include <climits>

#include "protocol/numbers.h"

namespace terndb::server {

void reply_invalid_expire(CommandContext& c) {
  c.reply.error("ERR invalid expire time in '" + c.spec->name + "' command");
}

bool parse_expire_time(CommandContext& c, std::string_view arg, ExpireUnit unit, bool absolute,
                       bool allow_nonpositive, int64_t& when_ms) {
  int64_t v;
  if (!protocol::parse_int64(arg, v)) {
    c.not_integer();
    return false;
  }
  if (!allow_nonpositive && v <= 0) {
    reply_invalid_expire(c);
    return false;
  }
  if (unit == ExpireUnit::kSeconds) {
    if (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000) {
      reply_invalid_expire(c);
      return false;
    }
    v *= 1000;
  }
  if (!absolute) {
    if ((v > 0 && v > LLONG_MAX - c.now) || (v < 0 && v < LLONG_MIN + c.now)) {
      reply_invalid_expire(c);
      return false;
    }
    v += c.now;
  }
  when_ms = v;
  return true;
}

}  // namespace terndb::server

// Parsing of the expiry options shared by SET, GETEX, SETEX, EXPIRE and friends, with
// Redis's checks and error texts.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/command.h"

namespace terndb::server {

enum class ExpireUnit { kSeconds, kMilliseconds };

// Converts a user-supplied expiry (relative unless `absolute`) into an absolute unix time
// in ms. On a bad value replies the error and returns false. `allow_nonpositive` accepts
// zero and negative values (EXPIRE does; SET's EX does not).
bool parse_expire_time(CommandContext& c, std::string_view arg, ExpireUnit unit, bool absolute,
                       bool allow_nonpositive, int64_t& when_ms);

// Replies "ERR invalid expire time in '<cmd>' command".
void reply_invalid_expire(CommandContext& c);

}  // namespace terndb::server

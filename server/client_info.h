// The description of a client that CLIENT LIST and CLIENT INFO print, one line in Redis's
// field order; the log uses it too when it names a client it drops.
#pragma once

#include <cstdint>
#include <string>

namespace terndb::server {

struct ClientState;

std::string client_info_line(const ClientState& s, int64_t now_ms);

}  // namespace terndb::server

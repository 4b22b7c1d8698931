// Redis 7's protected actions: settings such as enable-debug-command and
// enable-protected-configs are "no", "yes" or "local", where "local" allows only clients
// connected over a unix socket or from a loopback address.
#pragma once

#include <cstdint>

#include "server/client_state.h"

namespace terndb::server {

// The values of the protected-action enums in the config registry.
enum ProtectedAction : int64_t { kProtectedNo = 0, kProtectedYes = 1, kProtectedLocal = 2 };

bool is_local_client(const ClientState& client);
bool protected_action_allowed(int64_t setting, const ClientState& client);

}  // namespace terndb::server

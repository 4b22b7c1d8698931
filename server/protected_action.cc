#include "server/protected_action.h"

#include <string>

namespace terndb::server {

bool is_local_client(const ClientState& client) {
  if (client.is_unix) return true;
  // addr is "host:port"; the host is everything before the last colon.
  const std::string& addr = client.addr;
  std::string host = addr.substr(0, addr.rfind(':'));
  return host.rfind("127.", 0) == 0 || host == "::1" || host.rfind("::ffff:127.", 0) == 0;
}

bool protected_action_allowed(int64_t setting, const ClientState& client) {
  return setting == kProtectedYes || (setting == kProtectedLocal && is_local_client(client));
}

}  // namespace terndb::server

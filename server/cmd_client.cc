#include "server/command.h"

namespace terndb::server {

void register_client_commands(CommandTable& t) { (void)t; }

}  // namespace terndb::server

#include "server/command.h"

namespace terndb::server {

void register_introspection_commands(CommandTable& t) { (void)t; }

}  // namespace terndb::server

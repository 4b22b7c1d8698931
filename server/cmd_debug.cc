#include "server/command.h"

namespace terndb::server {

void register_debug_commands(CommandTable& t) { (void)t; }

}  // namespace terndb::server

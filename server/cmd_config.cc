#include "server/command.h"

namespace terndb::server {

void register_config_commands(CommandTable& t) { (void)t; }

}  // namespace terndb::server

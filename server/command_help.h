// Replies to the HELP subcommand of container commands (CONFIG HELP, DEBUG HELP) in
// Redis's form: a header naming the command, the given lines, and the closing HELP entry,
// each as a status string.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

namespace terndb::server {

void reply_help(protocol::ReplyBuilder& reply, std::string_view command,
                const std::vector<std::string_view>& lines);

}  // namespace terndb::server

#include "server/command_help.h"

#include <string>

namespace terndb::server {

void reply_help(protocol::ReplyBuilder& reply, std::string_view command,
                const std::vector<std::string_view>& lines) {
  reply.array(lines.size() + 3);
  reply.simple(std::string(command) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (auto line : lines) reply.simple(line);
  reply.simple("HELP");
  reply.simple("    Prints this help.");
}

}  // namespace terndb::server

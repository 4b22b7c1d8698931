#include "server/monitor.h"

#include <sys/time.h>

#include <cstdio>

#include "server/client_state.h"
#include "server/command.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

bool eq_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

void append_repr(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (isprint(ch)) {
          out.push_back(static_cast<char>(ch));
        } else {
          char hex[8];
          snprintf(hex, sizeof(hex), "\\x%02x", ch);
          out += hex;
        }
    }
  }
  out.push_back('"');
}

std::string monitor_line(int64_t now_us, int db, std::string_view source,
                         const std::vector<std::string_view>& argv, std::string_view command_name) {
  std::string line;
  line.reserve(64 + source.size() + argv.size() * 16);
  char head[64];
  snprintf(head, sizeof(head), "+%lld.%06lld [%d ", static_cast<long long>(now_us / 1000000),
           static_cast<long long>(now_us % 1000000), db);
  line += head;
  line += source;
  line += "] ";
  // Credentials never reach a monitor: all of AUTH's arguments, the user and password
  // that follow HELLO's AUTH option.
  std::vector<bool> redacted(argv.size(), false);
  if (command_name == "auth") {
    for (size_t i = 1; i < argv.size(); ++i) redacted[i] = true;
  } else if (command_name == "hello") {
    for (size_t j = 2; j < argv.size(); ++j) {
      const size_t more = argv.size() - j - 1;
      if (eq_nocase(argv[j], "auth") && more >= 2) {
        redacted[j + 1] = redacted[j + 2] = true;
        j += 2;
      } else if (eq_nocase(argv[j], "setname") && more >= 1) {
        j += 1;
      }
    }
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) line.push_back(' ');
    if (redacted[i]) {
      line += "\"(redacted)\"";
    } else {
      append_repr(line, argv[i]);
    }
  }
  line += "\r\n";
  return line;
}

void feed_monitors(CommandContext& ctx) {
  PubsubRegistry& registry = ctx.server.pubsub();
  if (!registry.has_monitors()) return;
  if (ctx.spec->flags & (kCmdAdmin | kCmdSkipMonitor)) return;
  std::string source;
  if (!ctx.connection) {
    source = "lua";
  } else if (ctx.client.is_unix) {
    // addr is "<socket path>:0"; no config lookup (its mutex) under EXEC's shard locks.
    std::string_view path = ctx.client.addr;
    if (path.size() >= 2 && path.substr(path.size() - 2) == ":0") path.remove_suffix(2);
    source = "unix:" + std::string(path);
  } else {
    source = ctx.client.addr;
  }
  const std::string& name = ctx.spec->parent ? ctx.spec->parent->name : ctx.spec->name;
  registry.feed_monitors(monitor_line(
      storage::now_us(), ctx.client.db.load(std::memory_order_relaxed), source, ctx.argv, name));
}

}  // namespace terndb::server

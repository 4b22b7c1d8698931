#include "server/notify.h"

#include <string>

#include "server/command.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace terndb::server {

void notify_keyspace_event(Server& server, int event_class, std::string_view event,
                           std::string_view key, int db) {
  PubsubRegistry& registry = server.pubsub();
  const int flags = registry.notify_flags();
  if (!(flags & event_class)) return;
  std::string channel;
  channel.reserve(24 + std::max(key.size(), event.size()));
  const std::string db_text = std::to_string(db);
  if (flags & notify::kKeyspace) {
    channel.append("__keyspace@").append(db_text).append("__:").append(key);
    registry.publish(channel, event, ChannelKind::kGlobal);
  }
  if (flags & notify::kKeyevent) {
    channel.clear();
    channel.append("__keyevent@").append(db_text).append("__:").append(event);
    registry.publish(channel, key, ChannelKind::kGlobal);
  }
}

void notify_keyspace_event(CommandContext& c, int event_class, std::string_view event,
                           std::string_view key, int db) {
  notify_keyspace_event(c.server, event_class, event, key, db);
}

void notify_keyspace_event(CommandContext& c, int event_class, std::string_view event,
                           std::string_view key) {
  notify_keyspace_event(c.server, event_class, event, key, c.db());
}

}  // namespace terndb::server

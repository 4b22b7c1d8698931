// Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB and its subcommands, and MONITOR, with Redis
// 7.0's replies. The registry and the delivery across threads live in pubsub.h.
#include <strings.h>

#include <cstring>

#include "server/client_state.h"
#include "server/command.h"
#include "server/command_help.h"
#include "server/connection.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace terndb::server {
namespace {

PubsubRegistry& registry(CommandContext& c) {
  return c.server.pubsub();
}

// Inside EXEC (and scripts) the client cannot take pushed frames in the middle of the
// transaction's reply.
bool in_transaction(const CommandContext& c) {
  return c.all_locked;
}

int global_count(const ClientState& s) {
  return s.sub_channels.load(std::memory_order_relaxed) +
         s.sub_patterns.load(std::memory_order_relaxed);
}
int shard_count(const ClientState& s) {
  return s.sub_shard_channels.load(std::memory_order_relaxed);
}

// ["subscribe", channel, count] and its siblings: a push in RESP3, an array in RESP2.
// Under CLIENT REPLY OFF/SKIP the frame is also kept aside, to be sent when the command's
// reply is dropped (Connection::execute).
void reply_subscription(CommandContext& c, std::string_view kind, const std::string_view* channel,
                        int count) {
  std::string* out = c.reply.output();
  const size_t start = out ? out->size() : 0;
  c.reply.push(3);
  c.reply.bulk(kind);
  if (channel) {
    c.reply.bulk(*channel);
  } else {
    c.reply.null();
  }
  c.reply.integer(count);
  if (out && c.connection && c.client.reply_mode != ReplyMode::kOn) {
    c.client.kept_pushes.append(*out, start, std::string::npos);
  }
}

void subscribe_generic(CommandContext& c, ChannelKind kind, const char* name) {
  // Redis refuses SSUBSCRIBE to clients that cannot block (inside MULTI/EXEC, scripts) and
  // allows SUBSCRIBE inside MULTI for backward compatibility.
  if (!c.connection || (kind == ChannelKind::kShard && in_transaction(c))) {
    std::string upper;
    for (const char* p = name; *p; ++p) upper.push_back(static_cast<char>(toupper(*p)));
    return c.reply.error("ERR " + upper + " isn't allowed for a DENY BLOCKING client");
  }
  const std::shared_ptr<PushTarget>& target = c.connection->push_target();
  const bool deliver = !in_transaction(c);
  for (size_t i = 1; i < c.argc(); ++i) {
    std::string_view channel = c.arg(i);
    registry(c).subscribe(target, channel, kind, deliver);
    const int count = kind == ChannelKind::kShard ? shard_count(c.client) : global_count(c.client);
    reply_subscription(c, kind == ChannelKind::kShard ? "ssubscribe" : "subscribe", &channel,
                       count);
  }
}

void unsubscribe_generic(CommandContext& c, ChannelKind kind) {
  const char* reply_kind = kind == ChannelKind::kShard ? "sunsubscribe" : "unsubscribe";
  auto count = [&]() {
    return kind == ChannelKind::kShard ? shard_count(c.client) : global_count(c.client);
  };
  const std::shared_ptr<PushTarget> target =
      c.connection ? c.connection->existing_push_target() : nullptr;
  const bool deliver = !in_transaction(c);
  std::vector<std::string> all;
  std::vector<std::string_view> channels;
  if (c.argc() == 1) {
    if (target) all = registry(c).channels_of(*target, kind);
    channels.assign(all.begin(), all.end());
    // Not subscribed to anything: one reply with a null channel.
    if (channels.empty()) return reply_subscription(c, reply_kind, nullptr, count());
  } else {
    channels.assign(c.argv.begin() + 1, c.argv.end());
  }
  for (std::string_view channel : channels) {
    if (target) registry(c).unsubscribe(target, channel, kind, deliver);
    reply_subscription(c, reply_kind, &channel, count());
  }
}

void subscribe_command(CommandContext& c) {
  subscribe_generic(c, ChannelKind::kGlobal, "subscribe");
}
void ssubscribe_command(CommandContext& c) {
  subscribe_generic(c, ChannelKind::kShard, "ssubscribe");
}
void unsubscribe_command(CommandContext& c) {
  unsubscribe_generic(c, ChannelKind::kGlobal);
}
void sunsubscribe_command(CommandContext& c) {
  unsubscribe_generic(c, ChannelKind::kShard);
}

void psubscribe_command(CommandContext& c) {
  if (!c.connection)
    return c.reply.error("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  const std::shared_ptr<PushTarget>& target = c.connection->push_target();
  const bool deliver = !in_transaction(c);
  for (size_t i = 1; i < c.argc(); ++i) {
    std::string_view pattern = c.arg(i);
    registry(c).psubscribe(target, pattern, deliver);
    reply_subscription(c, "psubscribe", &pattern, global_count(c.client));
  }
}

void punsubscribe_command(CommandContext& c) {
  const std::shared_ptr<PushTarget> target =
      c.connection ? c.connection->existing_push_target() : nullptr;
  const bool deliver = !in_transaction(c);
  std::vector<std::string> all;
  std::vector<std::string_view> patterns;
  if (c.argc() == 1) {
    if (target) all = registry(c).patterns_of(*target);
    patterns.assign(all.begin(), all.end());
    if (patterns.empty()) {
      return reply_subscription(c, "punsubscribe", nullptr, global_count(c.client));
    }
  } else {
    patterns.assign(c.argv.begin() + 1, c.argv.end());
  }
  for (std::string_view pattern : patterns) {
    if (target) registry(c).punsubscribe(target, pattern, deliver);
    reply_subscription(c, "punsubscribe", &pattern, global_count(c.client));
  }
}

void publish_generic(CommandContext& c, ChannelKind kind) {
  const size_t receivers = registry(c).publish(c.arg(1), c.arg(2), kind);
  // A RESP3 client that receives its own message gets it before the reply, as from Redis
  // (which delivers while PUBLISH runs). Other receivers get it from their worker's queue.
  if (c.client.resp.load(std::memory_order_relaxed) == 3 && c.client.subscribed() && c.worker &&
      !in_transaction(c)) {
    registry(c).drain(*c.worker);
  }
  c.reply.integer(static_cast<int64_t>(receivers));
}

void publish_command(CommandContext& c) {
  publish_generic(c, ChannelKind::kGlobal);
}
void spublish_command(CommandContext& c) {
  publish_generic(c, ChannelKind::kShard);
}

// Redis's answer when a PUBSUB subcommand gets the wrong number of arguments (the
// subcommands' arities let these through).
void subcommand_syntax_error(CommandContext& c) {
  std::string sub(c.arg(1).substr(0, 128));
  c.reply.error("ERR unknown subcommand or wrong number of arguments for '" + sub +
                "'. Try PUBSUB HELP.");
}

void reply_channel_list(CommandContext& c, ChannelKind kind) {
  if (c.argc() > 3) return subcommand_syntax_error(c);
  std::string pattern;
  if (c.argc() == 3) pattern = std::string(c.arg(2));
  std::vector<std::string> names =
      registry(c).active_channels(c.argc() == 3 ? &pattern : nullptr, kind);
  c.reply.array(names.size());
  for (const auto& n : names) c.reply.bulk(n);
}

void reply_numsub(CommandContext& c, ChannelKind kind) {
  c.reply.array((c.argc() - 2) * 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    c.reply.bulk(c.arg(i));
    c.reply.integer(static_cast<int64_t>(registry(c).subscriber_count(c.arg(i), kind)));
  }
}

void pubsub_channels_command(CommandContext& c) {
  reply_channel_list(c, ChannelKind::kGlobal);
}
void pubsub_shardchannels_command(CommandContext& c) {
  reply_channel_list(c, ChannelKind::kShard);
}
void pubsub_numsub_command(CommandContext& c) {
  reply_numsub(c, ChannelKind::kGlobal);
}
void pubsub_shardnumsub_command(CommandContext& c) {
  reply_numsub(c, ChannelKind::kShard);
}
void pubsub_numpat_command(CommandContext& c) {
  c.reply.integer(static_cast<int64_t>(registry(c).pattern_count()));
}

void pubsub_help_command(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: "
      "'*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
  };
  reply_help(c.reply, "PUBSUB", kLines);
}

void monitor_command(CommandContext& c) {
  if (!c.connection || in_transaction(c)) {
    return c.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  }
  // Already monitoring: Redis ignores the command without a reply.
  if (c.client.monitor.load(std::memory_order_relaxed)) return;
  registry(c).add_monitor(c.connection->push_target());
  c.reply.ok();
}

CommandArgDoc arg_doc(const char* name, const char* type, bool optional = false,
                      bool multiple = false) {
  return CommandArgDoc{name, type, "", optional, multiple};
}

}  // namespace

void reset_pubsub_state(CommandContext& c) {
  if (!c.connection) return;
  const std::shared_ptr<PushTarget>& target = c.connection->existing_push_target();
  if (target) c.server.pubsub().leave_all(target, !in_transaction(c));
}

void register_pubsub_commands(CommandTable& t) {
  constexpr uint32_t kSub = kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kPub = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast | kCmdMayReplicate;
  constexpr uint32_t kIntro = kCmdPubsub | kCmdLoading | kCmdStale;
  const char* g = "pubsub";

  t.add(make_command("subscribe", -2, kSub, 0, 0, 0, subscribe_command, g, "2.0.0",
                     "Listen for messages published to the given channels",
                     "O(N) where N is the number of channels to subscribe to."))
      .args = {arg_doc("channel", "string", false, true)};
  t.add(make_command("unsubscribe", -1, kSub, 0, 0, 0, unsubscribe_command, g, "2.0.0",
                     "Stop listening for messages posted to the given channels",
                     "O(N) where N is the number of clients already subscribed to a channel."))
      .args = {arg_doc("channel", "string", true, true)};
  t.add(make_command("psubscribe", -2, kSub, 0, 0, 0, psubscribe_command, g, "2.0.0",
                     "Listen for messages published to channels matching the given patterns",
                     "O(N) where N is the number of patterns the client is already subscribed "
                     "to."))
      .args = {arg_doc("pattern", "pattern", false, true)};
  t.add(make_command("punsubscribe", -1, kSub, 0, 0, 0, punsubscribe_command, g, "2.0.0",
                     "Stop listening for messages posted to channels matching the given patterns",
                     "O(N+M) where N is the number of patterns the client is already subscribed "
                     "and M is the number of total patterns subscribed in the system (by any "
                     "client)."))
      .args = {arg_doc("pattern", "pattern", true, true)};
  t.add(make_command("ssubscribe", -2, kSub, 1, -1, 1, ssubscribe_command, g, "7.0.0",
                     "Listen for messages published to the given shard channels",
                     "O(N) where N is the number of shard channels to subscribe to."))
      .args = {arg_doc("shardchannel", "string", false, true)};
  t.add(make_command("sunsubscribe", -1, kSub, 1, -1, 1, sunsubscribe_command, g, "7.0.0",
                     "Stop listening for messages posted to the given shard channels",
                     "O(N) where N is the number of clients already subscribed to a shard "
                     "channel."))
      .args = {arg_doc("shardchannel", "string", true, true)};
  t.add(make_command("publish", 3, kPub, 0, 0, 0, publish_command, g, "2.0.0",
                     "Post a message to a channel",
                     "O(N+M) where N is the number of clients subscribed to the receiving "
                     "channel and M is the total number of subscribed patterns (by any client)."))
      .args = {arg_doc("channel", "string"), arg_doc("message", "string")};
  t.add(make_command("spublish", 3, kPub, 1, 1, 1, spublish_command, g, "7.0.0",
                     "Post a message to a shard channel",
                     "O(N) where N is the number of clients subscribed to the receiving shard "
                     "channel."))
      .args = {arg_doc("shardchannel", "string"), arg_doc("message", "string")};

  CommandSpec& pubsub =
      t.add(make_command("pubsub", -2, 0, 0, 0, 0, nullptr, g, "2.8.0",
                         "A container for Pub/Sub commands", "Depends on subcommand."));
  pubsub.acl_categories = {"@slow"};
  t.add(make_command("pubsub|channels", -2, kIntro, 0, 0, 0, pubsub_channels_command, g, "2.8.0",
                     "List active channels",
                     "O(N) where N is the number of active channels, and assuming constant time "
                     "pattern matching (relatively short channels and patterns)"))
      .args = {arg_doc("pattern", "pattern", true)};
  t.add(make_command("pubsub|numsub", -2, kIntro, 0, 0, 0, pubsub_numsub_command, g, "2.8.0",
                     "Get the count of subscribers for channels",
                     "O(N) for the NUMSUB subcommand, where N is the number of requested "
                     "channels"))
      .args = {arg_doc("channel", "string", true, true)};
  t.add(make_command("pubsub|numpat", 2, kIntro, 0, 0, 0, pubsub_numpat_command, g, "2.8.0",
                     "Get the count of unique patterns pattern subscriptions"));
  t.add(make_command("pubsub|shardchannels", -2, kIntro, 0, 0, 0, pubsub_shardchannels_command, g,
                     "7.0.0", "List active shard channels",
                     "O(N) where N is the number of active shard channels, and assuming "
                     "constant time pattern matching (relatively short shard channels)."))
      .args = {arg_doc("pattern", "pattern", true)};
  t.add(make_command("pubsub|shardnumsub", -2, kIntro, 0, 0, 0, pubsub_shardnumsub_command, g,
                     "7.0.0", "Get the count of subscribers for shard channels",
                     "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                     "shard channels"))
      .args = {arg_doc("shardchannel", "string", true, true)};
  t.add(make_command("pubsub|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, pubsub_help_command, g,
                     "6.2.0", "Show helpful text about the different subcommands"))
      .acl_categories = {"@slow"};

  t.add(make_command("monitor", 1, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale, 0, 0, 0,
                     monitor_command, "server", "1.0.0",
                     "Listen for all requests received by the server in real time", ""));
}

}  // namespace terndb::server

// OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP: what Redis reports about the value
// behind a key, answered from terndb's entries.
#include <climits>
#include <string>

#include "server/command.h"
#include "server/command_help.h"
#include "server/key_commands.h"
#include "server/server.h"
#include "storage/access_stamp.h"
#include "storage/clock.h"

namespace terndb::server {
namespace {

using storage::Encoding;
using storage::Entry;
using storage::KeyHandle;

// Redis keeps the integers 0..9999 as shared objects (reported with refcount INT_MAX)
// unless an LRU or LFU maxmemory policy needs a private access stamp on every value.
constexpr int64_t kSharedIntegers = 10000;

// The entry behind argv[2], or nullptr after replying nil. Looking at a key this way does
// not count as an access to it.
Entry* lookup_or_nil(CommandContext& c, KeyHandle& k) {
  Entry* e = c.lookup_read(k, false);
  if (!e) c.reply.null();
  return e;
}

const char* encoding_name(const Entry* e) {
  switch (e->value_encoding()) {
    case Encoding::kInt:
      return "int";
    case Encoding::kEmbstr:
      return "embstr";
    case Encoding::kRaw:
      return "raw";
    case Encoding::kObject:
      return e->object()->encoding_name();
  }
  return "unknown";
}

void object_encoding_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(2));
  if (Entry* e = lookup_or_nil(c, k)) c.reply.bulk(encoding_name(e));
}

bool shared_integers_allowed(CommandContext& c) {
  if (c.server.config().num("maxmemory") == 0) return true;
  std::string policy = c.server.config().text("maxmemory-policy");
  return policy.find("lru") == std::string::npos && policy.find("lfu") == std::string::npos;
}

void object_refcount_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(2));
  Entry* e = lookup_or_nil(c, k);
  if (!e) return;
  bool shared = e->value_encoding() == Encoding::kInt && e->int_value() >= 0 &&
                e->int_value() < kSharedIntegers && shared_integers_allowed(c);
  c.reply.integer(shared ? INT_MAX : 1);
}

void object_idletime_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(2));
  Entry* e = lookup_or_nil(c, k);
  if (!e) return;
  if (lfu_policy_selected(c)) {
    return c.reply.error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
  c.reply.integer(static_cast<int64_t>(storage::lru_idle_seconds(e->lru, storage::lru_clock())));
}

// The key's logarithmic access counter after the decay due now (not counted as an access).
void object_freq_command(CommandContext& c) {
  KeyHandle k = c.open(c.arg(2));
  Entry* e = lookup_or_nil(c, k);
  if (!e) return;
  if (!lfu_policy_selected(c)) {
    return c.reply.error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
        "note that when switching between policies at runtime LRU and LFU data will take some "
        "time to adjust.");
  }
  c.reply.integer(
      storage::lfu_decayed_counter(e->lru, c.now, c.server.config().num("lfu-decay-time")));
}

void object_help_command(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
  };
  reply_help(c.reply, "OBJECT", kLines);
}

}  // namespace

void register_object_commands(CommandTable& t) {
  const char* g = "generic";
  const std::vector<std::string> acl = {"@keyspace", "@read", "@slow"};
  with_acl(t.add(make_command("object", -2, 0, 0, 0, 0, nullptr, g, "2.2.3",
                              "Reports internal details of the value behind a key.",
                              "Depends on subcommand.")),
           {"@slow"});
  with_acl(t.add(make_command("object|encoding", 3, kCmdReadonly, 2, 2, 1, object_encoding_command,
                              g, "2.2.3", "Names the internal representation of a key's value.")),
           acl);
  with_acl(
      t.add(make_command("object|freq", 3, kCmdReadonly, 2, 2, 1, object_freq_command, g, "4.0.0",
                         "Reports the logarithmic access frequency counter of a key.")),
      acl);
  with_acl(t.add(make_command("object|idletime", 3, kCmdReadonly, 2, 2, 1, object_idletime_command,
                              g, "2.2.3", "Reports the seconds since a key was last accessed.")),
           acl);
  with_acl(t.add(make_command("object|refcount", 3, kCmdReadonly, 2, 2, 1, object_refcount_command,
                              g, "2.2.3", "Reports how many references the value of a key has.")),
           acl);
  with_acl(
      t.add(make_command("object|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, object_help_command, g,
                         "6.2.0", "Lists the OBJECT subcommands and what they do.")),
      {"@keyspace", "@slow"});
}

}  // namespace terndb::server

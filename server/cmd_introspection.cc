// COMMAND and its subcommands: the command table described to clients, in Redis 7.0's
// reply shapes (COMMAND INFO's 10-element entries, COMMAND DOCS maps, GETKEYS, LIST).
//
// Everything is read from the CommandSpec table the family files register. What the table
// does not spell out is derived as Redis derives it: ACL categories from flags and group,
// "movablekeys" from a key finder, and one range key spec from first/last/step.
#include <cstring>
#include <string>
#include <vector>

#include "server/command.h"
#include "server/command_help.h"
#include "server/server.h"
#include "storage/glob.h"

namespace terndb::server {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool eq_nocase(std::string_view a, const char* b) {
  return a.size() == strlen(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

// ---- ACL categories ----------------------------------------------------------------

// Redis's category list; replies list a command's categories in this order.
constexpr const char* kAclCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// `name` without the '@' (COMMAND LIST FILTERBY ACLCAT takes bare names only).
uint32_t category_bit(std::string_view name) {
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (eq_nocase(name, kAclCategories[i])) return 1u << i;
  }
  return 0;
}

// The category a command group implies (Redis lists it in each command's definition).
uint32_t group_category(std::string_view group) {
  static const struct {
    const char* group;
    const char* category;
  } kGroups[] = {
      {"generic", "keyspace"},
      {"string", "string"},
      {"list", "list"},
      {"set", "set"},
      {"sorted-set", "sortedset"},
      {"sorted_set", "sortedset"},
      {"hash", "hash"},
      {"pubsub", "pubsub"},
      {"transactions", "transaction"},
      {"connection", "connection"},
      {"scripting", "scripting"},
      {"hyperloglog", "hyperloglog"},
      {"geo", "geo"},
      {"stream", "stream"},
      {"bitmap", "bitmap"},
  };
  for (const auto& g : kGroups) {
    if (group == g.group) return category_bit(g.category);
  }
  return 0;
}

uint32_t categories_of(const CommandSpec& s) {
  uint32_t bits = 0;
  for (std::string_view name : s.acl_categories) {
    if (!name.empty() && name.front() == '@') name.remove_prefix(1);
    bits |= category_bit(name);
  }
  // Containers carry no group category of their own; their subcommands do.
  if (s.acl_categories.empty() && s.subcommands.empty()) bits |= group_category(s.group);
  // The categories every command's flags imply.
  if (s.flags & kCmdWrite) bits |= category_bit("write");
  if ((s.flags & kCmdReadonly) && !(bits & category_bit("scripting"))) bits |= category_bit("read");
  if (s.flags & kCmdAdmin) bits |= category_bit("admin") | category_bit("dangerous");
  if (s.flags & kCmdPubsub) bits |= category_bit("pubsub");
  if (s.flags & kCmdFast) bits |= category_bit("fast");
  if (s.flags & kCmdBlocking) bits |= category_bit("blocking");
  if (!(s.flags & kCmdFast)) bits |= category_bit("slow");
  return bits;
}

void reply_categories(protocol::ReplyBuilder& r, uint32_t bits) {
  r.set(static_cast<size_t>(__builtin_popcount(bits)));
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (bits & (1u << i)) r.simple(std::string("@") + kAclCategories[i]);
  }
}

// ---- flags and key specs -------------------------------------------------------------

// A key finder means the key positions depend on the arguments: Redis calls that
// "movablekeys". It is not a table flag, so it gets a bit of its own here.
constexpr uint64_t kMovableKeys = 1ull << 40;

// COMMAND INFO's flag names in Redis's order (may_replicate is hidden, as in Redis).
constexpr struct {
  uint64_t flag;
  const char* name;
} kFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadonly, "readonly"},
    {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},
    {kCmdPubsub, "pubsub"},
    {kCmdNoscript, "noscript"},
    {kCmdBlocking, "blocking"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdNoMandatoryKeys, "no_mandatory_keys"},
    {kCmdNoAsyncLoading, "no_async_loading"},
    {kCmdNoMulti, "no_multi"},
    {kMovableKeys, "movablekeys"},
    {kCmdAllowBusy, "allow_busy"},
};

void reply_flags(protocol::ReplyBuilder& r, const CommandSpec& s) {
  uint64_t flags = s.flags;
  if (s.key_finder) flags |= kMovableKeys;
  size_t n = 0;
  for (const auto& f : kFlagNames) n += (flags & f.flag) ? 1 : 0;
  r.set(n);
  for (const auto& f : kFlagNames) {
    if (flags & f.flag) r.simple(f.name);
  }
}

bool has_key_spec(const CommandSpec& s) {
  return s.first_key > 0;
}
bool has_keys(const CommandSpec& s) {
  return has_key_spec(s) || s.key_finder;
}

// Access flags of a command's keys as Redis names them in key specs; the table has no
// per-key flags, so they follow from the command's own read/write flag.
std::vector<const char*> key_flags(const CommandSpec& s) {
  if (s.flags & kCmdWrite) return {"RW", "update"};
  return {"RO", "access"};
}

void reply_key_flags(protocol::ReplyBuilder& r, const CommandSpec& s) {
  auto flags = key_flags(s);
  r.set(flags.size());
  for (const char* f : flags) r.simple(f);
}

// One range spec equivalent to first/last/step: begin at index `first`, last key relative
// to it (or negative, counted from the end), step `step`.
void reply_key_specs(protocol::ReplyBuilder& r, const CommandSpec& s) {
  if (!has_key_spec(s)) return r.set(0);
  r.set(1);
  r.map(3);
  r.bulk("flags");
  reply_key_flags(r, s);
  r.bulk("begin_search");
  r.map(2);
  r.bulk("type");
  r.bulk("index");
  r.bulk("spec");
  r.map(1);
  r.bulk("index");
  r.integer(s.first_key);
  r.bulk("find_keys");
  r.map(2);
  r.bulk("type");
  r.bulk("range");
  r.bulk("spec");
  r.map(3);
  r.bulk("lastkey");
  r.integer(s.last_key >= 0 ? s.last_key - s.first_key : s.last_key);
  r.bulk("keystep");
  r.integer(s.key_step);
  r.bulk("limit");
  r.integer(0);
}

// ---- COMMAND INFO / DOCS entries ------------------------------------------------------

void reply_command_info(protocol::ReplyBuilder& r, const CommandSpec& s) {
  r.array(10);
  r.bulk(s.full_name());
  r.integer(s.arity);
  reply_flags(r, s);
  r.integer(s.first_key);
  r.integer(s.last_key);
  r.integer(s.key_step);
  reply_categories(r, categories_of(s));
  r.set(0);  // tips: the table has none (Redis's are hints for cluster proxies)
  reply_key_specs(r, s);
  if (s.subcommands.empty()) return r.set(0);
  r.array(s.subcommands.size());
  for (const auto& [name, sub] : s.subcommands) reply_command_info(r, *sub);
}

void reply_arg_docs(protocol::ReplyBuilder& r, const CommandSpec& s) {
  r.array(s.args.size());
  for (const auto& a : s.args) {
    const bool key_index = a.type == "key" && has_key_spec(s);
    const bool nested = a.type == "oneof" || a.type == "block";
    const size_t nflags = (a.optional ? 1 : 0) + (a.multiple ? 1 : 0);
    r.map(2 + (key_index ? 1 : 0) + (a.token.empty() ? 0 : 1) + (nflags ? 1 : 0) +
          (nested ? 1 : 0));
    r.bulk("name");
    r.bulk(a.name);
    r.bulk("type");
    r.bulk(a.type);
    if (key_index) {
      r.bulk("key_spec_index");
      r.integer(0);
    }
    if (!a.token.empty()) {
      r.bulk("token");
      r.bulk(a.token);
    }
    if (nflags) {
      r.bulk("flags");
      r.set(nflags);
      if (a.optional) r.simple("optional");
      if (a.multiple) r.simple("multiple");
    }
    if (nested) {
      // The table keeps arguments flat; a group has no members to list.
      r.bulk("arguments");
      r.array(0);
    }
  }
}

void reply_command_docs(protocol::ReplyBuilder& r, const CommandSpec& s) {
  r.map(1 + (s.summary.empty() ? 0 : 1) + (s.since.empty() ? 0 : 1) +
        (s.complexity.empty() ? 0 : 1) + (s.args.empty() ? 0 : 1) +
        (s.subcommands.empty() ? 0 : 1));
  if (!s.summary.empty()) {
    r.bulk("summary");
    r.bulk(s.summary);
  }
  if (!s.since.empty()) {
    r.bulk("since");
    r.bulk(s.since);
  }
  r.bulk("group");
  r.bulk(s.group);
  if (!s.complexity.empty()) {
    r.bulk("complexity");
    r.bulk(s.complexity);
  }
  if (!s.args.empty()) {
    r.bulk("arguments");
    reply_arg_docs(r, s);
  }
  if (!s.subcommands.empty()) {
    r.bulk("subcommands");
    r.map(s.subcommands.size());
    for (const auto& [name, sub] : s.subcommands) {
      r.bulk(sub->full_name());
      reply_command_docs(r, *sub);
    }
  }
}

// "get" or "config|get", any case; nullptr when unknown.
const CommandSpec* find_by_full_name(const CommandTable& t, std::string_view full) {
  std::string name = lowercase(full);
  auto bar = name.find('|');
  if (bar == std::string::npos) return t.find(name);
  const CommandSpec* parent = t.find(name.substr(0, bar));
  if (!parent) return nullptr;
  auto it = parent->subcommands.find(name.substr(bar + 1));
  return it == parent->subcommands.end() ? nullptr : it->second.get();
}

// ---- handlers --------------------------------------------------------------------------

void reply_all_info(CommandContext& c) {
  const auto& all = c.server.commands().all();
  c.reply.array(all.size());
  for (const auto& [name, spec] : all) reply_command_info(c.reply, *spec);
}

void command_command(CommandContext& c) {
  reply_all_info(c);
}

void command_count_command(CommandContext& c) {
  c.reply.integer(static_cast<int64_t>(c.server.commands().all().size()));
}

void command_info_command(CommandContext& c) {
  if (c.argc() == 2) return reply_all_info(c);
  c.reply.array(c.argc() - 2);
  for (size_t i = 2; i < c.argc(); ++i) {
    const CommandSpec* s = find_by_full_name(c.server.commands(), c.arg(i));
    if (s) {
      reply_command_info(c.reply, *s);
    } else {
      c.reply.null();
    }
  }
}

void command_docs_command(CommandContext& c) {
  if (c.argc() == 2) {
    const auto& all = c.server.commands().all();
    c.reply.map(all.size());
    for (const auto& [name, spec] : all) {
      c.reply.bulk(spec->full_name());
      reply_command_docs(c.reply, *spec);
    }
    return;
  }
  // Unknown names are left out of the map.
  std::vector<const CommandSpec*> found;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (const CommandSpec* s = find_by_full_name(c.server.commands(), c.arg(i))) {
      found.push_back(s);
    }
  }
  c.reply.map(found.size());
  for (const CommandSpec* s : found) {
    c.reply.bulk(s->full_name());
    reply_command_docs(c.reply, *s);
  }
}

// COMMAND GETKEYS / GETKEYSANDFLAGS <command> <args...>, checked in Redis's order.
void getkeys(CommandContext& c, bool with_flags) {
  std::vector<std::string_view> argv(c.argv.begin() + 2, c.argv.end());
  const CommandSpec* s = c.server.commands().find(lowercase(argv[0]));
  if (s && !s->subcommands.empty() && argv.size() >= 2) {
    auto it = s->subcommands.find(lowercase(argv[1]));
    s = it == s->subcommands.end() ? nullptr : it->second.get();
  }
  if (!s) return c.reply.error("ERR Invalid command specified");
  if (!has_keys(*s)) return c.reply.error("ERR The command has no key arguments");
  const int argc = static_cast<int>(argv.size());
  if ((s->arity > 0 && s->arity != argc) || argc < -s->arity) {
    return c.reply.error("ERR Invalid number of arguments specified for command");
  }
  std::vector<size_t> keys = s->keys(argv);
  if (keys.empty() && !(s->flags & kCmdNoMandatoryKeys)) {
    return c.reply.error("ERR Invalid arguments specified for command");
  }
  c.reply.array(keys.size());
  for (size_t k : keys) {
    if (with_flags) {
      c.reply.array(2);
      c.reply.bulk(argv[k]);
      reply_key_flags(c.reply, *s);
    } else {
      c.reply.bulk(argv[k]);
    }
  }
}

void command_getkeys_command(CommandContext& c) {
  getkeys(c, false);
}
void command_getkeysandflags_command(CommandContext& c) {
  getkeys(c, true);
}

enum class ListFilter { kNone, kModule, kAclCategory, kPattern };

void list_commands(const std::map<std::string, std::unique_ptr<CommandSpec>>& commands,
                   ListFilter filter, std::string_view arg, std::vector<const CommandSpec*>& out) {
  const uint32_t category = filter == ListFilter::kAclCategory ? category_bit(arg) : 0;
  for (const auto& [name, spec] : commands) {
    bool keep = true;
    switch (filter) {
      case ListFilter::kNone:
        break;
      case ListFilter::kModule:  // no modules are loaded, so no command belongs to one
        keep = false;
        break;
      case ListFilter::kAclCategory:
        keep = category && (categories_of(*spec) & category);
        break;
      case ListFilter::kPattern:
        keep = storage::glob_match(arg, spec->full_name(), true);
        break;
    }
    if (keep) out.push_back(spec.get());
    list_commands(spec->subcommands, filter, arg, out);
  }
}

void command_list_command(CommandContext& c) {
  ListFilter filter = ListFilter::kNone;
  std::string_view arg;
  for (size_t i = 2; i < c.argc(); ++i) {
    const size_t more = c.argc() - 1 - i;
    if (!eq_nocase(c.arg(i), "filterby") || more != 2) return c.syntax_error();
    std::string_view type = c.arg(i + 1);
    if (eq_nocase(type, "module")) {
      filter = ListFilter::kModule;
    } else if (eq_nocase(type, "aclcat")) {
      filter = ListFilter::kAclCategory;
    } else if (eq_nocase(type, "pattern")) {
      filter = ListFilter::kPattern;
    } else {
      return c.syntax_error();
    }
    arg = c.arg(i + 2);
    i += 2;
  }
  std::vector<const CommandSpec*> out;
  list_commands(c.server.commands().all(), filter, arg, out);
  c.reply.array(out.size());
  for (const CommandSpec* s : out) c.reply.bulk(s->full_name());
}

void command_help_command(CommandContext& c) {
  static const std::vector<std::string_view> kLines = {
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
  };
  reply_help(c.reply, "COMMAND", kLines);
}

CommandArgDoc arg_doc(const char* name, const char* type, bool optional = false,
                      bool multiple = false) {
  return CommandArgDoc{name, type, "", optional, multiple};
}

}  // namespace

void register_introspection_commands(CommandTable& t) {
  constexpr uint32_t kFlags = kCmdLoading | kCmdStale;
  // Redis files COMMAND under the server group but lists it as @connection.
  auto add = [&t](CommandSpec spec) -> CommandSpec& {
    spec.acl_categories = {"@connection"};
    return t.add(std::move(spec));
  };
  add(make_command("command", -1, kFlags, 0, 0, 0, command_command, "server", "2.8.13",
                   "Returns detailed information about all commands.",
                   "O(N) where N is the total number of Redis commands"));
  add(make_command("command|count", 2, kFlags, 0, 0, 0, command_count_command, "server", "2.8.13",
                   "Returns a count of commands."));
  add(make_command("command|info", -2, kFlags, 0, 0, 0, command_info_command, "server", "2.8.13",
                   "Returns information about one, multiple or all commands.",
                   "O(N) where N is the number of commands to look up"))
      .args = {arg_doc("command-name", "string", true, true)};
  add(make_command("command|docs", -2, kFlags, 0, 0, 0, command_docs_command, "server", "7.0.0",
                   "Returns documentary information about one, multiple or all "
                   "commands.",
                   "O(N) where N is the number of commands to look up"))
      .args = {arg_doc("command-name", "string", true, true)};
  add(make_command("command|getkeys", -4, kFlags, 0, 0, 0, command_getkeys_command, "server",
                   "2.8.13", "Extracts the key names from an arbitrary command.",
                   "O(N) where N is the number of arguments to the command"))
      .args = {arg_doc("command", "string"), arg_doc("arg", "string", true, true)};
  add(make_command("command|getkeysandflags", -4, kFlags, 0, 0, 0, command_getkeysandflags_command,
                   "server", "7.0.0",
                   "Extracts the key names and access flags for an arbitrary command.",
                   "O(N) where N is the number of arguments to the command"))
      .args = {arg_doc("command", "string"), arg_doc("arg", "string", true, true)};
  add(make_command("command|list", -2, kFlags, 0, 0, 0, command_list_command, "server", "7.0.0",
                   "Returns a list of command names.",
                   "O(N) where N is the total number of Redis commands"));
  add(make_command("command|help", 2, kFlags, 0, 0, 0, command_help_command, "server", "5.0.0",
                   "Returns helpful text about the different subcommands."));
}

}  // namespace terndb::server

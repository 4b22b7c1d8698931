// Shared pieces of the generic key command family (cmd_keys*.cc): registration of the
// expiry and OBJECT subsets, and the small facts several of those commands need.
#pragma once

#include <string_view>
#include <vector>

#include "server/command.h"
#include "storage/entry.h"

namespace terndb::server {

// Registered by register_key_commands (cmd_keys.cc).
void register_expire_commands(CommandTable& t);  // cmd_keys_expire.cc
void register_object_commands(CommandTable& t);  // cmd_keys_object.cc

// The name TYPE replies with ("string", "list", "set", "zset", "hash").
const char* type_name(const storage::Entry* e);
const char* value_type_name(storage::ValueType t);

// Records an access to `e` the way Redis's key lookups do for commands that touch keys
// (TOUCH, RENAME, EXPIRE...): the entry's LRU stamp becomes the current LRU clock.
void note_access(storage::Entry* e);

// True when maxmemory-policy is one of the LFU policies (OBJECT FREQ / IDLETIME care).
bool lfu_policy_selected(CommandContext& c);

// ACL categories as COMMAND INFO lists them for a command.
CommandSpec& with_acl(CommandSpec& spec, std::vector<std::string> categories);

}  // namespace terndb::server

// Pieces shared by the set command files: cmd_set.cc (one key) and cmd_set_multi.cc
// (SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD, SMOVE, SMEMBERS).
#pragma once

#include <memory>
#include <vector>

#include "server/command.h"
#include "storage/entry.h"
#include "storage/set_value.h"

namespace terndb::server {

bool holds_set(const storage::Entry* e);
const storage::SetValue* set_value_of(const storage::Entry* e);

// Replies the members as a set (RESP3 '~', RESP2 array), in the set's own order.
void reply_set_members(CommandContext& c, const storage::SetValue& s);

// The union of the sets (null entries are missing keys), built as Redis builds it: an
// intset to which every member is added, so its encoding and order follow the members.
std::unique_ptr<storage::SetValue> set_union_of(const std::vector<const storage::SetValue*>& sets);

// Registered by register_set_commands (cmd_set.cc).
void register_set_multi_commands(CommandTable& t);  // cmd_set_multi.cc

}  // namespace terndb::server

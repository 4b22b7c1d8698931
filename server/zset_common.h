// Pieces shared by the sorted set command files (cmd_zset*.cc): argument parsing with
// Redis's exact acceptance rules and error texts, reply shapes, and in-place edits with
// memory accounting.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/key_handle.h"
#include "storage/zset_value.h"

namespace terndb::server {

// Registration of the family's files, called by register_zset_commands (cmd_zset.cc).
void register_zset_range_commands(CommandTable& t);  // cmd_zset_range.cc
void register_zset_pop_commands(CommandTable& t);    // cmd_zset_pop.cc
void register_zset_setop_commands(CommandTable& t);  // cmd_zset_setops.cc

namespace zset {

inline bool is_zset(const storage::Entry* e) {
  return e->value_type() == storage::ValueType::kZSet;
}
inline storage::ZSetValue* value_of(storage::Entry* e) {
  return static_cast<storage::ZSetValue*>(e->object());
}

bool eq_nocase(std::string_view a, const char* b);

// A score as ZADD reads it (Redis's getDoubleFromObject): the whole argument must parse,
// no leading space, no overflow to infinity or underflow to zero, no NaN.
bool parse_score(std::string_view arg, double& out);
// Score range ends as ZRANGEBYSCORE reads them: an optional '(' for exclusive, then what
// strtod accepts up to the end ("-inf", "+inf", even "" as 0).
bool parse_score_range(std::string_view min, std::string_view max, storage::ZScoreRange& r);
// Lex range ends: "-", "+", "[value" or "(value".
bool parse_lex_range(std::string_view min, std::string_view max, storage::ZLexRange& r);

// Looks a key up for writing: no hit/miss statistics, but the key counts as used
// (OBJECT IDLETIME), as Redis's write lookups do.
storage::Entry* lookup_write(storage::KeyHandle& k);

// Integer argument; replies "ERR value is not an integer or out of range" on failure.
bool parse_long(CommandContext& c, std::string_view arg, int64_t& out);
// Blocking timeout in seconds; 0 means forever. Sets *deadline_ms to an absolute time, or
// 0 for forever. Replies Redis's error and returns false on bad input.
bool parse_timeout(CommandContext& c, std::string_view arg, int64_t* deadline_ms);

// Reply shapes of member lists: RESP2 flattens member and score, RESP3 nests each pair.
void reply_members_header(protocol::ReplyBuilder& r, size_t count, bool withscores);
void reply_member(protocol::ReplyBuilder& r, std::string_view member, double score,
                  bool withscores);

// Runs `edit(ZSetValue*)` on the key's sorted set (which must exist), accounting the change
// of its memory; when edit returns true (something changed), tells the key's watchers.
template <typename F>
bool edit(storage::KeyHandle& k, F&& fn) {
  storage::ZSetValue* z = value_of(k.get());
  size_t before = z->memory_usage();
  bool changed = fn(z);
  k.table().adjust_bytes(static_cast<int64_t>(z->memory_usage()) - static_cast<int64_t>(before));
  if (changed) k.mark_modified();
  return changed;
}

// The shard indexes of `keys`, for storage::ShardLocks.
std::vector<size_t> shards_of(CommandContext& c, const std::vector<std::string_view>& keys);

// Stores a built sorted set under `key` (replacing whatever is there), or deletes the key
// when the set is empty, as the *STORE commands do. Takes ownership of `value`. Notifies
// `event` for a stored set, "del" for a deleted key.
void store_result(CommandContext& c, storage::KeyHandle& dst, storage::ZSetValue* value,
                  const char* event);

}  // namespace zset
}  // namespace terndb::server

// Shared pieces of the list command family: cmd_list.cc (the plain commands) and
// cmd_list_blocking.cc (BLPOP and friends), which both pop, push and move elements with
// the same rules: a list key exists only while it has elements.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "storage/key_handle.h"
#include "storage/list_value.h"

namespace terndb::server {

inline bool is_list(const storage::Entry* e) {
  return e->value_type() == storage::ValueType::kList;
}
inline storage::ListValue* list_of(storage::Entry* e) {
  return static_cast<storage::ListValue*>(e->object());
}

// LEFT or RIGHT, in any case; otherwise replies "ERR syntax error" and returns false.
bool parse_list_end(CommandContext& c, std::string_view arg, storage::ListEnd* out);

// Pushes `values` one by one at `end` of the list at `k`, creating the key when absent
// (the caller has checked the type). Returns the new length.
size_t list_push(storage::KeyHandle& k, storage::ListEnd end,
                 std::span<const std::string_view> values);
// Pops one element from the non-empty list at `k` into `*out`; deletes the key once the
// list is empty.
void list_pop(storage::KeyHandle& k, storage::ListEnd end, std::string* out);
// Same, replying the element as a bulk string (no copy of it is made).
void list_pop_reply(storage::KeyHandle& k, storage::ListEnd end, protocol::ReplyBuilder& reply);
// Pops up to `count` elements and replies [key, [elements...]] (LMPOP, BLMPOP).
void pop_with_key_reply(storage::KeyHandle& k, storage::ListEnd end, int64_t count,
                        protocol::ReplyBuilder& reply);
// Moves one element from the non-empty list at `src` to `dst` (null when it is the same
// key; the caller has checked dst's type) and replies with the element (LMOVE, BLMOVE).
// Notifies the push on the destination, then the pop (and "del") on the source.
void list_move(Server& server, storage::KeyHandle& src, storage::KeyHandle* dst,
               storage::ListEnd from, storage::ListEnd to, protocol::ReplyBuilder& reply);

// Keyspace notifications (server/notify.h) after elements were pushed at or popped from
// `end`; after a pop, also "del" when the list was emptied and its key deleted.
void notify_list_pushed(Server& server, storage::KeyHandle& k, storage::ListEnd end);
void notify_list_popped(Server& server, storage::KeyHandle& k, storage::ListEnd end);

// LMOVE's work once the source is known to be a non-empty list: checks the destination's
// type, moves and replies. The caller holds both keys' shard locks.
void move_from_list(CommandContext& c, storage::KeyHandle& src, std::string_view dst_key,
                    storage::ListEnd from, storage::ListEnd to);

// BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH (cmd_list_blocking.cc).
void register_blocking_list_commands(CommandTable& t);
// LMPOP's and BLMPOP's key positions: numkeys at argv[numkeys_index], then the keys.
std::vector<size_t> numkeys_keys(const std::vector<std::string_view>& argv, size_t numkeys_index);

// Option parsing shared by LMPOP and BLMPOP: numkeys at argv[numkeys_index], the keys,
// LEFT|RIGHT, then [COUNT n]. Replies the error and returns false when invalid.
struct MultiPopArgs {
  std::vector<std::string_view> keys;
  storage::ListEnd end = storage::ListEnd::kHead;
  int64_t count = 1;
};
bool parse_multi_pop(CommandContext& c, size_t numkeys_index, MultiPopArgs* out);

}  // namespace terndb::server

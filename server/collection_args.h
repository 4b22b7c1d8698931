// Argument handling shared by the hash and set command families (cmd_hash.cc,
// cmd_set*.cc): HSCAN/SSCAN cursors and options, counts with Redis's range errors, and
// the random engine behind HRANDFIELD, SRANDMEMBER and SPOP.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace terndb::server {

bool collection_arg_is(std::string_view arg, const char* word);  // case-insensitive

// Options of HSCAN/SSCAN after the cursor.
struct ElementScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
};
// Reads a cursor as Redis does (strtoul rules); replies "ERR invalid cursor" on failure.
bool parse_element_scan_cursor(CommandContext& c, std::string_view arg, uint64_t& cursor);
// Reads [MATCH pattern] [COUNT count] from argv[first]; replies the error on failure.
bool parse_element_scan_options(CommandContext& c, size_t first, ElementScanOptions& o);
// The reply of a scan of a missing key: cursor 0 and no elements.
void reply_empty_element_scan(CommandContext& c);
// [cursor, [items...]]
void reply_element_scan(CommandContext& c, uint64_t next, const std::vector<std::string>& items);
// How many buckets a hashtable scan step may visit for a COUNT (Redis visits up to ten
// per requested element).
int64_t element_scan_max_steps(int64_t count);

// A count in [-(2^63-1), 2^63-1] (HRANDFIELD, SRANDMEMBER), replying Redis's errors.
bool parse_signed_count(CommandContext& c, std::string_view arg, int64_t& out);
// A count >= 0; any failure replies "ERR <message>" (SPOP's and SINTERCARD's style).
bool parse_positive_count(CommandContext& c, std::string_view arg, const char* message,
                          int64_t& out);

// Random engine for sampling commands, one per thread.
std::mt19937_64& collection_rng();

// `count` distinct indexes below `size` in random order (count <= size).
std::vector<size_t> distinct_random_indexes(size_t size, size_t count);

}  // namespace terndb::server

// Glob matching as Redis's KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use it:
// `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape.
#pragma once

#include <string_view>

namespace terndb::storage {

bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace terndb::storage
